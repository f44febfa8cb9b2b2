import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The exit codes every Lepton executable uses, and their `--help` text.
public enum LeptonExitCode {
    /// The job succeeded.
    public static let success = ExitCode(0)
    /// The job failed (unreadable input, bad model file, I/O error).
    public static let failure = ExitCode(1)
    /// The command line was wrong (unknown option, bad value).
    public static let usage = ExitCode(2)
    /// The job finished and wrote its outputs, but rejected more records than `--max-reject-rate` allows.
    public static let rejectRateExceeded = ExitCode(3)

    /// The exit-code table for each executable's `--help` (its `CommandConfiguration.discussion`).
    public static let helpText = """
        EXIT CODES:
          0  success
          1  failure: unreadable input, bad model file, I/O error (the message names the file, row and column, and ends with a hint)
          2  usage error: unknown option or bad value
          3  the job finished, but the share of rejected records exceeded --max-reject-rate (default 1%)
        """
}

extension ParsableCommand {
    /// Parses the command line, runs the command and exits with Lepton's exit codes: 0 on
    /// success (and for `--help`), 2 for usage errors, the code of a thrown `ExitCode` (such as
    /// ``LeptonExitCode/rejectRateExceeded``), and 1 with the error's message on standard error
    /// for any other error. Call it from the executable's `static func main()`.
    public static func mainWithLeptonExitCodes(_ arguments: [String]? = nil) -> Never {
        // Over a file-size limit (`ulimit -f`) a write fails with EFBIG and the error says so,
        // instead of the signal killing the process with its outputs half done.
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            terminateProcess(0)
        } catch {
            terminateProcess(reportAndMapExitCode(for: error))
        }
    }

    /// Prints what `error` calls for and returns the process exit code (see ``mainWithLeptonExitCodes(_:)``).
    static func reportAndMapExitCode(for error: any Error) -> Int32 {
        if let code = error as? ExitCode { return code.rawValue }
        let parserCode = exitCode(for: error)
        let message = fullMessage(for: error)
        if parserCode == .success {
            // --help, --version: requested output, on standard output.
            if !message.isEmpty { print(message) }
            return 0
        }
        if parserCode == .validationFailure || error is ValidationError {
            if !message.isEmpty { StandardError.write(message + "\n") }
            return LeptonExitCode.usage.rawValue
        }
        // ArgumentParser's message already starts with "Error: ".
        StandardError.write((message.isEmpty ? "Error: \(error)" : message) + "\n")
        return LeptonExitCode.failure.rawValue
    }
}

/// Ends the process (a free function: inside `ParsableCommand`, `exit` names the parser's method).
private func terminateProcess(_ code: Int32) -> Never {
    exit(code)
}
