import XCTest
@testable import HaloLiberty

/// Tests of the embedded generic library. Expected functions are written here from Yosys's
/// simcells.v; expected delays are computed by hand from the documented equations:
///   τ = 0.01 ns, C_inv = 2 fF, k_s = 0.2, S₀ = 0.02 ns, S₁ = 2, k_t = 0.1, ρ = 1.2, p_ff = 6,
///   t_su = 0.03 ns, t_h = 0.01 ns.
final class GenericLibraryTests: XCTestCase {
    private typealias Truth = ([String: Bool]) -> Bool

    // MARK: Helpers

    private func cell(_ name: String, _ inputCount: Int = 0, file: StaticString = #filePath, line: UInt = #line) -> LibertyCell {
        guard let c = GenericLibrary.cell(named: name, inputCount: inputCount) else {
            XCTFail("no generic cell \(name)/\(inputCount)", file: file, line: line)
            return LibertyCell(name: "missing")
        }
        return c
    }

    private func pin(_ cell: LibertyCell, _ name: String) -> LibertyPin? {
        cell.pinIndex(name).map { cell.pins[$0] }
    }

    private func arc(_ cell: LibertyCell, from input: String, to output: String = "Y") -> LibertyTiming? {
        pin(cell, output)?.timings.first { $0.relatedPins == [input] && !$0.type.isCheck }
    }

    /// Bilinear interpolation/extrapolation over a 2-D table, as OpenSTA does it.
    private func lookup(_ t: LibertyTable?, _ x: Double, _ y: Double) -> Double {
        guard let t, t.axes.count == 2 else { XCTFail("not a 2-D table"); return .nan }
        func bracket(_ axis: [Double], _ v: Double) -> (Int, Double) {
            var i = 0
            while i < axis.count - 2 && v > axis[i + 1] { i += 1 }
            return (i, (v - axis[i]) / (axis[i + 1] - axis[i]))
        }
        let (i, fx) = bracket(t.axes[0], x)
        let (j, fy) = bracket(t.axes[1], y)
        let n = t.axes[1].count
        func at(_ a: Int, _ b: Int) -> Double { t.values[a * n + b] }
        return (1 - fx) * (1 - fy) * at(i, j) + fx * (1 - fy) * at(i + 1, j)
            + (1 - fx) * fy * at(i, j + 1) + fx * fy * at(i + 1, j + 1)
    }

    private func assertFunction(_ cell: LibertyCell, output: String = "Y", inputs: [String], _ expected: Truth,
                                file: StaticString = #filePath, line: UInt = #line) {
        guard let f = pin(cell, output)?.function else {
            return XCTFail("\(cell.name): no function on \(output)", file: file, line: line)
        }
        let cellInputs = cell.pins.filter { $0.direction == .input }.map(\.name)
        XCTAssertEqual(cellInputs, inputs, "\(cell.name) input pins", file: file, line: line)
        XCTAssertTrue(Set(f.variables).isSubset(of: Set(inputs)), "\(cell.name): \(f)", file: file, line: line)
        for m in 0..<(1 << inputs.count) {
            var values: [String: Bool] = [:]
            for (i, p) in inputs.enumerated() { values[p] = (m >> i) & 1 == 1 }
            let got = f.evaluate { values[$0] ?? false }
            if got != expected(values) {
                return XCTFail("\(cell.name): \(f) wrong at \(values)", file: file, line: line)
            }
        }
    }

    private let tau = 0.01, cinv = 2.0, ks = 0.2, s0 = 0.02, s1 = 2.0, kt = 0.1, rho = 1.2

    // MARK: Library

