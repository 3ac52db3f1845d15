import Foundation
import XCTest
import HaloTestSupport
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// Engine behaviour checked against hand computation and first principles.
final class EngineTests: XCTestCase {
    /// With the embedded generic library, code 0 is the fastest code and no case analysis the slowest.
    func testGenericMac8FastestCodeIsZero() throws {
        let netlist = TestPaths.repo.appendingPathComponent("Netlists/generic/mac8.v").path
        let graph = try makeGraph(netlist: netlist, libraries: [])
        let table = try Characterizer.characterize(graph: graph, request: CharacterizationRequest(busName: "W"))
        XCTAssertEqual(table.entries.count, 256)
        let delays = table.entries.compactMap { e in e.delayNs.map { (e.code, $0) } }
        XCTAssertEqual(delays.count, 256)
        let fastest = delays.min { $0.1 < $1.1 }!
        XCTAssertEqual(fastest.0, 0, "fastest code \(fastest.0) at \(fastest.1) ns")
        XCTAssertLessThan(delays.filter { $0.0 == 0 }[0].1, delays.filter { $0.0 != 0 }.map(\.1).min()!)
        let none = try XCTUnwrap(table.unconstrained?.delayNs)
        XCTAssertGreaterThanOrEqual(none + 1e-12, delays.map(\.1).max()!)
    }

    /// A two-inverter chain: the delay equals the hand-interpolated table values.
    func testInverterChainMatchesHandInterpolation() throws {
        let lib = try LibertyReader.parse(text: """
        library(t) {
          time_unit : "1ns"; capacitive_load_unit (1,ff);
          lu_table_template(t2) { variable_1 : input_net_transition; variable_2 : total_output_net_capacitance;
            index_1 ("0.1, 0.3"); index_2 ("10, 30"); }
          cell(INV) {
            pin(A) { direction : input; capacitance : 5; }
            pin(Y) { direction : output; function : "!A";
              timing() { related_pin : "A"; timing_sense : negative_unate;
                cell_rise(t2) { values ("1.0, 2.0", "1.5, 2.5"); }
                cell_fall(t2) { values ("0.5, 1.0", "0.7, 1.2"); }
                rise_transition(t2) { values ("0.2, 0.4", "0.3, 0.5"); }
                fall_transition(t2) { values ("0.1, 0.3", "0.2, 0.4"); } } }
          }
        }
        """, path: "t.lib")
        let design = try VerilogReader.parse(text: """
        module top(input a, output y);
          wire n;
          INV u1 (.A(a), .Y(n));
          INV u2 (.A(n), .Y(y));
        endmodule
        """, path: "t.v", top: nil)
        let graph = try TimingGraph(design: design, libraries: [lib], conditions: TimingConditions(outputLoadFF: 20))
        let result = TimingAnalysis(graph: graph).run(constants: [])
        // Bilinear value of a 2x2 table at (s, c), with extrapolation outside.
        func f(_ v: [Double], _ s: Double, _ c: Double) -> Double {
            let ds = (s - 0.1) / 0.2, dc = (c - 10) / 20
            return (1 - ds) * (1 - dc) * v[0] + (1 - ds) * dc * v[1] + ds * (1 - dc) * v[2] + ds * dc * v[3]
        }
        // u1 drives 5 fF (u2's A) from a 0-slew input; u2 drives 20 fF.
        let riseY1 = f([1.0, 2.0, 1.5, 2.5], 0, 5), fallY1 = f([0.5, 1.0, 0.7, 1.2], 0, 5)
        let slewRise1 = f([0.2, 0.4, 0.3, 0.5], 0, 5), slewFall1 = f([0.1, 0.3, 0.2, 0.4], 0, 5)
        // y rises after n falls, and falls after n rises.
        let yRise = fallY1 + f([1.0, 2.0, 1.5, 2.5], slewFall1, 20)
        let yFall = riseY1 + f([0.5, 1.0, 0.7, 1.2], slewRise1, 20)
        XCTAssertEqual(try XCTUnwrap(result.delayNs), max(yRise, yFall), accuracy: 1e-9)
    }

