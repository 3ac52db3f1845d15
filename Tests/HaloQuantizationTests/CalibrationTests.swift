import Foundation
import XCTest
@testable import HaloCore
@testable import HaloQuantization

/// int4 codes whose delay grows with the number of one bits, 1 ns + 0.25 ns a one bit + 0.01 ns × code
/// (a synthetic table; reference 3 ns).
func int4SpaceByOneBits() -> CodeSpace {
    let format = NumberFormat.int(bits: 4)
    let levels = (0 ..< 16).map { c in
        CodeLevel(code: c, value: format.value(ofCode: c)!, delayNs: 1 + 0.25 * Double(c.nonzeroBitCount) + 0.01 * Double(c))
    }
    return CodeSpace(format: format, levels: levels, referenceDelayNs: 3)
}

/// Calibration statistics in, importance out, and the sensitive split (issue 15): `act_sq` and `fisher`
/// files are read, normalised and checked; importance concentrated on some input channels makes the
/// chosen grid and scales serve them; the split sends the blocks with most to gain to the accurate grid,
/// no more weights than asked, and says so.
final class CalibrationTests: XCTestCase {
    /// This test's files (removed with it).
    private let files = Scratch()
    private var scratch: URL { files.dir }

    private func write(_ name: String, _ entries: [SafeTensorsWriter.Entry]) throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try SafeTensorsWriter.write(entries, to: path)
        return path
    }

    /// The synthetic int4 table: the codes 0 and ±1, ±2, -8 … are fast, the full set is slow.
    private var space: CodeSpace { int4SpaceByOneBits() }

    private func gaussian(_ n: Int, seed: UInt64, scale: Double = 1) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        return (0 ..< n).map { _ in
            let u = max(rng.nextUnit(), 1e-12), v = rng.nextUnit()
            return Float(scale * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
        }
    }

    // MARK: Reading and checking

    /// Values are normalised to mean 1 per tensor (act_sq broadcast over rows, fisher per weight, rows
    /// of a sample taken as asked); a tensor without statistics gets ones; fisher wins over act_sq.
    func testReadAndNormalise() throws {
        let path = try write("calib.safetensors", [
            .init(name: "a.weight.act_sq", shape: [3], payload: .f32([1, 2, 3])),
            .init(name: "b.weight.fisher", shape: [2, 2], payload: .f32([0, 1, 2, 5])),
            .init(name: "b.weight.act_sq", shape: [2], payload: .f32([7, 7])),
            .init(name: "bias.act_sq", shape: [1], payload: .f32([4])),
        ])
        let stats = try CalibrationStatistics(path: path, quantized: ["a.weight": [2, 3], "b.weight": [2, 2], "c.weight": [4, 5]],
                                              known: ["bias"])
        XCTAssertEqual(stats.ignored, ["bias.act_sq"])
        XCTAssertEqual(stats.entries["b.weight"]?.kind, .fisher)
        let a = try stats.importance(for: "a.weight", shape: [2, 3])
        XCTAssertEqual(a.shape, [3])
        XCTAssertEqual(a.values, [0.5, 1, 1.5]) // mean 2
        let b = try stats.importance(for: "b.weight", shape: [2, 2])
        XCTAssertEqual(b.values, [0, 0.5, 1, 2.5]) // mean 2
        let bRow = try stats.importance(for: "b.weight", shape: [2, 2], rows: [1])
        XCTAssertEqual(bRow.shape, [1, 2])
        XCTAssertEqual(bRow.values, [1, 2.5])
        let c = try stats.importance(for: "c.weight", shape: [4, 5])
        XCTAssertEqual(c.shape, [5])
        XCTAssertEqual(c.values, [1, 1, 1, 1, 1])
        XCTAssertTrue(CalibrationStatistics.isStatisticsFile(try SafeTensorsFile(path: path)))
    }

    /// Every bad file is one line naming the file and the tensor.
    func testBadFilesAreOneLine() throws {
        let quantized: [String: [Int]] = ["enc.q.weight": [4, 3], "enc.k.weight": [2, 3]]
        func check(_ entries: [SafeTensorsWriter.Entry], _ expected: String, line: UInt = #line) throws {
            let path = try write("bad.safetensors", entries)
            XCTAssertEqual(errorLine { _ = try CalibrationStatistics(path: path, quantized: quantized, known: ["enc.q.bias"]) },
                           "\(path): error: " + expected, line: line)
        }
        try check([.init(name: "enc.v.weight.act_sq", shape: [3], payload: .f32([1, 1, 1]))],
                  "tensor 'enc.v.weight.act_sq': the model has no tensor 'enc.v.weight'")
        try check([.init(name: "enc.q.weight", shape: [3], payload: .f32([1, 1, 1])),
                   .init(name: "enc.k.weight.act_sq", shape: [3], payload: .f32([1, 1, 1]))],
                  "tensor 'enc.q.weight': not calibration statistics (expected NAME.act_sq or NAME.fisher, NAME a weight tensor of the model)")
        try check([.init(name: "enc.q.weight.act_sq", shape: [4], payload: .f32([1, 1, 1, 1]))],
                  "tensor 'enc.q.weight.act_sq' has shape [4]; expected [3] (the in_features of 'enc.q.weight', shape [4, 3])")
        try check([.init(name: "enc.k.weight.fisher", shape: [3, 2], payload: .f32([1, 1, 1, 1, 1, 1]))],
                  "tensor 'enc.k.weight.fisher' has shape [3, 2]; expected [2, 3], the shape of 'enc.k.weight'")
        try check([.init(name: "enc.k.weight.fisher", shape: [2, 3], payload: .f32([1, 1, 1, 1, .nan, 1]))],
                  "tensor 'enc.k.weight.fisher': element [1, 1] is NaN (statistics must be finite and non-negative)")
        try check([.init(name: "enc.q.weight.act_sq", shape: [3], payload: .f32([1, .infinity, 1]))],
                  "tensor 'enc.q.weight.act_sq': element [1] is inf (statistics must be finite and non-negative)")
        try check([.init(name: "enc.q.weight.act_sq", shape: [3], payload: .f32([1, 1, -0.5]))],
                  "tensor 'enc.q.weight.act_sq': element [2] is -0.5 (statistics must be finite and non-negative)")
        try check([.init(name: "enc.q.weight.act_sq", shape: [3], payload: .f32([0, 0, 0]))],
                  "tensor 'enc.q.weight.act_sq' has no positive value (its importance cannot be normalised to mean 1)")
        try check([.init(name: "enc.q.weight.act_sq", shape: [3], payload: .raw(dtype: "F16", bytes: Data(repeating: 0x3C, count: 6)))],
                  "tensor 'enc.q.weight.act_sq' has dtype F16; calibration statistics are F32")
        // A statistics tensor of a tensor that is in the model but not quantized is no error.
        let ok = try write("ok.safetensors", [.init(name: "enc.q.bias.act_sq", shape: [1], payload: .f32([1]))])
        XCTAssertEqual(try CalibrationStatistics(path: ok, quantized: quantized, known: ["enc.q.bias"]).ignored, ["enc.q.bias.act_sq"])
    }

    // MARK: Importance steers the grid

    /// Three input channels of 48 carry almost all of the activation energy (act_sq 400 against 0.05)
    /// and hold the layer's largest weights: with the statistics, the grid and scales serve those
    /// channels, and the importance-weighted error (what the layer's output sees) falls by more than half.
    func testConcentratedImportanceLowersWeightedError() throws {
        let rows = 24, cols = 48
        var values = gaussian(rows * cols, seed: 11, scale: 0.02)
        let hot = [5, 17, 40]
        var rng = Xoshiro256(seed: 12)
        for r in 0 ..< rows {
            for c in hot { values[r * cols + c] = Float(0.05 + 0.1 * rng.nextUnit()) * (r % 2 == 0 ? 1 : -1) }
        }
        let weights = WeightTensor(name: "layer.weight", shape: [rows, cols], values: values)
        var actSq = [Float](repeating: 0.05, count: cols)
        for c in hot { actSq[c] = 400 }
        let path = try write("act.safetensors", [.init(name: "layer.weight.act_sq", shape: [cols], payload: .f32(actSq))])
        let stats = try CalibrationStatistics(path: path, quantized: ["layer.weight": [rows, cols]])
        let importance = try stats.importance(for: "layer.weight", shape: [rows, cols])
        let plain = GridSelector(problem: try QuantizationProblem(tensors: [weights], granularity: .channel), space: space)
        let weighted = GridSelector(problem: try QuantizationProblem(tensors: [weights], importance: [importance], granularity: .channel), space: space)
        let allowed = space.allowed(maxDelayNs: 2.0) // the fast codes only
        let without = plain.select(allowed: allowed, levels: 4)
        let with = weighted.select(allowed: allowed, levels: 4)
        // Both measured by the importance-weighted error, on the raw weights at the written scales.
        let errWithout = weighted.evaluate(Assignment(without)).weightedSquaredError
        let errWith = weighted.evaluate(Assignment(with)).weightedSquaredError
        // And by hand: Σ act_sq[c]/mean · (x − x̂)² over the written codes and scales.
        let q = weighted.quantize(Assignment(with))[0]
        let mean = actSq.reduce(0, +) / Float(cols)
        var byHand = 0.0
        for i in 0 ..< values.count {
            let e = Double(values[i]) - Double(q.dequantized[i])
            byHand += Double(actSq[i % cols] / mean) * e * e
        }
        XCTAssertEqual(errWith, byHand, accuracy: 1e-6 * byHand)
        XCTAssertLessThan(errWith, 0.5 * errWithout, "weighted error with statistics \(errWith), without \(errWithout)")
        // The plain error is what was traded for it.
        XCTAssertGreaterThan(weighted.evaluate(Assignment(with)).squaredError, weighted.evaluate(Assignment(without)).squaredError)
    }

    // MARK: The sensitive split

    /// Fisher information concentrated on rows 3 and 9 of one tensor: with room for two channels, the
    /// split puts exactly those rows on the full int4 code set and everything else on the fast grid;
    /// codes, counts, speed-up and error say so, and the threshold reproduces the split.
    func testSensitiveSplitTakesTheMostSensitiveChannels() throws {
        let rows = 12, cols = 32
        let a = WeightTensor(name: "a", shape: [rows, cols], values: gaussian(rows * cols, seed: 21, scale: 0.05))
        let b = WeightTensor(name: "b", shape: [8, cols], values: gaussian(8 * cols, seed: 22, scale: 0.05))
        var fa = [Float](repeating: 0.01, count: rows * cols)
        for r in [3, 9] { for c in 0 ..< cols { fa[r * cols + c] = 50 } }
        let path = try write("fisher.safetensors", [.init(name: "a.fisher", shape: [rows, cols], payload: .f32(fa))])
        let stats = try CalibrationStatistics(path: path, quantized: ["a": [rows, cols], "b": [8, cols]])
        let problem = try QuantizationProblem(tensors: [a, b], importance: [try stats.importance(for: "a", shape: a.shape),
                                                                           try stats.importance(for: "b", shape: b.shape)],
                                              granularity: .channel)
        let selector = GridSelector(problem: problem, space: space)
        let allowed = space.allowed(maxDelayNs: 2.0)
        let fast = selector.select(allowed: allowed, levels: 4)
        let n = problem.elementCount
        // Room for two rows and a half: exactly two rows go.
        let split = SensitiveSplit.choose(selector: selector, fast: fast, fraction: 2.5 * Double(cols) / Double(n),
                                          reselect: (allowed, 4))
        XCTAssertEqual(split.sensitiveBlocks, [3, 9])
        XCTAssertEqual(split.sensitiveBlocks(ofTensor: 0, in: problem), [3, 9])
        XCTAssertEqual(split.sensitiveBlocks(ofTensor: 1, in: problem), [])
        XCTAssertEqual(split.sensitiveWeights, 2 * cols)
        XCTAssertEqual(split.fastWeights, n - 2 * cols)
        XCTAssertEqual(split.gridMap(ofTensor: 0, in: problem), (0 ..< rows).map { $0 == 3 || $0 == 9 ? 1 : 0 })
        XCTAssertEqual(split.sensitiveGrid.count, 16)
        XCTAssertTrue(split.fastGrid.allSatisfy { $0.delayNs <= 2.0 })
        // Codes: the sensitive rows use the full set (more than the fast grid's 4 values), the rest only the fast grid.
        let fastCodes = Set(split.fastGrid.map(\.code))
        let tensors = selector.quantize(split.assignment)
        var sensitiveCodes = Set<UInt16>()
        for (t, q) in tensors.enumerated() {
            for i in 0 ..< q.codes.count {
                let row = i / cols
                if t == 0 && (row == 3 || row == 9) { sensitiveCodes.insert(q.codes[i]) } else {
                    XCTAssertTrue(fastCodes.contains(Int(q.codes[i])), "tensor \(t) row \(row) code \(q.codes[i])")
                }
            }
        }
        XCTAssertGreaterThan(sensitiveCodes.count, 4)
        // The time-weighted speed-up, by hand: N·reference / Σ n·d.
        let dFast = split.fastGrid.map(\.delayNs).max()!, dSlow = space.levels.map(\.delayNs).max()!
        let expected = Double(n) * 3 / (Double(n - 2 * cols) * dFast + Double(2 * cols) * dSlow)
        XCTAssertEqual(split.speedup, expected, accuracy: 1e-12)
        XCTAssertEqual(split.lockstepSpeedup, 3 / dSlow, accuracy: 1e-12)
        // Sparing the sensitive rows cuts their weighted error more than fivefold, and the other blocks
        // (on the fast grid chosen again without them) lose nothing.
        let rest = (0 ..< problem.blockCount).filter { $0 != 3 && $0 != 9 }
        let sensitiveBefore = selector.evaluate(Assignment(fast), blocks: [3, 9]).weightedSquaredError
        let sensitiveAfter = selector.evaluate(split.assignment, blocks: [3, 9]).weightedSquaredError
        XCTAssertLessThan(sensitiveAfter, sensitiveBefore / 5)
        XCTAssertLessThanOrEqual(selector.evaluate(split.assignment, blocks: rest).weightedSquaredError,
                                 selector.evaluate(Assignment(fast), blocks: rest).weightedSquaredError * (1 + 1e-12))
        XCTAssertLessThan(split.quality.weightedSquaredError, selector.evaluate(Assignment(fast)).weightedSquaredError)
        // The threshold carries the split to the same weights (what a model folder's tensors get).
        let again = SensitiveSplit.apply(selector: selector, fastGrid: split.fastGrid, threshold: split.threshold)
        XCTAssertEqual(again.sensitiveBlocks, [3, 9])
        // No room, no split; all the room: every block that gains.
        XCTAssertEqual(SensitiveSplit.choose(selector: selector, fast: fast, fraction: 0).sensitiveWeights, 0)
        let all = SensitiveSplit.choose(selector: selector, fast: fast, fraction: 1)
        XCTAssertLessThanOrEqual(all.sensitiveWeights, n)
        XCTAssertGreaterThanOrEqual(all.sensitiveBlocks.count, 2)
        // The report member.
        guard case .object(let fields) = split.json(problem: problem, space: space) else { return XCTFail("not an object") }
        let dict = Dictionary(fields, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(dict["sensitive_weights"], .int(2 * cols))
        XCTAssertEqual(dict["fast_weights"], .int(n - 2 * cols))
        XCTAssertEqual(dict["sensitive_block_count"], .int(2))
    }

    /// A model folder: statistics stream with the tensors, the sample's threshold splits every tensor,
    /// and the codes files carry each tensor's block map.
    func testModelFolderWithStatisticsAndSplit() throws {
        let dir = scratch.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let rows = 10, cols = 16
        let q = gaussian(rows * cols, seed: 31, scale: 0.05), k = gaussian(rows * cols, seed: 32, scale: 0.05)
        try SafeTensorsWriter.write([.init(name: "l.q.weight", shape: [rows, cols], payload: .f32(q)),
                                     .init(name: "l.k.weight", shape: [rows, cols], payload: .f32(k)),
                                     .init(name: "l.q.bias", shape: [rows], payload: .f32([Float](repeating: 0, count: rows)))],
                                    to: dir.appendingPathComponent("model.safetensors").path)
        try "{}\n".write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        var fq = [Float](repeating: 0.01, count: rows * cols)
        for c in 0 ..< cols { fq[4 * cols + c] = 80 }
        let statsPath = try write("calib.safetensors", [.init(name: "l.q.weight.fisher", shape: [rows, cols], payload: .f32(fq)),
                                                         .init(name: "l.k.weight.act_sq", shape: [cols], payload: .f32((0 ..< cols).map { Float($0 + 1) }))])
        let folder = try ModelFolder(path: dir.path)
        let plan = try ModelQuantizationPlan(folder: folder, selection: TensorSelection(include: [], skip: []))
        XCTAssertEqual(plan.quantized.map(\.info.name), ["l.q.weight", "l.k.weight"])
        let stats = try CalibrationStatistics(path: statsPath, quantized: Dictionary(uniqueKeysWithValues: plan.quantized.map { ($0.info.name, $0.info.shape) }),
                                              known: Set(folder.tensors.map(\.info.name)))
        let sample = try ModelSampling.sample(folder: folder, plan: plan, granularity: .channel, statistics: stats)
        XCTAssertEqual(sample.importance?.count, 2)
        XCTAssertEqual(sample.importance?[0].values, try stats.importance(for: "l.q.weight", shape: [rows, cols]).values)
        let selector = GridSelector(problem: try QuantizationProblem(tensors: sample.weights, importance: sample.importance, granularity: .channel), space: space)
        let allowed = space.allowed(maxDelayNs: 2.0)
        let split = SensitiveSplit.choose(selector: selector, fast: selector.select(allowed: allowed, levels: 4),
                                          fraction: Double(cols) / Double(2 * rows * cols), reselect: (allowed, 4))
        XCTAssertEqual(split.sensitiveBlocks, [4])
        var writer = ModelWriter(folder: folder, plan: plan, grid: split.fastGrid, space: space, granularity: .channel)
        writer.statistics = stats
        writer.sensitiveThreshold = split.threshold
        let out = scratch.appendingPathComponent("out").path
        let result = try writer.write(to: out)
        XCTAssertEqual(result.tensors.map(\.sensitiveBlocks), [[4], []])
        XCTAssertEqual(result.tensors.map(\.sensitiveWeights), [cols, 0])
        let codes = try SafeTensorsFile(path: out + "/halo-codes.safetensors")
        let map = try XCTUnwrap(codes.info(named: "l.q.weight.grid"))
        XCTAssertEqual(map.dtype, "U8")
        XCTAssertEqual(map.shape, [rows, 1])
        XCTAssertEqual(codes.rawBytes(map), Data((0 ..< rows).map { $0 == 4 ? 1 : 0 }))
        let manifest = try String(contentsOfFile: out + "/halo.json", encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"sensitive_grid\""), manifest)
        XCTAssertTrue(manifest.contains("\"grid_map\""), manifest)
    }
}