    func testLibraryHoldsFixedCells() {
        let lib = GenericLibrary.library
        XCTAssertEqual(lib.name, "halo_generic")
        XCTAssertEqual(lib.path, "<generic>")
        let names = ["not", "buf", "$_BUF_", "$_NOT_", "$_AND_", "$_NAND_", "$_OR_", "$_NOR_", "$_XOR_", "$_XNOR_",
                     "$_ANDNOT_", "$_ORNOT_", "$_MUX_", "$_NMUX_", "$_AOI3_", "$_OAI3_", "$_AOI4_", "$_OAI4_",
                     "$_DFF_P_", "$_DFF_N_", "$_DFFE_PP_", "$_DFFE_PN_", "$_DFFE_NP_", "$_DFFE_NN_"]
        for n in names {
            XCTAssertNotNil(lib.cell(named: n), n)
            XCTAssertEqual(GenericLibrary.cell(named: n, inputCount: 0)?.name, n)
        }
        XCTAssertEqual(Set(lib.cells.map(\.name)), Set(names))
        for c in lib.cells { XCTAssertGreaterThan(c.area, 0, c.name) }
    }

    func testUnknownNamesReturnNil() {
        XCTAssertNil(GenericLibrary.cell(named: "foo", inputCount: 2))
        XCTAssertNil(GenericLibrary.cell(named: "$_FOO_", inputCount: 0))
        XCTAssertNil(GenericLibrary.cell(named: "$_DFF_PP0_", inputCount: 0))
        XCTAssertNil(GenericLibrary.cell(named: "$_DLATCH_P_", inputCount: 0))
        XCTAssertNil(GenericLibrary.cell(named: "and", inputCount: 0))
        XCTAssertNil(GenericLibrary.cell(named: "and", inputCount: 17))
        XCTAssertNil(GenericLibrary.cell(named: "xor", inputCount: -1))
        XCTAssertNil(GenericLibrary.cell(named: "not", inputCount: 2))
        XCTAssertNil(GenericLibrary.cell(named: "buf", inputCount: 3))
        XCTAssertNil(GenericLibrary.cell(named: "AND", inputCount: 2))
        XCTAssertNil(GenericLibrary.cell(named: "and3", inputCount: 2))
        XCTAssertNil(GenericLibrary.cell(named: "and03", inputCount: 0))
        XCTAssertNil(GenericLibrary.cell(named: "not1", inputCount: 0))
    }

    func testPrimitivesOfEveryArityExist() {
        let letters = "ABCDEFGHIJKLMNOP".map { String($0) }
        for kind in ["and", "or", "nand", "nor", "xor", "xnor"] {
            for n in 1...16 {
                let c = cell(kind, n)
                XCTAssertEqual(c.name, "\(kind)\(n)")
                XCTAssertEqual(c.pins.filter { $0.direction == .input }.map(\.name), Array(letters.prefix(n)))
                XCTAssertEqual(c.pins.filter { $0.direction == .output }.map(\.name), ["Y"])
                XCTAssertEqual(pin(c, "Y")?.timings.count, n, c.name)
                XCTAssertFalse(c.isSequential)
                // The built name is accepted too.
                XCTAssertEqual(GenericLibrary.cell(named: "\(kind)\(n)", inputCount: 0)?.name, c.name)
            }
        }
        XCTAssertEqual(cell("not", 1).name, "not")
        XCTAssertEqual(cell("buf", 1).name, "buf")
        XCTAssertEqual(cell("not", 0).name, "not")
    }

    // MARK: Functions

    func testPrimitiveFunctions() {
        let letters = "ABCDEFGHIJKLMNOP".map { String($0) }
        let families: [(String, ([Bool]) -> Bool)] = [
            ("and", { $0.allSatisfy { $0 } }),
            ("or", { $0.contains(true) }),
            ("nand", { !$0.allSatisfy { $0 } }),
            ("nor", { !$0.contains(true) }),
            ("xor", { $0.filter { $0 }.count % 2 == 1 }),
            ("xnor", { $0.filter { $0 }.count % 2 == 0 }),
        ]
        for (kind, truth) in families {
            for n in [1, 2, 3, 4, 5, 7, 8, 9, 12] {
                let pins = Array(letters.prefix(n))
                assertFunction(cell(kind, n), inputs: pins) { v in truth(pins.map { v[$0]! }) }
            }
        }
        assertFunction(cell("not", 1), inputs: ["A"]) { !$0["A"]! }
        assertFunction(cell("buf", 1), inputs: ["A"]) { $0["A"]! }
    }

