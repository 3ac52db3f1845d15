import Foundation
import XCTest
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization
import HaloGenerators

/// The generators, in memory: every combination computes P + A·W (exhaustively at small widths, randomly up
/// to 32 bits), errors name the problem, names and command lines are stable.
final class GeneratorTests: XCTestCase {
    /// Every valid (multiplier, signedness) pair of the integer format.
    static let integerKinds: [(MultiplierArchitecture, Bool)] = [
        (.array, false), (.baughWooley, true), (.wallace, false), (.wallace, true),
        (.dadda, false), (.dadda, true), (.booth4, false), (.booth4, true),
    ]

    @discardableResult
    func check(_ spec: MACSpec, exhaustive: Bool, count: Int = 0, seed: UInt64 = 1,
               file: StaticString = #filePath, line: UInt = #line) throws -> MACSimulator.Outcome {
        let g = try MACGenerator.generate(spec)
        let graph = try genericGraph(g.verilog, top: g.module)
        XCTAssertEqual(graph.instanceCount, g.cellCount, "\(g.module): cell count", file: file, line: line)
        let sim = try MACSimulator(graph: graph, behaviour: MACBehaviour(spec))
        let outcome = sim.check(exhaustive: exhaustive, count: count, seed: seed)
        XCTAssertEqual(outcome.mismatches, 0, "\(g.module): \(outcome.mismatches) of \(outcome.vectors) vectors wrong, first: \(outcome.firstMismatch ?? "")",
                       file: file, line: line)
        return outcome
    }

    /// All multipliers × adders × signedness at widths 2 … 6, every (A, W) pair.
    func testEveryCombinationExhaustiveAtSmallWidths() throws {
        var netlists = 0, vectors = 0
        for width in 2...6 {
            for (mult, signed) in GeneratorTests.integerKinds {
                for adder in AdderArchitecture.allCases {
                    let o = try check(MACSpec(multiplier: mult, adder: adder, width: width, signed: signed),
                                      exhaustive: true, seed: UInt64(width))
                    netlists += 1
                    vectors += o.vectors
                }
            }
        }
        print("GeneratorTests: \(netlists) MACs at widths 2…6, \(vectors) vectors, 0 mismatches")
    }

    /// All multipliers × adders × signedness at wider and odd widths up to 32 bits, random vectors
    /// (the reference is 128-bit integer arithmetic).
    func testEveryCombinationAtWideWidthsOnRandomVectors() throws {
        let specs = [7, 11, 16, 23, 32].flatMap { width in
            GeneratorTests.integerKinds.flatMap { (mult, signed) in
                AdderArchitecture.allCases.map { MACSpec(multiplier: mult, adder: $0, width: width, signed: signed) }
            }
        }
        let failures = parallelMap(specs) { spec -> String? in
            do {
                let g = try MACGenerator.generate(spec)
                let sim = try MACSimulator(graph: try genericGraph(g.verilog, top: g.module), behaviour: MACBehaviour(spec))
                let o = sim.check(exhaustive: false, count: 2048, seed: UInt64(spec.width))
                return o.mismatches == 0 ? nil : "\(g.module): \(o.mismatches) wrong, first \(o.firstMismatch ?? "")"
            } catch {
                return "\(spec.defaultModuleName): \(error)"
            }
        }
        XCTAssertEqual(failures.compactMap { $0 }, [])
        print("GeneratorTests: \(specs.count) MACs at widths 7, 11, 16, 23, 32 × 2,048 random vectors, 0 mismatches")
    }

    /// Accumulators narrower than the product (Y wraps) and much wider (sign extension through the constants).
    func testAccumulatorWidths() throws {
        for acc in [2, 7, 12, 16, 30, 64] {
            for (mult, signed) in GeneratorTests.integerKinds {
                for adder in [AdderArchitecture.ripple, .sklansky] {
                    let spec = MACSpec(multiplier: mult, adder: adder, width: 6, signed: signed, accumulatorWidth: acc)
                    XCTAssertEqual(spec.resolvedAccumulatorWidth, acc)
                    XCTAssertEqual(spec.defaultModuleName.hasSuffix("_a\(acc)"), acc != 16, spec.defaultModuleName)   // 16 = 2·6 + 4, the default
                    try check(spec, exhaustive: true, seed: UInt64(acc))
                }
            }
        }
    }

