import Foundation
import XCTest

/// One of the package's executables as built beside the test bundle, run as a user would run it
/// (end-to-end tests: swift-argument-parser's `EndToEndTests` pattern).
///
/// ```swift
/// let credit = BuiltExecutable("lepton-credit")
/// let r = try credit.run(["train", "--data", path, "--json"])
/// XCTAssertEqual(r.status, 0, r.err)
/// let summary = try r.json()
/// ```
public struct BuiltExecutable: Sendable {
    public let name: String

    public init(_ name: String) { self.name = name }

    /// Where the executable is: beside the `.xctest` bundle (`swift build --build-tests` builds it there).
    public var url: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent(name)
        }
        return Bundle.main.bundleURL.appendingPathComponent(name)
    }

    /// What a run gave: exit status, standard output and standard error.
    public struct Outcome: Sendable {
        /// The exit status (the signal number when ended by one).
        public let status: Int32
        /// Standard output.
        public let out: String
        /// Standard error.
        public let err: String

        /// Standard output as one JSON object (`--json`).
        public func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// Runs the executable with `arguments` and waits for it; fails the test (status −1) when it
    /// has not been built, and kills it and fails the test when it runs longer than `timeout`
    /// seconds (a hang is a failure, not a stuck test run).
    @discardableResult
    public func run(_ arguments: [String], environment: [String: String]? = nil, timeout: Double = 600,
                    file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            XCTFail("\(name) not built at \(url.path); run `swift build --build-tests`", file: file, line: line)
            return Outcome(status: -1, out: "", err: "")
        }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        // Read both pipes to the end before waiting, so a full pipe never blocks the child.
        let errData = ReadInBackground(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        if process.terminationReason == .uncaughtSignal {
            XCTFail("\(name) \(arguments.joined(separator: " ")): ended by signal \(process.terminationStatus) (a trap, or killed after \(timeout) s)",
                    file: file, line: line)
        }
        return Outcome(status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
                       err: String(decoding: errData.value, as: UTF8.self))
    }
}

/// Reads a file handle to its end on another thread.
final class ReadInBackground: @unchecked Sendable {  // `data` is written before the semaphore, read after.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    var value: Data {
        done.wait()
        done.signal()
        return data
    }
}
