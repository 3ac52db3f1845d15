import Foundation
import XCTest

/// End-to-end tests of `halo generate`: the netlists it writes, that they characterize, that the committed
/// corpus is its output, and its one-line errors.
final class GenerateCLITests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

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

    func halo(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: GenerateCLITests.haloPath)
        process.arguments = arguments
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
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-generate-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Asserts a non-zero exit and exactly one stderr line equal to `expected`.
    func assertError(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try halo(arguments)
        XCTAssertNotEqual(r.status, 0, "expected failure", file: file, line: line)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        XCTAssertEqual(lines, [expected], r.stderr, file: file, line: line)
        XCTAssertEqual(r.stdout, "", file: file, line: line)
    }

    func testHelp() throws {
        let r = try halo(["generate", "--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("USAGE: halo generate mac --multiplier KIND --width N"), r.stdout)
        for word in ["array", "wallace", "dadda", "booth4", "baugh-wooley", "kogge-stone", "brent-kung", "sklansky",
                     "--acc-width", "--format int|e4m3|fp16|bf16", "--registered", "--no-accumulate", "--top", "-o"] {
            XCTAssertTrue(r.stdout.contains(word), "help lacks \(word)")
        }
        XCTAssertEqual(try halo(["generate"]).stdout, r.stdout, "no arguments: the help")
        let top = try halo(["--help"])
        XCTAssertTrue(top.stdout.contains("\n  generate "), top.stdout)
    }

    /// A generated MAC written with -o characterizes with the generic library; code 0 beats no case analysis.
    func testGenerateThenCharacterize() throws {
        let path = scratch.appendingPathComponent("mac.v").path
        let g = try halo(["generate", "mac", "--multiplier", "booth4", "--adder", "kogge-stone", "--width", "8", "-o", path])
        XCTAssertEqual(g.status, 0, g.stderr)
        XCTAssertEqual(g.stdout, "")
        XCTAssertTrue(g.stderr.hasPrefix("halo: wrote \(path): module mac_booth4_koggestone_s8, "), g.stderr)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("module mac_booth4_koggestone_s8(A, W, P, Y);"))
        let c = try halo(["characterize", path, "--bus", "W", "--codes", "0-3", "--quiet"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let rows = c.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.count, 6)
        XCTAssertEqual(rows[1][0], "none")
        XCTAssertLessThan(try XCTUnwrap(Double(rows[2][1])), try XCTUnwrap(Double(rows[1][1])))
    }

    /// The registered e4m3 variant: ports, registers, and characterization on wreg (clock found by itself).
    func testRegisteredE4M3CharacterizesOnWreg() throws {
        let path = scratch.appendingPathComponent("pe.v").path
        let g = try halo(["generate", "mac", "--multiplier", "dadda", "--adder", "sklansky", "--format", "e4m3",
                          "--registered", "--top", "pe_fp8", "--output", path])
        XCTAssertEqual(g.status, 0, g.stderr)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("module pe_fp8(clk, load_w, A, W, P, Y);"))
        XCTAssertTrue(text.contains("  input [40:0] P;"))
        XCTAssertTrue(text.contains("  wire [7:0] wreg;"))
        XCTAssertTrue(text.contains("\\$_DFFE_PP_ wreg_ff0 (.C(clk), .D(W[0]), .E(load_w), .Q(wreg[0]));"))
        let c = try halo(["characterize", path, "--bus", "wreg", "--codes", "0-1", "--quiet"])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertEqual(c.stdout.split(separator: "\n").count, 4)
    }

    /// `halo generate mac --format fp16|bf16` takes every significand multiplier the integer generator takes
    /// (except Baugh-Wooley, a signed-array scheme that a sign-magnitude significand does not need) with every
    /// adder, the width defaulting to 16: binary16/bfloat16 A and W, binary32 P and Y; also the plain
    /// multiplier and the registered processing element.
    func testFloatFormatsTakeEveryMultiplierAndAdder() throws {
        var sizes: [String: Int] = [:]
        for format in ["fp16", "bf16"] {
            for multiplier in ["array", "wallace", "dadda", "booth4"] {
                for adder in ["ripple", "kogge-stone", "brent-kung", "sklansky"] {
                    let top = "mac_\(multiplier)_\(adder.replacingOccurrences(of: "-", with: ""))_\(format)"
                    let path = scratch.appendingPathComponent("\(top).v").path
                    let g = try halo(["generate", "mac", "--format", format, "--multiplier", multiplier, "--adder", adder, "-o", path])
                    XCTAssertEqual(g.status, 0, "\(top): \(g.stderr)")
                    XCTAssertTrue(g.stderr.hasPrefix("halo: wrote \(path): module \(top), "), g.stderr)
                    let text = try String(contentsOfFile: path, encoding: .utf8)
                    for line in ["module \(top)(A, W, P, Y);", "  input [15:0] A;", "  input [15:0] W;", "  input [31:0] P;", "  output [31:0] Y;"] {
                        XCTAssertTrue(text.contains(line), "\(top) lacks '\(line)'")
                    }
                    sizes[top] = text.count
                }
            }
        }
        XCTAssertEqual(sizes.count, 32)
        XCTAssertEqual(Set(sizes.values).count, 32, "every multiplier × adder is a different netlist")
        let path = scratch.appendingPathComponent("pe.v").path
        let pe = try halo(["generate", "mac", "--format", "fp16", "--multiplier", "booth4", "--no-accumulate", "--registered", "-o", path])
        XCTAssertEqual(pe.status, 0, pe.stderr)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("module mul_booth4_ripple_fp16_reg(clk, load_w, A, W, Y);"), String(text.prefix(200)))
        XCTAssertTrue(text.contains("  output [31:0] Y;"))
        let c = try halo(["characterize", path, "--bus", "wreg", "--codes", "15360-15361", "--quiet"])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertEqual(c.stdout.split(separator: "\n").count, 4)
    }

    /// `halo generate mac <generator column>` reproduces every generic netlist of Netlists/variants byte for byte.
    func testCorpusIsTheOutputOfHaloGenerate() throws {
        let corpus = GenerateCLITests.repo.appendingPathComponent("Netlists/variants")
        let lines = try String(contentsOf: corpus.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: "\t").map(String.init)
        let fileColumn = try XCTUnwrap(header.firstIndex(of: "file")), generatorColumn = try XCTUnwrap(header.firstIndex(of: "generator"))
        var checked = 0
        for line in lines.dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f[fileColumn].hasPrefix("generic/") else { continue }
            let words = f[generatorColumn].split(separator: " ").map(String.init)
            XCTAssertEqual(Array(words.prefix(3)), ["halo", "generate", "mac"])
            let r = try halo(Array(words.dropFirst()))
            XCTAssertEqual(r.status, 0, r.stderr)
            let committed = try String(contentsOf: corpus.appendingPathComponent(f[fileColumn]), encoding: .utf8)
            XCTAssertTrue(r.stdout == committed, "\(f[fileColumn]) differs from '\(f[generatorColumn])'")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 90)
    }

    func testErrors() throws {
        try assertError(["generate", "mac", "--multiplier", "array", "--width", "8", "--signed"],
                        "halo: error: the carry-save array multiplier is unsigned; the signed array is '--multiplier baugh-wooley' (or use --unsigned)")
        try assertError(["generate", "mac", "--multiplier", "baugh-wooley", "--width", "8", "--unsigned"],
                        "halo: error: Baugh-Wooley is a signed multiplier; for unsigned operands use '--multiplier array' (or --signed)")
        try assertError(["generate", "mac", "--multiplier", "wallace", "--width", "8", "--signed", "--unsigned"],
                        "halo: error: --signed and --unsigned exclude each other")
        try assertError(["generate", "mac", "--multiplier", "carry-save", "--width", "8"],
                        "halo: error: unknown --multiplier 'carry-save' (expected one of array, wallace, dadda, booth4, baugh-wooley)")
        try assertError(["generate", "mac", "--multiplier", "dadda", "--adder", "carry-lookahead", "--width", "8"],
                        "halo: error: unknown --adder 'carry-lookahead' (expected one of ripple, kogge-stone, brent-kung, sklansky)")
        try assertError(["generate", "mac", "--multiplier", "dadda", "--width", "8", "--format", "fp32"],
                        "halo: error: unknown --format 'fp32' (expected one of int, e4m3, fp16, bf16)")
        try assertError(["generate", "mac", "--multiplier", "dadda", "--width", "8", "--format", "fp16"],
                        "halo: error: --format fp16 takes 16-bit operands (--width 16), not 8")
        try assertError(["generate", "mac", "--multiplier", "baugh-wooley", "--format", "bf16"],
                        "halo: error: the bf16 significand product is unsigned (sign-magnitude), so Baugh-Wooley does not apply; use array, wallace, dadda or booth4")
        try assertError(["generate", "mac", "--multiplier", "dadda", "--format", "bf16", "--unsigned"],
                        "halo: error: bf16 operands carry their own sign bit; --unsigned does not apply to --format bf16")
        try assertError(["generate", "mac", "--multiplier", "dadda", "--format", "fp16", "--acc-width", "40"],
                        "halo: error: --acc-width 40 does not apply to --format fp16: P and Y are IEEE binary32 (32 bits)")
        try assertError(["generate", "mac", "--multiplier", "dadda"], "halo: error: 'halo generate mac' needs --width N (2 … 32)")
        try assertError(["generate", "mac", "--width", "8"],
                        "halo: error: 'halo generate mac' needs --multiplier (array, wallace, dadda, booth4 or baugh-wooley)")
        try assertError(["generate", "mac", "--multiplier", "dadda", "--width", "eight"], "halo: error: malformed --width 'eight' (expected an integer)")
        try assertError(["generate", "mac", "--multiplier", "dadda", "--width", "64"],
                        "halo: error: --width 64 is out of range (integer MACs take 2 … 32 bits)")
        try assertError(["generate", "mac", "--multiplier", "booth4", "--format", "e4m3", "--width", "4"],
                        "halo: error: --format e4m3 takes 8-bit operands (--width 8), not 4")
        try assertError(["generate", "mac", "--multiplier", "booth4", "--format", "e4m3", "--unsigned"],
                        "halo: error: e4m3 operands carry their own sign bit; --unsigned does not apply to --format e4m3")
        try assertError(["generate", "mac", "--multiplier", "booth4", "--format", "e4m3", "--acc-width", "20"],
                        "halo: error: --acc-width 20 cannot hold every e4m3 product exactly (37 … 128 bits with 18 fraction bits)")
        try assertError(["generate", "adder", "--width", "8"], "halo: error: unknown netlist kind 'adder' for 'halo generate' (expected mac)")
        try assertError(["generate", "mac", "--multiplier", "dadda", "--width", "8", "--frobnicate"],
                        "halo: error: unknown option '--frobnicate' for 'halo generate' (see 'halo generate --help')")
        try assertError(["generate", "mac", "--multiplier", "dadda", "--width", "8", "-o", "/nonexistent-dir/x.v"],
                        "/nonexistent-dir/x.v: error: cannot write: no such directory '/nonexistent-dir'")
    }
}