    /// Plain multipliers and registered versions of every kind, exhaustively at 5 bits.
    func testPlainMultipliersAndRegisteredVariants() throws {
        for (mult, signed) in GeneratorTests.integerKinds {
            for adder in AdderArchitecture.allCases {
                for (registered, accumulate) in [(false, false), (true, true), (true, false)] {
                    let spec = MACSpec(multiplier: mult, adder: adder, width: 5, signed: signed,
                                       registered: registered, accumulate: accumulate)
                    XCTAssertEqual(spec.resolvedAccumulatorWidth, accumulate ? 14 : 10)
                    try check(spec, exhaustive: true, seed: 3)
                }
            }
        }
    }

    /// Outputs that are constants or copies of another output are written as `assign`s (an unsigned plain
    /// multiplier with a wide Y: its upper bits are 0), and still compute the right thing.
    func testConstantOutputsAreAssigns() throws {
        for (registered, acc) in [(false, 16), (true, 16), (false, 3)] {
            let spec = MACSpec(multiplier: .array, adder: .ripple, width: 5, signed: false, accumulatorWidth: acc,
                               registered: registered, accumulate: false)
            let g = try MACGenerator.generate(spec)
            if !registered && acc == 16 {
                XCTAssertTrue(g.verilog.contains("  assign Y[15] = 1'b0;\n"), g.verilog)
            }
            try check(spec, exhaustive: true, seed: 5)
        }
    }

    /// e4m3 with non-default accumulators, without accumulation and registered: every pair of codes.
    func testE4M3Options() throws {
        let specs = [
            MACSpec(multiplier: .array, adder: .koggeStone, accumulatorWidth: 37, format: .e4m3),
            MACSpec(multiplier: .wallace, adder: .brentKung, accumulatorWidth: 64, format: .e4m3),
            MACSpec(multiplier: .dadda, adder: .sklansky, format: .e4m3, accumulate: false),
            MACSpec(multiplier: .booth4, adder: .ripple, accumulatorWidth: 48, format: .e4m3, accumulate: false),
            MACSpec(multiplier: .array, adder: .ripple, format: .e4m3, registered: true),
            MACSpec(multiplier: .dadda, adder: .koggeStone, format: .e4m3, registered: true, accumulate: false),
        ]
        for spec in specs { try check(spec, exhaustive: true, seed: 11) }
    }

    /// The public e4m3 helpers against the test's own decoding (through Double), for every pair of codes.
    func testE4M3ValuesAndProducts() {
        XCTAssertEqual(E4M3.value(ofCode: 0x00), 0)
        XCTAssertEqual(E4M3.value(ofCode: 0x01), 0x1p-9)           // smallest subnormal
        XCTAssertEqual(E4M3.value(ofCode: 0x07), 7 * 0x1p-9)       // largest subnormal
        XCTAssertEqual(E4M3.value(ofCode: 0x08), 0x1p-6)           // smallest normal
        XCTAssertEqual(E4M3.value(ofCode: 0x38), 1)
        XCTAssertEqual(E4M3.value(ofCode: 0xB8), -1)
        XCTAssertEqual(E4M3.value(ofCode: 0x7E), 448)              // largest finite
        XCTAssertEqual(E4M3.value(ofCode: 0x7F), 480)              // NaN pattern read as its value
        XCTAssertEqual(E4M3.value(ofCode: 0xFF), -480)
        var largest = 0
        for a in 0..<256 {
            XCTAssertEqual(E4M3.value(ofCode: a) * 512, MACBehaviour.e4m3Scaled(a), "code \(a)")
            for w in 0..<256 {
                let p = E4M3.product(a, w)
                XCTAssertEqual(Double(p), MACBehaviour.e4m3Scaled(a) * MACBehaviour.e4m3Scaled(w))
                largest = max(largest, abs(p))
            }
        }
        // Exact in 37-bit two's complement: |product| < 2^36.
        XCTAssertEqual(largest, 225 << 28)
        XCTAssertLessThan(largest, 1 << (E4M3.productBits - 1))
        XCTAssertGreaterThanOrEqual(largest, 1 << (E4M3.productBits - 2))
    }

