import Foundation
import XCTest

/// `halo select` and `halo quantize` on a Hugging Face model folder, through the real binary: the output
/// folder, a grid chosen once and applied by jobs of `--shard I/N`, and the one-line errors.
final class ModelCLITests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-model-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func halo(_ arguments: [String]) throws -> CLITests.Outcome {
        try CLITests(name: "halo", testClosure: { _ in }).halo(arguments, in: scratch)
    }

    /// A safetensors file of BF16 tensors (values from a fixed recurrence), written by hand.
    private func shard(_ path: URL, _ tensors: [(String, [Int])], seed: UInt32) throws {
        var header = "{\"__metadata__\":{\"format\":\"pt\"}"
        var data = [UInt8]()
        var state = seed
        for (name, shape) in tensors {
            let count = shape.reduce(1, *)
            let begin = data.count
            for _ in 0 ..< count {
                state = state &* 1_664_525 &+ 1_013_904_223
                let v = (Float(state >> 8) / Float(1 << 24) - 0.5) * 0.1
                let b = UInt16(truncatingIfNeeded: v.bitPattern >> 16)
                data += [UInt8(b & 0xFF), UInt8(b >> 8)]
            }
            header += ",\"\(name)\":{\"dtype\":\"BF16\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(data.count)]}"
        }
        header += "}"
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        var file = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(Data(header.utf8))
        file.append(contentsOf: data)
        try file.write(to: path)
    }

    /// A two-shard folder with an index, a config and a tokenizer file, and an int8 delay table.
    private func model() throws -> (folder: String, table: String) {
        let dir = scratch.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let first: [(String, [Int])] = [("model.embed_tokens.weight", [50, 32]), ("model.layers.0.input_layernorm.weight", [32]),
                                        ("model.layers.0.mlp.up_proj.weight", [64, 32])]
        let second: [(String, [Int])] = [("model.layers.0.mlp.down_proj.weight", [32, 64]), ("model.layers.0.mlp.down_proj.bias", [32]),
                                         ("lm_head.weight", [50, 32])]
        try shard(dir.appendingPathComponent("model-00001-of-00002.safetensors"), first, seed: 1)
        try shard(dir.appendingPathComponent("model-00002-of-00002.safetensors"), second, seed: 2)
        let map = (first.map { ($0.0, 1) } + second.map { ($0.0, 2) })
            .map { "\"\($0.0)\": \"model-0000\($0.1)-of-00002.safetensors\"" }.joined(separator: ", ")
        try "{\"metadata\": {}, \"weight_map\": {\(map)}}\n".write(to: dir.appendingPathComponent("model.safetensors.index.json"), atomically: true, encoding: .utf8)
        try "{\"model_type\": \"llama\"}\n".write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try "{}\n".write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        var table = "code,delay_ns\nnone,3.0\n"
        for c in 0 ..< 256 { table += "\(c),\(String(format: "%.4f", 1 + 0.2 * Double(c.nonzeroBitCount) + 0.001 * Double(c)))\n" }
        try table.write(to: scratch.appendingPathComponent("t.csv"), atomically: true, encoding: .utf8)
        return ("model", "t.csv")
    }

    private func files(_ folder: String) throws -> [String: Data] {
        let base = scratch.appendingPathComponent(folder)
        var out: [String: Data] = [:]
        for case let f as String in FileManager.default.enumerator(atPath: base.path)! {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: base.appendingPathComponent(f).path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[f] = try Data(contentsOf: base.appendingPathComponent(f))
            }
        }
        return out
    }

    /// The whole folder out, the report's model section, and the unchanged files.
    func testQuantizeAFolder() throws {
        let (m, t) = try model()
        let r = try halo(["quantize", "--table", t, "--number-format", "int8", "--weights", m, "--levels", "8", "-o", "out", "--report", "r.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("quantized 2 tensors (4096 weights; grid chosen on 4096), kept 4"), r.stdout)
        let written = try files("out"), original = try files(m)
        XCTAssertEqual(Set(written.keys), Set(original.keys).union(["halo.json", "halo-codes-00001-of-00002.safetensors", "halo-codes-00002-of-00002.safetensors"]))
        for name in ["config.json", "tokenizer.json", "model.safetensors.index.json"] { XCTAssertEqual(written[name], original[name], name) }
        for name in ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] {
            XCTAssertEqual(written[name]?.count, original[name]?.count, name)
            XCTAssertNotEqual(written[name], original[name], name)
        }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.appendingPathComponent("r.json"))) as! [String: Any]
        let section = report["model"] as! [String: Any]
        XCTAssertEqual((section["quantized"] as! [[String: Any]]).map { $0["name"] as! String },
                       ["model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight"])
        XCTAssertEqual((section["kept"] as! [[String: Any]]).count, 4)
        XCTAssertNotNil(report["grid"])
        XCTAssertEqual((report["pareto"] as? [Any])?.count ?? 0, 0, "no front unless --pareto")

        // An existing output is refused; --force replaces it.
        let again = try halo(["quantize", "--table", t, "--number-format", "int8", "--weights", m, "--levels", "8", "-o", "out"])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "out: error: already exists (give another output folder, or --force to replace it)\n")
        XCTAssertEqual(try halo(["quantize", "--table", t, "--number-format", "int8", "--weights", m, "--levels", "8", "-o", "out", "--force"]).status, 0)
    }

    /// `halo select -o grid.json` once, then `--grid` in two `--shard` jobs: their folder is the single
    /// run's, byte for byte.
    func testGridOnceShardsMany() throws {
        let (m, t) = try model()
        let select = try halo(["select", t, "--number-format", "int8", "--weights", m, "--levels", "8", "-o", "grid.json"])
        XCTAssertEqual(select.status, 0, select.stderr)
        for args in [["-o", "one"], ["-o", "split", "--shard", "0/2"], ["-o", "split", "--shard", "1/2"]] {
            let r = try halo(["quantize", "--table", t, "--number-format", "int8", "--weights", m, "--grid", "grid.json"] + args)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(try files("split"), try files("one"))
        let direct = try halo(["quantize", "--table", t, "--number-format", "int8", "--weights", m, "--levels", "8", "-o", "direct"])
        XCTAssertEqual(direct.status, 0, direct.stderr)
        XCTAssertEqual(try files("direct")["model-00001-of-00002.safetensors"], try files("one")["model-00001-of-00002.safetensors"],
                       "the grid of select, applied, is the grid quantize chooses")
    }

    /// Misuses of the model options: one line each, and nothing written.
    func testErrors() throws {
        let (m, t) = try model()
        try Data([0x93, 0x4E]).write(to: scratch.appendingPathComponent("w.npy"))
        let base = ["quantize", "--table", t, "--number-format", "int8"]
        let cases: [([String], String)] = [
            (base + ["--weights", m, "-o", "o1", "--tile", "4x4"], "halo: error: --tile (a DVFS plan) is not made for a model folder yet; give the weight files\n"),
            (base + ["--weights", m, "-o", "o1", "--grid", "g.json", "--levels", "4"], "halo: error: --levels chooses a grid; --grid applies a chosen one (give one or the other)\n"),
            (base + ["--weights", "w.npy", "-o", "o1.safetensors", "--shard", "0/2"], "halo: error: --shard is for a model folder given as --weights\n"),
            (base + ["--weights", m, "--weights", "w.npy", "-o", "o1"], "model: error: is a model folder: give it alone as --weights\n"),
            (base + ["--weights", m, "-o", "o1", "--shard", "2/2"], "halo: error: malformed --shard '2/2' (expected I/N with 0 ≤ I < N, e.g. 0/8)\n"),
            (base + ["--weights", m, "-o", "o1", "--shard", "0/3"], "model: error: --shard 0/3: the model has 2 shard files, so at most 2 parts\n"),
            (base + ["--weights", m, "-o", "o1", "--tensor", "lm_head.weigth"], "model: error: --tensor 'lm_head.weigth': no tensor of that name in the model\n"),
            (base + ["--weights", m, "-o", m, "--force"], "model: error: is the input model folder; give another output folder\n"),
        ]
        for (args, expected) in cases {
            let r = try halo(args)
            XCTAssertEqual(r.status, 1, args.joined(separator: " "))
            XCTAssertEqual(r.stderr, expected, args.joined(separator: " "))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("o1").path))
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        XCTAssertEqual(names.filter { $0.contains("halo-tmp") }, [])
    }
}
