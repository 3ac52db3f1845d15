import Foundation
import XCTest
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization
import HaloGenerators

/// The FP16/BF16 MACs (`Y = fp32(P + A·W)`, fused) against `FloatReference`, an exact reference on 512-bit
/// integers written for the tests: every weight code for a fixed set of (A, P) pairs, and random vectors with
/// special values, subnormals and cancelling addends mixed in. The reference itself is checked against hand
/// values and against the platform's `Float` fused multiply-add.
final class FloatMACTests: XCTestCase {
    typealias Layout = FloatReference.Layout

    // MARK: The reference

    func testReferenceOnHandValues() {
        func fma(_ a: UInt64, _ w: UInt64, _ p: UInt64, _ l: Layout = .fp16, accumulate: Bool = true) -> UInt32 {
            FloatReference.fma(a: a, w: w, p: p, layout: l, accumulate: accumulate)
        }
        XCTAssertEqual(fma(0x3C00, 0x3C00, 0), 0x3F80_0000)                         // 1 · 1 + 0 = 1
        XCTAssertEqual(fma(0x4200, 0xBC00, 0x4040_0000), 0)                          // 3 · −1 + 3 = +0
        XCTAssertEqual(fma(0xC200, 0x3C00, 0xC040_0000), 0xC0C0_0000)                // −3 · 1 − 3 = −6
        XCTAssertEqual(fma(0x8000, 0x3C00, 0x8000_0000), 0x8000_0000)                // −0 · 1 + −0 = −0
        XCTAssertEqual(fma(0x8000, 0x3C00, 0), 0)                                    // −0 · 1 + +0 = +0
        XCTAssertEqual(fma(0x0001, 0x0001, 0), 0x2780_0000)                          // 2^−24 · 2^−24 = 2^−48
        XCTAssertEqual(fma(0x7BFF, 0x7BFF, 0), 0x4F7F_C004)                          // 65504² = 4290774016 = 0xFFC00400
        // 1 + 2^−24 (half an ulp of 1) rounds to even (1); 1 + 3·2^−24 rounds up.
        XCTAssertEqual(fma(0x0001, 0x3C00, 0x3F80_0000), 0x3F80_0000)                // 1 + 2^−24 → 1
        XCTAssertEqual(fma(0x0003, 0x3C00, 0x3F80_0000), 0x3F80_0002)                // 1 + 3·2^−24 → 1 + 2^−22
        XCTAssertEqual(fma(0x0001, 0x3C00, 0x3F80_0001), 0x3F80_0002)                // (1 + 2^−23) + 2^−24 → tie to even
        XCTAssertEqual(fma(0x7C00, 0x0000, 0), FloatReference.nan)                   // ∞ · 0
        XCTAssertEqual(fma(0x7C00, 0x3C00, 0xFF80_0000), FloatReference.nan)         // ∞ − ∞
        XCTAssertEqual(fma(0x7C00, 0xBC00, 0xFF80_0000), 0xFF80_0000)                // −∞ − ∞
        XCTAssertEqual(fma(0x3C00, 0x3C00, 0x7FC0_0001), FloatReference.nan)         // NaN addend
        XCTAssertEqual(fma(0x3C00, 0x3C00, 0x7F80_0000), 0x7F80_0000)                // finite + ∞
        // bf16: 2^127 · 2^127 overflows; 2^−126 · 2^−126 underflows to +0; 2^−75 · 2^−75 = 2^−150 is a tie → +0;
        // 1.5·2^−75 · 2^−75 rounds up to the smallest subnormal; −tiny keeps its sign.
        XCTAssertEqual(fma(0x7F00, 0x7F00, 0, .bf16), 0x7F80_0000)
        XCTAssertEqual(fma(0x0080, 0x0080, 0, .bf16), 0)
        XCTAssertEqual(fma(0x1A00, 0x1A00, 0, .bf16, accumulate: false), 0)
        XCTAssertEqual(fma(0x1A40, 0x1A00, 0, .bf16, accumulate: false), 1)
        XCTAssertEqual(fma(0x9A40, 0x1A00, 0, .bf16, accumulate: false), 0x8000_0001)
        XCTAssertEqual(fma(0x8080, 0x0080, 0, .bf16), 0x8000_0000)                   // −tiny + 0 rounds to −0
        // The largest finite binary32 plus a product just under half its ulp stays; at half an ulp it is ∞.
        XCTAssertEqual(fma(0x3F80, 0x6680, 0x7F7F_FFFF, .bf16), 0x7F7F_FFFF)         // + 2^78
        XCTAssertEqual(fma(0x3F80, 0x7380, 0x7F7F_FFFF, .bf16), 0x7F80_0000)         // + 2^104 = half an ulp, odd → ∞
        // Far apart: 2^100 − 2^−100 rounds to 2^100; a subnormal addend with a tiny product.
        XCTAssertEqual(fma(0x7180, 0x3F80, 0x8000_0001, .bf16), 0x7180_0000)
        XCTAssertEqual(fma(0x0001, 0x0001, 0x0000_0001, .bf16), 0x0000_0001)
    }

