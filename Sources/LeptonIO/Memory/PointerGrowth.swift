extension UnsafeMutablePointer {
    /// Grows a manually managed buffer: a new allocation of `capacity` elements whose first
    /// `count` are moved from this one, which is then freed. Use the result in its place.
    public func movedToAllocation(capacity: Int, count: Int) -> UnsafeMutablePointer<Pointee> {
        precondition(capacity >= count, "movedToAllocation: capacity \(capacity) below count \(count)")
        let new = UnsafeMutablePointer<Pointee>.allocate(capacity: capacity)
        new.moveInitialize(from: self, count: count)
        deallocate()
        return new
    }
}