    /// Case analysis: an AND with a constant 0 side input blocks the path; an XOR with a constant
    /// side input becomes unate; a mux with a constant select drops the unselected input.
    func testCaseAnalysisSemantics() throws {
        let lib = try LibertyReader.parse(text: """
        library(t) {
          time_unit : "1ns"; capacitive_load_unit (1,ff);
          cell(AND2) { pin(A) { direction : input; capacitance : 1; } pin(B) { direction : input; capacitance : 1; }
            pin(Y) { direction : output; function : "A&B";
              timing() { related_pin : "A"; timing_sense : positive_unate; cell_rise(scalar) { values ("1"); } cell_fall(scalar) { values ("1"); } }
              timing() { related_pin : "B"; timing_sense : positive_unate; cell_rise(scalar) { values ("5"); } cell_fall(scalar) { values ("5"); } } } }
          cell(XOR2) { pin(A) { direction : input; capacitance : 1; } pin(B) { direction : input; capacitance : 1; }
            pin(Y) { direction : output; function : "A^B";
              timing() { related_pin : "A"; timing_sense : non_unate;
                cell_rise(scalar) { values ("2"); } cell_fall(scalar) { values ("3"); } }
              timing() { related_pin : "B"; timing_sense : non_unate;
                cell_rise(scalar) { values ("1"); } cell_fall(scalar) { values ("1"); } } } }
          cell(MUX2) { pin(A) { direction : input; capacitance : 1; } pin(B) { direction : input; capacitance : 1; }
            pin(S) { direction : input; capacitance : 1; }
            pin(Y) { direction : output; function : "(S B) | (!S A)";
              timing() { related_pin : "A"; timing_sense : positive_unate; cell_rise(scalar) { values ("1"); } cell_fall(scalar) { values ("1"); } }
              timing() { related_pin : "B"; timing_sense : positive_unate; cell_rise(scalar) { values ("7"); } cell_fall(scalar) { values ("7"); } }
              timing() { related_pin : "S"; timing_sense : non_unate; cell_rise(scalar) { values ("0.5"); } cell_fall(scalar) { values ("0.5"); } } } }
          cell(INV) { pin(A) { direction : input; capacitance : 1; }
            pin(Y) { direction : output; function : "!A";
              timing() { related_pin : "A"; timing_sense : negative_unate; cell_rise(scalar) { values ("10"); } cell_fall(scalar) { values ("0.1"); } } } }
        }
        """, path: "t.lib")
        let design = try VerilogReader.parse(text: """
        module top(input a, input b, input s, input c, output y1, output y2, output y3);
          wire n;
          AND2 g1 (.A(a), .B(b), .Y(y1));
          INV  g0 (.A(c), .Y(n));
          XOR2 g2 (.A(n), .B(s), .Y(y2));
          MUX2 g3 (.A(a), .B(b), .S(s), .Y(y3));
        endmodule
        """, path: "t.v", top: nil)
        let graph = try TimingGraph(design: design, libraries: [lib])
        let analysis = TimingAnalysis(graph: graph)
        func pin(_ n: String) -> Int { graph.casePin(named: n)! }
        analysis.run(constants: [])
        // No constants: y3 through B (7), y2 via c rise → n fall (0.1) → y2 rise/fall (max 3) … c fall → n rise (10) + 3 = 13.
        XCTAssertEqual(analysis.arrivalNs(ofPin: pin("y2"), .fall)!, 13, accuracy: 1e-12)
        // s = 0: the XOR is a buffer of n (positive unate): n rises at 10 → y2 rises at 12; n falls at 0.1 → y2 falls at 3.1.
        analysis.run(constants: [CaseConstant(pin: pin("s"), value: false)])
        XCTAssertEqual(analysis.arrivalNs(ofPin: pin("y2"), .rise)!, 12, accuracy: 1e-12)
        XCTAssertEqual(analysis.arrivalNs(ofPin: pin("y2"), .fall)!, 3.1, accuracy: 1e-12)
        // s = 0 selects A on the mux: B's 7 ns arc is off.
        XCTAssertEqual(analysis.arrivalNs(ofPin: pin("y3"), .rise)!, 1, accuracy: 1e-12)
        // s = 1: the XOR inverts n (negative unate): n falls at 0.1 → y2 rises at 2.1; n rises at 10 → y2 falls at 13.
        analysis.run(constants: [CaseConstant(pin: pin("s"), value: true)])
        XCTAssertEqual(analysis.arrivalNs(ofPin: pin("y2"), .rise)!, 2.1, accuracy: 1e-12)
        XCTAssertEqual(analysis.arrivalNs(ofPin: pin("y2"), .fall)!, 13, accuracy: 1e-12)
        XCTAssertEqual(analysis.arrivalNs(ofPin: pin("y3"), .rise)!, 7, accuracy: 1e-12)
        // b = 0: the AND output is constant 0, no path to y1.
        analysis.run(constants: [CaseConstant(pin: pin("b"), value: false)])
        XCTAssertEqual(analysis.logicValue(ofPin: pin("y1")), .zero)
        XCTAssertNil(analysis.arrivalNs(ofPin: pin("y1"), .rise))
        // Everything constant: no path at all.
        let all = ["a", "b", "s", "c"].map { CaseConstant(pin: pin($0), value: true) }
        XCTAssertNil(analysis.run(constants: all).delayNs)
    }