    /// The reference against the platform's `Float.addingProduct` (a correctly rounded fused multiply-add:
    /// fp16 and bf16 values are exact in Float) on 400,000 random vectors per format; NaN against NaN.
    func testReferenceAgreesWithFloatFusedMultiplyAdd() {
        for (layout, name) in [(Layout.fp16, "fp16"), (.bf16, "bf16")] {
            var rng = SplitMix64(seed: 17)
            var checked = 0, nans = 0
            func float(_ code: UInt64) -> Float {
                layout.exponentBits == 8 ? Float(bitPattern: UInt32(code) << 16)
                                         : Float(IEEEFloatFormat.binary16.value(ofCode: Int(code)))
            }
            for _ in 0..<400_000 {
                let a = FloatVectors.operand(layout, &rng), w = FloatVectors.operand(layout, &rng)
                let p = FloatVectors.addend(a: a, w: w, layout, &rng)
                let ours = FloatReference.fma(a: a, w: w, p: p, layout: layout, accumulate: true)
                let theirs = Float(bitPattern: UInt32(p)).addingProduct(float(a), float(w))
                if theirs.isNaN {
                    XCTAssertEqual(ours, FloatReference.nan, "\(name) \(a) \(w) \(p)")
                    nans += 1
                } else if ours != theirs.bitPattern {
                    XCTFail("\(name): A=0x\(String(a, radix: 16)) W=0x\(String(w, radix: 16)) P=0x\(String(p, radix: 16)): reference 0x\(String(ours, radix: 16)), Float 0x\(String(theirs.bitPattern, radix: 16))")
                    return
                }
                let product = FloatReference.fma(a: a, w: w, p: 0, layout: layout, accumulate: false)
                let theirProduct = float(a) * float(w)
                if theirProduct.isNaN { XCTAssertEqual(product, FloatReference.nan) } else {
                    XCTAssertEqual(product, theirProduct.bitPattern, "\(name) product \(a) \(w)")
                }
                checked += 1
            }
            XCTAssertGreaterThan(nans, 1000)
            XCTAssertLessThan(nans, checked / 3)
        }
    }

    // MARK: The netlists

    /// (A, P) pairs held while W takes every code: exact products, cancellation to ±0, ∞ and NaN, subnormal
    /// products and addends, overflow and massive cancellation.
    static func fixedPairs(_ format: MACNumberFormat) -> [(a: UInt128, p: UInt128)] {
        let common: [(UInt128, UInt128)] = [
            (format == .fp16 ? 0x3C00 : 0x3F80, 0x0000_0000),          // 1 · W + 0
            (format == .fp16 ? 0x3C00 : 0x3F80, 0x8000_0000),          // 1 · W − 0
            (format == .fp16 ? 0xBE00 : 0xBFC0, 0x3F80_0000),          // −1.5 · W + 1
            (format == .fp16 ? 0x4200 : 0x4040, 0xC040_0000),          // 3 · W − 3
            (format == .fp16 ? 0x7BFF : 0x7F7F, 0xFF7F_FFFF),          // max · W − max32
            (0x0001, 0x0000_0001),                                     // min subnormal · W + min subnormal
            (format == .fp16 ? 0x7C00 : 0x7F80, 0x0000_0000),          // ∞ · W
            (0x0000, 0xFF80_0000),                                     // 0 · W − ∞
            (format == .fp16 ? 0xBE00 : 0xBFC0, 0x3DCC_CCCD),          // −1.5 · W + 0.1
            (format == .fp16 ? 0x3555 : 0x3EAB, 0x4B3C_614E),          // ≈1/3 · W + 12345678
            (format == .fp16 ? 0x0400 : 0x0080, 0x0001_16C2),          // min normal · W + subnormal
            (format == .fp16 ? 0x5BFF : 0x7180, 0x7F7F_FFFF),          // large · W + max32 (bf16: 2^100, overflow)
        ]
        return common.map { (a: $0.0, p: $0.1) }
    }

