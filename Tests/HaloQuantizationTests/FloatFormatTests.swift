import Foundation
import Testing
import HaloCore
import HaloQuantization

/// FP16 and BF16 as quantization formats: every code against decodings written here (by hand for fp16,
/// through the hardware's binary32 for bf16), NaN and ∞ never levels, the baselines of narrower formats'
/// values, and a grid selected on a full 65,536-code bf16 table.
@Suite struct FloatFormatTests {
    /// binary16 decoded by hand.
    static func fp16Reference(_ c: Int) -> Double {
        let sign: Double = c >> 15 == 1 ? -1 : 1
        let e = (c >> 10) & 31, f = c & 1023
        if e == 31 { return f == 0 ? sign * .infinity : .nan }
        if e == 0 { return sign * Double(f) * pow(2, -24) }
        return sign * (1 + Double(f) / 1024) * pow(2, Double(e - 15))
    }

    @Test func fp16EveryCode() {
        let f = NumberFormat.fp16
        var nans = 0
        for c in 0 ..< 65536 {
            let v = f.value(ofCode: c)!, r = Self.fp16Reference(c)
            if r.isNaN { #expect(v.isNaN, "code \(c)"); nans += 1 } else {
                #expect(v == r && v.sign == r.sign, "code \(c): \(v) vs \(r)")
            }
            #expect(f.isLevel(c) == r.isFinite)
        }
        #expect(nans == 2046)
        #expect((0 ..< 65536).filter { f.isLevel($0) }.count == 63488)
        #expect(f.value(ofCode: 0x3C00) == 1 && f.value(ofCode: 0x7BFF) == 65504 && f.value(ofCode: 0x0001) == 0x1p-24)
        #expect(f.value(ofCode: 0x7C00) == .infinity && f.value(ofCode: 0xFC00) == -.infinity)
        #expect(f.value(ofCode: 0x8000) == 0 && f.value(ofCode: 0x8000)!.sign == .minus)
        #expect(f.value(ofCode: 65536) == nil && f.bits == 16 && f.codeCount == 65536)
    }