    /// A combinational loop is an error naming the instances on it.
    func testCombinationalLoopIsLocatedError() throws {
        let design = try VerilogReader.parse(text: """
        module top(input a, output y);
          wire n1, n2;
          and g1 (n1, a, n2);
          not g2 (n2, n1);
          buf g3 (y, n1);
        endmodule
        """, path: "loop.v", top: nil)
        XCTAssertThrowsError(try TimingGraph(design: design, libraries: [])) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix("loop.v:3:"), text)
            XCTAssertTrue(text.contains("combinational loop through instances"), text)
            XCTAssertTrue(text.contains("g1") && text.contains("g2"), text)
        }
    }

    /// Linking warns, located, about unconnected inputs, undriven nets and nets with several drivers;
    /// each kind is reported at most 20 times, then counted.
    func testLinkWarningsAreLocated() throws {
        let design = try VerilogReader.parse(text: """
        module top(input a, output y, output z);
          wire floating;
          nand g1 (y, a, floating);
          not g2 (z, a);
          not g3 (z, a);
        endmodule
        """, path: "w.v", top: nil)
        let sink = DiagnosticSink()
        _ = try TimingGraph(design: design, libraries: [], diagnostics: sink)
        XCTAssertEqual(sink.warnings.map(\.description), [
            "w.v:1:38: warning: net 'z' has several drivers; timing uses the first",
            "w.v:2:8: warning: net 'floating' has no driver",
        ])
        let gates = (0..<25).map { "  nand g\($0) (y\($0), a, );" }.joined(separator: "\n")
        let outputs = (0..<25).map { "y\($0)" }.joined(separator: ", ")
        let many = try VerilogReader.parse(text: "module top(input a, output \(outputs));\n\(gates)\nendmodule\n",
                                           path: "m.v", top: nil)
        let sink2 = DiagnosticSink()
        _ = try TimingGraph(design: many, libraries: [], diagnostics: sink2)
        let lines = sink2.warnings.map { $0.line(tool: "halo") }
        XCTAssertEqual(lines.count, 21)
        XCTAssertEqual(lines.first, "m.v:2:8: warning: input pin 'B' of instance 'g0' (nand2) is not connected")
        XCTAssertEqual(lines.last, "halo: warning: 5 more unconnected input pins not reported")
    }

    /// Codes as users write them.
    func testCodeParsing() {
        XCTAssertEqual(CaseBus.parseCode("37", width: 8), 37)
        XCTAssertEqual(CaseBus.parseCode("-3", width: 8), 253)
        XCTAssertEqual(CaseBus.parseCode("0x25", width: 8), 37)
        XCTAssertEqual(CaseBus.parseCode("0b100101", width: 8), 37)
        XCTAssertEqual(CaseBus.parseCode("-128", width: 8), 128)
        XCTAssertNil(CaseBus.parseCode("-129", width: 8))
        XCTAssertNil(CaseBus.parseCode("256", width: 8))
        XCTAssertNil(CaseBus.parseCode("12a", width: 8))
    }

    /// The delay table's CSV form reads back what it wrote, and malformed tables give located errors.
    func testDelayTableCSV() throws {
        let table = DelayTable(unconstrained: .init(code: -1, delayNs: 4.5, startpoint: "A[0]", endpoint: "Y[19]"),
                               entries: [.init(code: 0, delayNs: 2.0, startpoint: "P[0]", endpoint: "Y[19]"),
                                         .init(code: 1, delayNs: nil)])
        let back = try DelayTable.parseCSV(table.csv(), path: "t.csv")
        XCTAssertEqual(back.entries, table.entries)
        XCTAssertEqual(back.unconstrained?.delayNs, 4.5)
        XCTAssertThrowsError(try DelayTable.parseCSV("code,delay_ns\n0,1.0\n1,abc\n", path: "t.csv")) { e in
            XCTAssertEqual(String(describing: e), "t.csv:3:3: error: malformed delay 'abc'")
        }
        XCTAssertThrowsError(try DelayTable.parseCSV("cod,delay\n", path: "t.csv")) { e in
            XCTAssertEqual(String(describing: e), "t.csv:1:1: error: expected a header beginning 'code,delay_ns', found 'cod,delay'")
        }
    }

    /// The JSON form reads back what it wrote (escaped names included); errors are located at the token.
    func testDelayTableJSON() throws {
        var table = DelayTable(unconstrained: .init(code: -1, delayNs: 4.5, startpoint: "A[0]", endpoint: "Y\"\\\t\u{1}"),
                               entries: [.init(code: 0, delayNs: 2.0, startpoint: "P[0]", endpoint: "Y[19]", energyFJ: 1.5, toggles: 3),
                                         .init(code: 1, delayNs: nil)])
        table.metadata.bus = "W"
        table.metadata.busWidth = 8
        table.metadata.libraries = ["a.lib", "b.lib"]
        let back = try DelayTable.parseJSON(Data(table.json().utf8), path: "t.json")
        XCTAssertEqual(back.entries, table.entries)
        XCTAssertEqual(back.unconstrained, table.unconstrained)
        XCTAssertEqual(back.metadata.libraries, ["a.lib", "b.lib"])
        XCTAssertEqual(back.metadata.busWidth, 8)
        func error(_ text: String) -> String {
            do { _ = try DelayTable.parseJSON(Data(text.utf8), path: "t.json"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error("{\"codes\": [{\"code\": 0},\n  {\"code\": 0.5}]}"), "t.json:2:12: error: codes[1] has no valid 'code'")
        XCTAssertEqual(error("{\"codes\": [{\"code\": 0},\n  {\"cod\": 1}]}"), "t.json:2:3: error: codes[1] has no valid 'code'")
        XCTAssertEqual(error("{\"codes\": [{\"code\": 0}\n  {\"code\": 1}]}"), "t.json:2:3: error: expected ',' or ']' in the array, found '{'")
        XCTAssertEqual(error("[1]"), "t.json:1:1: error: JSON delay table needs a 'codes' array")
    }
}

/// The incremental update re-times only what a changed constant reaches; it must give exactly
/// what a full run gives, code after code, in any order.
final class IncrementalTests: XCTestCase {
    /// Steps through random codes with `update` and compares, after each, the result and every
    /// pin's logic value, arrivals and slews with a full `run` of the same constants.
    func check(netlist: String, bus: String, steps: Int = 300) throws {
        let lib = try LibraryCache.shared.library("osu018")
        let graph = try makeGraph(netlist: TestPaths.repo.appendingPathComponent(netlist).path, libraries: [lib])
        let pins = try CaseBus(named: bus, in: graph)
        let width = pins.width
        let incremental = TimingAnalysis(graph: graph), full = TimingAnalysis(graph: graph)
        var rng = SplitMix64(seed: 99)
        var previous = 0
        incremental.run(constants: pins.constants(code: 0))
        var pinsCompared = 0
        for step in 0..<steps {
            // Mostly single-bit steps (as a Gray-code sweep), sometimes several bits at once.
            let code = step % 5 == 4 ? Int.random(in: 0..<(1 << width), using: &rng) : previous ^ (1 << Int.random(in: 0..<width, using: &rng))
            let changes = (0..<width).filter { ((code ^ previous) >> $0) & 1 == 1 }
                .map { CaseConstant(pin: pins.pins[$0], value: (code >> $0) & 1 == 1) }
            let a = incremental.update(changes)
            let b = full.run(constants: pins.constants(code: code))
            XCTAssertEqual(a, b, "\(netlist) code \(code) after \(previous)")
            for pin in 0..<graph.pinCount {
                let context = "\(netlist) code \(code) after \(previous), pin \(graph.pinName(pin))"
                XCTAssertEqual(incremental.logicValue(ofPin: pin), full.logicValue(ofPin: pin), context)
                for rf in [Transition.rise, .fall] {
                    XCTAssertEqual(incremental.arrivalNs(ofPin: pin, rf), full.arrivalNs(ofPin: pin, rf), context)
                    XCTAssertEqual(incremental.slewNs(ofPin: pin, rf), full.slewNs(ofPin: pin, rf), context)
                }
                pinsCompared += 1
            }
            previous = code
        }
        XCTAssertGreaterThan(pinsCompared, steps * 100)
    }

    func testMac8() throws { try check(netlist: "Netlists/osu018/mac8.v", bus: "W") }
    /// A bus driven by registers inside the design: case constants on instance output pins.
    func testPe8() throws { try check(netlist: "Netlists/osu018/pe8.v", bus: "wreg") }
    /// Booth recoding, a parallel-prefix adder and registers with setup checks.
    func testRegisteredBoothVariant() throws {
        try check(netlist: "Netlists/variants/osu018/mac_booth4_koggestone_s8_reg.v", bus: "W", steps: 150)
    }
    /// Sixteen weight bits on the larger multiplier.
    func testMac16() throws { try check(netlist: "Netlists/osu018/mac16.v", bus: "W", steps: 60) }
}