    struct Result: Sendable { var name: String; var vectors = 0; var mismatches = 0; var first: String? }

    /// Checks `spec`: every weight for `fixedPairs` when `everyWeight`, plus `random` random vectors.
    static func check(_ spec: MACSpec, everyWeight: Bool, random: Int, seed: UInt64) -> Result {
        var r = Result(name: spec.defaultModuleName)
        do {
            let g = try MACGenerator.generate(spec)
            let sim = try MACSimulator(graph: try genericGraph(g.verilog, top: g.module), behaviour: MACBehaviour(spec))
            var outcomes: [MACSimulator.Outcome] = []
            if everyWeight { outcomes.append(sim.checkEveryWeight(fixed: fixedPairs(spec.format))) }
            if random > 0 { outcomes.append(sim.check(exhaustive: false, count: random, seed: seed)) }
            for o in outcomes {
                r.vectors += o.vectors
                r.mismatches += o.mismatches
                r.first = r.first ?? o.firstMismatch
            }
        } catch {
            r.mismatches = -1
            r.first = "\(error)"
        }
        return r
    }

    func assertNoMismatches(_ results: [Result], file: StaticString = #filePath, line: UInt = #line) {
        for r in results where r.mismatches != 0 {
            XCTFail("\(r.name): \(r.mismatches) of \(r.vectors) vectors wrong; first: \(r.first ?? "")", file: file, line: line)
        }
    }

    /// Two architectures per format (those of the corpus): every weight code for 12 (A, P) pairs and 100,000
    /// random vectors each.
    func testCorpusArchitecturesOnEveryWeightAndRandomVectors() {
        let specs = [MACNumberFormat.fp16, .bf16].flatMap { f in
            [MACSpec(multiplier: .array, adder: .ripple, width: 16, format: f),
             MACSpec(multiplier: .booth4, adder: .koggeStone, width: 16, format: f)]
        }
        let start = Date()
        let results = parallelMap(specs) { FloatMACTests.check($0, everyWeight: true, random: 100_000, seed: 23) }
        assertNoMismatches(results)
        XCTAssertEqual(results.map(\.vectors), [Int](repeating: 12 * 65_536 + 100_000, count: specs.count))
        print(String(format: "FloatMACTests: %d FP MACs × (12 × 65,536 weights + 100,000 random) = %d vectors, 0 mismatches, %.1f s",
                     specs.count, results.reduce(0) { $0 + $1.vectors }, Date().timeIntervalSince(start)))
    }

    /// The other two significand multipliers (Wallace and Dadda trees, outside the corpus) with the other two
    /// adders (Brent-Kung, Sklansky), so that every multiplier and every adder gets the full proof: every
    /// weight code for the 12 (A, P) pairs and 100,000 random vectors each.
    func testWallaceAndDaddaOnEveryWeightAndRandomVectors() {
        let specs = [MACNumberFormat.fp16, .bf16].flatMap { f in
            [MACSpec(multiplier: .wallace, adder: .brentKung, width: 16, format: f),
             MACSpec(multiplier: .dadda, adder: .sklansky, width: 16, format: f)]
        }
        let start = Date()
        let results = parallelMap(specs) { FloatMACTests.check($0, everyWeight: true, random: 100_000, seed: 31) }
        assertNoMismatches(results)
        XCTAssertEqual(results.map(\.vectors), [Int](repeating: 12 * 65_536 + 100_000, count: specs.count))
        print(String(format: "FloatMACTests: %d Wallace/Dadda FP MACs × (12 × 65,536 weights + 100,000 random) = %d vectors, 0 mismatches, %.1f s",
                     specs.count, results.reduce(0) { $0 + $1.vectors }, Date().timeIntervalSince(start)))
    }

