// A helper program for LeptonIO's tests: `lepton-io-probe write-slowly PATH` writes CSV rows to
// PATH through CSVWriter without end, so a test can kill it mid-write.
#if canImport(Glibc)
import Glibc
#endif
import LeptonIO

let arguments = CommandLine.arguments
guard arguments.count == 3, arguments[1] == "write-slowly" else {
    print("usage: lepton-io-probe write-slowly PATH")
    exit(2)
}
let writer = try CSVWriter(path: arguments[2])
for i in 0..<Int.max {
    try writer.writeRow([String(i), "some text, with a comma", String(Double(i) / 7)])
    if i == 200_000 {
        // Unbuffered write, so the test sees it at once.
        _ = "writing\n".withCString { write(1, $0, 8) }
    }
}
try writer.commit()
