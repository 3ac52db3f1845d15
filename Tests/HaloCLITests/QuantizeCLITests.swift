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
        process.arguments = arguments + (arguments.contains("--help") || arguments.first == "plot" ? [] : ["--threads", "2"])
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
        // The tensors not quantized (a bias, an I64 tensor) are copied unchanged (issue 13).
        XCTAssertEqual(Set(stored.keys), ["layer.0.weight", "layer.0.weight.codes", "layer.0.weight.scale",
                                          "layer.1.weight", "layer.1.weight.codes", "layer.1.weight.scale",
                                          "layer.0.bias", "position_ids"])
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

    /// Calibration statistics and a sensitive split from the command line (issue 15): the report says
    /// how many weights went to each grid, NAME.grid says which rows, and those rows' codes are the only
    /// ones outside the fast grid; a bad statistics file is one line.
    func testQuantizeWithActSqAndSensitiveFraction() throws {
        let a = Self.weights(32 * 64, seed: 7, scale: 0.02), b = Self.weights(16 * 64, seed: 8, scale: 0.02)
        let weights = try write("w.safetensors", Self.safetensors([("l0.weight", "F32", [32, 64], Self.f32Bytes(a)),
                                                                   ("l1.weight", "F32", [16, 64], Self.f32Bytes(b)),
                                                                   ("l1.bias", "F32", [16], Self.f32Bytes(Array(b.prefix(16))))]))
        let act = (0 ..< 64).map { Float($0 % 16 == 0 ? 50 : 0.5) }
        let calib = try write("calib.safetensors", Self.safetensors([("l0.weight.act_sq", "F32", [64], Self.f32Bytes(act)),
                                                                     ("l1.bias.act_sq", "F32", [1], Self.f32Bytes([1]))]))
        let out = path("q.safetensors"), report = path("q.json")
        let r = try halo(["quantize", "--table", Self.mac8, "--number-format", "int8", "--weights", weights, "--levels", "16",
                          "--min-speedup", "1.25", "--importance", calib, "--sensitive-fraction", "10%", "--no-pareto",
                          "-o", out, "--report", report])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("1 statistics tensor of tensors that are not quantized ignored (e.g. 'l1.bias.act_sq')"), r.stderr)
        XCTAssertTrue(r.stdout.contains("sensitive split: "), r.stdout)
        let rep = try Self.json(report)
        let sensitive = try XCTUnwrap(rep["sensitive"] as? [String: Any])
        let n = 48 * 64
        let sensitiveWeights = sensitive["sensitive_weights"] as! Int
        XCTAssertEqual(sensitiveWeights + (sensitive["fast_weights"] as! Int), n)
        XCTAssertGreaterThan(sensitiveWeights, 0)
        XCTAssertLessThanOrEqual(sensitiveWeights, n / 10) // the fraction is respected
        XCTAssertEqual(sensitiveWeights % 64, 0) // whole channels
        let fastList = (sensitive["fast_grid"] as! [String: Any])["codes"] as! [Int] // by value
        let fastCodes = Set(fastList)
        XCTAssertEqual(((sensitive["sensitive_grid"] as! [String: Any])["codes"] as! [Int]).count, 256)
        let (stored, metadata) = try Self.readSafetensors(out)
        XCTAssertEqual(metadata["halo_grid_codes"], fastList.map(String.init).joined(separator: ","))
        var mapped = 0
        let listed = (sensitive["tensors"] as! [[String: Any]]).map { $0["sensitive_blocks"] as! [Int] }
        for (t, (name, rows)) in [("l0.weight", 32), ("l1.weight", 16)].enumerated() {
            let map = try XCTUnwrap(stored[name + ".grid"])
            XCTAssertEqual(map.shape, [rows, 1])
            XCTAssertEqual((0 ..< rows).filter { map.bytes[$0] == 1 }, listed[t])
            let codes = stored[name + ".codes"]!.bytes
            for i in 0 ..< codes.count where map.bytes[i / 64] == 0 { XCTAssertTrue(fastCodes.contains(Int(codes[i]))) }
            mapped += map.bytes.filter { $0 == 1 }.count * 64
        }
        XCTAssertEqual(mapped, sensitiveWeights)
        // The time-weighted speed-up, from the report's own grid delays.
        let ref = rep["reference_delay_ns"] as! Double
        let dFast = (sensitive["fast_grid"] as! [String: Any])["max_delay_ns"] as! Double
        let dSlow = (sensitive["sensitive_grid"] as! [String: Any])["max_delay_ns"] as! Double
        XCTAssertEqual(sensitive["speedup"] as! Double, Double(n) * ref / (Double(n - sensitiveWeights) * dFast + Double(sensitiveWeights) * dSlow), accuracy: 1e-9)
        // A statistics file naming a tensor the weights lack.
        let bad = try write("bad.safetensors", Self.safetensors([("l7.weight.act_sq", "F32", [64], Self.f32Bytes(act))]))
        try assertError(["quantize", "--table", Self.mac8, "--number-format", "int8", "--weights", weights, "--importance", bad, "-o", path("x.safetensors")],
                        "\(bad): error: tensor 'l7.weight.act_sq': the model has no tensor 'l7.weight'")
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

    /// fp16 and bf16 tables: grids of finite codes (NaN and ∞ codes, fast here, never chosen), U16 codes in
    /// the quantized output, the narrower formats' baselines, and `halo plot --format bf16`.
    func testSelectQuantizeAndPlotFP16AndBF16() throws {
        // Every code from 0x3000 to 0x43FF and the infinities and NaNs; codes with a low fraction byte 0 fast.
        for (format, infinity) in [("fp16", 0x7C00), ("bf16", 0x7F80)] {
            var csv = "code,delay_ns\nnone,5.0\n"
            let codes = Array(0x3000 ... 0x43FF) + [infinity, infinity + 1, infinity | 0x8000, infinity + 2]
            for c in codes { csv += "\(c),\(c >= infinity ? "0.5" : String(2 + Double((c & 0xF).nonzeroBitCount) * 0.5))\n" }
            let table = try write("\(format).csv", Data(csv.utf8))
            let weights = try write("w.npy", Self.npy(Self.weights(1024, seed: 7, scale: 1), shape: [16, 64]))
            let r = try halo(["quantize", "--table", table, "--format", format, "--levels", "16", "--weights", weights, "--max-delay", "2ns",
                              "--no-pareto", "-o", path("\(format).safetensors"), "--report", path("\(format).json")])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.hasPrefix("16-level \(format) grid (budget 2.0000 ns"), r.stdout)
            let rep = try Self.json(path("\(format).json"))
            let grid = rep["grid"] as! [String: Any]
            let chosen = grid["codes"] as! [Int], values = grid["values"] as! [Double]
            XCTAssertEqual(chosen.count, 16)
            for (c, v) in zip(chosen, values) {
                XCTAssertTrue((0x3000 ... 0x43FF).contains(c) && c & 0xF == 0, "\(format) code \(c)")
                let expected = format == "bf16" ? Double(Float(bitPattern: UInt32(c) << 16))
                    : (1 + Double(c & 1023) / 1024) * pow(2, Double((c >> 10) & 31) - 15)
                XCTAssertEqual(v, expected, "\(format) code \(c)")
            }
            XCTAssertEqual((rep["baselines"] as! [[String: Any]]).map { $0["name"] as! String },
                           ["\(format) (all finite codes)", "e4m3-valued codes (253 values)", "e5m2-valued codes (247 values)",
                            "e2m1-valued codes (15 values)", "16 fastest codes"])
            let (tensors, metadata) = try Self.readSafetensors(path("\(format).safetensors"))
            let stored = try XCTUnwrap(tensors["w.codes"])
            XCTAssertEqual(stored.dtype, "U16")
            let used = Set(stride(from: 0, to: stored.bytes.count, by: 2).map { Int(stored.bytes[$0]) | Int(stored.bytes[$0 + 1]) << 8 })
            XCTAssertTrue(used.isSubset(of: Set(chosen)))
            XCTAssertEqual(metadata["halo_format"], format)
        }
        let svg = path("bf16.svg")
        let p = try halo(["plot", path("bf16.csv"), "--format", "bf16", "-o", svg])
        XCTAssertEqual(p.status, 0, p.stderr)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(text.contains("bf16, in code order"), String(text.prefix(2000)))
        XCTAssertTrue(text.contains("4 NaN/∞ codes not drawn"), String(text.prefix(2000)))
        XCTAssertTrue(text.contains(">2⁶⁴<") && text.contains(">−2⁻⁶⁴<"), "power-of-two ticks")
    }

    // MARK: Objectives: energy and EDP

    /// Energy of a code in the synthetic energy table: code 0 cheapest, every high bit dear.
    static func energyFJ(_ c: Int) -> Double { c == 0 ? 50 : 400 + 90 * Double((c & 0xF0).nonzeroBitCount) + Double(c & 0x0F) }
    /// Delay of a code in that table: every low bit slow (so delay favours multiples of 16, energy does not).
    static func delayNs(_ c: Int) -> Double { 2 + 0.25 * Double((c & 0x0F).nonzeroBitCount) }

    /// The synthetic int8 table with energy, as CSV or as JSON with a stimulus.
    func energyTable(json: Bool) throws -> String {
        if !json {
            var csv = "code,delay_ns,startpoint,endpoint,energy_fj,toggles\nnone,3.5,A[0],Y[0],2000,90\n"
            for c in 0 ..< 256 { csv += "\(c),\(Self.delayNs(c)),A[0],Y[0],\(Self.energyFJ(c)),\(c.nonzeroBitCount)\n" }
            return try write("energy.csv", Data(csv.utf8))
        }
        var text = """
        {"halo_version": "0.1.0", "netlist": "synthetic.v", "top": "mac", "libraries": [], "bus": "W", "bus_width": 8,
         "stimulus": {"kind": "gaussian", "activation_bus": "A", "sigma": 20.0, "file": null, "vectors": 5000, "seed": 3,
                      "other_inputs": "zero", "simulation": "zero-delay", "supply_voltage_v": 1.8, "leakage_nw": 50.5},
         "none": {"delay_ns": 3.5, "startpoint": "A[0]", "endpoint": "Y[0]", "energy_fj": 2000, "toggles": 90},
         "codes": [
        """
        text += (0 ..< 256).map { c in "{\"code\": \(c), \"delay_ns\": \(Self.delayNs(c)), \"energy_fj\": \(Self.energyFJ(c)), \"toggles\": 3}" }
            .joined(separator: ",\n") + "]}\n"
        return try write("energy.json", Data(text.utf8))
    }

    /// The mean energy of the codes of a `.codes` tensor.
    static func meanEnergy(_ codes: Stored) -> Double { codes.bytes.reduce(0.0) { $0 + energyFJ(Int($1)) } / Double(codes.bytes.count) }

    /// Under the same error budget, the delay and energy objectives choose different grids; the energy
    /// grid costs less energy and meets the budget; the front is over energy.
    func testObjectivesChooseDifferentGrids() throws {
        let table = try energyTable(json: false)
        let weights = try write("w.npy", Self.npy(Self.weights(16 * 64, seed: 5, scale: 0.04), shape: [16, 64]))
        var reports: [String: [String: Any]] = [:]
        for objective in ["delay", "energy", "edp"] {
            let out = path("\(objective).json")
            let r = try halo(["select", table, "--format", "int8", "--levels", "8", "--weights", weights, "--min-sqnr", "15",
                              "--objective", objective, "--pareto", "-o", out])
            XCTAssertEqual(r.status, 0, r.stderr)
            let rep = try Self.json(out)
            XCTAssertEqual(rep["objective"] as? String, objective)
            let grid = try XCTUnwrap(rep["grid"] as? [String: Any])
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(grid["sqnr_db"] as? Double), 15)
            let codes = try XCTUnwrap(grid["codes"] as? [Int])
            XCTAssertEqual(try XCTUnwrap(grid["max_delay_ns"] as? Double), codes.map(Self.delayNs).max()!, accuracy: 1e-6)
            let e = try XCTUnwrap(grid["energy_fj"] as? Double)
            XCTAssertEqual(try XCTUnwrap(grid["edp_fj_ns"] as? Double), e * (grid["max_delay_ns"] as! Double), accuracy: 1e-3 * e)
            // The front is over the objective: cost rising, error falling.
            let pareto = try XCTUnwrap(rep["pareto"] as? [[String: Any]])
            XCTAssertGreaterThan(pareto.count, 2)
            let key = ["delay": "max_delay_ns", "energy": "energy_fj", "edp": "edp_fj_ns"][objective]!
            let costs = pareto.map { $0[key] as! Double }, errors = pareto.map { $0["mse"] as! Double }
            XCTAssertEqual(costs, costs.sorted())
            XCTAssertEqual(errors, errors.sorted(by: >))
            if objective != "delay" { XCTAssertTrue(r.stdout.contains("chosen: least "), r.stdout) }
            XCTAssertTrue(r.stdout.contains("stimulus not recorded (CSV table"), r.stdout)
            reports[objective] = grid
        }
        XCTAssertNotEqual(reports["delay"]!["codes"] as! [Int], reports["energy"]!["codes"] as! [Int])
        XCTAssertLessThan(reports["energy"]!["energy_fj"] as! Double, reports["delay"]!["energy_fj"] as! Double)
        XCTAssertLessThan(reports["delay"]!["max_delay_ns"] as! Double, reports["energy"]!["max_delay_ns"] as! Double)
        XCTAssertLessThanOrEqual(reports["edp"]!["edp_fj_ns"] as! Double, (reports["delay"]!["edp_fj_ns"] as! Double) * 1.001)
        // The energy front as a picture: energy on the x axis.
        let svg = path("front.svg")
        let p = try halo(["plot", "--pareto", path("energy.json"), "-o", svg])
        XCTAssertEqual(p.status, 0, p.stderr)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(text.contains("energy per MAC operation"), "x axis title")
        XCTAssertFalse(text.contains("max critical-path delay"))
    }

    /// `quantize` with a JSON energy table: the reported energy equals the mean table energy of the
    /// written codes; the INT8 reference equals the energy of the codes of an all-codes quantization of
    /// the same weights; the stimulus is carried into the report.
    func testQuantizeEnergyReportRecomputed() throws {
        let table = try energyTable(json: true)
        let values = Self.weights(24 * 32, seed: 8, scale: 0.05)
        let weights = try write("p.npy", Self.npy(values, shape: [24, 32]))
        // Uniform INT8: every code, one scale per tensor; its codes give the reference energy.
        let r8 = try halo(["quantize", "--table", table, "--format", "int8", "--weights", weights, "--levels", "all", "--granularity", "tensor",
                           "--no-pareto", "-o", path("i8.safetensors"), "--report", path("i8.json")])
        XCTAssertEqual(r8.status, 0, r8.stderr)
        let int8Energy = Self.meanEnergy(try XCTUnwrap(try Self.readSafetensors(path("i8.safetensors")).tensors["p.codes"]))
        let i8 = try Self.json(path("i8.json"))
        let reference = try XCTUnwrap(i8["energy"] as? [String: Any])
        XCTAssertEqual(reference["reference"] as? String, "int8 (all codes)")
        XCTAssertEqual(try XCTUnwrap(reference["reference_energy_fj"] as? Double), int8Energy, accuracy: 1e-9 * int8Energy)
        XCTAssertEqual(try XCTUnwrap((i8["grid"] as? [String: Any])?["energy_ratio"] as? Double), 1, accuracy: 1e-12)
        let stimulus = try XCTUnwrap(reference["stimulus"] as? [String: Any])
        XCTAssertEqual(stimulus["kind"] as? String, "gaussian")
        XCTAssertEqual(stimulus["sigma"] as? Double, 20)
        XCTAssertEqual(stimulus["vectors"] as? Int, 5000)
        XCTAssertEqual(stimulus["leakage_nw"] as? Double, 50.5)
        XCTAssertTrue(r8.stdout.contains("stimulus: 5000 vectors of gaussian activations (sigma 20) on A (seed 3)"), r8.stdout)
        // The energy objective under an error budget.
        let out = path("q.safetensors"), report = path("q.json")
        let r = try halo(["quantize", "--table", table, "--format", "int8", "--weights", weights, "--levels", "8", "--granularity", "tensor",
                          "--objective", "energy", "--min-sqnr", "14", "-o", out, "--report", report])
        XCTAssertEqual(r.status, 0, r.stderr)
        let codes = try XCTUnwrap(try Self.readSafetensors(out).tensors["p.codes"])
        let energy = Self.meanEnergy(codes)
        let rep = try Self.json(report)
        let grid = try XCTUnwrap(rep["grid"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(grid["energy_fj"] as? Double), energy, accuracy: 1e-9 * energy)
        XCTAssertEqual(try XCTUnwrap(grid["energy_ratio"] as? Double), energy / int8Energy, accuracy: 1e-9)
        XCTAssertLessThan(energy, int8Energy)
        let maxDelay = codes.bytes.map { Self.delayNs(Int($0)) }.max()!
        XCTAssertEqual(try XCTUnwrap(grid["edp_ratio"] as? Double), energy * maxDelay / (int8Energy * (0 ..< 256).map(Self.delayNs).max()!), accuracy: 1e-6)
        let tensors = try XCTUnwrap(rep["tensors"] as? [[String: Any]])
        XCTAssertEqual(try XCTUnwrap(tensors[0]["energy_fj"] as? Double), energy, accuracy: 1e-9 * energy)
        let baselines = try XCTUnwrap(rep["baselines"] as? [[String: Any]])
        XCTAssertEqual(try XCTUnwrap(baselines[0]["energy_fj"] as? Double), int8Energy, accuracy: 1e-9 * int8Energy)
        for b in baselines { XCTAssertNotNil(b["energy_fj"] as? Double); XCTAssertNotNil(b["energy_ratio"] as? Double) }
        XCTAssertTrue(r.stdout.contains("energy per MAC operation"), r.stdout)
    }

    func testObjectiveRefusals() throws {
        try assertError(["select", Self.mac8, "--format", "int8", "--objective", "energy", "--samples", "64"],
                        "halo: error: --objective energy needs a delay table with energy_fj (run halo characterize --energy)")
        let w = try write("w.npy", Self.npy(Self.weights(64, seed: 1, scale: 1), shape: [8, 8]))
        try assertError(["quantize", "--table", Self.mac8, "--format", "int8", "--weights", w, "--objective", "edp", "-o", path("o.safetensors")],
                        "halo: error: --objective edp needs a delay table with energy_fj (run halo characterize --energy)")
        try assertError(["select", Self.mac8, "--format", "int8", "--objective", "power"],
                        "halo: error: unknown --objective 'power' (expected delay, energy or edp)")
        let partial = try write("partial.csv", Data("code,delay_ns,startpoint,endpoint,energy_fj\nnone,2.0,a,b,\n0,1.0,a,b,5\n1,2.0,a,b,\n".utf8))
        try assertError(["select", partial, "--format", "int8", "--objective", "energy", "--samples", "64"],
                        "\(partial): error: code 1 has no energy_fj (--objective energy needs it for every code)")
        // The delay objective reads such a table as before.
        let ok = try halo(["select", partial, "--format", "int8", "--samples", "64", "--levels", "2"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        // Reports: an unknown objective is refused; under the energy objective a point without energy is skipped.
        let bad = try write("bad.json", Data(#"{"objective": "power", "pareto": [{"max_delay_ns": 1, "mse": 0.1}]}"#.utf8))
        try assertError(["plot", "--pareto", bad], #"\#(bad):1:15: error: unknown 'objective' (expected "delay", "energy" or "edp")"#)
        let mixed = try write("mixed.json", Data(#"{"objective": "energy", "pareto": [{"max_delay_ns": 1, "mse": 0.1}, {"max_delay_ns": 2, "mse": 0.05, "energy_fj": 10}]}"#.utf8))
        let plot = try halo(["plot", "--pareto", mixed, "-o", path("m.svg")])
        XCTAssertEqual(plot.status, 0, plot.stderr)
        XCTAssertEqual(plot.stderr, "\(mixed):1:36: warning: skipping pareto[0]: no finite 'energy_fj' (the report's objective is energy)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("o.safetensors")))
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
        try assertError(base + ["--weights", missing], "\(missing): error: no such file")
        let imp = try write("imp.npy", Self.npy([1, 2, 3], shape: [3]))
        let w = try write("w2.npy", Self.npy([1, 2, 3, 4], shape: [2, 2]))
        try assertError(base + ["--weights", w, "--importance", imp],
                        "\(imp): error: importance tensor 'imp' has shape [3]; the weights 'w2' have shape [2, 2] (expected the same shape, or 2 values broadcast over the rows)")
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
                        "halo: error: unknown --format 'int33' (expected intN (int8, int4, …), uintN, e4m3, e5m2, e2m1, fp16, bf16)")
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