    func testWidestPrimitiveFunctions() {
        // 16 inputs: check against the expression directly on a pseudo-random sample plus corners.
        let letters = "ABCDEFGHIJKLMNOP".map { String($0) }
        var rng: UInt64 = 0x9E3779B97F4A7C15
        var vectors: [[Bool]] = [Array(repeating: false, count: 16), Array(repeating: true, count: 16)]
        for i in 0..<16 { var v = Array(repeating: true, count: 16); v[i] = false; vectors.append(v) }
        for i in 0..<16 { var v = Array(repeating: false, count: 16); v[i] = true; vectors.append(v) }
        for _ in 0..<500 {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            vectors.append((0..<16).map { (rng >> (UInt64($0) + 20)) & 1 == 1 })
        }
        let families: [(String, ([Bool]) -> Bool)] = [
            ("and", { $0.allSatisfy { $0 } }), ("or", { $0.contains(true) }),
            ("nand", { !$0.allSatisfy { $0 } }), ("nor", { !$0.contains(true) }),
            ("xor", { $0.filter { $0 }.count % 2 == 1 }), ("xnor", { $0.filter { $0 }.count % 2 == 0 }),
        ]
        for (kind, truth) in families {
            guard let f = pin(cell(kind, 16), "Y")?.function else { XCTFail(kind); continue }
            for vec in vectors {
                let got = f.evaluate { name in letters.firstIndex(of: name).map { vec[$0] } ?? false }
                XCTAssertEqual(got, truth(vec), "\(kind)16 at \(vec)")
            }
        }
    }

    func testYosysGateFunctions() {
        let expected: [(String, [String], Truth)] = [
            ("$_BUF_", ["A"], { $0["A"]! }),
            ("$_NOT_", ["A"], { !$0["A"]! }),
            ("$_AND_", ["A", "B"], { $0["A"]! && $0["B"]! }),
            ("$_NAND_", ["A", "B"], { !($0["A"]! && $0["B"]!) }),
            ("$_OR_", ["A", "B"], { $0["A"]! || $0["B"]! }),
            ("$_NOR_", ["A", "B"], { !($0["A"]! || $0["B"]!) }),
            ("$_XOR_", ["A", "B"], { $0["A"]! != $0["B"]! }),
            ("$_XNOR_", ["A", "B"], { $0["A"]! == $0["B"]! }),
            ("$_ANDNOT_", ["A", "B"], { $0["A"]! && !$0["B"]! }),
            ("$_ORNOT_", ["A", "B"], { $0["A"]! || !$0["B"]! }),
            ("$_MUX_", ["A", "B", "S"], { $0["S"]! ? $0["B"]! : $0["A"]! }),
            ("$_NMUX_", ["A", "B", "S"], { !($0["S"]! ? $0["B"]! : $0["A"]!) }),
            ("$_AOI3_", ["A", "B", "C"], { !(($0["A"]! && $0["B"]!) || $0["C"]!) }),
            ("$_OAI3_", ["A", "B", "C"], { !(($0["A"]! || $0["B"]!) && $0["C"]!) }),
            ("$_AOI4_", ["A", "B", "C", "D"], { !(($0["A"]! && $0["B"]!) || ($0["C"]! && $0["D"]!)) }),
            ("$_OAI4_", ["A", "B", "C", "D"], { !(($0["A"]! || $0["B"]!) && ($0["C"]! || $0["D"]!)) }),
        ]
        for (name, inputs, truth) in expected {
            let c = cell(name)
            XCTAssertFalse(c.isSequential, name)
            XCTAssertEqual(pin(c, "Y")?.direction, .output, name)
            assertFunction(c, inputs: inputs, truth)
        }
    }

