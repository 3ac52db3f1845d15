import Foundation
import XCTest
@testable import HaloCore
@testable import HaloQuantization

/// The apply pass of a model folder (``FixedGridQuantizer``) gives exactly the general path's answer
/// (a ``QuantizationProblem``, ``GridSelector/fit(levels:blocks:)``, ``GridSelector/quantize(_:)``), and
/// the scale scan's screened cost never changes what the search sees below its limit.
final class FixedGridQuantizerTests: XCTestCase {
    /// int4 codes whose delay grows with the number of one bits.
    private let space: CodeSpace = {
        let format = NumberFormat.int(bits: 4)
        let levels = (0 ..< 16).map { c in
            CodeLevel(code: c, value: format.value(ofCode: c)!, delayNs: 1 + 0.25 * Double(c.nonzeroBitCount))
        }
        return CodeSpace(format: format, levels: levels, referenceDelayNs: 3)
    }()

    /// Heavy-tailed rows of different scales with exact zeros of both signs and repeated values, as BF16.
    private func bf16Values(rows: Int, cols: Int, seed: UInt64) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        return (0 ..< rows * cols).map { i in
            let r = i / cols
            let u = max(rng.nextUnit(), 1e-12), v = rng.nextUnit()
            var x = Float(0.01 * Double(1 + r % 5) * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v) * (rng.nextUnit() < 0.02 ? 6 : 1))
            if i % 37 == 0 { x = 0 }
            if i % 41 == 0 { x = -0.0 }
            if i % 43 == 0 { x = 0.015 }
            return Float(bitPattern: x.bitPattern & 0xFFFF_0000)   // a BF16 value
        }
    }

    private func bytes(_ values: [Float], dtype: String) -> [UInt8] {
        var out: [UInt8] = []
        for v in values {
            if dtype == "BF16" {
                withUnsafeBytes(of: UInt16(v.bitPattern >> 16).littleEndian) { out += $0 }
            } else {
                withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 }
            }
        }
        return out
    }

    private func check(granularity: Granularity, dtype: String, rows: Int, cols: Int, threads: Int) throws {
        let values = bf16Values(rows: rows, cols: cols, seed: UInt64(rows * 1000 + cols))
        let tensor = WeightTensor(name: "w", shape: [rows, cols], values: values)
        var options = SelectorOptions()
        options.threads = threads
        let selector = GridSelector(problem: try QuantizationProblem(tensors: [tensor], granularity: granularity), space: space, options: options)
        let grid = selector.select(allowed: space.levels, levels: 6).levels
        let expected = selector.quantize(Assignment(selector.fit(levels: grid)))[0]

        let raw = bytes(values, dtype: dtype)
        let info = SafeTensorsFile.TensorInfo(name: "w", dtype: dtype, shape: [rows, cols], dataOffsets: 0 ..< raw.count)
        let quantizer = try XCTUnwrap(FixedGridQuantizer(levels: grid.shuffled(), granularity: granularity, options: options))
        let got = try raw.withUnsafeBytes { try quantizer.quantize(info, bytes: $0, file: "w.safetensors") }
        let label = "\(granularity) \(dtype) \(rows)x\(cols) threads \(threads)"
        XCTAssertEqual(got.codes, expected.codes, label)
        XCTAssertEqual(got.dequantized.map(\.bitPattern), expected.dequantized.map(\.bitPattern), label)
        XCTAssertEqual(got.scales.map(\.bitPattern), expected.scales.map(\.bitPattern), label)
        XCTAssertEqual(got.scaleShape, expected.scaleShape, label)
        XCTAssertEqual(got.scaleBlock, expected.scaleBlock, label)
        XCTAssertEqual(got.quality.squaredError, expected.quality.squaredError, label)
        XCTAssertEqual(got.quality.weightedSquaredError, expected.quality.weightedSquaredError, label)
        XCTAssertEqual(got.quality.count, rows * cols, label)
    }

    func testSameAnswerAsTheGeneralPath() throws {
        // Rows long enough for the binary-search cost (and its screen), and short groups (the walk).
        try check(granularity: .channel, dtype: "BF16", rows: 24, cols: 700, threads: 2)
        try check(granularity: .channel, dtype: "F32", rows: 9, cols: 300, threads: 1)
        try check(granularity: .group(64), dtype: "BF16", rows: 12, cols: 200, threads: 2)
        try check(granularity: .group(128), dtype: "F32", rows: 5, cols: 128, threads: 3)
    }

    func testTensorGranularityUsesTheLayout() {
        XCTAssertNil(FixedGridQuantizer(levels: space.levels, granularity: .tensor))
    }

    func testNonFiniteWeightIsLocated() throws {
        var values = bf16Values(rows: 8, cols: 50, seed: 3)
        values[5 * 50 + 7] = .nan
        values[6 * 50 + 1] = .infinity
        let raw = bytes(values, dtype: "F32")
        let info = SafeTensorsFile.TensorInfo(name: "layer.weight", dtype: "F32", shape: [8, 50], dataOffsets: 0 ..< raw.count)
        var options = SelectorOptions()
        options.threads = 2
        let quantizer = try XCTUnwrap(FixedGridQuantizer(levels: Array(space.levels.prefix(4)), granularity: .channel, options: options))
        XCTAssertThrowsError(try raw.withUnsafeBytes { try quantizer.quantize(info, bytes: $0, file: "m.safetensors") }) { error in
            XCTAssertEqual("\(error)", "m.safetensors: error: tensor 'layer.weight': element [5, 7] is NaN")
        }
    }

    /// Below its limit the screened cost is the exact cost, bit for bit; at or above it, it is at least
    /// the limit and never more than the exact cost.
    func testScreenedCostIsExactBelowTheLimit() {
        var rng = Xoshiro256(seed: 11)
        let levels: [Double] = [-8, -5, -3, -2, -1, 0, 1, 2, 3, 5, 7]
        for trial in 0 ..< 40 {
            let n = 200 + trial * 37
            let x = (0 ..< n).map { _ in Float((rng.nextUnit() - 0.5) * (rng.nextUnit() < 0.05 ? 40 : 4)) }.sorted()
            let w = [Float](repeating: 1, count: n)
            var scratch = [Double](repeating: 0, count: 3 * (n + 1))
            x.withUnsafeBufferPointer { xs in
                w.withUnsafeBufferPointer { ws in
                    scratch.withUnsafeMutableBufferPointer { sp in
                        let search = BlockSearch(x: xs, w: ws, scratch: sp.baseAddress!)
                        levels.withUnsafeBufferPointer { l in
                            for s in [0.05, 0.3, 0.7, 1.0, 2.5, 9.0] {
                                let exact = search.cost(levels: l, usage: nil, scale: s)
                                XCTAssertEqual(search.cost(levels: l, scale: s, below: .infinity).bitPattern, exact.bitPattern)
                                for limit in [exact * 0.5, exact, exact * 1.0001, exact * 3] {
                                    let screened = search.cost(levels: l, scale: s, below: limit)
                                    if exact < limit {
                                        XCTAssertEqual(screened.bitPattern, exact.bitPattern, "n \(n) s \(s)")
                                    } else {
                                        XCTAssertGreaterThanOrEqual(screened, limit)
                                        XCTAssertLessThanOrEqual(screened, exact * (1 + 1e-12))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
