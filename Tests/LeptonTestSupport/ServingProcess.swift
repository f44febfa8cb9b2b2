import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A built executable's `serve` running as its own process on a free loopback port (it is
/// started with `--port 0 --json` and its first output line says which port it bound), for
/// tests of what only a process shows: signals (SIGTERM, SIGHUP) and exit codes.
public final class ServingProcess: @unchecked Sendable {
    public let process: Process
    public let port: Int
    private let errors: ReadInBackground

    /// Starts `executable serve ARGUMENTS --port 0 --json` and waits (at most `timeout` seconds) until it listens.
    public init(_ executable: BuiltExecutable, _ arguments: [String], timeout: Double = 60) throws {
        process = Process()
        process.executableURL = executable.url
        process.arguments = ["serve"] + arguments + ["--port", "0", "--json"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        errors = ReadInBackground(err.fileHandleForReading)
        let firstLine = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var line = Data()
        Thread.detachNewThread {
            let handle = out.fileHandleForReading
            while true {
                let byte = handle.readData(ofLength: 1)
                if byte.isEmpty || byte.first == 0x0A { break }
                line.append(byte)
            }
            firstLine.signal()
        }
        guard firstLine.wait(timeout: .now() + timeout) == .success,
              let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any], let port = object["port"] as? Int else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            throw HTTPTestClient.Failure(description: "serve did not start: \(String(decoding: line, as: UTF8.self)) \(String(decoding: errors.value, as: UTF8.self))")
        }
        self.port = port
    }

    /// Sends `signal` (SIGTERM, SIGHUP …) to the server.
    public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to end (killing it after `timeout` seconds): its exit status and standard error.
    public func waitForExit(timeout: Double = 60) -> (status: Int32, err: String, killed: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        let killed = process.isRunning
        if killed { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errors.value, as: UTF8.self), killed)
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
