import Foundation
import XCTest

/// End-to-end tests of `halo select` and `halo quantize` on small generated weights and the real
/// osu018 mac8 delay table: outputs checked against the inputs, and malformed inputs rejected with one
/// located error line and a non-zero exit.
final class QuantizeCLITests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let mac8 = repo.appendingPathComponent("Tests/HaloTimingTests/Fixtures/reference/tables/osu018/mac8.csv").path

    /// The `halo` binary built beside the test bundle.
    static var haloPath: String {
        var dir = Bundle.main.bundleURL
        for _ in 0 ..< 3 {
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
        process.executableURL = URL(fileURLWithPath: Self.haloPath)
        process.arguments = arguments + (arguments.contains("--help") ? [] : ["--threads", "2"])
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-quantize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        try data.write(to: scratch.appendingPathComponent(name))
        return path(name)
    }

    /// Asserts a non-zero exit and exactly one stderr line equal to `expected`.
    func assertError(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try halo(arguments)
        XCTAssertNotEqual(r.status, 0, "expected failure", file: file, line: line)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        XCTAssertEqual(lines.filter { $0.contains("error:") }, [expected], r.stderr, file: file, line: line)
    }

    // MARK: Fixtures, built by hand (this target does not link the quantization library)

    /// Deterministic pseudo-Gaussian values (sum of uniforms from a 64-bit LCG), scaled.
    static func weights(_ count: Int, seed: UInt64, scale: Float) -> [Float] {
        var s = seed &* 6364136223846793005 &+ 1442695040888963407
        func unit() -> Double {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Double(s >> 11) * 0x1p-53
        }
        return (0 ..< count).map { _ in Float((0 ..< 4).reduce(0.0) { a, _ in a + unit() } - 2) * scale }
    }

    /// A `.npy` (version 1.0, `<f4`, C order).
    static func npy(_ values: [Float], shape: [Int]) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", "))\(shape.count == 1 ? "," : "")), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var d = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        d.append(contentsOf: Array(header.utf8))
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    /// A `.safetensors` file of F32 tensors (and raw entries given as dtype/shape/bytes).
    static func safetensors(_ tensors: [(String, String, [Int], [UInt8])]) -> Data {
        var header = "{\"__metadata__\":{\"format\":\"pt\"}"
        var offset = 0
        var payload: [UInt8] = []
        for (name, dtype, shape, bytes) in tensors {
            header += ",\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes.count)]}"
            offset += bytes.count
            payload += bytes
        }
        header += "}"
        var d = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: Array(header.utf8))
        d.append(contentsOf: payload)
        return d
    }

    static func f32Bytes(_ v: [Float]) -> [UInt8] { v.flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } } }

    /// A tensor read back from a `.safetensors` file.
    struct Stored { var dtype: String; var shape: [Int]; var bytes: [UInt8]
        var floats: [Float] { stride(from: 0, to: bytes.count, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24) } }
    }

    static func readSafetensors(_ path: String) throws -> (tensors: [String: Stored], metadata: [String: String]) {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let n = (0 ..< 8).reduce(0) { $0 | Int(data[$1]) << (8 * $1) }
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(data[8 ..< 8 + n])) as? [String: Any])
        var out: [String: Stored] = [:]
        var metadata: [String: String] = [:]
        for (k, v) in header {
            if k == "__metadata__" { metadata = v as? [String: String] ?? [:]; continue }
            let e = try XCTUnwrap(v as? [String: Any])
            let offsets = try XCTUnwrap(e["data_offsets"] as? [Int])
            out[k] = Stored(dtype: e["dtype"] as! String, shape: e["shape"] as! [Int], bytes: Array(data[8 + n + offsets[0] ..< 8 + n + offsets[1]]))
        }
        return (out, metadata)
    }

    /// Delays of the mac8 table by code.
    static func mac8Delays() throws -> [Int: Double] {
        let text = try String(contentsOfFile: mac8, encoding: .utf8)
        var d: [Int: Double] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            if let c = Int(f[0]) { d[c] = Double(f[1])! }
        }
        return d
    }

    static func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    // MARK: Tests

    func testHelp() throws {
        for sub in ["select", "quantize"] {
            let r = try halo([sub, "--help"])
            XCTAssertEqual(r.status, 0)
            XCTAssertTrue(r.stdout.contains("USAGE: halo \(sub)"), r.stdout)
        }
        let top = try halo(["--help"])
        XCTAssertTrue(top.stdout.contains("select") && top.stdout.contains("quantize"))
    }

    /// `select` on synthetic weights prints the JSON report; every code is within the speed-up budget.
    func testSelectSyntheticJSONOnStdout() throws {
        let r = try halo(["select", Self.mac8, "--format", "int8", "--levels", "8", "--samples", "4096", "--distribution", "laplace",
                          "--min-speedup", "1.3", "--granularity", "tensor"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let delays = try Self.mac8Delays()
        let grid = try XCTUnwrap(report["grid"] as? [String: Any])
        let codes = try XCTUnwrap(grid["codes"] as? [Int])
        XCTAssertEqual(codes.count, 8)
        XCTAssertEqual(report["levels"] as? Int, 8)
        XCTAssertEqual(report["format"] as? String, "int8")
        for c in codes { XCTAssertLessThanOrEqual(delays[c]!, 4.625601 / 1.3) }
        XCTAssertEqual(grid["values"] as? [Double], codes.map { Double(Int8(bitPattern: UInt8($0))) })
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(grid["speedup"] as? Double), 1.3)
        XCTAssertEqual(try XCTUnwrap(grid["max_delay_ns"] as? Double), codes.map { delays[$0]! }.max()!, accuracy: 1e-9)
        let baselines = try XCTUnwrap(report["baselines"] as? [[String: Any]])
        XCTAssertEqual(baselines.compactMap { $0["name"] as? String },
                       ["int8 (all codes)", "int4 low bits (-8…7)", "int4 high bits (multiples of 16)", "8 fastest codes"])
        for b in baselines { for key in ["max_delay_ns", "mse", "sqnr_db"] { XCTAssertNotNil(b[key] as? Double, key) } }
        XCTAssertEqual((report["pareto"] as? [Any])?.count, 0)
        XCTAssertEqual((report["weights"] as? [String]), ["synthetic laplace, 4096 values, seed 1"])
    }

    /// `quantize` on an .npy: codes in the grid and within the budget, dequantized values equal to
    /// scale × value(code), and the reported MSE equal to the MSE recomputed from the output.
    func testQuantizeNpyEndToEnd() throws {
        let values = Self.weights(48 * 40, seed: 3, scale: 0.05)
        let weights = try write("proj.npy", Self.npy(values, shape: [48, 40]))
        let out = path("q.safetensors"), report = path("q.json")
        let r = try halo(["quantize", "--table", Self.mac8, "--format", "int8", "--weights", weights, "--levels", "16",
                          "--max-delay", "3620ps", "-o", out, "--report", report])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("int4 high bits (multiples of 16)"), r.stdout)
        let (stored, metadata) = try Self.readSafetensors(out)
        XCTAssertEqual(Set(stored.keys), ["proj", "proj.codes", "proj.scale"])
        XCTAssertEqual(metadata["format"], "pt")
        let rep = try Self.json(report)
        let grid = try XCTUnwrap(rep["grid"] as? [String: Any])
        let gridCodes = Set(try XCTUnwrap(grid["codes"] as? [Int]))
        XCTAssertEqual(gridCodes.count, 16)
        let delays = try Self.mac8Delays()
        let deq = try XCTUnwrap(stored["proj"]), codes = try XCTUnwrap(stored["proj.codes"]), scale = try XCTUnwrap(stored["proj.scale"])
        XCTAssertEqual(deq.dtype, "F32"); XCTAssertEqual(deq.shape, [48, 40])
        XCTAssertEqual(codes.dtype, "U8"); XCTAssertEqual(codes.shape, [48, 40])
        XCTAssertEqual(scale.dtype, "F32"); XCTAssertEqual(scale.shape, [48, 1]) // per channel by default
        let d = deq.floats, s = scale.floats
        var sum = 0.0, signal = 0.0
        for i in 0 ..< values.count {
            let code = Int(codes.bytes[i])
            XCTAssertTrue(gridCodes.contains(code), "code \(code) not in the grid")
            XCTAssertLessThanOrEqual(delays[code]!, 3.62)
            XCTAssertEqual(d[i], s[i / 40] * Float(Int8(bitPattern: UInt8(code))))
            let e = Double(values[i]) - Double(d[i])
            sum += e * e
            signal += Double(values[i]) * Double(values[i])
        }
        let mse = sum / Double(values.count)
        XCTAssertEqual(try XCTUnwrap(grid["mse"] as? Double), mse, accuracy: 1e-9 * mse)
        XCTAssertEqual(try XCTUnwrap(grid["sqnr_db"] as? Double), 10 * log10(signal / sum), accuracy: 1e-6)
        let tensors = try XCTUnwrap(rep["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.count, 1)
        XCTAssertEqual(tensors[0]["name"] as? String, "proj")
        XCTAssertEqual(tensors[0]["shape"] as? [Int], [48, 40])
        XCTAssertEqual(try XCTUnwrap(tensors[0]["mse"] as? Double), mse, accuracy: 1e-9 * mse)
        XCTAssertLessThanOrEqual(try XCTUnwrap(grid["max_delay_ns"] as? Double), 3.62)
        // Pareto front: delays rising, errors falling; baselines measured on the same weights.
        let pareto = try XCTUnwrap(rep["pareto"] as? [[String: Any]])
        XCTAssertGreaterThan(pareto.count, 5)
        let pd = pareto.map { $0["max_delay_ns"] as! Double }, pm = pareto.map { $0["mse"] as! Double }
        XCTAssertEqual(pd, pd.sorted())
        XCTAssertEqual(pm, pm.sorted(by: >))
        let baselines = try XCTUnwrap(rep["baselines"] as? [[String: Any]])
        XCTAssertEqual(baselines.count, 4)
        let int8 = baselines[0]
        XCTAssertLessThan(int8["mse"] as! Double, mse)
        XCTAssertEqual(int8["max_delay_ns"] as! Double, delays.values.max()!, accuracy: 1e-9)
        XCTAssertEqual(baselines[2]["max_delay_ns"] as! Double, 3.465349, accuracy: 1e-9)
        XCTAssertNil(rep["dvfs"])
    }

    /// Several tensors from a hand-built .safetensors, glob selection, per-group scales, importance.
    func testQuantizeSafetensorsGroupsAndImportance() throws {
        let a = Self.weights(16 * 32, seed: 5, scale: 0.02), b = Self.weights(8 * 32, seed: 6, scale: 0.2)
        let weights = try write("model.safetensors", Self.safetensors([
            ("layer.0.weight", "F32", [16, 32], Self.f32Bytes(a)),
            ("layer.0.bias", "F32", [16], Self.f32Bytes(Array(a.prefix(16)))),
            ("layer.1.weight", "F32", [8, 32], Self.f32Bytes(b)),
            ("position_ids", "I64", [4], Array(repeating: 0, count: 32)),
        ]))
        let ia = (0 ..< a.count).map { Float($0 % 32 == 0 ? 100 : 1) }
        let importance = try write("imp.safetensors", Self.safetensors([
            ("layer.0.weight", "F32", [16, 32], Self.f32Bytes(ia)),
            ("layer.1.weight", "F32", [32], Self.f32Bytes((0 ..< 32).map { Float($0 + 1) })),
        ]))
        let out = path("m.safetensors"), report = path("m.json")
        let r = try halo(["quantize", "--table", Self.mac8, "--format", "int8", "--weights", weights, "--tensor", "layer.*.weight",
                          "--levels", "16", "--granularity", "group:8", "--importance", importance, "--min-speedup", "1.25",
                          "--no-pareto", "-o", out, "--report", report])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (stored, _) = try Self.readSafetensors(out)
        XCTAssertEqual(Set(stored.keys), ["layer.0.weight", "layer.0.weight.codes", "layer.0.weight.scale",
                                          "layer.1.weight", "layer.1.weight.codes", "layer.1.weight.scale"])
        let rep = try Self.json(report)
        let grid = rep["grid"] as! [String: Any]
        let gridCodes = Set(grid["codes"] as! [Int])
        let delays = try Self.mac8Delays()
        var total = 0.0
        let tensors = rep["tensors"] as! [[String: Any]]
        for (name, input, rows) in [("layer.0.weight", a, 16), ("layer.1.weight", b, 8)] {
            let deq = stored[name]!.floats, codes = stored[name + ".codes"]!.bytes, scale = stored[name + ".scale"]!
            XCTAssertEqual(scale.shape, [rows, 4])
            var sum = 0.0
            for i in 0 ..< input.count {
                XCTAssertTrue(gridCodes.contains(Int(codes[i])))
                XCTAssertLessThanOrEqual(delays[Int(codes[i])]!, 4.625601 / 1.25)
                XCTAssertEqual(deq[i], scale.floats[(i / 32) * 4 + (i % 32) / 8] * Float(Int8(bitPattern: codes[i])))
                let e = Double(input[i]) - Double(deq[i])
                sum += e * e
            }
            let t = try XCTUnwrap(tensors.first { $0["name"] as? String == name })
            XCTAssertEqual(t["mse"] as! Double, sum / Double(input.count), accuracy: 1e-9 * sum / Double(input.count))
            XCTAssertEqual(t["scale_shape"] as? [Int], [rows, 4])
            total += sum
        }
        XCTAssertEqual(grid["mse"] as! Double, total / Double(a.count + b.count), accuracy: 1e-9 * total / Double(a.count + b.count))
        XCTAssertNotEqual(grid["weighted_mse"] as! Double, grid["mse"] as! Double) // importance was used
        XCTAssertEqual(rep["importance"] as? String, importance)
        XCTAssertEqual(rep["granularity"] as? String, "group:8")
    }

    /// A DVFS plan: each tile's codes come from its level's grid and meet its level's budget.
    func testQuantizeDVFSPlan() throws {
        let values = Self.weights(32 * 64, seed: 9, scale: 0.03).enumerated().map { $0.offset < 16 * 64 && $0.offset % 5 == 0 ? $0.element * 6 : $0.element }
        let weights = try write("w.npy", Self.npy(values, shape: [32, 64]))
        let out = path("d.safetensors"), report = path("d.json")
        let r = try halo(["quantize", "--table", Self.mac8, "--format", "int8", "--weights", weights, "--levels", "16",
                          "--tile", "16x32", "--dvfs-levels", "3", "--dvfs-slack", "30%", "--no-pareto", "-o", out, "--report", report])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("DVFS plan (16x32"), r.stdout)
        let rep = try Self.json(report)
        let dvfs = try XCTUnwrap(rep["dvfs"] as? [String: Any])
        let levels = try XCTUnwrap(dvfs["levels"] as? [[String: Any]])
        XCTAssertEqual(levels.count, 3)
        let budgets = levels.map { $0["budget_ns"] as! Double }
        XCTAssertEqual(budgets, budgets.sorted(by: >))
        XCTAssertGreaterThanOrEqual(dvfs["speedup"] as! Double, 1)
        XCTAssertEqual(dvfs["energy_ratio"] as! Double, 1, accuracy: 1e-12)
        XCTAssertLessThanOrEqual(dvfs["weighted_error"] as! Double, (dvfs["error_budget"] as! Double) * (1 + 1e-9))
        let (stored, _) = try Self.readSafetensors(out)
        let level = try XCTUnwrap(stored["w.level"])
        XCTAssertEqual(level.shape, [2, 2])
        XCTAssertEqual(stored["w.scale"]?.shape, [32, 2]) // per channel within each tile column
        let tiles = try XCTUnwrap(dvfs["tiles"] as? [[String: Any]])
        XCTAssertEqual(tiles.map { $0["level"] as! Int }, level.bytes.map(Int.init))
        let delays = try Self.mac8Delays()
        let codes = stored["w.codes"]!.bytes, deq = stored["w"]!.floats, scale = stored["w.scale"]!.floats
        var sum = 0.0
        for i in 0 ..< values.count {
            let tile = (i / 64) / 16 * 2 + (i % 64) / 32
            let l = Int(level.bytes[tile])
            XCTAssertTrue((levels[l]["codes"] as! [Int]).contains(Int(codes[i])))
            XCTAssertLessThanOrEqual(delays[Int(codes[i])]!, budgets[l] + 1e-9)
            XCTAssertEqual(deq[i], scale[(i / 64) * 2 + (i % 64) / 32] * Float(Int8(bitPattern: codes[i])))
            let e = Double(values[i]) - Double(deq[i])
            sum += e * e
        }
        XCTAssertEqual(dvfs["mse"] as! Double, sum / Double(values.count), accuracy: 1e-9 * sum / Double(values.count))
        // Energy goal with a voltage/frequency table.
        let vf = try write("vf.csv", Data("voltage_v,frequency_mhz\n1.8,216\n1.6,190\n1.4,160\n".utf8))
        let e = try halo(["quantize", "--table", Self.mac8, "--format", "int8", "--weights", weights, "--tile", "16x32",
                          "--dvfs-goal", "energy", "--vf-table", vf, "--no-pareto", "-o", path("e.safetensors"), "--report", path("e.json")])
        XCTAssertEqual(e.status, 0, e.stderr)
        let ed = try XCTUnwrap(try Self.json(path("e.json"))["dvfs"] as? [String: Any])
        XCTAssertEqual(ed["speedup"] as! Double, 1, accuracy: 1e-12)
        XCTAssertLessThan(ed["energy_ratio"] as! Double, 1)
        XCTAssertEqual(ed["goal"] as? String, "energy")
    }

    /// A floating-point format on a synthetic table: NaN codes are never levels, values decode as E4M3.
    func testSelectE4M3SyntheticTable() throws {
        var csv = "code,delay_ns\nnone,5.0\n"
        for c in 0 ..< 256 { csv += "\(c),\(1 + 0.3 * Double(c.nonzeroBitCount) + 0.001 * Double(c))\n" }
        let table = try write("e4m3.csv", Data(csv.utf8))
        let weights = try write("w.npy", Self.npy(Self.weights(512, seed: 4, scale: 3), shape: [8, 64]))
        let r = try halo(["select", table, "--format", "e4m3", "--levels", "8", "--weights", weights, "--max-delay", "2.5ns",
                          "--granularity", "tensor", "-o", path("g.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rep = try Self.json(path("g.json"))
        let grid = rep["grid"] as! [String: Any]
        let codes = grid["codes"] as! [Int], values = grid["values"] as! [Double]
        XCTAssertEqual(codes.count, 8)
        func e4m3(_ c: Int) -> Double {
            let sign: Double = c & 0x80 != 0 ? -1 : 1, e = (c >> 3) & 15, m = c & 7
            return e == 0 ? sign * Double(m) / 512 : sign * (1 + Double(m) / 8) * pow(2, Double(e - 7))
        }
        for (c, v) in zip(codes, values) {
            XCTAssertFalse(c == 0x7F || c == 0xFF)
            XCTAssertEqual(v, e4m3(c))
            XCTAssertLessThanOrEqual(1 + 0.3 * Double(c.nonzeroBitCount) + 0.001 * Double(c), 2.5)
        }
        XCTAssertEqual(values, values.sorted())
        XCTAssertEqual((rep["baselines"] as! [[String: Any]]).map { $0["name"] as! String }, ["e4m3 (all finite codes)", "8 fastest codes"])
        XCTAssertEqual((rep["baselines"] as! [[String: Any]])[0]["levels"] as? Int, 253) // 254 finite codes, +0 and -0 one value
    }

    // MARK: Bad inputs: one located line, non-zero exit.

    func testMalformedWeightFiles() throws {
        let base = ["quantize", "--table", Self.mac8, "--format", "int8", "-o", path("o.safetensors")]
        let magic = try write("bad.npy", Data("PK\u{3}\u{4}not numpy".utf8))
        try assertError(base + ["--weights", magic], "\(magic): error: bad magic: not a .npy file (expected \\x93NUMPY)")
        var fortran = Self.npy([1, 2], shape: [2])
        let range = fortran.range(of: Data("False".utf8))!
        fortran.replaceSubrange(range, with: Data("True ".utf8))
        let f = try write("fortran.npy", fortran)
        try assertError(base + ["--weights", f], "\(f): error: Fortran-order array: save it in C order (numpy.ascontiguousarray) before quantizing")
        let truncated = try write("short.npy", Self.npy([1, 2, 3], shape: [3]).dropLast(4))
        try assertError(base + ["--weights", truncated], "\(truncated): error: shape [3] of <f4 needs 12 data bytes, the file has 8 (truncated file)")
        let st = try write("m.safetensors", Self.safetensors([("ids", "I64", [2], Array(repeating: 0, count: 16)), ("w", "F32", [1, 2], Self.f32Bytes([1, 2]))]))
        try assertError(base + ["--weights", st, "--tensor", "ids"], "\(st): error: tensor 'ids' has dtype I64; supported: F32, F16, BF16")
        try assertError(base + ["--weights", st, "--tensor", "nope"], "\(st): error: no tensor matches 'nope' (the file has 2 tensors: 'ids', 'w')")
        var header = Self.safetensors([("w", "F32", [1, 2], Self.f32Bytes([1, 2]))])
        header.replaceSubrange(0 ..< 8, with: withUnsafeBytes(of: UInt64(4096).littleEndian) { Data($0) })
        let long = try write("long.safetensors", header)
        try assertError(base + ["--weights", long], "\(long): error: header length 4096 exceeds the \(header.count - 8) bytes after the length field (truncated or not a safetensors file)")
        let csv = try write("w.csv", Data("1,2,3\n4,x5,6\n".utf8))
        try assertError(base + ["--weights", csv], "\(csv):2:3: error: malformed number 'x5'")
        let missing = path("absent.npy")
        try assertError(base + ["--weights", missing], "\(missing): error: cannot read the file (no such file)")
        let imp = try write("imp.npy", Self.npy([1, 2, 3], shape: [3]))
        let w = try write("w2.npy", Self.npy([1, 2, 3, 4], shape: [2, 2]))
        try assertError(base + ["--weights", w, "--importance", imp],
                        "halo: error: importance 'imp' has shape [3]; weights 'w2' have shape [2, 2] (expected the same shape, or 2 values broadcast over the rows)")
    }

    func testMalformedTablesAndOptions() throws {
        let w = try write("w.npy", Self.npy(Self.weights(64, seed: 1, scale: 1), shape: [8, 8]))
        let out = path("o.safetensors")
        let wide = try write("wide.csv", Data("code,delay_ns\nnone,3.0\n0,1.0\n300,2.0\n".utf8))
        try assertError(["quantize", "--table", wide, "--format", "int8", "--weights", w, "-o", out],
                        "\(wide): error: code 300 is outside the 8-bit code space of int8 (0…255)")
        let bad = try write("bad.csv", Data("code,delay_ns\n0,1.0\n1,abc\n".utf8))
        try assertError(["select", bad, "--format", "int8"], "\(bad):3:3: error: malformed delay 'abc'")
        try assertError(["select", Self.mac8, "--format", "int33"],
                        "halo: error: unknown --format 'int33' (expected intN (int8, int4, …), uintN, e4m3, e5m2, e2m1)")
        try assertError(["select", Self.mac8, "--format", "int8", "--max-delay", "3ns", "--min-speedup", "1.2"],
                        "halo: error: use only one of --max-delay, --min-speedup, --max-mse, --min-sqnr (got --max-delay and --min-speedup)")
        try assertError(["select", Self.mac8, "--format", "int8", "--max-delay", "1ns", "--samples", "100"],
                        "halo: error: no code has delay ≤ 1.0000 ns (the fastest, code 0, takes 2.0290 ns)")
        try assertError(["select", Self.mac8, "--format", "int8", "--max-delay", "fast"],
                        "halo: error: malformed time 'fast' for --max-delay (e.g. 3.2ns, 3200ps)")
        try assertError(["select", Self.mac8, "--format", "int8", "--granularity", "row:3"],
                        "halo: error: unknown --granularity 'row:3' (expected tensor, channel or group:G)")
        try assertError(["quantize", "--table", Self.mac8, "--format", "int8", "--weights", w, "--dvfs-levels", "3", "-o", out],
                        "halo: error: --dvfs-levels needs --tile RxC (the DVFS tile)")
        try assertError(["quantize", "--table", Self.mac8, "--format", "int8", "--weights", w],
                        "halo: error: 'halo quantize' needs -o OUT.safetensors")
        try assertError(["quantize", "--table", Self.mac8, "--format", "int8", "--weights", w, "--tile", "8x6",
                         "--granularity", "group:4", "-o", out],
                        "halo: error: tile width 6 is not a multiple of the group size 4 (a scale group may not straddle tiles)")
        let vf = try write("vf.csv", Data("1.8,200\n1.2,-5\n".utf8))
        try assertError(["quantize", "--table", Self.mac8, "--format", "int8", "--weights", w, "--tile", "4x4", "--vf-table", vf, "-o", out],
                        "\(vf):2:5: error: malformed frequency '-5' (expected a positive number)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
}
