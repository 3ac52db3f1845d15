import Foundation
import XCTest

/// The one command-line grammar end to end through the `halo` binary (the tables themselves are
/// tested in HaloCommandLineTests), and the newcomer traps of issue 13.
final class GrammarCLITests: XCTestCase {
    struct Outcome { var status: Int32; var stdout: String; var stderr: [String] }

    /// A directory of this test's own, removed after it.
    lazy var scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("halo-grammar-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }()
    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }
    func bad(_ name: String) -> String { BadInputTests.corpus.appendingPathComponent(name).path }

    /// Runs `halo` in the scratch directory (BadInputTests' runner: pipes drained, a hang killed).
    func halo(_ arguments: [String]) throws -> Outcome {
        let r = try BadInputTests.halo(arguments, in: scratch)
        XCTAssertFalse(r.signalled || r.timedOut, arguments.joined(separator: " "))
        return Outcome(status: r.status, stdout: r.stdout, stderr: r.stderr.split(separator: "\n").map(String.init))
    }

    func testHelpOfEachSubcommand() throws {
        for sub in ["characterize", "report", "merge", "generate", "select", "quantize", "plot"] {
            let a = try halo(["help", sub]), b = try halo([sub, "--help"])
            XCTAssertEqual(a.status, 0)
            XCTAssertTrue(a.stdout.hasPrefix("OVERVIEW: "), a.stdout)
            XCTAssertTrue(a.stdout.contains("USAGE: halo \(sub)"), a.stdout)
            XCTAssertEqual(a.stdout, b.stdout, "halo help \(sub) = halo \(sub) --help")
        }
        XCTAssertTrue(try halo(["help", "select"]).stdout.contains("--number-format F"))
        XCTAssertEqual(try halo(["help"]).stdout, try halo(["--help"]).stdout)
        let markdown = try halo(["help", "--markdown"])
        XCTAssertEqual(markdown.status, 0)
        XCTAssertTrue(markdown.stdout.contains("#### `halo select`"))
        let wrong = try halo(["help", "selec"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertEqual(wrong.stderr, ["halo: error: unknown subcommand 'selec'; did you mean 'select'? (see 'halo --help')"])
    }

    func testDidYouMeanThroughTheBinary() throws {
        let r = try halo(["characterize", bad("_ok.v"), "--bus", "a", "--thread", "2"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, ["halo: error: unknown option '--thread' for 'halo characterize'; did you mean '--threads'? (see 'halo characterize --help')"])
    }

    /// `--format` where it means the number format: one warning line, and the same output as `--number-format`.
    func testFormatIsADeprecatedAliasOfNumberFormat() throws {
        let old = try halo(["select", bad("_ok.csv"), "--format", "int2", "--levels", "2", "--samples", "64"])
        let new = try halo(["select", bad("_ok.csv"), "--number-format", "int2", "--levels", "2", "--samples", "64"])
        XCTAssertEqual(old.status, 0)
        XCTAssertEqual(new.status, 0)
        XCTAssertEqual(old.stderr, ["halo: warning: --format is deprecated here; use --number-format"])
        XCTAssertEqual(new.stderr, [])
        XCTAssertEqual(old.stdout, new.stdout)
        let plot = try halo(["plot", bad("_ok.csv"), "--format", "int2", "--format", "int2"])
        XCTAssertEqual(plot.status, 0)
        XCTAssertEqual(plot.stderr, ["halo: warning: --format is deprecated here; use --number-format"])
        XCTAssertEqual(plot.stdout, try halo(["plot", bad("_ok.csv"), "--number-format", "int2"]).stdout)
        // Messages name the option as it was spelled.
        XCTAssertEqual(try halo(["plot", bad("_ok.csv"), "--number-format", "float8"]).stderr,
                       ["halo: error: unknown --number-format 'float8' (expected code, int8, uint8, intN or uintN with N from 1 to 62, fp16 or bf16)"])
        XCTAssertEqual(try halo(["plot", bad("_ok.csv"), "--number-format", "int1"]).stderr.last,
                       "\(bad("_ok.csv")): error: code 2 does not fit --number-format int1 (codes 0-1)")
    }

    func testSharedOptionsWorkEverywhere() throws {
        // report -o, --threads, --quiet
        let out = path("report.txt")
        let r = try halo(["report", bad("_ok.v"), "--liberty", bad("_ok.lib"), "--threads", "2", "--quiet", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr.joined(separator: "\n"))
        XCTAssertEqual(r.stdout, "")
        let stdout = try halo(["report", bad("_ok.v"), "--liberty", bad("_ok.lib")])
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), stdout.stdout)
        XCTAssertEqual(try halo(["report", bad("_ok.v"), "--liberty", bad("_ok.lib"), "--threads", "0"]).stderr,
                       ["halo: error: --threads '0' is out of range (expected 1 to 1024)"])
        // merge and plot take --threads and --quiet; merge and characterize take --json
        let csv = try halo(["merge", bad("_shard-a.json"), bad("_shard-b.json"), "--format", "json"])
        let json = try halo(["merge", bad("_shard-a.json"), bad("_shard-b.json"), "--json", "--threads", "1", "-q"])
        XCTAssertEqual(json.status, 0, json.stderr.joined(separator: "\n"))
        XCTAssertEqual(json.stdout, csv.stdout)
        let table = try halo(["characterize", bad("_ok.v"), "--liberty", bad("_ok.lib"), "--bus", "a", "--json"])
        XCTAssertTrue(table.stdout.hasPrefix("{"), table.stdout)
        XCTAssertEqual(try halo(["plot", bad("_ok.csv"), "--threads", "1", "--quiet"]).status, 0)
        // generate --quiet: no "wrote" line
        let g = try halo(["generate", "mac", "--multiplier", "array", "--width", "2", "-o", path("m.v"), "--quiet", "--threads", "1"])
        XCTAssertEqual(g.status, 0)
        XCTAssertEqual(g.stderr, [])
    }

    func testParetoAndNoParetoOnBothCommands() throws {
        func pareto(_ argv: [String]) throws -> Int {
            let r = try halo(argv)
            XCTAssertEqual(r.status, 0, r.stderr.joined(separator: "\n"))
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("r.json")))) as! [String: Any]
            return (report["pareto"] as! [Any]).count
        }
        let select = ["select", bad("_ok.csv"), "--number-format", "int2", "--levels", "2", "--samples", "64", "-o", path("r.json")]
        XCTAssertEqual(try pareto(select), 0, "select: no front by default")
        XCTAssertGreaterThan(try pareto(select + ["--pareto"]), 0)
        XCTAssertEqual(try pareto(select + ["--no-pareto"]), 0)
        let quantize = ["quantize", "--table", bad("_ok.csv"), "--number-format", "int2", "--levels", "2", "--weights", bad("_w.npy"),
                        "-o", path("q.safetensors"), "--report", path("r.json")]
        XCTAssertGreaterThan(try pareto(quantize), 0, "quantize: the front by default")
        XCTAssertGreaterThan(try pareto(quantize + ["--pareto"]), 0)
        XCTAssertEqual(try pareto(quantize + ["--no-pareto"]), 0)
    }

    func testOneCodeIsACodeRange() throws {
        let one = try halo(["characterize", bad("_ok.v"), "--liberty", bad("_ok.lib"), "--bus", "a", "--codes", "2"])
        let range = try halo(["characterize", bad("_ok.v"), "--liberty", bad("_ok.lib"), "--bus", "a", "--codes", "2-2"])
        XCTAssertEqual(one.status, 0, one.stderr.joined(separator: "\n"))
        XCTAssertEqual(one.stdout, range.stdout)
        XCTAssertEqual(one.stdout.split(separator: "\n").count, 3)
        XCTAssertEqual(try halo(["characterize", bad("_ok.v"), "--liberty", bad("_ok.lib"), "--bus", "a", "--codes", "9"]).stderr,
                       ["halo: error: code '9' of --codes '9' is out of range for the 2-bit bus 'a' (-2 … 3)"])
    }

    // MARK: Newcomer traps

    /// (b) A mapped netlist without --liberty: the error says that no library was given.
    func testUnknownCellWithoutLibertySaysSo() throws {
        let netlist = CLITests.repo.appendingPathComponent("Netlists/osu018/mac8.v").path
        for sub in ["characterize", "report"] {
            let r = try halo([sub, netlist] + (sub == "characterize" ? ["--bus", "W"] : []))
            XCTAssertEqual(r.status, 1)
            XCTAssertEqual(r.stderr.count, 1, r.stderr.joined(separator: "\n"))
            XCTAssertTrue(r.stderr[0].contains(": error: unknown cell or module '"), r.stderr[0])
            XCTAssertTrue(r.stderr[0].hasSuffix("(no --liberty given; the embedded generic library has only gate primitives and Yosys internal cells)"), r.stderr[0])
        }
        // With a library the message is as before.
        let r = try halo(["characterize", bad("v-unknown-cell.v"), "--liberty", bad("_ok.lib"), "--bus", "a"])
        XCTAssertEqual(r.stderr.last, "\(bad("v-unknown-cell.v")):2:3: error: unknown cell or module 'FOO123'")
    }

    /// (c) select without --weights warns that the grid is fitted to synthetic weights.
    func testSelectWithoutWeightsWarns() throws {
        let r = try halo(["select", bad("_ok.csv"), "--number-format", "int2", "--levels", "2"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stderr, ["halo: warning: no --weights given: the grid is fitted to 65536 synthetic Gaussian weights (seed 1), not to a model's (give --weights FILE, or --distribution to choose synthetic weights)"])
        XCTAssertEqual(try halo(["select", bad("_ok.csv"), "--number-format", "int2", "--levels", "2", "--weights", bad("_w.npy")]).stderr, [])
        XCTAssertEqual(try halo(["select", bad("_ok.csv"), "--number-format", "int2", "--levels", "2", "--distribution", "gaussian"]).stderr, [])
    }

    /// (d) --set on bits of the swept bus is refused: it would change the 'none' reference row.
    func testSetOnTheSweptBusIsRefused() throws {
        let base = ["characterize", bad("_ok.v"), "--liberty", bad("_ok.lib"), "--bus", "a"]
        for set in ["a=3", "a[1]=0", "a[0]=1"] {
            let r = try halo(base + ["--set", set])
            XCTAssertEqual(r.status, 1)
            XCTAssertEqual(r.stderr, ["halo: error: --set '\(set)' holds bits of the swept bus 'a' (--bus); it would change the 'none' reference row (choose codes with --codes, or time one code with 'halo report --set')"])
        }
        XCTAssertEqual(try halo(base + ["--set", "b=1"]).status, 0, "another bus is fine")
    }

    /// (f) quantize copies every tensor it does not quantize: same name, dtype, shape and bytes.
    func testQuantizeKeepsEveryOtherTensor() throws {
        let originals: [(String, String, [Int], [UInt8])] = [
            ("fc.weight", "F32", [4, 6], QuantizeCLITests.f32Bytes((0 ..< 24).map { Float($0 % 7) * 0.1 - 0.3 })),
            ("fc.bias", "F32", [4], QuantizeCLITests.f32Bytes([0.5, -0.25, 1, 2])),
            ("norm.scale", "BF16", [2], [0x80, 0x3f, 0x00, 0x40]),
            ("position_ids", "I64", [3], (0 ..< 24).map { UInt8($0 % 8 == 0 ? $0 / 8 : 0) }),
            ("mask", "U8", [2, 2], [1, 0, 0, 1]),
        ]
        let input = path("model.safetensors")
        try QuantizeCLITests.safetensors(originals).write(to: URL(fileURLWithPath: input))
        let out = path("q.safetensors")
        let r = try halo(["quantize", "--table", bad("_ok.csv"), "--number-format", "int2", "--levels", "2", "--weights", input, "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr.joined(separator: "\n"))
        let (written, _) = try QuantizeCLITests.readSafetensors(out)
        XCTAssertEqual(Set(written.keys), Set(originals.map(\.0)).union(["fc.weight.codes", "fc.weight.scale"]))
        for (name, dtype, shape, bytes) in originals where name != "fc.weight" {
            let w = try XCTUnwrap(written[name], name)
            XCTAssertEqual(w.dtype, dtype, name)
            XCTAssertEqual(w.shape, shape, name)
            XCTAssertEqual(w.bytes, bytes, name)
        }
        XCTAssertEqual(written["fc.weight"]?.dtype, "F32")
        // A tensor named like one of Halo's own cannot be copied: refused, nothing written.
        let clash = path("clash.safetensors")
        try QuantizeCLITests.safetensors([("w", "F32", [2, 2], QuantizeCLITests.f32Bytes([1, 2, 3, 4])), ("w.codes", "U8", [1], [0])])
            .write(to: URL(fileURLWithPath: clash))
        let c = try halo(["quantize", "--table", bad("_ok.csv"), "--number-format", "int2", "--levels", "2", "--weights", clash,
                          "--tensor", "w", "-o", path("c.safetensors")])
        XCTAssertEqual(c.status, 1)
        XCTAssertEqual(c.stderr.last, "\(clash): error: tensor 'w.codes' is not quantized, but its name is taken in the output (by Halo's own tensors or another weight file); it cannot be copied")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("c.safetensors")))
    }
}