    func testInvalidCombinationsAreRefusedWithReasons() {
        func message(_ spec: MACSpec) -> String {
            do { _ = try MACGenerator.generate(spec); return "" } catch let e as HaloError { return e.message } catch { return "\(error)" }
        }
        XCTAssertEqual(message(MACSpec(multiplier: .array, width: 8, signed: true)),
                       "the carry-save array multiplier is unsigned; the signed array is '--multiplier baugh-wooley' (or use --unsigned)")
        XCTAssertEqual(message(MACSpec(multiplier: .baughWooley, width: 8, signed: false)),
                       "Baugh-Wooley is a signed multiplier; for unsigned operands use '--multiplier array' (or --signed)")
        XCTAssertEqual(message(MACSpec(multiplier: .booth4, width: 1)), "--width 1 is out of range (integer MACs take 2 … 32 bits)")
        XCTAssertEqual(message(MACSpec(multiplier: .booth4, width: 33)), "--width 33 is out of range (integer MACs take 2 … 32 bits)")
        XCTAssertEqual(message(MACSpec(multiplier: .booth4, width: 8, accumulatorWidth: 1)), "--acc-width 1 is out of range (2 … 128 bits)")
        XCTAssertEqual(message(MACSpec(multiplier: .booth4, width: 8, accumulatorWidth: 129)), "--acc-width 129 is out of range (2 … 128 bits)")
        XCTAssertEqual(message(MACSpec(multiplier: .booth4, width: 4, format: .e4m3)), "--format e4m3 takes 8-bit operands (--width 8), not 4")
        XCTAssertEqual(message(MACSpec(multiplier: .booth4, signed: false, format: .e4m3)),
                       "e4m3 operands carry their own sign bit; --unsigned does not apply to --format e4m3")
        XCTAssertEqual(message(MACSpec(multiplier: .baughWooley, format: .e4m3)),
                       "the e4m3 significand product is unsigned (sign-magnitude), so Baugh-Wooley does not apply; use array, wallace, dadda or booth4")
        XCTAssertEqual(message(MACSpec(multiplier: .dadda, accumulatorWidth: 36, format: .e4m3)),
                       "--acc-width 36 cannot hold every e4m3 product exactly (37 … 128 bits with 18 fraction bits)")
        XCTAssertEqual(message(MACSpec(multiplier: .dadda, moduleName: "2mac")),
                       "'2mac' is not a Verilog module name (letters, digits, _ and $, not starting with a digit or $)")
        XCTAssertEqual(message(MACSpec(multiplier: .dadda, moduleName: "my mac")),
                       "'my mac' is not a Verilog module name (letters, digits, _ and $, not starting with a digit or $)")
        XCTAssertEqual(message(MACSpec(multiplier: .dadda, moduleName: "my_mac$1")), "")
    }

    func testNamesPortsAndCommandLines() throws {
        let s = MACSpec(multiplier: .booth4, adder: .koggeStone, width: 8)
        XCTAssertEqual(s.defaultModuleName, "mac_booth4_koggestone_s8")
        XCTAssertEqual(s.commandLine, "halo generate mac --multiplier booth4 --adder kogge-stone --width 8 --signed")
        XCTAssertEqual(s.ports.map { "\($0.name):\($0.width)" }, ["A:8", "W:8", "P:20", "Y:20"])
        XCTAssertEqual(s.weightBus, "W")
        let r = MACSpec(multiplier: .dadda, adder: .sklansky, format: .e4m3, registered: true)
        XCTAssertEqual(r.defaultModuleName, "mac_dadda_sklansky_e4m3_reg")
        XCTAssertEqual(r.ports.map { "\($0.name):\($0.width)" }, ["clk:1", "load_w:1", "A:8", "W:8", "P:41", "Y:41"])
        XCTAssertEqual(r.weightBus, "wreg")
        XCTAssertEqual(r.commandLine, "halo generate mac --multiplier dadda --adder sklansky --width 8 --signed --format e4m3 --registered")
        let m = MACSpec(multiplier: .array, adder: .brentKung, width: 4, signed: false, accumulatorWidth: 9, accumulate: false, moduleName: "m")
        XCTAssertEqual(m.defaultModuleName, "mul_array_brentkung_u4_a9")
        XCTAssertEqual(m.resolvedModuleName, "m")
        XCTAssertEqual(m.ports.map { "\($0.name):\($0.width)" }, ["A:4", "W:4", "Y:9"])
        XCTAssertEqual(MACSpec(multiplier: .baughWooley, width: 16).defaultModuleName, "mac_baughwooley_ripple_s16")
        // The module header and the comment carry the command.
        let g = try MACGenerator.generate(m)
        XCTAssertTrue(g.verilog.hasPrefix("// Generated by Halo \(HaloVersion.string): \(m.commandLine)\n"), g.verilog)
        XCTAssertTrue(g.verilog.contains("\nmodule m(A, W, Y);\n"))
    }