    func testFlopStructureAndNextState() {
        // (name, rising clock, enable: nil / active high / active low)
        let flops: [(String, Bool, Bool?)] = [
            ("$_DFF_P_", true, nil), ("$_DFF_N_", false, nil),
            ("$_DFFE_PP_", true, true), ("$_DFFE_PN_", true, false),
            ("$_DFFE_NP_", false, true), ("$_DFFE_NN_", false, false),
        ]
        for (name, rising, enable) in flops {
            let c = cell(name)
            XCTAssertTrue(c.isSequential, name)
            XCTAssertEqual(c.pins.filter { $0.direction == .input }.map(\.name),
                           enable == nil ? ["D", "C"] : ["D", "C", "E"], name)
            XCTAssertEqual(pin(c, "C")?.isClock, true, name)
            XCTAssertEqual(pin(c, "D")?.isClock, false, name)
            XCTAssertEqual(pin(c, "Q")?.direction, .output, name)
            XCTAssertEqual(pin(c, "Q")?.function, .variable("IQ"), name)
            guard let ff = c.sequentials.first else { continue }
            XCTAssertEqual(c.sequentials.count, 1)
            XCTAssertEqual(ff.kind, .flipFlop)
            XCTAssertEqual(ff.stateVariable, "IQ")
            XCTAssertEqual(ff.invertedStateVariable, "IQN")
            XCTAssertNil(ff.clear)
            XCTAssertNil(ff.preset)
            // clocked_on is true exactly at the active clock level.
            for clk in [false, true] {
                XCTAssertEqual(ff.clockedOn?.evaluate { $0 == "C" ? clk : false }, clk == rising, name)
            }
            // next_state over D, E, IQ.
            for m in 0..<8 {
                let d = m & 1 == 1, e = m & 2 == 2, iq = m & 4 == 4
                let values = ["D": d, "E": e, "IQ": iq]
                let want: Bool
                switch enable {
                case nil: want = d
                case true?: want = e ? d : iq
                case false?: want = !e ? d : iq
                }
                XCTAssertEqual(ff.nextState?.evaluate { values[$0] ?? false }, want, "\(name) at \(values)")
            }
            // Launch arc.
            let launches = pin(c, "Q")?.timings ?? []
            XCTAssertEqual(launches.count, 1, name)
            XCTAssertEqual(launches.first?.relatedPins, ["C"])
            XCTAssertEqual(launches.first?.type, rising ? .risingEdge : .fallingEdge)
            XCTAssertEqual(launches.first?.sense, .nonUnate)
            // Checks on D (and E).
            for constrained in enable == nil ? ["D"] : ["D", "E"] {
                let types = Set(pin(c, constrained)?.timings.map(\.type) ?? [])
                XCTAssertEqual(types, rising ? [.setupRising, .holdRising] : [.setupFalling, .holdFalling],
                               "\(name).\(constrained)")
                for t in pin(c, constrained)?.timings ?? [] {
                    XCTAssertEqual(t.relatedPins, ["C"])
                    XCTAssertEqual(t.riseConstraint?.variables, [.relatedPinTransition, .constrainedPinTransition])
                    XCTAssertNotNil(t.fallConstraint)
                }
            }
            XCTAssertTrue(pin(c, "C")?.timings.isEmpty ?? false)
        }
    }

    // MARK: Senses

