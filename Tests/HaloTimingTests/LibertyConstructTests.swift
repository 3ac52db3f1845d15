import Foundation
import XCTest
import HaloTestSupport
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// Liberty constructs that change a delay, read as upstream OpenSTA reads them (Fixtures/constructs): one
/// table compared with OpenSTA's, and for each construct a check that the table depends on it (leaving it
/// out of the library moves some code by more than the tolerance), so the parity cannot hold by chance.
final class LibertyConstructTests: XCTestCase {
    static let folder = TestPaths.fixtures.appendingPathComponent("constructs")
    let toleranceNs = 0.001

    private func graph(libraryText: String) throws -> TimingGraph {
        let library = try LibertyReader.parse(text: libraryText, path: "constructs.lib")
        return try makeGraph(netlist: LibertyConstructTests.folder.appendingPathComponent("constructs.v").path,
                             libraries: [library], top: "constructs")
    }

    private var libraryText: String {
        get throws { try String(contentsOf: LibertyConstructTests.folder.appendingPathComponent("constructs.lib"), encoding: .utf8) }
    }

    private var reference: String { LibertyConstructTests.folder.appendingPathComponent("constructs.csv").path }

    func testEveryCodeMatchesOpenSTA() throws {
        let r = try compareWithReference(graph: try graph(libraryText: try libraryText), bus: "W",
                                         referencePath: reference, label: "constructs")
        print("parity constructs: \(r.rows) rows, largest |Halo − OpenSTA| = \(String(format: "%.3f", r.worstNs * 1000)) ps at \(r.worstAt)")
        XCTAssertLessThanOrEqual(r.worstNs, toleranceNs, r.worstAt)
    }

    /// Each construct, left out of the library (a text edit), moves the table away from OpenSTA's.
    func testEachConstructChangesTheTable() throws {
        let text = try libraryText
        let ablations: [(String, (String) -> String)] = [
            ("capacitance ranges", { $0.replacingOccurrences(of: "_capacitance_range", with: "_capacitance_range_ignored") }),
            ("default pin capacitances", { $0.replacingOccurrences(of: "default_input_pin_cap : 0.004", with: "default_input_pin_cap : 0") }),
            ("library k-factors", { $0.replacingOccurrences(of: "default_operating_conditions : hot ;", with: "") }),
            ("cell scaling_factors", { $0.replacingOccurrences(of: "scaling_factors : slowcell ;", with: "") }),
            ("three-state enable", { $0.replacingOccurrences(of: "three_state : \"!EN\" ;", with: "") }),
            ("clear arcs off", { $0.replacingOccurrences(of: "timing_type : clear ;", with: "timing_type : combinational ;") }),
            ("output-to-output arc", { $0.replacingOccurrences(of: "related_pin : CO ;", with: "related_pin : B ;") }),
        ]
        for (name, edit) in ablations {
            let edited = edit(text)
            XCTAssertNotEqual(edited, text, "\(name): the edit did not apply")
            let table = try Characterizer.characterize(graph: try graph(libraryText: edited), request: CharacterizationRequest(busName: "W"))
            let ref = try DelayTable.read(path: reference)
            var moved = 0.0
            if let a = table.unconstrained?.delayNs ?? nil, let b = ref.unconstrained?.delayNs ?? nil { moved = abs(a - b) }
            for e in ref.entries {
                guard let b = e.delayNs else { continue }
                guard let a = table.delayNs(ofCode: e.code) else { moved = .infinity; continue }
                moved = max(moved, abs(a - b))
            }
            XCTAssertGreaterThan(moved, toleranceNs, "without \(name) the table still matches: the fixture does not test it")
        }
    }