/// (a) The README says where the built `halo` is, and its worked example puts it on PATH before using it.
final class ReadmeTrapTests: XCTestCase {
    func testWorkedExampleFindsHalo() throws {
        let readme = try String(contentsOf: CLITests.repo.appendingPathComponent("README.md"), encoding: .utf8)
        let export = "export PATH=\"$PWD/.build/release:$PATH\""
        guard let section = readme.range(of: "## Worked example"),
              let open = readme.range(of: "```sh\n", range: section.upperBound ..< readme.endIndex),
              let close = readme.range(of: "```", range: open.upperBound ..< readme.endIndex) else {
            return XCTFail("README has no worked example")
        }
        let lines = readme[open.upperBound ..< close.lowerBound].split(separator: "\n").map(String.init)
        let build = try XCTUnwrap(lines.firstIndex(of: "swift build -c release"), "the worked example builds halo")
        let path = try XCTUnwrap(lines.firstIndex(of: export), "the worked example puts halo on PATH")
        let firstUse = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("halo ") })
        XCTAssertLessThan(build, path)
        XCTAssertLessThan(path, firstUse, "halo is used before it is on PATH")
        let quickStart = try XCTUnwrap(readme.range(of: "## Quick start"))
        let worked = try XCTUnwrap(readme.range(of: "## Worked example"))
        let quick = readme[quickStart.upperBound ..< worked.lowerBound]
        XCTAssertTrue(quick.contains("`.build/release/halo`") && quick.contains(export), "Quick start says where halo is")
        // SwiftPM's layout: the product of `swift build [-c release]` is .build/<debug|release>/halo.
        let built = ["debug", "release"].map { CLITests.repo.appendingPathComponent(".build/\($0)/halo").path }
        XCTAssertTrue(built.contains { FileManager.default.isExecutableFile(atPath: $0) }, "\(built)")
    }
}