    func testArcSenses() {
        let expected: [(String, Int, [String: TimingSense])] = [
            ("$_BUF_", 0, ["A": .positiveUnate]),
            ("$_NOT_", 0, ["A": .negativeUnate]),
            ("$_AND_", 0, ["A": .positiveUnate, "B": .positiveUnate]),
            ("$_NAND_", 0, ["A": .negativeUnate, "B": .negativeUnate]),
            ("$_OR_", 0, ["A": .positiveUnate, "B": .positiveUnate]),
            ("$_NOR_", 0, ["A": .negativeUnate, "B": .negativeUnate]),
            ("$_XOR_", 0, ["A": .nonUnate, "B": .nonUnate]),
            ("$_XNOR_", 0, ["A": .nonUnate, "B": .nonUnate]),
            ("$_ANDNOT_", 0, ["A": .positiveUnate, "B": .negativeUnate]),
            ("$_ORNOT_", 0, ["A": .positiveUnate, "B": .negativeUnate]),
            ("$_MUX_", 0, ["A": .positiveUnate, "B": .positiveUnate, "S": .nonUnate]),
            ("$_NMUX_", 0, ["A": .negativeUnate, "B": .negativeUnate, "S": .nonUnate]),
            ("$_AOI3_", 0, ["A": .negativeUnate, "B": .negativeUnate, "C": .negativeUnate]),
            ("$_OAI3_", 0, ["A": .negativeUnate, "B": .negativeUnate, "C": .negativeUnate]),
            ("$_AOI4_", 0, ["A": .negativeUnate, "B": .negativeUnate, "C": .negativeUnate, "D": .negativeUnate]),
            ("$_OAI4_", 0, ["A": .negativeUnate, "B": .negativeUnate, "C": .negativeUnate, "D": .negativeUnate]),
            ("not", 1, ["A": .negativeUnate]),
            ("buf", 1, ["A": .positiveUnate]),
            ("and", 3, ["A": .positiveUnate, "B": .positiveUnate, "C": .positiveUnate]),
            ("nand", 4, ["A": .negativeUnate, "D": .negativeUnate]),
            ("or", 5, ["A": .positiveUnate, "E": .positiveUnate]),
            ("nor", 3, ["C": .negativeUnate]),
            ("xor", 3, ["A": .nonUnate, "C": .nonUnate]),
            ("xnor", 2, ["B": .nonUnate]),
            ("xor", 1, ["A": .positiveUnate]),
            ("xnor", 1, ["A": .negativeUnate]),
            ("nand", 1, ["A": .negativeUnate]),
            ("and", 16, ["A": .positiveUnate, "P": .positiveUnate]),
            ("nor", 16, ["H": .negativeUnate]),
            ("xnor", 16, ["P": .nonUnate]),
        ]
        for (name, n, senses) in expected {
            let c = cell(name, n)
            for (p, s) in senses {
                XCTAssertEqual(arc(c, from: p)?.sense, s, "\(c.name) \(p)→Y")
                XCTAssertEqual(arc(c, from: p)?.type, .combinational)
            }
        }
    }

    func testSenseEnumerationHelper() {
        let f: BooleanExpression = .and(.variable("A"), .not(.variable("B")))
        XCTAssertEqual(GenericLibrary.sense(of: "A", in: f, inputs: ["A", "B", "Z"]), .positiveUnate)
        XCTAssertEqual(GenericLibrary.sense(of: "B", in: f, inputs: ["A", "B", "Z"]), .negativeUnate)
        XCTAssertNil(GenericLibrary.sense(of: "Z", in: f, inputs: ["A", "B", "Z"]))
    }

    // MARK: Delay tables

    func testTableShape() {
        for c in GenericLibrary.library.cells + [cell("xor", 5), cell("nor", 7)] {
            for p in c.pins {
                for t in p.timings where !t.type.isCheck {
                    for table in [t.cellRise, t.cellFall, t.riseTransition, t.fallTransition] {
                        XCTAssertEqual(table?.variables, [.inputNetTransition, .totalOutputNetCapacitance], c.name)
                        XCTAssertEqual(table?.axes.count, 2)
                        XCTAssertEqual(table?.values.count, (table?.axes[0].count ?? 0) * (table?.axes[1].count ?? 0))
                        XCTAssertGreaterThanOrEqual(table?.axes[0].count ?? 0, 2)
                        XCTAssertGreaterThanOrEqual(table?.axes[1].count ?? 0, 2)
                    }
                }
            }
        }
    }