    /// Deterministic text, only cells the generic library knows, and the netlist reads back with the ports declared.
    func testOutputIsDeterministicAndUsesGenericCells() throws {
        for (mult, signed) in GeneratorTests.integerKinds {
            let spec = MACSpec(multiplier: mult, adder: .koggeStone, width: 8, signed: signed, registered: true)
            let a = try MACGenerator.generate(spec), b = try MACGenerator.generate(spec)
            XCTAssertEqual(a.verilog, b.verilog)
            let design = try VerilogReader.parse(text: a.verilog, path: "x.v", top: a.module, isLeafCell: { name in
                GenericLibrary.cell(named: name, inputCount: 2) != nil
            })
            XCTAssertEqual(design.instances.count, a.cellCount)
            var counts: [String: Int] = [:]
            for i in design.instances { counts[i.cellName, default: 0] += 1 }
            XCTAssertEqual(counts, a.cellCounts)
            XCTAssertEqual(counts["$_DFFE_PP_"], 8, "wreg: 8 enable flops")
            XCTAssertEqual(counts["$_DFF_P_"], 8 + 20 + 20, "areg, preg, Y")
        }
    }

    /// The checks can fail: a wrong reference (unsigned reading of a signed MAC) and a netlist with one gate
    /// changed are both caught.
    func testFunctionalCheckDetectsWrongNetlists() throws {
        let spec = MACSpec(multiplier: .booth4, adder: .sklansky, width: 6, signed: true)
        let g = try MACGenerator.generate(spec)
        var wrongBehaviour = MACBehaviour(spec)
        wrongBehaviour.signed = false
        let sim = try MACSimulator(graph: try genericGraph(g.verilog, top: g.module), behaviour: wrongBehaviour)
        XCTAssertGreaterThan(sim.check(exhaustive: true, seed: 1).mismatches, 0)

        var lines = g.verilog.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let k = try XCTUnwrap(lines.lastIndex { $0.contains("\\$_XOR_ ") && !$0.contains(".Y(Y[") })
        lines[k] = lines[k].replacingOccurrences(of: "\\$_XOR_ ", with: "\\$_XNOR_ ")
        let mutated = try MACSimulator(graph: try genericGraph(lines.joined(separator: "\n"), top: g.module),
                                       behaviour: MACBehaviour(spec))
        XCTAssertGreaterThan(mutated.check(exhaustive: true, seed: 1).mismatches, 0)
    }

    /// Timing sanity on the generic library: every variant's weight code 0 is faster than no case analysis,
    /// and registered variants are characterized on `wreg` with the clock found by itself.
    func testGeneratedNetlistsCharacterize() throws {
        for mult in MultiplierArchitecture.allCases {
            for registered in [false, true] {
                let spec = MACSpec(multiplier: mult, adder: .brentKung, width: 8, signed: mult != .array, registered: registered)
                let g = try MACGenerator.generate(spec)
                let graph = try genericGraph(g.verilog, top: g.module)
                var request = CharacterizationRequest(busName: spec.weightBus, codes: 0...3)
                request.threads = 1
                let table = try Characterizer.characterize(graph: graph, request: request)
                let none = try XCTUnwrap(table.unconstrained?.delayNs), zero = try XCTUnwrap(table.delayNs(ofCode: 0))
                XCTAssertLessThan(zero, none, g.module)
                for code in 1...3 { XCTAssertLessThanOrEqual(try XCTUnwrap(table.delayNs(ofCode: code)), none + 1e-9, g.module) }
            }
        }
    }

    /// Halo's evaluator must hold an enable flip-flop's state while its enable is 0 (`$_DFFE_PP_`, next state
    /// `(E&D)|(!E&IQ)`), for the registered variants' `wreg`.
    func testLogicEvaluatorHoldsEnableFlopState() throws {
        XCTAssertTrue(EvaluatorProbe.holdsEnableFlopState,
                      "LogicEvaluator must read the state variable IQ in next_state: a $_DFFE_PP_ holds with E = 0")
    }
}
