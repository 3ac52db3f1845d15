import XCTest
import Foundation
import HaloCore
@testable import HaloLiberty

/// `internal_power` and `leakage_power` groups: tables through `power_lut_template`s, units (fJ, nW),
/// related pins, `when`, the `power` shorthand, bus groups, and errors.
final class InternalPowerTests: XCTestCase {
    func parse(_ text: String, diagnostics: DiagnosticSink? = nil) throws -> LibertyLibrary {
        try LibertyReader.parse(text: text, path: "power.lib", diagnostics: diagnostics)
    }

    func pin(_ library: LibertyLibrary, _ cellName: String, _ pinName: String,
             file: StaticString = #filePath, line: UInt = #line) throws -> LibertyPin {
        let cell = try XCTUnwrap(library.cell(named: cellName), "cell \(cellName)", file: file, line: line)
        return cell.pins[try XCTUnwrap(cell.pinIndex(pinName), "pin \(pinName)", file: file, line: line)]
    }

    func testOSU018InternalPowerInFemtojoules() throws {
        let path = "/usr/share/qflow/tech/osu018/osu018_stdcells.lib"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is not installed") }
        let sink = DiagnosticSink()
        let lib = try LibertyReader.read(path: path, diagnostics: sink)
        XCTAssertEqual(sink.warnings.count, 0, sink.warnings.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(lib.voltageUnitV, 1)
        XCTAssertEqual(lib.leakagePowerUnitNW, 1)
        XCTAssertEqual(lib.internalEnergyUnitFJ, 1000)          // 1 V² × 1 pF = 1 pJ
        let y = try pin(lib, "AND2X1", "Y")
        XCTAssertEqual(y.internalPower.map(\.relatedPins), [["A"], ["B"]])
        let rise = try XCTUnwrap(y.internalPower[0].risePower)
        XCTAssertEqual(rise.variables, [.totalOutputNetCapacitance, .inputTransitionTime])
        XCTAssertEqual(rise.axes[0], [5, 12.5, 25, 75, 150])    // pF → fF
        XCTAssertEqual(rise.axes[1], [0.06, 0.18, 0.42, 0.6, 1.2])
        XCTAssertEqual(rise.values[0], 12.351, accuracy: 1e-9)  // 0.012351 pJ
        XCTAssertEqual(try XCTUnwrap(y.internalPower[1].fallPower).values.last!, 141.826, accuracy: 1e-9)
        // Every combinational output has one group per input; flops' clock pins have their own tables.
        let fa = try pin(lib, "FAX1", "YS")
        XCTAssertEqual(Set(fa.internalPower.flatMap(\.relatedPins)), ["A", "B", "C"])
        let clk = try pin(lib, "DFFPOSX1", "CLK")
        XCTAssertEqual(clk.internalPower.count, 1)
        XCTAssertEqual(clk.internalPower[0].relatedPins, [])
        XCTAssertEqual(try XCTUnwrap(clk.internalPower[0].risePower).values.first!, 6.865, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(clk.internalPower[0].risePower).variables, [.inputTransitionTime])
        // Inputs of combinational cells have none.
        XCTAssertTrue(try pin(lib, "AND2X1", "A").internalPower.isEmpty)
        XCTAssertEqual(lib.cell(named: "AND2X1")?.leakagePower, 0.0746794)
    }

    func testUnitsPowerShorthandWhenAndLeakageGroups() throws {
        let text = """
        library (p) {
          time_unit : "1ps" ; voltage_unit : "1V" ; capacitive_load_unit (1, ff) ; leakage_power_unit : "1pW" ;
          power_lut_template (e) { variable_1 : input_transition_time ; variable_2 : total_output_net_capacitance ;
            index_1 ("10, 100") ; index_2 ("1, 4") ; }
          lu_table_template (e) { variable_1 : total_output_net_capacitance ; index_1 ("1, 2") ; }
          cell (X) {
            cell_leakage_power : 250 ;
            leakage_power () { when : "A" ; value : 300 ; }
            leakage_power () { when : "!A" ; value : 200 ; }
            pin (A) { direction : input ; capacitance : 1 ; }
            pin (B) { direction : input ; capacitance : 1 ; }
            pin (Y) { direction : output ; function : "A B" ;
              internal_power () { related_pin : "A B" ; when : "!B" ;
                power (e) { values ("1, 2", "3, 4") ; } }
              internal_power () { related_pin : "B" ;
                rise_power (scalar) { values ("7") ; } }
            }
          }
        }
        """
        let lib = try parse(text)
        XCTAssertEqual(lib.internalEnergyUnitFJ, 1)              // 1 V² × 1 fF
        XCTAssertEqual(lib.leakagePowerUnitNW, 0.001)
        let y = try pin(lib, "X", "Y")
        XCTAssertEqual(y.internalPower.count, 2)
        let g = y.internalPower[0]
        XCTAssertEqual(g.relatedPins, ["A", "B"])
        XCTAssertEqual(g.when, .not(.variable("B")))
        // The power template is found among the power_lut_templates (not the lu_table_template of the same name).
        XCTAssertEqual(g.risePower?.variables, [.inputTransitionTime, .totalOutputNetCapacitance])
        XCTAssertEqual(g.risePower?.axes, [[0.01, 0.1], [1, 4]])   // ps → ns; fF
        XCTAssertEqual(g.risePower?.values, [1, 2, 3, 4])          // fJ, not scaled by the time unit
        XCTAssertEqual(g.risePower, g.fallPower)
        XCTAssertEqual(y.internalPower[1].risePower?.values, [7])
        XCTAssertNil(y.internalPower[1].fallPower)
        let cell = try XCTUnwrap(lib.cell(named: "X"))
        XCTAssertEqual(cell.leakagePower, 250)                      // as written
        XCTAssertEqual(cell.leakagePowers.map(\.powerNW), [0.3, 0.2])
        XCTAssertEqual(cell.leakagePowers.map(\.when), [.variable("A"), .not(.variable("A"))])
        XCTAssertEqual(lib.voltageUnitV, 1)
    }

    func testMillivoltsAndPicofarads() throws {
        let lib = try parse("""
        library (m) { voltage_unit : "1mV" ; capacitive_load_unit (1, pf) ;
          cell (I) { pin (A) { direction : input ; }
            pin (Y) { direction : output ; function : "!A" ;
              internal_power () { related_pin : "A" ; rise_power (scalar) { values ("2") ; } } } } }
        """)
        // (1 mV)² × 1 pF = 1e-6 × 1000 fJ = 1e-3 fJ
        XCTAssertEqual(try XCTUnwrap(try pin(lib, "I", "Y").internalPower.first?.risePower?.values.first), 2e-3, accuracy: 1e-15)
        XCTAssertNil(lib.leakagePowerUnitNW)
    }

    func testBusInternalPowerAlignsRelatedBits() throws {
        let lib = try parse("""
        library (b) {
          type (bus2) { base_type : array ; data_type : bit ; bit_width : 2 ; bit_from : 1 ; bit_to : 0 ; downto : true ; }
          cell (R) {
            bus (D) { bus_type : bus2 ; direction : input ; capacitance : 0.001 ; }
            bus (Q) { bus_type : bus2 ; direction : output ; function : "D" ;
              internal_power () { related_pin : "D" ; rise_power (scalar) { values ("0.5") ; } }
            }
          }
        }
        """)
        XCTAssertEqual(try pin(lib, "R", "Q[1]").internalPower.map(\.relatedPins), [["D[1]"]])
        XCTAssertEqual(try pin(lib, "R", "Q[0]").internalPower.map(\.relatedPins), [["D[0]"]])
        XCTAssertEqual(try pin(lib, "R", "Q[0]").internalPower.first?.risePower?.values, [500])   // 1 V² × 1 pF default
    }

    func testErrorsAndWarnings() throws {
        XCTAssertThrowsError(try parse("""
        library (e) { cell (C) { pin (Y) { direction : output ;
          internal_power () { rise_power (nope) { values ("1") ; } } } } }
        """)) { error in
            XCTAssertEqual("\(error)", "power.lib:2:35: error: undefined table template 'nope'")
        }
        XCTAssertThrowsError(try parse("""
        library (e) { leakage_power_unit : "1parsec" ; }
        """)) { error in
            XCTAssertEqual("\(error)", "power.lib:1:36: error: unknown leakage_power_unit '1parsec' (expected e.g. \"1nW\", \"1pW\")")
        }
        let sink = DiagnosticSink()
        let lib = try parse("""
        library (w) { cell (C) { leakage_power () { when : "A" ; } pin (A) { direction : input ; } } }
        """, diagnostics: sink)
        XCTAssertEqual(lib.cell(named: "C")?.leakagePowers.count, 0)
        XCTAssertEqual(sink.warnings.map(\.description), ["power.lib:1:26: warning: leakage_power group has no value; ignored"])
        // A related pin that is not a pin warns, as for timing groups.
        let sink2 = DiagnosticSink()
        _ = try parse("""
        library (w) { cell (C) { pin (A) { direction : input ; } pin (Y) { direction : output ; function : "A" ;
          internal_power () { related_pin : "Z" ; rise_power (scalar) { values ("1") ; } } } } }
        """, diagnostics: sink2)
        XCTAssertEqual(sink2.warnings.count, 1)
        XCTAssertTrue(sink2.warnings.first?.description.contains("related pin 'Z' is not a pin of this cell") ?? false)
    }
}