    func testInverterFO4() {
        let inv = cell("$_NOT_")
        XCTAssertEqual(pin(inv, "A")?.capacitanceFF ?? 0, 2, accuracy: 1e-12)
        XCTAssertEqual(pin(inv, "A")?.riseCapacitanceFF ?? 0, 2, accuracy: 1e-12)
        XCTAssertEqual(pin(inv, "A")?.fallCapacitanceFF ?? 0, 2, accuracy: 1e-12)
        let t = arc(inv, from: "A")
        // 10 ps·(1 + 8/2) + 0.2·0.1 ns = 0.07 ns
        XCTAssertEqual(lookup(t?.cellFall, 0.1, 8), 0.07, accuracy: 1e-12)
        XCTAssertEqual(lookup(t?.cellRise, 0.1, 8), 0.07, accuracy: 1e-12)
        // 0.02 + 2·0.01·4 + 0.1·0.1 = 0.11 ns
        XCTAssertEqual(lookup(t?.fallTransition, 0.1, 8), 0.11, accuracy: 1e-12)
        XCTAssertEqual(lookup(t?.riseTransition, 0.1, 8), 0.11, accuracy: 1e-12)
        // Unloaded, ideal input: the parasitic delay alone.
        XCTAssertEqual(lookup(t?.cellFall, 0, 0), 0.01, accuracy: 1e-12)
        XCTAssertEqual(lookup(t?.fallTransition, 0, 0), 0.02, accuracy: 1e-12)
    }

    func testGateDelaysAgainstHandComputedEquation() {
        // (cell, arity, pin, g, p, ρ)
        let cases: [(String, Int, String, Double, Double, Double)] = [
            ("$_NAND_", 0, "A", 4.0 / 3, 2, 1),
            ("$_NOR_", 0, "B", 5.0 / 3, 2, 1.2),
            ("$_AND_", 0, "A", 4.0 / 3, 4, 1),
            ("$_OR_", 0, "B", 5.0 / 3, 4, 1),
            ("$_BUF_", 0, "A", 1, 3, 1),
            ("$_XOR_", 0, "A", 4, 4, 1.2),
            ("$_XNOR_", 0, "B", 4, 4, 1.2),
            ("$_ANDNOT_", 0, "A", 1, 14.0 / 3, 1.2),
            ("$_ANDNOT_", 0, "B", 5.0 / 3, 2, 1.2),
            ("$_ORNOT_", 0, "A", 1, 13.0 / 3, 1),
            ("$_ORNOT_", 0, "B", 4.0 / 3, 2, 1),
            ("$_MUX_", 0, "A", 2, 6, 1),
            ("$_MUX_", 0, "S", 3, 9, 1),
            ("$_NMUX_", 0, "B", 2, 4, 1.2),
            ("$_NMUX_", 0, "S", 3, 7, 1.2),
            ("$_AOI3_", 0, "A", 2, 7.0 / 3, 1.2),
            ("$_AOI3_", 0, "C", 5.0 / 3, 7.0 / 3, 1.2),
            ("$_OAI3_", 0, "B", 2, 8.0 / 3, 1.2),
            ("$_OAI3_", 0, "C", 4.0 / 3, 8.0 / 3, 1.2),
            ("$_AOI4_", 0, "D", 2, 4, 1.2),
            ("$_OAI4_", 0, "C", 2, 4, 1.2),
            ("and", 3, "C", 5.0 / 3, 5, 1),
            ("nand", 3, "B", 5.0 / 3, 3, 1),
            ("or", 4, "D", 3, 6, 1),
            ("nor", 4, "A", 3, 4, 1.2),
            ("nor", 1, "A", 1, 1, 1),
            ("and", 1, "A", 1, 3, 1),
            ("nand", 16, "P", 6, 16, 1),
            ("xor", 3, "B", 4, 12, 1.2),
            ("xor", 4, "D", 4, 12, 1.2),
            ("xnor", 5, "E", 4, 20, 1.2),
            ("xor", 8, "A", 4, 20, 1.2),
            ("xor", 9, "I", 4, 28, 1.2),
            ("xnor", 16, "A", 4, 28, 1.2),
            ("xor", 1, "A", 1, 3, 1),
            ("xnor", 1, "A", 1, 1, 1),
        ]
        // Table break points, off-grid points and points outside the tables (extrapolation).
        let points: [(Double, Double)] = [(0, 0), (0.05, 5), (0.2, 20), (1, 100), (0.13, 7.5), (0.7, 33),
                                          (0.01, 80), (2, 200), (1.5, 0), (0.3, 150)]
        for (name, n, p, g, par, r) in cases {
            let c = cell(name, n)
            XCTAssertEqual(pin(c, p)?.capacitanceFF ?? -1, g * cinv, accuracy: 1e-12, "\(c.name).\(p) capacitance")
            guard let t = arc(c, from: p) else { XCTFail("\(c.name): no arc from \(p)"); continue }
            for (s, load) in points {
                let fall = tau * (par + load / cinv) + ks * s
                let rise = r * tau * (par + load / cinv) + ks * s
                let fallSlew = s0 + s1 * tau * load / cinv + kt * s
                let riseSlew = r * (s0 + s1 * tau * load / cinv) + kt * s
                let at = "\(c.name) \(p)→Y at (\(s) ns, \(load) fF)"
                XCTAssertEqual(lookup(t.cellFall, s, load), fall, accuracy: 1e-12, "cell_fall " + at)
                XCTAssertEqual(lookup(t.cellRise, s, load), rise, accuracy: 1e-12, "cell_rise " + at)
                XCTAssertEqual(lookup(t.fallTransition, s, load), fallSlew, accuracy: 1e-12, "fall_transition " + at)
                XCTAssertEqual(lookup(t.riseTransition, s, load), riseSlew, accuracy: 1e-12, "rise_transition " + at)
            }
        }
    }