    @Test func bf16EveryCode() {
        let f = NumberFormat.bf16
        for c in 0 ..< 65536 {
            let v = f.value(ofCode: c)!, r = Double(Float(bitPattern: UInt32(c) << 16))
            if r.isNaN { #expect(v.isNaN, "code \(c)") } else { #expect(v == r && v.sign == r.sign, "code \(c): \(v) vs \(r)") }
        }
        #expect((0 ..< 65536).filter { f.isLevel($0) }.count == 65280)
        #expect(f.value(ofCode: 0x3F80) == 1 && f.value(ofCode: 0x0001) == 0x1p-133)
        #expect(f.value(ofCode: 0x7F7F) == Double(Float(bitPattern: 0x7F7F_0000)))
    }

    @Test func namesAndExactValues() {
        for (text, format) in [("fp16", NumberFormat.fp16), ("FP16", .fp16), ("half", .fp16), ("float16", .fp16), ("binary16", .fp16),
                               ("bf16", .bf16), ("BFloat16", .bf16)] {
            #expect(NumberFormat.parse(text) == format, "\(text)")
        }
        #expect(NumberFormat.fp16.description == "fp16" && NumberFormat.bf16.description == "bf16")
        #expect(!NumberFormat.fp16.isInteger && NumberFormat.acceptedNames.hasSuffix("fp16, bf16"))
        // IEEEFloatFormat.code(ofExactValue:) inverts the decoding on every finite code.
        for (layout, format) in [(IEEEFloatFormat.binary16, NumberFormat.fp16), (.bfloat16, .bf16)] {
            for c in 0 ..< 65536 where format.isLevel(c) {
                #expect(layout.code(ofExactValue: format.value(ofCode: c)!) == c, "\(format) code \(c)")
            }
            #expect(layout.code(ofExactValue: .nan) == nil)
        }
        #expect(IEEEFloatFormat.binary16.code(ofExactValue: 1 + 0x1p-11) == nil)      // between two fp16 values
        #expect(IEEEFloatFormat.binary16.code(ofExactValue: 65536) == nil)             // beyond the largest
        #expect(IEEEFloatFormat.binary16.code(ofExactValue: 0x1p-25) == nil)           // below the smallest subnormal
        #expect(IEEEFloatFormat.bfloat16.code(ofExactValue: 448) == 0x43E0)
    }

    /// LevelDP on more than 256 candidates (the divide-and-conquer program) reaches the optimum of a plain
    /// O(K·M²) dynamic program written here on the raw values, for log-spaced (floating-point-like) and
    /// uniform candidates.
    @Test func monotoneProgramIsOptimal() {
        var state: UInt64 = 99
        func unit() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) * 0x1p-53 }
        let data = (0 ..< 1500).map { _ in (unit() + unit() + unit() - 1.5) * 2 }
        let h = WeightHistogram(values: data)
        let logSpaced = (0 ..< 160).map { pow(2, Double($0) / 16 - 8) }
        for candidates in [(logSpaced.reversed().map { -$0 } + [0] + logSpaced), (0 ..< 400).map { Double($0) / 40 - 5 }] {
            #expect(candidates.count > 256)
            let m = candidates.count
            // seg(i, j): the values in [c_i, c_j) to the nearer of the two; the tails to the end levels.
            func seg(_ i: Int, _ j: Int) -> Double {
                data.filter { $0 >= candidates[i] && $0 < candidates[j] }
                    .reduce(0) { $0 + min(($1 - candidates[i]) * ($1 - candidates[i]), ($1 - candidates[j]) * ($1 - candidates[j])) }
            }
            var table = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
            let sorted = data.sorted()
            for i in 0 ..< m {
                // Only pairs whose interval holds data cost anything; compute those directly.
                for j in (i + 1) ..< m where sorted.contains(where: { $0 >= candidates[i] && $0 < candidates[j] }) { table[i][j] = seg(i, j) }
            }
            for k in [4, 16] {
                var f = (0 ..< m).map { j in data.filter { $0 < candidates[j] }.reduce(0) { $0 + ($1 - candidates[j]) * ($1 - candidates[j]) } }
                for _ in 1 ..< k {
                    f = (0 ..< m).map { j in (0 ..< j).map { f[$0] + table[$0][j] }.min() ?? .infinity }
                }
                let optimum = (0 ..< m).map { j in f[j] + data.filter { $0 >= candidates[j] }.reduce(0) { $0 + ($1 - candidates[j]) * ($1 - candidates[j]) } }.min()!
                let r = LevelDP.solve(histogram: h, candidates: candidates, k: k)
                #expect(abs(r.cost - optimum) <= 1e-9 * optimum, "k \(k): \(r.cost) vs \(optimum)")
                #expect(abs(h.cost(levels: r.chosen.map { candidates[$0] }) - r.cost) <= 1e-9 * r.cost)
            }
        }
    }

    /// A table of every code of a 16-bit format, delay from `delay` (nil: no path), and a none row.
    static func table(_ delay: (Int) -> Double?) throws -> DelayTable {
        var text = "code,delay_ns\nnone,3.0\n"
        for c in 0 ..< 65536 { text += "\(c),\(delay(c).map { String($0) } ?? "")\n" }
        return try DelayTable.parseCSV(text, path: "t.csv")
    }

    @Test func baselinesOfNarrowerFormats() throws {
        let space = try CodeSpace(table: try Self.table { 2 + Double($0.nonzeroBitCount) / 100 }, format: .fp16, tablePath: "t.csv")
        #expect(space.levels.count == 63487)                               // ±0 is one value
        let b = space.baselines(levels: 16)
        #expect(b.map(\.name) == ["fp16 (all finite codes)", "e4m3-valued codes (253 values)", "e5m2-valued codes (247 values)",
                                  "e2m1-valued codes (15 values)", "16 fastest codes"])
        for (baseline, narrow) in zip(b[1 ... 3], [NumberFormat.e4m3, .e5m2, .e2m1]) {
            let expected = Set((0 ..< narrow.codeCount).filter { narrow.isLevel($0) }.map { narrow.value(ofCode: $0)! + 0 })
            #expect(Set(baseline.levels.map(\.value)) == expected)
            #expect(baseline.levels.allSatisfy { NumberFormat.fp16.value(ofCode: $0.code)! == $0.value })
        }
        #expect(b[3].levels.map(\.value) == [-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6])
        #expect(b[4].levels.count == 16 && b[4].levels.allSatisfy { $0.delayNs <= 2.01 })
    }

    /// The whole bf16 code space: a grid within a delay budget, and every baseline with a finite error —
    /// including the 16 fastest codes, subnormals near 10⁻⁴⁰ whose scale would overflow F32.
    @Test func selectionOnAFullBF16Table() throws {
        // Subnormals fastest (1 ns), codes with exponents near 1 and the low 4 fraction bits 0 next (2 ns),
        // the rest 3 ns; NaN codes have no path.
        let table = try Self.table { c in
            let e = (c >> 7) & 0xFF
            if e == 0xFF && c & 0x7F != 0 { return nil }
            if e == 0 { return 1 }
            return (120 ... 130).contains(e) && c & 0xF == 0 ? 2 : 3
        }
        let space = try CodeSpace(table: table, format: .bf16, tablePath: "t.csv")
        #expect(space.levels.count == 65279 && space.referenceDelayNs == 3)
        let w = WeightTensor(name: "w", shape: [8, 128], values: SyntheticWeights.generate(.gaussian, count: 1024, seed: 4).values)
        let selector = GridSelector(problem: try QuantizationProblem(tensors: [w], granularity: .channel), space: space)
        var request = QuantizationRequest(levels: 16)
        request.budget = .maxDelay(2)
        let out = try HardwareAwareQuantizer.run(selector: selector, request: request)
        #expect(out.solution.levels.count == 16)
        #expect(out.solution.levels.allSatisfy { $0.delayNs <= 2 && $0.value.isFinite })
        #expect(out.quality.sqnrDB > 15 && out.quality.sqnrDB.isFinite)
        #expect(out.baselines.map(\.baseline.name).last == "16 fastest codes")
        for b in out.baselines { #expect(b.quality.mse.isFinite, "\(b.baseline.name)") }
        let fastest = try #require(out.baselines.last)
        #expect(fastest.quality.sqnrDB < 3)                                  // tiny values: the clamped scale cannot reach them
    }
}