    /// Every multiplier × adder of both formats, accumulating, plain multipliers and registered: random vectors.
    func testEveryArchitectureOnRandomVectors() {
        var specs: [MACSpec] = []
        for f in [MACNumberFormat.fp16, .bf16] {
            for m in [MultiplierArchitecture.array, .wallace, .dadda, .booth4] {
                for adder in AdderArchitecture.allCases {
                    specs.append(MACSpec(multiplier: m, adder: adder, width: 16, format: f))
                }
            }
            specs.append(MACSpec(multiplier: .dadda, adder: .sklansky, width: 16, format: f, accumulate: false))
            specs.append(MACSpec(multiplier: .array, adder: .ripple, width: 16, format: f, accumulate: false))
            specs.append(MACSpec(multiplier: .wallace, adder: .brentKung, width: 16, format: f, registered: true))
            specs.append(MACSpec(multiplier: .booth4, adder: .koggeStone, width: 16, format: f, registered: true, accumulate: false))
        }
        let start = Date()
        let results = parallelMap(specs) { FloatMACTests.check($0, everyWeight: false, random: 12_800, seed: 29) }
        assertNoMismatches(results)
        print(String(format: "FloatMACTests: %d FP MAC variants × 12,800 random vectors, 0 mismatches, %.1f s",
                     specs.count, Date().timeIntervalSince(start)))
    }

    /// The plain multipliers on every weight for the fixed activations: fp16 products are exact, bf16 ones
    /// overflow and underflow.
    func testPlainMultipliersOnEveryWeight() {
        let specs = [MACNumberFormat.fp16, .bf16].map { MACSpec(multiplier: .wallace, adder: .sklansky, width: 16, format: $0, accumulate: false) }
        let results = parallelMap(specs) { FloatMACTests.check($0, everyWeight: true, random: 0, seed: 0) }
        assertNoMismatches(results)
    }

    /// The checks can fail: one gate of the rounding changed, or the reference's rounding changed to
    /// truncation, are both caught.
    func testChecksDetectWrongNetlistsAndReferences() throws {
        let spec = MACSpec(multiplier: .dadda, adder: .sklansky, width: 16, format: .bf16)
        let g = try MACGenerator.generate(spec)
        var lines = g.verilog.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The last XOR before the outputs (in the rounding incrementer) becomes an XNOR.
        let k = try XCTUnwrap(lines.lastIndex { $0.contains("\\$_XOR_ ") && !$0.contains(".Y(Y[") })
        lines[k] = lines[k].replacingOccurrences(of: "\\$_XOR_ ", with: "\\$_XNOR_ ")
        let mutated = try MACSimulator(graph: try genericGraph(lines.joined(separator: "\n"), top: g.module),
                                       behaviour: MACBehaviour(spec))
        XCTAssertGreaterThan(mutated.check(exhaustive: false, count: 4096, seed: 3).mismatches, 0)
        // A reference that truncates instead of rounding disagrees with the netlist.
        let sim = try MACSimulator(graph: try genericGraph(g.verilog, top: g.module), behaviour: MACBehaviour(spec))
        var rng = SplitMix64(seed: 5)
        var differ = 0
        for _ in 0..<64 {
            let v = MACBehaviour(spec).randomVector(&rng)
            let y = sim.run(a: [v.a], w: [v.w], p: [v.p])[0]
            let truncated = truncatingFMA(a: UInt64(v.a), w: UInt64(v.w), p: UInt64(v.p))
            if let t = truncated, UInt128(t) != y { differ += 1 }
        }
        XCTAssertGreaterThan(differ, 0)
    }

    /// P + A·W for bf16 by Double arithmetic, truncated to binary32 (finite normal results only; nil otherwise):
    /// a wrong reference.
    private func truncatingFMA(a: UInt64, w: UInt64, p: UInt64) -> UInt32? {
        let x = Double(Float(bitPattern: UInt32(a) << 16)), y = Double(Float(bitPattern: UInt32(w) << 16))
        let exact = Double(Float(bitPattern: UInt32(p))) + x * y
        guard exact.isFinite, exact != 0, abs(exact) > 1e-37, abs(exact) < 1e37 else { return nil }
        let bits = exact.bitPattern
        let sign = UInt32(bits >> 63) << 31
        let e = Int((bits >> 52) & 0x7FF) - 1023 + 127
        return sign | UInt32(e) << 23 | UInt32((bits >> 29) & 0x7F_FFFF)
    }