    func testSpotValuesByHand() {
        // $_NOR_ B→Y at 0.2 ns, 20 fF: rise 1.2·0.01·(2 + 10) + 0.2·0.2 = 0.184; fall 0.16;
        // rise_transition 1.2·(0.02 + 0.2) + 0.02 = 0.284; fall_transition 0.24.
        let nor = arc(cell("$_NOR_"), from: "B")
        XCTAssertEqual(lookup(nor?.cellRise, 0.2, 20), 0.184, accuracy: 1e-12)
        XCTAssertEqual(lookup(nor?.cellFall, 0.2, 20), 0.16, accuracy: 1e-12)
        XCTAssertEqual(lookup(nor?.riseTransition, 0.2, 20), 0.284, accuracy: 1e-12)
        XCTAssertEqual(lookup(nor?.fallTransition, 0.2, 20), 0.24, accuracy: 1e-12)
        // $_MUX_ S→Y at 0.5 ns, 50 fF: 0.01·(9 + 25) + 0.1 = 0.44.
        XCTAssertEqual(lookup(arc(cell("$_MUX_"), from: "S")?.cellFall, 0.5, 50), 0.44, accuracy: 1e-12)
        // and3 at 0.05 ns, 5 fF: 0.01·(5 + 2.5) + 0.01 = 0.085.
        XCTAssertEqual(lookup(arc(cell("and", 3), from: "A")?.cellRise, 0.05, 5), 0.085, accuracy: 1e-12)
        // $_AOI3_ C→Y rise, ideal input, 10 fF: 1.2·0.01·(7/3 + 5) = 0.088.
        XCTAssertEqual(lookup(arc(cell("$_AOI3_"), from: "C")?.cellRise, 0, 10), 0.088, accuracy: 1e-12)
        XCTAssertEqual(pin(cell("$_AOI3_"), "C")?.capacitanceFF ?? 0, 10.0 / 3, accuracy: 1e-12)
    }

