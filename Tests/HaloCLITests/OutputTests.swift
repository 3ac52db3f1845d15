import Foundation
import HaloCore
import HaloQuantization
import XCTest

/// The one output discipline of every subcommand (HaloCore's `OutputFiles`), end to end and as a
/// library: every output written complete or not at all, never over an input, devices and symbolic
/// links written through, and every write error one line naming the file.
final class OutputTests: XCTestCase {
    var scratch: URL!
    static let bad = BadInputTests.corpus
    static let mac8 = FuzzTests.repo.appendingPathComponent("Netlists/osu018/mac8.v").path
    static let osu018 = "/usr/share/qflow/tech/osu018/osu018_stdcells.lib"

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }
    func bad(_ name: String) -> String { OutputTests.bad.appendingPathComponent(name).path }

    /// Runs `halo` with standard output sent to `stdout` (a path; nil: a pipe), in the scratch directory;
    /// killed after 60 s (a hang fails the test rather than the suite).
    func halo(_ arguments: [String], stdout: String? = nil) throws -> (status: Int32, signalled: Bool, stdout: String, stderr: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BadInputTests.haloPath)
        process.arguments = arguments
        process.currentDirectoryURL = scratch
        let out = Pipe(), err = Pipe()
        let sink = stdout.flatMap { FileHandle(forWritingAtPath: $0) }
        process.standardOutput = sink ?? out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        let e = BadInputTests.DataBox(), o = BadInputTests.DataBox()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { e.data = err.fileHandleForReading.readDataToEndOfFile() }
        if sink == nil { DispatchQueue.global().async(group: group) { o.data = out.fileHandleForReading.readDataToEndOfFile() } }
        if finished.wait(timeout: .now() + 60) == .timedOut {
            XCTFail("halo \(arguments.joined(separator: " ")) hung")
            process.terminate()
            _ = finished.wait(timeout: .now() + 5)
        }
        group.wait()
        try? sink?.close()
        let lines = String(decoding: e.data, as: UTF8.self).split(separator: "\n").map(String.init)
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, String(decoding: o.data, as: UTF8.self), lines)
    }

    /// The files of the scratch directory (hidden ones included: a temporary left behind would show).
    func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() }

    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: false, encoding: .utf8)
        return path(name)
    }

    // MARK: /dev/full: every kind of output of every subcommand

    /// Every output a subcommand writes (a `-o` file, a `--report`, standard output with and without
    /// files beside it, help and version text) sent to `/dev/full`: exit 1, one line naming the file
    /// (`/dev/full: error: …` or `halo: error: cannot write standard output: …`), no crash, and no file
    /// written anywhere else by that run.
    func testEveryOutputToDevFull() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        let full = "/dev/full: error: cannot write: no space left on device"
        let stdoutFull = "halo: error: cannot write standard output: no space left on device"
        let table = bad("_ok.csv"), weights = bad("_w.npy"), shardA = bad("_shard-a.json"), shardB = bad("_shard-b.json")
        let v = bad("_ok.v"), lib = bad("_ok.lib")
        let report = path("grid.json")
        let made = try halo(["select", table, "--format", "int2", "--levels", "2", "--pareto", "-o", report])
        XCTAssertEqual(made.status, 0, made.stderr.joined(separator: "\n"))
        let before = try listing()
        let select = ["select", table, "--format", "int2", "--levels", "2", "--weights", weights]
        let quantize = ["quantize", "--table", table, "--format", "int2", "--levels", "2", "--weights", weights, "--tile", "1x2"]
        let characterize = ["characterize", v, "--liberty", lib, "--bus", "a", "--threads", "1"]
        // (arguments, standard output to /dev/full, the expected line)
        let cases: [([String], Bool, String)] = [
            (characterize + ["-o", "/dev/full"], false, full),
            (characterize + ["--format", "json", "-o", "/dev/full"], false, full),
            (characterize, true, stdoutFull),
            (characterize + ["--energy", "--vectors", "8", "--activation-bus", "b", "--vdd", "1.8", "-o", "/dev/full"], false, full),
            (["report", v, "--liberty", lib], true, stdoutFull),
            (["merge", shardA, shardB, "-o", "/dev/full"], false, full),
            (["merge", shardA, shardB, "--format", "json"], true, stdoutFull),
            (["generate", "mac", "--multiplier", "array", "--width", "2", "-o", "/dev/full"], false, full),
            (["generate", "mac", "--multiplier", "array", "--width", "2"], true, stdoutFull),
            (select + ["-o", "/dev/full"], false, full),
            (select, true, stdoutFull),
            (select + ["-o", path("never.json")], true, stdoutFull),
            (quantize + ["-o", "/dev/full", "--report", path("never.json")], false, full),
            (quantize + ["-o", path("never.safetensors"), "--report", "/dev/full"], false, full),
            (quantize + ["-o", path("never.safetensors"), "--report", path("never.json")], true, stdoutFull),
            (["plot", table, "-o", "/dev/full"], false, full),
            (["plot", table], true, stdoutFull),
            (["plot", "--pareto", report, "-o", "/dev/full"], false, full),
            (["plot", "--pareto", report], true, stdoutFull),
            (["--help"], true, stdoutFull),
            (["--version"], true, stdoutFull),
            (["quantize", "--help"], true, stdoutFull),
        ]
        for (arguments, toFull, expected) in cases {
            let r = try halo(arguments, stdout: toFull ? "/dev/full" : nil)
            let context = "halo \(arguments.joined(separator: " "))\(toFull ? " > /dev/full" : "")"
            XCTAssertFalse(r.signalled, "crashed: \(context)")
            XCTAssertEqual(r.status, 1, context)
            XCTAssertEqual(r.stderr.filter { !$0.contains("warning:") }, [expected], context)
            XCTAssertEqual(try listing(), before, "files left behind by \(context)")
        }
    }

    // MARK: All outputs or none; old files untouched

    /// `--report` into a missing directory: refused before any work, `-o` neither created nor (when it
    /// exists) touched; the same when the report cannot be written at the end (`/dev/full`).
    func testQuantizeWritesBothOutputsOrNeither() throws {
        let out = try write("out.safetensors", "old weights")
        let base = ["quantize", "--table", bad("_ok.csv"), "--number-format", "int2", "--levels", "2", "--weights", bad("_w.npy"), "-o", out]
        var r = try halo(base + ["--report", path("nosuchdir/r.json")])
        XCTAssertEqual(r.stderr, ["\(path("nosuchdir/r.json")): error: cannot write: no such directory '\(path("nosuchdir"))'"])
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "old weights")
        r = try halo(base + ["--report", "/dev/full"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "old weights")
        XCTAssertEqual(try listing(), ["out.safetensors"])
        // Both complete: both replaced, nothing else left.
        r = try halo(base + ["--report", path("r.json")])
        XCTAssertEqual(r.status, 0, r.stderr.joined(separator: "\n"))
        XCTAssertEqual(try listing(), ["out.safetensors", "r.json"])
        XCTAssertEqual(try SafeTensorsFile(path: out).tensors.map(\.name).sorted(), ["_w", "_w.codes", "_w.scale"])
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("r.json")))))
    }

    /// A failing run (a bad table) leaves an existing output exactly as it was.
    func testFailureLeavesOldOutputUntouched() throws {
        let svg = try write("plot.svg", "old picture")
        let r = try halo(["plot", bad("csv-negative-delay.csv"), "-o", svg])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(try String(contentsOfFile: svg, encoding: .utf8), "old picture")
        XCTAssertEqual(try listing(), ["plot.svg"])
    }

    // MARK: Write-through: devices and symbolic links

    /// `-o` naming a symbolic link writes the file it points to; the link stays a link (also when it
    /// dangles: the file is created). A relative link is resolved from the link's directory.
    func testSymlinkIsWrittenThrough() throws {
        try FileManager.default.createDirectory(atPath: path("real"), withIntermediateDirectories: true)
        let target = try write("real/table.csv", "old")
        try FileManager.default.createSymbolicLink(atPath: path("link.csv"), withDestinationPath: "real/table.csv")
        try FileManager.default.createSymbolicLink(atPath: path("dangling.svg"), withDestinationPath: "real/new.svg")
        var r = try halo(["merge", bad("merge-overlap-a.csv"), "-o", path("link.csv")])
        XCTAssertEqual(r.status, 0, r.stderr.joined(separator: "\n"))
        let attributes = try FileManager.default.attributesOfItem(atPath: path("link.csv"))
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeSymbolicLink)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "code,delay_ns,startpoint,endpoint\nnone,1.500000,,\n0,1.000000,,\n1,1.100000,,\n")
        r = try halo(["plot", bad("_ok.csv"), "-o", path("dangling.svg")])
        XCTAssertEqual(r.status, 0, r.stderr.joined(separator: "\n"))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path("dangling.svg"))[.type] as? FileAttributeType, .typeSymbolicLink)
        XCTAssertTrue(try String(contentsOfFile: path("real/new.svg"), encoding: .utf8).contains("</svg>"))
        // A link to an input is the input: refused.
        try FileManager.default.createSymbolicLink(atPath: path("to-input.csv"), withDestinationPath: bad("merge-overlap-a.csv"))
        r = try halo(["merge", bad("merge-overlap-a.csv"), "-o", path("to-input.csv")])
        XCTAssertEqual(r.stderr, ["\(path("to-input.csv")): error: is the same file as the input '\(bad("merge-overlap-a.csv"))'; refusing to overwrite it"])
    }

    /// `-o /dev/null` writes through the device (as root, replacing it would succeed: it must not
    /// happen); a FIFO gets the bytes in place.
    func testDevicesAreWrittenThrough() throws {
        var r = try halo(["quantize", "--table", bad("_ok.csv"), "--format", "int2", "--levels", "2", "--weights", bad("_w.npy"),
                          "-o", "/dev/null", "--report", "/dev/null"])
        XCTAssertEqual(r.status, 0, r.stderr.joined(separator: "\n"))
        let attributes = try FileManager.default.attributesOfItem(atPath: "/dev/null")
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeCharacterSpecial)
        XCTAssertEqual(try listing(), [])
        // A FIFO with no reader: an error at once, not a hang.
        let fifo = path("pipe")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        r = try halo(["merge", bad("merge-overlap-a.csv"), "-o", fifo])
        XCTAssertEqual(r.stderr, ["\(fifo): error: cannot write: no process is reading this FIFO"])
        // With a reader (this process, holding it open read-write so that it never blocks): the whole table.
        let fd = open(fifo, O_RDWR | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        r = try halo(["merge", bad("merge-overlap-a.csv"), "-o", fifo])
        XCTAssertEqual(r.status, 0, r.stderr.joined(separator: "\n"))
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0 ..< n])
        }
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "code,delay_ns,startpoint,endpoint\nnone,1.500000,,\n0,1.000000,,\n1,1.100000,,\n")
        var s = stat()
        XCTAssertEqual(lstat(fifo, &s), 0)
        XCTAssertEqual(s.st_mode & S_IFMT, S_IFIFO, "the FIFO was replaced")
    }

    /// A replaced file keeps its permission bits.
    func testReplacedFileKeepsItsMode() throws {
        let out = try write("grid.json", "old")
        XCTAssertEqual(chmod(out, 0o640), 0)
        let r = try halo(["select", bad("_ok.csv"), "--format", "int2", "--levels", "2", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr.joined(separator: "\n"))
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o640)
        XCTAssertNotEqual(try String(contentsOfFile: out, encoding: .utf8), "old")
    }

    // MARK: Same file: device and inode, before anything is read

    /// An output that is a hard link to an input (another name, the same inode) is refused; so is an
    /// output named twice. The check comes before any input is read: a FIFO among the inputs, which
    /// would block a reader forever, is never opened.
    func testSameFileRefusedBeforeReading() throws {
        let table = try write("t.csv", try String(contentsOfFile: bad("_ok.csv"), encoding: .utf8))
        XCTAssertEqual(link(table, path("hard.csv")), 0)
        var r = try halo(["plot", table, "-o", path("hard.csv")])
        XCTAssertEqual(r.stderr, ["\(path("hard.csv")): error: is the same file as the input '\(table)'; refusing to overwrite it"])
        XCTAssertEqual(try String(contentsOfFile: table, encoding: .utf8), try String(contentsOfFile: bad("_ok.csv"), encoding: .utf8))
        XCTAssertEqual(mkfifo(path("never-written"), 0o600), 0)
        let start = Date()
        r = try halo(["merge", path("never-written"), table, "-o", path("hard.csv")])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, ["\(path("hard.csv")): error: is the same file as the input '\(table)'; refusing to overwrite it"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        r = try halo(["quantize", "--table", table, "--number-format", "int2", "--levels", "2", "--weights", bad("_w.npy"),
                      "-o", path("same"), "--report", path("./same")])
        XCTAssertEqual(r.stderr, ["\(path("./same")): error: is the same file as the output '\(path("same"))'; give each output its own file"])
    }

    // MARK: The library: OutputFiles

    /// A rename that fails after another output was already renamed puts the old file back and leaves
    /// no temporary behind.
    func testCommitRollsBackWhenARenameFails() throws {
        let a = try write("a.txt", "old a")
        let b = path("b.txt")
        let files = try OutputFiles([a, b], inputs: [])
        // After the check, `b` becomes a non-empty directory: its rename will fail.
        try FileManager.default.createDirectory(atPath: b, withIntermediateDirectories: false)
        _ = try write("b.txt/keep", "x")
        XCTAssertThrowsError(try files.commit([a: Data("new a".utf8), b: Data("new b".utf8)])) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(b): error: cannot write: "), "\(e)")
        }
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "old a")
        XCTAssertEqual(try listing(), ["a.txt", "b.txt"])
    }

    /// A temporary that cannot be written (its directory gone) removes the others; nothing is replaced.
    func testCommitWritesNothingWhenATemporaryFails() throws {
        try FileManager.default.createDirectory(atPath: path("d"), withIntermediateDirectories: false)
        let a = try write("a.txt", "old a")
        let files = try OutputFiles([a, path("d/b.txt")], inputs: [])
        try FileManager.default.removeItem(atPath: path("d"))
        XCTAssertThrowsError(try files.commit([a: Data("new a".utf8), path("d/b.txt"): Data("new b".utf8)])) { e in
            XCTAssertEqual("\(e)", "\(path("d/b.txt")): error: cannot write: no such file or directory")
        }
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "old a")
        XCTAssertEqual(try listing(), ["a.txt"])
    }

    /// The checks of `OutputFiles.init`, one message each.
    func testOutputChecks() throws {
        let input = try write("in.csv", "x")
        func error(_ outputs: [String], _ inputs: [String] = []) -> String {
            do { _ = try OutputFiles(outputs, inputs: inputs); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error([path("x")], [path("missing.csv")]), "\(path("missing.csv")): error: no such file")
        XCTAssertEqual(error([path("x")], [scratch.path]), "\(scratch.path): error: is a directory, not a file")
        XCTAssertEqual(error([input], [input]), "\(input): error: is also an input of this run; refusing to overwrite it")
        XCTAssertEqual(error([path("o"), path("o")]), "\(path("o")): error: is the same file as the output '\(path("o"))'; give each output its own file")
        XCTAssertEqual(error([scratch.path]), "\(scratch.path): error: cannot write: it is a directory")
        XCTAssertEqual(error([path("no/dir/x")]), "\(path("no/dir/x")): error: cannot write: no such directory '\(path("no/dir"))'")
        XCTAssertEqual(error([""]), "halo: error: an output file name is empty")
        try FileManager.default.createSymbolicLink(atPath: path("loop"), withDestinationPath: "loop")
        XCTAssertEqual(error([path("loop")]), "\(path("loop")): error: cannot write: too many levels of symbolic links")
        // Devices may be named twice (nothing is replaced); /dev/null is no input's twin.
        XCTAssertEqual(error(["/dev/null", "/dev/null"], ["/dev/null"]), "no error")
    }
}
