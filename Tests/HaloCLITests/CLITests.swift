import Foundation
import XCTest

/// End-to-end tests of the `halo` executable: exit codes, the one-line located errors, outputs.
final class CLITests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let osu018 = "/usr/share/qflow/tech/osu018/osu018_stdcells.lib"

    /// The `halo` binary built beside the test bundle.
    static var haloPath: String {
        var dir = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("halo").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        for config in ["release", "debug"] {
            let candidate = repo.appendingPathComponent(".build/\(config)/halo").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "halo"
    }

    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    func halo(_ arguments: [String], in directory: URL? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.haloPath)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                       stderr: String(decoding: e, as: UTF8.self))
    }

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Asserts a non-zero exit and exactly one stderr line equal to `expected`.
    func assertError(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try halo(arguments)
        XCTAssertNotEqual(r.status, 0, "expected failure", file: file, line: line)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        XCTAssertEqual(lines.filter { $0.contains("error:") }, [expected], r.stderr, file: file, line: line)
    }

    func testCharacterizeMac8OSU018CSV() throws {
        let netlist = CLITests.repo.appendingPathComponent("Netlists/osu018/mac8.v").path
        let r = try halo(["characterize", netlist, "--liberty", CLITests.osu018, "--bus", "W", "--codes", "0-3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "code,delay_ns,startpoint,endpoint")
        XCTAssertEqual(lines.count, 6)
        // OpenSTA: none 4.625601 ns, code 0 2.029001 ns.
        let none = lines[1].split(separator: ",").map(String.init), zero = lines[2].split(separator: ",").map(String.init)
        XCTAssertEqual(none[0], "none")
        XCTAssertEqual(Double(none[1])!, 4.625601, accuracy: 0.001)
        XCTAssertEqual(zero[0], "0")
        XCTAssertEqual(Double(zero[1])!, 2.029001, accuracy: 0.001)
    }

    func testCharacterizeJSONToFile() throws {
        let netlist = CLITests.repo.appendingPathComponent("Netlists/osu018/pe8.v").path
        let out = scratch.appendingPathComponent("pe8.json").path
        let r = try halo(["characterize", netlist, "--liberty", CLITests.osu018, "--bus", "wreg", "--codes", "-2--1", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let data = try XCTUnwrap(FileManager.default.contents(atPath: out))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(json["bus"] as? String, "wreg")
        XCTAssertEqual(json["clock"] as? String, "clk")
        XCTAssertEqual((json["codes"] as? [[String: Any]])?.compactMap { $0["code"] as? Int }, [254, 255])
    }

    func testReportUnderCaseAnalysis() throws {
        let netlist = CLITests.repo.appendingPathComponent("Netlists/osu018/mac8.v").path
        let r = try halo(["report", netlist, "--liberty", CLITests.osu018, "--set", "W=0", "--paths", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Startpoint: P["), r.stdout)
        XCTAssertTrue(r.stdout.contains("Endpoint: Y["), r.stdout)
        XCTAssertTrue(r.stdout.contains("critical-path delay"), r.stdout)
        XCTAssertEqual(r.stdout.components(separatedBy: "Startpoint:").count - 1, 2)
    }

    func testHelp() throws {
        for sub in ["characterize", "report"] {
            let r = try halo([sub, "--help"])
            XCTAssertEqual(r.status, 0)
            XCTAssertTrue(r.stdout.contains("USAGE: halo \(sub)"))
        }
    }

    // MARK: Bad inputs: one located line, non-zero exit.

    func testTruncatedLibertyGroup() throws {
        let lib = try write("trunc.lib", "library(t) {\n  time_unit : \"1ns\";\n  cell(INV) {\n    area : 1;\n")
        let v = try write("t.v", "module top(input a, output y); INV u (.A(a), .Y(y)); endmodule\n")
        let r = try halo(["characterize", v, "--liberty", lib, "--bus", "a"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.hasPrefix("\(lib):"), r.stderr)
        XCTAssertTrue(r.stderr.contains(": error: "), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }

    func testUnknownCell() throws {
        let v = try write("u.v", "module top(input a, output y);\n  FOO123 u1 (.A(a), .Y(y));\nendmodule\n")
        try assertError(["characterize", v, "--liberty", CLITests.osu018, "--bus", "a"],
                        "\(v):2:3: error: unknown cell or module 'FOO123'")
    }

    func testMissingBus() throws {
        let netlist = CLITests.repo.appendingPathComponent("Netlists/osu018/mac8.v").path
        try assertError(["characterize", netlist, "--liberty", CLITests.osu018, "--bus", "Q"],
                        "halo: error: no port or net bus named 'Q' in 'mac8' (ports: A, P, W, Y)")
    }

    func testCombinationalLoop() throws {
        let v = try write("loop.v", "module top(input a, output y);\n  wire n1, n2;\n  and g1 (n1, a, n2);\n  not g2 (n2, n1);\n  buf g3 (y, n1);\nendmodule\n")
        try assertError(["characterize", v, "--bus", "a"],
                        "\(v):3:7: error: combinational loop through instances g1 -> g2 -> g1")
    }

    func testMalformedNumbers() throws {
        let netlist = CLITests.repo.appendingPathComponent("Netlists/osu018/mac8.v").path
        try assertError(["characterize", netlist, "--liberty", CLITests.osu018, "--bus", "W", "--output-load", "10xF"],
                        "halo: error: malformed capacitance '10xF' for --output-load (e.g. 10fF, 0.01pF)")
        try assertError(["characterize", netlist, "--liberty", CLITests.osu018, "--bus", "W", "--codes", "0-300"],
                        "halo: error: code '300' of --codes '0-300' is out of range for the 8-bit bus 'W' (-128 … 255)")
        try assertError(["characterize", netlist, "--liberty", CLITests.osu018, "--bus", "W", "--codes", "0-0xzz"],
                        "halo: error: malformed --codes '0-0xzz' (expected A-B with A ≤ B, e.g. 0-255 or 0x00-0x7f)")
        let lib = try write("num.lib", "library(t) {\n  cell(INV) {\n    area : 1.2.3;\n  }\n}\n")
        let r = try halo(["characterize", netlist, "--liberty", lib, "--bus", "W"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.hasPrefix("\(lib):3:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("1.2.3"), r.stderr)
    }

    func testUnknownOption() throws {
        try assertError(["characterize", "--frobnicate"], "halo: error: unknown option '--frobnicate' for 'halo characterize' (see 'halo characterize --help')")
    }
}

extension CLITests {
    /// `--shard i/n` pieces joined by `halo merge` equal the whole sweep; a missing shard is refused.
    func testShardAndMerge() throws {
        let netlist = CLITests.repo.appendingPathComponent("Netlists/osu018/mac8.v").path
        var pieces: [String] = []
        for i in 0..<3 {
            let out = scratch.appendingPathComponent("s\(i).json").path
            let r = try halo(["characterize", netlist, "--liberty", CLITests.osu018, "--bus", "W", "--shard", "\(i)/3", "-o", out])
            XCTAssertEqual(r.status, 0, r.stderr)
            pieces.append(out)
        }
        let whole = try halo(["characterize", netlist, "--liberty", CLITests.osu018, "--bus", "W"])
        let merged = try halo(["merge"] + pieces)
        XCTAssertEqual(merged.status, 0, merged.stderr)
        XCTAssertEqual(merged.stdout, whole.stdout)
        try assertError(["merge", pieces[0], pieces[2]],
                        "halo: error: codes 85-169 are missing between '\(pieces[0])' (codes 0-84) and '\(pieces[2])' (codes 170-255) (a shard is absent)")
        try assertError(["characterize", netlist, "--liberty", CLITests.osu018, "--bus", "W", "--shard", "3/3"],
                        "halo: error: malformed --shard '3/3' (expected I/N with 0 ≤ I < N, e.g. 0/8)")
    }
}