    /// The reader's values for the constructs, against hand-computed OpenSTA semantics.
    func testReadValues() throws {
        let lib = try LibertyReader.parse(text: try libraryText, path: "constructs.lib")
        // pin_cap scale: process 1.2 vs nominal 1, k 0.5 → 1.1 (in single precision, as OpenSTA).
        let inv = try XCTUnwrap(lib.cell(named: "INV")?.pins.first { $0.name == "A" })
        XCTAssertEqual(inv.riseCapacitanceFF, 3.0 * 1.1, accuracy: 1e-6)     // range max
        XCTAssertEqual(inv.riseCapacitanceMinFF, 1.5 * 1.1, accuracy: 1e-6)  // range min
        XCTAssertEqual(inv.fallCapacitanceFF, 2.5 * 1.1, accuracy: 1e-6)
        let nandA = try XCTUnwrap(lib.cell(named: "NAND2")?.pins.first { $0.name == "A" })
        XCTAssertEqual(nandA.riseCapacitanceFF, 3.0 * 1.1, accuracy: 1e-6)
        XCTAssertEqual(nandA.fallCapacitanceFF, 4.0 * 1.1, accuracy: 1e-6)    // fall: default_input_pin_cap
        let slowA = try XCTUnwrap(lib.cell(named: "SLOWINV")?.pins.first { $0.name == "A" })
        // No capacitance at all: the default; its cell's own scaling_factors (no k_process_pin_cap) replace the library's.
        XCTAssertEqual(slowA.riseCapacitanceFF, 4.0, accuracy: 1e-9)
        let haS = try XCTUnwrap(lib.cell(named: "HA")?.pins.first { $0.name == "S" })
        XCTAssertEqual(haS.riseCapacitanceFF, 1.0 * 1.1, accuracy: 1e-6)      // default_output_pin_cap
        // cell_rise: k_volt_cell_rise −0.5 at voltage 1.0 vs 1.2 → 1.1; SLOWINV's own factors −1.0 → 1.2.
        let invRise = try XCTUnwrap(lib.cell(named: "INV")?.pins.first { $0.name == "Y" }?.timings.first?.cellRise)
        XCTAssertEqual(invRise.values[0], 0.05 * 1.1, accuracy: 1e-7)
        let slowRise = try XCTUnwrap(lib.cell(named: "SLOWINV")?.pins.first { $0.name == "Y" }?.timings.first?.cellRise)
        XCTAssertEqual(slowRise.values[0], 0.06 * 1.2, accuracy: 1e-7)
        // rise_transition: k_temp 0.002 at +60 °C → 1.12.
        let invSlew = try XCTUnwrap(lib.cell(named: "INV")?.pins.first { $0.name == "Y" }?.timings.first?.riseTransition)
        XCTAssertEqual(invSlew.values[0], 0.03 * 1.12, accuracy: 1e-7)
    }

    /// Constructs OpenSTA cannot evaluate, or that Halo does not model, are refused with a located error
    /// where the cell is used — never read as something else.
    func testUnsupportedConstructsAreRefused() throws {
        let text = try libraryText
        let cases: [(String, String, String)] = [
            ("delay_model : table_lookup ;", "delay_model : generic_cmos ;", "delay_model 'generic_cmos' is not supported"),
            ("related_pin : A ; timing_sense : negative_unate ;", "related_pin : A ; timing_sense : negative_unate ; mode (m, fast) ;",
             "timing arcs of mode 'm'"),
            ("variable_1 : input_net_transition ;", "variable_1 : output_net_length ;", "indexed by 'output_net_length'"),
        ]
        for (from, to, message) in cases {
            let edited = text.replacingOccurrences(of: from, with: to)
            XCTAssertNotEqual(edited, text)
            XCTAssertThrowsError(try graph(libraryText: edited), message) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
                XCTAssertTrue("\(error)".contains("constructs.lib:"), "no location: \(error)")
            }
        }
    }

    /// Libraries of different measurement thresholds in one design are refused (OpenSTA converts between
    /// them; Halo does not), naming both libraries; a second library of the same thresholds is fine.
    func testMixedThresholdsAreRefused() throws {
        let constructs = try LibertyReader.parse(text: try libraryText, path: "constructs.lib")
        func other(lower: Int) throws -> LibertyLibrary {
            try LibertyReader.parse(text: """
                library (other) {
                  time_unit : "1ns" ; capacitive_load_unit (1, pf) ;
                  slew_lower_threshold_pct_rise : \(lower) ; slew_lower_threshold_pct_fall : \(lower) ;
                  cell (BUF2) {
                    pin (A) { direction : input ; capacitance : 0.002 ; }
                    pin (Y) { direction : output ; function : "A" ;
                      timing () { related_pin : A ; cell_rise (scalar) { values ("0.1") ; } cell_fall (scalar) { values ("0.1") ; } } }
                  }
                }
                """, path: "other.lib")
        }
        let verilog = "module t (a, y); input a; output y; wire n; INV u0 (.A(a), .Y(n)); BUF2 u1 (.A(n), .Y(y)); endmodule"
        for (lower, refused) in [(10, true), (20, false)] {
            let libs = [constructs, try other(lower: lower)]
            let design = try VerilogReader.parse(text: verilog, path: "t.v", top: nil)
            if refused {
                XCTAssertThrowsError(try TimingGraph(design: design, libraries: libs)) { error in
                    XCTAssertTrue("\(error)".hasPrefix("t.v:1:"), "\(error)")
                    XCTAssertTrue("\(error)".contains("cell 'BUF2' is from library 'other', whose thresholds (input 50/50 %, output 50/50 %, slew 10/10–80/80 %"), "\(error)")
                    XCTAssertTrue("\(error)".contains("the first library 'constructs'"), "\(error)")
                }
            } else {
                XCTAssertNoThrow(try TimingGraph(design: design, libraries: libs))
            }
        }
    }
}