    // MARK: Specification

    func testSpecificationNamesAndErrors() throws {
        let s = MACSpec(multiplier: .booth4, adder: .koggeStone, width: 16, format: .bf16)
        XCTAssertEqual(s.defaultModuleName, "mac_booth4_koggestone_bf16")
        XCTAssertEqual(s.commandLine, "halo generate mac --multiplier booth4 --adder kogge-stone --width 16 --signed --format bf16")
        XCTAssertEqual(s.ports.map { "\($0.name):\($0.width)" }, ["A:16", "W:16", "P:32", "Y:32"])
        let r = MACSpec(multiplier: .array, width: 16, format: .fp16, registered: true, accumulate: false)
        XCTAssertEqual(r.defaultModuleName, "mul_array_ripple_fp16_reg")
        XCTAssertEqual(r.ports.map { "\($0.name):\($0.width)" }, ["clk:1", "load_w:1", "A:16", "W:16", "Y:32"])
        func message(_ spec: MACSpec) -> String {
            do { _ = try MACGenerator.generate(spec); return "" } catch let e as HaloError { return e.message } catch { return "\(error)" }
        }
        XCTAssertEqual(message(MACSpec(multiplier: .array, width: 8, format: .fp16)), "--format fp16 takes 16-bit operands (--width 16), not 8")
        XCTAssertEqual(message(MACSpec(multiplier: .array, width: 16, signed: false, format: .bf16)),
                       "bf16 operands carry their own sign bit; --unsigned does not apply to --format bf16")
        XCTAssertEqual(message(MACSpec(multiplier: .baughWooley, width: 16, format: .fp16)),
                       "the fp16 significand product is unsigned (sign-magnitude), so Baugh-Wooley does not apply; use array, wallace, dadda or booth4")
        XCTAssertEqual(message(MACSpec(multiplier: .dadda, width: 16, accumulatorWidth: 40, format: .bf16)),
                       "--acc-width 40 does not apply to --format bf16: P and Y are IEEE binary32 (32 bits)")
        XCTAssertEqual(message(MACSpec(multiplier: .dadda, width: 16, accumulatorWidth: 32, format: .bf16)), "")
        let g = try MACGenerator.generate(s)
        XCTAssertTrue(g.verilog.contains("// Y = fp32(P + A*W) fused: exact product, one rounding to nearest even; A, W: bfloat16 (BF16); P, Y: IEEE binary32\n"), g.verilog.prefix(600).description)
    }

    /// Timing sanity on the generic library: a held weight of 0 is faster than no case analysis, and a
    /// power of two (fraction 0: no significand multiplication) is faster than a weight with a full fraction.
    func testWeightCodesChangeTheDelay() throws {
        for f in [MACNumberFormat.fp16, .bf16] {
            let spec = MACSpec(multiplier: .dadda, adder: .koggeStone, width: 16, format: f)
            let g = try MACGenerator.generate(spec)
            let graph = try genericGraph(g.verilog, top: g.module)
            let one = f == .fp16 ? 0x3C00 : 0x3F80, full = f == .fp16 ? 0x3FFF : 0x3FFF
            var request = CharacterizationRequest(busName: "W", codes: 0...0)
            request.threads = 1
            let zero = try Characterizer.characterize(graph: graph, request: request)
            var delays: [Int: Double] = [:]
            for code in [one, full] {
                var r = CharacterizationRequest(busName: "W", codes: code...code)
                r.threads = 1
                r.includeUnconstrained = false
                delays[code] = try XCTUnwrap(try Characterizer.characterize(graph: graph, request: r).delayNs(ofCode: code))
            }
            let none = try XCTUnwrap(zero.unconstrained?.delayNs), z = try XCTUnwrap(zero.delayNs(ofCode: 0))
            XCTAssertLessThan(z, none, g.module)
            XCTAssertLessThan(delays[one]!, delays[full]!, g.module)
            XCTAssertLessThanOrEqual(delays[full]!, none + 1e-9, g.module)
            print(String(format: "%@: %d cells, none %.3f ns, W=0 %.3f ns, W=1.0 %.3f ns, W=0x3FFF %.3f ns", g.module, g.cellCount, none, z, delays[one]!, delays[full]!))
        }
    }
}