    func testFlopTiming() {
        let points: [(Double, Double)] = [(0, 0), (0.1, 10), (0.5, 50), (0.13, 77), (2, 150)]
        for name in ["$_DFF_P_", "$_DFF_N_", "$_DFFE_PP_", "$_DFFE_PN_", "$_DFFE_NP_", "$_DFFE_NN_"] {
            let c = cell(name)
            let hasEnable = name.hasPrefix("$_DFFE")
            XCTAssertEqual(pin(c, "C")?.capacitanceFF ?? 0, 2, accuracy: 1e-12)
            XCTAssertEqual(pin(c, "D")?.capacitanceFF ?? 0, hasEnable ? 4 : 2, accuracy: 1e-12)
            if hasEnable { XCTAssertEqual(pin(c, "E")?.capacitanceFF ?? 0, 6, accuracy: 1e-12) }
            guard let launch = pin(c, "Q")?.timings.first else { XCTFail(name); continue }
            for (s, load) in points {
                let d = tau * (6 + load / cinv) + ks * s
                let slew = s0 + s1 * tau * load / cinv + kt * s
                XCTAssertEqual(lookup(launch.cellRise, s, load), d, accuracy: 1e-12, name)
                XCTAssertEqual(lookup(launch.cellFall, s, load), d, accuracy: 1e-12, name)
                XCTAssertEqual(lookup(launch.riseTransition, s, load), slew, accuracy: 1e-12, name)
                XCTAssertEqual(lookup(launch.fallTransition, s, load), slew, accuracy: 1e-12, name)
            }
            // Internal path to the storage node: 0 (plain D), 5τ (D through the enable mux), 8τ (E).
            let internalDelay: [String: Double] = hasEnable ? ["D": 0.05, "E": 0.08] : ["D": 0]
            for (p, e) in internalDelay {
                for t in pin(c, p)?.timings ?? [] {
                    for (sc, sd) in [(0.0, 0.0), (0.05, 0.2), (0.5, 0.1), (1.0, 1.0), (0.3, 0.77), (1.5, 2.0)] {
                        let want = t.type.isSetupCheck ? 0.03 + e + ks * (sd - sc) : 0.01 - e + ks * (sc - sd)
                        XCTAssertEqual(lookup(t.riseConstraint, sc, sd), want, accuracy: 1e-12, "\(name).\(p) \(t.type)")
                        XCTAssertEqual(lookup(t.fallConstraint, sc, sd), want, accuracy: 1e-12, "\(name).\(p) \(t.type)")
                    }
                }
            }
        }
        // By hand: $_DFF_P_ clock→Q at 0.1 ns, 10 fF = 0.01·(6 + 5) + 0.02 = 0.13 ns; setup at (0.05, 0.2) = 0.06 ns.
        let dff = cell("$_DFF_P_")
        XCTAssertEqual(lookup(pin(dff, "Q")?.timings.first?.cellRise, 0.1, 10), 0.13, accuracy: 1e-12)
        let setup = pin(dff, "D")?.timings.first { $0.type == .setupRising }
        XCTAssertEqual(lookup(setup?.riseConstraint, 0.05, 0.2), 0.06, accuracy: 1e-12)
    }

    func testCachedCellsAreStable() {
        let a = GenericLibrary.cell(named: "xor", inputCount: 7)
        let b = GenericLibrary.cell(named: "xor7", inputCount: 7)
        XCTAssertEqual(a?.name, b?.name)
        XCTAssertEqual(pin(a!, "Y")?.function, pin(b!, "Y")?.function)
        // Concurrent look-ups do not crash and agree.
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let c = GenericLibrary.cell(named: ["and", "or", "nand", "nor"][i % 4], inputCount: 1 + i % 16)
            XCTAssertEqual(c?.name, "\(["and", "or", "nand", "nor"][i % 4])\(1 + i % 16)")
        }
    }
}
