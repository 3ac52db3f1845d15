import XCTest
import Foundation
import HaloCore
@testable import HaloLiberty

/// Reads the OSU standard-cell libraries shipped with qflow (skipped when they are not installed).
final class OSULibraryTests: XCTestCase {
    static let osu018 = "/usr/share/qflow/tech/osu018/osu018_stdcells.lib"
    static let osu035 = "/usr/share/qflow/tech/osu035/osu035_stdcells.lib"
    static let osu050 = "/usr/share/qflow/tech/osu050/osu05_stdcells.lib"

    func load(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> (LibertyLibrary, DiagnosticSink) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is not installed")
        }
        let sink = DiagnosticSink()
        let library = try LibertyReader.read(path: path, diagnostics: sink)
        return (library, sink)
    }

    func cell(_ library: LibertyLibrary, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> LibertyCell {
        try XCTUnwrap(library.cell(named: name), "cell \(name) missing", file: file, line: line)
    }

    func pin(_ cell: LibertyCell, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> LibertyPin {
        let index = try XCTUnwrap(cell.pinIndex(name), "pin \(cell.name).\(name) missing", file: file, line: line)
        return cell.pins[index]
    }

    let osuCellNames = ["AND2X1", "AND2X2", "AOI21X1", "AOI22X1", "BUFX2", "BUFX4", "CLKBUF1", "CLKBUF2", "CLKBUF3",
                        "DFFNEGX1", "DFFPOSX1", "DFFSR", "FAX1", "HAX1", "INVX1", "INVX2", "INVX4", "INVX8", "LATCH",
                        "MUX2X1", "NAND2X1", "NAND3X1", "NOR2X1", "NOR3X1", "OAI21X1", "OAI22X1", "OR2X1", "OR2X2",
                        "TBUFX1", "TBUFX2", "XNOR2X1", "XOR2X1"]
    let padCellNames = ["PADINC", "PADINOUT", "PADOUT", "PADFC", "PADNC", "PADVDD", "PADGND"]

    func testOSU018ReadsCompletely() throws {
        let (library, sink) = try load(OSULibraryTests.osu018)
        XCTAssertEqual(library.name, "osu018_stdcells")
        XCTAssertEqual(library.cells.count, 32)   // grep -c "cell (" osu018_stdcells.lib
        XCTAssertEqual(library.cells.map(\.name), osuCellNames)
        XCTAssertEqual(library.timeUnitNs, 1)
        XCTAssertEqual(library.capacitiveLoadUnitFF, 1000)
        XCTAssertEqual(library.nominalVoltage, 1.8)
        XCTAssertEqual(sink.warnings, [])
        try checkCommonStructure(library)
    }

    func testOSU035AndOSU050ReadCompletely() throws {
        for (path, name, voltage) in [(OSULibraryTests.osu035, "osu035_stdcells", 3.3), (OSULibraryTests.osu050, "osu05_stdcells", 5.0)] {
            let (library, sink) = try load(path)
            XCTAssertEqual(library.name, name)
            XCTAssertEqual(library.cells.count, 39)   // grep -c "cell (" (4 pad cells are written on one line)
            XCTAssertEqual(Set(library.cells.map(\.name)), Set(osuCellNames + padCellNames))
            XCTAssertEqual(library.nominalVoltage, voltage)
            XCTAssertEqual(sink.warnings, [])
            XCTAssertEqual(try cell(library, "PADVDD").area, 27000)
            XCTAssertEqual(try cell(library, "PADVDD").pins.count, 0)
            try checkCommonStructure(library)
        }
        let (osu035, _) = try load(OSULibraryTests.osu035)
        let inv = try cell(osu035, "INVX1")
        XCTAssertEqual(inv.area, 64)
        XCTAssertEqual(try pin(inv, "A").capacitanceFF, 13.4094, accuracy: 1e-9)
        XCTAssertEqual(try pin(inv, "A").riseCapacitanceFF, 13.3816, accuracy: 1e-9)
        let pad = try cell(osu035, "PADINOUT")
        let di = try pin(pad, "DI")
        XCTAssertEqual(di.direction, .output)
        XCTAssertEqual(di.function, .variable("YPAD"))
        XCTAssertEqual(di.timings.first?.relatedPins, ["YPAD"])
        XCTAssertEqual(di.timings.first?.sense, .positiveUnate)
        XCTAssertEqual(di.timings.first?.cellRise?.axes.first, [100, 500, 1200, 3000, 4000, 5000])
        let (osu050, _) = try load(OSULibraryTests.osu050)
        XCTAssertEqual(try pin(try cell(osu050, "INVX1"), "A").fallCapacitanceFF, 16.1217, accuracy: 1e-9)
        XCTAssertEqual(try cell(osu050, "INVX1").area, 144)
    }

    /// Properties every OSU library has: every output has a function, every combinational arc has
    /// 4 tables of consistent shape, every related pin exists.
    func checkCommonStructure(_ library: LibertyLibrary, file: StaticString = #filePath, line: UInt = #line) throws {
        for cell in library.cells {
            for pin in cell.pins {
                if pin.direction == .output {
                    XCTAssertNotNil(pin.function, "\(cell.name).\(pin.name) has no function", file: file, line: line)
                }
                for timing in pin.timings {
                    for related in timing.relatedPins {
                        XCTAssertNotNil(cell.pinIndex(related), "\(cell.name).\(pin.name) related \(related)", file: file, line: line)
                    }
                    XCTAssertNotNil(timing.location)
                    let tables = [timing.cellRise, timing.cellFall, timing.riseTransition, timing.fallTransition,
                                  timing.riseConstraint, timing.fallConstraint].compactMap { $0 }
                    XCTAssertFalse(tables.isEmpty, "\(cell.name).\(pin.name) timing without tables", file: file, line: line)
                    for table in tables {
                        XCTAssertEqual(table.values.count, table.axes.reduce(1) { $0 * $1.count }, file: file, line: line)
                        XCTAssertEqual(table.variables.count, table.axes.count, file: file, line: line)
                    }
                }
            }
        }
    }

    func testDFFPOSX1() throws {
        let (library, _) = try load(OSULibraryTests.osu018)
        let dff = try cell(library, "DFFPOSX1")
        XCTAssertEqual(dff.area, 96)
        XCTAssertEqual(dff.leakagePower, 0.160725)
        XCTAssertEqual(dff.pins.map(\.name), ["CLK", "D", "Q"])
        let clk = try pin(dff, "CLK")
        XCTAssertEqual(clk.direction, .input)
        XCTAssertTrue(clk.isClock)
        XCTAssertEqual(clk.riseCapacitanceFF, 27.9235, accuracy: 1e-9)   // 0.0279235 pF
        XCTAssertEqual(clk.fallCapacitanceFF, 27.4634, accuracy: 1e-9)
        XCTAssertEqual(clk.capacitanceFF, 27.9235, accuracy: 1e-9)
        XCTAssertFalse(try pin(dff, "D").isClock)

        // ff (DS0000,P0002) { next_state : "D"; clocked_on : "CLK"; }
        XCTAssertEqual(dff.sequentials.count, 1)
        let ff = try XCTUnwrap(dff.sequentials.first)
        XCTAssertEqual(ff.kind, .flipFlop)
        XCTAssertEqual(ff.stateVariable, "DS0000")
        XCTAssertEqual(ff.invertedStateVariable, "P0002")
        XCTAssertEqual(ff.nextState, .variable("D"))
        XCTAssertEqual(ff.clockedOn, .variable("CLK"))
        XCTAssertNil(ff.clear)
        XCTAssertNil(ff.preset)
        XCTAssertTrue(dff.isSequential)
        XCTAssertEqual(try pin(dff, "Q").function, .variable("DS0000"))

        // D: hold_rising then setup_rising, both related to CLK.
        let d = try pin(dff, "D")
        XCTAssertEqual(d.timings.map(\.type), [.holdRising, .setupRising])
        XCTAssertEqual(d.timings.map(\.relatedPins), [["CLK"], ["CLK"]])
        let setup = d.timings[1]
        XCTAssertTrue(setup.type.isSetupCheck)
        XCTAssertEqual(setup.location?.line, 1692)
        let rise = try XCTUnwrap(setup.riseConstraint)
        XCTAssertEqual(rise.variables, [.relatedPinTransition, .constrainedPinTransition])
        XCTAssertEqual(rise.axes, [[0.06, 0.3, 0.6], [0.06, 0.18, 0.42, 0.6, 1.2]])
        XCTAssertEqual(rise.values, [0.1875, 0.18125, 0.16875, 0.20625, 0.26875,
                                     0.2, 0.2875, 0.275, 0.3125, 0.28125,
                                     0.45, 0.35, 0.3375, 0.46875, 0.53125])
        let fall = try XCTUnwrap(setup.fallConstraint)
        XCTAssertEqual(fall.values.last, 0.4375)
        XCTAssertEqual(fall.values[5], 0.29375)
        XCTAssertNil(setup.cellRise)
        let hold = try XCTUnwrap(d.timings[0].fallConstraint)
        XCTAssertEqual(hold.values.first, -0.09375)

        // Q: rising_edge arc from CLK with 5x6 tables.
        let q = try pin(dff, "Q")
        XCTAssertEqual(q.timings.count, 1)
        let arc = q.timings[0]
        XCTAssertEqual(arc.type, .risingEdge)
        XCTAssertEqual(arc.sense, .nonUnate)
        let cellRise = try XCTUnwrap(arc.cellRise)
        XCTAssertEqual(cellRise.axes[0], [5, 12.5, 25, 75, 150])
        XCTAssertEqual(cellRise.axes[1], [0.06, 0.24, 0.48, 0.9, 1.2, 1.8])
        XCTAssertEqual(cellRise.values.count, 30)
        XCTAssertEqual(cellRise.values[6], 0.10403)   // row 2, column 1
        XCTAssertEqual(cellRise.values[29], 0.248208)
    }

    func testXOR2X1Tables() throws {
        let (library, _) = try load(OSULibraryTests.osu018)
        let xor = try cell(library, "XOR2X1")
        let y = try pin(xor, "Y")
        XCTAssertEqual(y.direction, .output)
        XCTAssertEqual(y.timings.map(\.relatedPins), [["A"], ["B"]])
        let arc = y.timings[0]
        XCTAssertEqual(arc.type, .combinational)
        XCTAssertEqual(arc.sense, .nonUnate)
        XCTAssertNil(arc.when)
        let table = try XCTUnwrap(arc.cellRise)
        XCTAssertEqual(table.order, 2)
        XCTAssertEqual(table.variables, [.totalOutputNetCapacitance, .inputNetTransition])
        // index_1 in pF → fF, index_2 in ns.
        XCTAssertEqual(table.axes[0].count, 5)
        for (got, want) in zip(table.axes[0], [5.0, 12.5, 25, 75, 150]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        XCTAssertEqual(table.axes[1], [0.06, 0.18, 0.42, 0.6, 1.2])
        XCTAssertEqual(table.values.first, 0.084668)
        XCTAssertEqual(table.values[1], 0.100252)   // index_2 varies fastest
        XCTAssertEqual(table.values[5], 0.097915)   // second row
        XCTAssertEqual(table.values[24], 0.387403)
        XCTAssertEqual(arc.riseTransition?.values.first, 0.052475)
        XCTAssertEqual(arc.cellFall?.values.first, 0.080217)
        XCTAssertEqual(arc.fallTransition?.values.first, 0.041331)
        XCTAssertEqual(try pin(xor, "A").riseCapacitanceFF, 29.651, accuracy: 1e-9)
        XCTAssertEqual(try pin(xor, "B").capacitanceFF, 34.2661, accuracy: 1e-9)
        assertTruthTable(try XCTUnwrap(y.function), ["A", "B"], { $0[0] != $0[1] }, label: "XOR2X1")
    }

    func testFunctionsAgainstTruthTables() throws {
        for path in [OSULibraryTests.osu018, OSULibraryTests.osu035, OSULibraryTests.osu050] {
            let (library, _) = try load(path)
            func function(_ cellName: String, _ pinName: String) throws -> BooleanExpression {
                try XCTUnwrap(try pin(try cell(library, cellName), pinName).function)
            }
            assertTruthTable(try function("MUX2X1", "Y"), ["S", "A", "B"], { v in !(v[0] ? v[1] : v[2]) }, label: "MUX2X1")
            assertTruthTable(try function("FAX1", "YC"), ["A", "B", "C"],
                             { v in (v[0] ? 1 : 0) + (v[1] ? 1 : 0) + (v[2] ? 1 : 0) >= 2 }, label: "FAX1.YC")
            assertTruthTable(try function("FAX1", "YS"), ["A", "B", "C"],
                             { v in (v[0] ? 1 : 0) + (v[1] ? 1 : 0) + (v[2] ? 1 : 0) == 1 || (v[0] && v[1] && v[2]) }, label: "FAX1.YS")
            assertTruthTable(try function("AOI22X1", "Y"), ["A", "B", "C", "D"],
                             { v in !((v[0] && v[1]) || (v[2] && v[3])) }, label: "AOI22X1")
            assertTruthTable(try function("OAI22X1", "Y"), ["A", "B", "C", "D"],
                             { v in !((v[0] || v[1]) && (v[2] || v[3])) }, label: "OAI22X1")
            assertTruthTable(try function("AOI21X1", "Y"), ["A", "B", "C"], { v in !((v[0] && v[1]) || v[2]) }, label: "AOI21X1")
            assertTruthTable(try function("NOR3X1", "Y"), ["A", "B", "C"], { v in !(v[0] || v[1] || v[2]) }, label: "NOR3X1")
            assertTruthTable(try function("NAND3X1", "Y"), ["A", "B", "C"], { v in !(v[0] && v[1] && v[2]) }, label: "NAND3X1")
            assertTruthTable(try function("XNOR2X1", "Y"), ["A", "B"], { v in v[0] == v[1] }, label: "XNOR2X1")
            assertTruthTable(try function("HAX1", "YC"), ["A", "B"], { v in v[0] && v[1] }, label: "HAX1.YC")
            assertTruthTable(try function("INVX1", "Y"), ["A"], { v in !v[0] }, label: "INVX1")
            assertTruthTable(try function("BUFX2", "Y"), ["A"], { v in v[0] }, label: "BUFX2")

            let tbuf = try pin(try cell(library, "TBUFX1"), "Y")
            assertTruthTable(try XCTUnwrap(tbuf.threeState), ["EN"], { v in !v[0] }, label: "TBUFX1.three_state")
            XCTAssertEqual(Set(tbuf.timings.map(\.type)), [.combinational, .threeStateEnable, .threeStateDisable])

            let dffsr = try cell(library, "DFFSR")
            let ff = try XCTUnwrap(dffsr.sequentials.first)
            XCTAssertEqual(ff.kind, .flipFlop)
            assertTruthTable(try XCTUnwrap(ff.clear), ["R"], { v in !v[0] }, label: "DFFSR.clear")
            assertTruthTable(try XCTUnwrap(ff.preset), ["S"], { v in !v[0] }, label: "DFFSR.preset")
            let q = try pin(dffsr, "Q")
            XCTAssertTrue(q.timings.contains { $0.type == .clear && $0.relatedPins == ["R"] })
            XCTAssertTrue(q.timings.contains { $0.type == .preset && $0.relatedPins == ["S"] })
            XCTAssertTrue(try pin(dffsr, "R").timings.contains { $0.type == .recoveryRising && $0.relatedPins == ["CLK"] })
            XCTAssertTrue(try pin(dffsr, "R").timings.contains { $0.type == .removalRising })

            let latch = try cell(library, "LATCH")
            let l = try XCTUnwrap(latch.sequentials.first)
            XCTAssertEqual(l.kind, .latch)
            XCTAssertEqual(l.stateVariable, "DS0000")
            XCTAssertEqual(l.invertedStateVariable, "P0000")
            XCTAssertEqual(l.clockedOn, .variable("CLK"))   // enable
            XCTAssertEqual(l.nextState, .variable("D"))     // data_in
        }
    }

    func testLibrariesAreIndependent() throws {
        let (a, _) = try load(OSULibraryTests.osu018)
        let (b, _) = try load(OSULibraryTests.osu050)
        let (c, _) = try load(OSULibraryTests.osu018)
        XCTAssertNotEqual(a.name, b.name)
        XCTAssertEqual(a.cells.count, c.cells.count)
        XCTAssertNotEqual(try pin(try cell(a, "INVX1"), "A").capacitanceFF, try pin(try cell(b, "INVX1"), "A").capacitanceFF)
        XCTAssertEqual(try pin(try cell(a, "INVX1"), "A").capacitanceFF, try pin(try cell(c, "INVX1"), "A").capacitanceFF)
    }

    func testReadingFromTextMatchesReadingFromFile() throws {
        let (fromFile, _) = try load(OSULibraryTests.osu018)
        let text = try String(contentsOfFile: OSULibraryTests.osu018, encoding: .utf8)
        let fromText = try LibertyReader.parse(text: text, path: "osu018.lib")
        XCTAssertEqual(fromText.path, "osu018.lib")
        XCTAssertEqual(fromFile.path, OSULibraryTests.osu018)
        XCTAssertEqual(fromText.cells.count, fromFile.cells.count)
        for (x, y) in zip(fromText.cells, fromFile.cells) {
            XCTAssertEqual(x.name, y.name)
            XCTAssertEqual(x.pins.map(\.name), y.pins.map(\.name))
            XCTAssertEqual(x.pins.flatMap(\.timings).map(\.cellRise), y.pins.flatMap(\.timings).map(\.cellRise))
        }
    }

    func testParseTimeOfOSU018() throws {
        guard FileManager.default.fileExists(atPath: OSULibraryTests.osu018) else { throw XCTSkip("not installed") }
        let text = try String(contentsOfFile: OSULibraryTests.osu018, encoding: .utf8)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Date()
            _ = try LibertyReader.parse(text: text, path: "osu018.lib")
            best = min(best, Date().timeIntervalSince(start))
        }
        // Generous (debug builds are much slower than release); release takes a few ms.
        XCTAssertLessThan(best, 1.0)
    }
}
