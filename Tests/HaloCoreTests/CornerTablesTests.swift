import Foundation
import XCTest
import HaloCore

/// The corner-table CSV: written, read back (by itself and as a delay table), and refused with a
/// located error when malformed.
final class CornerTablesTests: XCTestCase {
    static let text = """
        # corner 1.80V: lo.lib
        # corner 3.30V: hi.lib hi2.lib.gz
        code,delay_ns@3.30V,delay_ns@1.80V,energy_fj@3.30V,energy_fj@1.80V,toggles@3.30V,toggles@1.80V,input_energy_fj@3.30V,input_energy_fj@1.80V
        none,4.000000,10.000000,100.0000,29.7521,10.0000,10.0000,5.0000,1.4876
        0,1.000000,3.000000,1.0000,0.2975,1.0000,1.0000,0.5000,0.1488
        1,2.000000,5.000000,50.0000,14.8760,6.0000,6.0000,2.0000,0.5950
        2,,,0.0000,0.0000,0.0000,0.0000,0.0000,0.0000

        """

    func testReadWriteAndNominal() throws {
        let t = try CornerTables.parseCSV(CornerTablesTests.text, path: "c.csv")
        XCTAssertEqual(t.voltages, [3.3, 1.8])
        XCTAssertEqual(t.nominal.libraries, ["hi.lib", "hi2.lib.gz"])
        let low = try XCTUnwrap(t.corner(atVoltage: 1.8)).table
        XCTAssertEqual(low.unconstrained?.delayNs, 10)
        XCTAssertEqual(low.entries.map(\.delayNs), [3, 5, nil])
        XCTAssertEqual(low.entries[1].energyFJ, 14.876)
        XCTAssertEqual(low.entries[1].inputEnergyFJ, 0.595)
        XCTAssertEqual(low.entries[1].toggles, 6)
        // Written again, the same text (the writer's format is the reader's).
        var lines = CornerTablesTests.text.split(separator: "\n").map(String.init)
        lines.swapAt(0, 1)   // the corners' comments highest voltage first
        XCTAssertEqual(t.csv(), lines.joined(separator: "\n") + "\n")
        // Read where one delay table is expected: the highest voltage.
        let nominal = try DelayTable.parseCSV(CornerTablesTests.text, path: "c.csv")
        XCTAssertEqual(nominal.entries.map(\.delayNs), [1, 2, nil])
        XCTAssertEqual(nominal.unconstrained?.delayNs, 4)
        // The voltage/frequency table of the full MAC: 1000 / the none row.
        XCTAssertEqual(t.voltageFrequencyCSV().split(separator: "\n").dropFirst().map(String.init),
                       ["voltage_v,frequency_mhz", "3.3,250.000000", "1.8,100.000000"])
    }

    func testLabels() {
        XCTAssertEqual(CornerTables.label(1.8), "1.80V")
        XCTAssertEqual(CornerTables.label(0.775), "0.775V")
        XCTAssertEqual(CornerTables.volts("1.20V"), 1.2)
        XCTAssertEqual(CornerTables.volts("1.2"), 1.2)
        XCTAssertNil(CornerTables.volts("nanV"))
        XCTAssertNil(CornerTables.volts("-1V"))
        XCTAssertNil(CornerTables.volts("0V"))
    }

    func testMalformedTablesAreLocated() {
        let cases: [(String, String)] = [
            ("code,delay_ns@1.8V,delay_ns@x\nnone,1,2\n",
             "c.csv:1:20: error: malformed voltage 'x' in column 'delay_ns@x' (expected e.g. 1.80V)"),
            ("code,delay_ns@1.8V,delay_ns@1.80V\nnone,1,2\n",
             "c.csv:1:20: error: a second column delay_ns@1.80V; each voltage has one"),
            ("code,delay_ns@1.8V,power@1.8V\nnone,1,2\n",
             "c.csv:1:20: error: unknown column 'power@1.8V' (expected delay_ns@V, energy_fj@V, toggles@V or input_energy_fj@V)"),
            ("code,delay_ns@1.8V,energy_fj@1.2V\nnone,1,2\n",
             "c.csv:1:20: error: column 'energy_fj@1.2V' is for 1.20V, which has no delay_ns@1.20V column before it"),
            ("code,delay_ns@1.8V,delay_ns@1.2V\nnone,1,2\n0,1,\n",
             "c.csv:3:5: error: the delay at 1.20V is empty (no path) but at 1.80V given; the same netlist has the same paths at every voltage"),
            ("code,delay_ns@1.8V,delay_ns@1.2V\nnone,1,2\n0,1,nan\n",
             "c.csv:3:5: error: malformed delay 'nan'"),
            ("code,delay_ns@1.8V,delay_ns@1.2V\nnone,1,2\n0,1,-2\n",
             "c.csv:3:5: error: negative delay '-2' (expected ns ≥ 0, or an empty field for no path)"),
            ("code,delay_ns@1.8V\n0,1\n", "c.csv: error: no 'none' row (the delay without case analysis); a table has exactly one"),
            ("code,delay_ns@1.8V\nnone,1\n0,1\n0,2\n", "c.csv:4:1: error: duplicate code 0"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try CornerTables.parseCSV(text, path: "c.csv"), expected) { error in
                XCTAssertEqual((error as? HaloError)?.line(tool: "halo"), expected)
            }
        }
    }

    func testConstructionChecks() throws {
        let a = DelayTable(unconstrained: .init(code: -1, delayNs: 2), entries: [.init(code: 0, delayNs: 1)])
        let b = DelayTable(unconstrained: .init(code: -1, delayNs: 3), entries: [.init(code: 1, delayNs: 1)])
        XCTAssertThrowsError(try CornerTables([]))
        XCTAssertThrowsError(try CornerTables([.init(voltageV: 1, table: a), .init(voltageV: 1.0, table: a)]))      // twice 1.00V
        XCTAssertThrowsError(try CornerTables([.init(voltageV: 1, table: a), .init(voltageV: 2, table: b)]))        // other codes
        XCTAssertThrowsError(try CornerTables([.init(voltageV: -1, table: a)]))
        XCTAssertEqual(try CornerTables([.init(voltageV: 1, table: a), .init(voltageV: 2, table: a)]).voltages, [2, 1])
    }
}
