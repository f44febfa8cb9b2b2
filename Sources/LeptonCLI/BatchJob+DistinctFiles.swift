import Foundation
import LeptonIO

extension BatchJob {
    /// Refuses an output or rejects file that is the input (writing it would replace the data
    /// being read) or one file for both.
    static func checkDistinctFiles(input: CSVReader, configuration: BatchConfiguration) throws {
        let output = configuration.outputPath, rejects = configuration.resolvedRejectsPath
        func identity(_ path: String) -> (UInt64, UInt64)? {
            var info = stat()
            return stat(path, &info) == 0 ? (UInt64(info.st_dev), UInt64(info.st_ino)) : nil
        }
        func absolute(_ path: String) -> String {
            (path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path) as NSString as String
        }
        let inputIdentity = identity(input.path)
        for (option, path) in [("--output", output), ("--rejects", rejects)] {
            if let id = identity(path), let inputIdentity, id == inputIdentity {
                throw DataError(file: path, message: "\(option) is the input file; writing there would replace the records being read",
                                hint: "write the results to another file.")
            }
        }
        let sameFile = identity(output).flatMap { a in identity(rejects).map { a == $0 } }
            ?? ((absolute(output) as NSString).standardizingPath == (absolute(rejects) as NSString).standardizingPath)
        if sameFile {
            throw DataError(file: output, message: "--output and --rejects name the same file", hint: "give the rejects file another name.")
        }
    }
}
