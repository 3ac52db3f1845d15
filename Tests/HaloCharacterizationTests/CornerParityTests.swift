import Foundation
import XCTest
import HaloTestSupport
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// Multi-corner characterization against upstream OpenSTA: the Yosys-mapped mac8 of Netlists/pdk read
/// once and timed at every voltage of a PDK (GF180MCU 7-track typical at 5.0, 3.3, 1.8 V; IHP SG13G2
/// typical at 1.50, 1.20 V), each column compared with the table upstream OpenSTA produced for that
/// voltage's library alone (Tests/HaloTimingTests/Fixtures/pdk, see its PROVENANCE.md).
///
/// The libraries are read from `../shared/pdk` beside the checkout (or `$HALO_PDK_DIR`), as gzip files;
/// without them the test says what it skipped and is skipped.
final class CornerParityTests: XCTestCase {
    /// Largest tolerated |Halo − OpenSTA|, ns.
    let toleranceNs = 0.001

    struct Configuration {
        var name: String
        var netlists: String
        /// (voltage, library file under the PDK folder, fixture id)
        var corners: [(Double, String, String)]
    }

    static let configurations = [
        Configuration(name: "GF180MCU 7t typical", netlists: "gf180mcu", corners: [
            (5.0, "gf180mcu/gf180mcu_fd_sc_mcu7t5v0__tt_025C_5v00.lib.gz", "gf180mcu-7t-tt-5v00"),
            (3.3, "gf180mcu/gf180mcu_fd_sc_mcu7t5v0__tt_025C_3v30.lib.gz", "gf180mcu-7t-tt-3v30"),
            (1.8, "gf180mcu/gf180mcu_fd_sc_mcu7t5v0__tt_025C_1v80.lib.gz", "gf180mcu-7t-tt-1v80"),
        ]),
        Configuration(name: "IHP SG13G2 typical", netlists: "ihp-sg13g2", corners: [
            (1.2, "ihp-sg13g2/sg13g2_stdcell_typ_1p20V_25C.lib.gz", "ihp-sg13g2-typ-1p20V"),   // not in voltage order: sorted by CornerTables
            (1.5, "ihp-sg13g2/sg13g2_stdcell_typ_1p50V_25C.lib.gz", "ihp-sg13g2-typ-1p50V"),
        ]),
    ]

    /// OpenSTA's table of a fixture id: code (−1 for none) → delay.
    static func openSTA(_ id: String) throws -> [Int: Double?] {
        let table = try DelayTable.read(path: TestPaths.fixtures.appendingPathComponent("pdk/\(id)/mac8.csv").path)
        var out: [Int: Double?] = [-1: table.unconstrained?.delayNs]
        for e in table.entries { out[e.code] = e.delayNs }
        return out
    }

    func testEveryCornerColumnMatchesOpenSTA() throws {
        guard let pdk = TestPaths.pdkFolder else {
            let message = "multi-corner parity skipped (no libraries at ../shared/pdk; set HALO_PDK_DIR): "
                + CornerParityTests.configurations.map(\.name).joined(separator: ", ")
            print(message)
            throw XCTSkip(message)
        }
        for config in CornerParityTests.configurations {
            var corners: [LibraryCorner] = []
            for (v, file, _) in config.corners {
                let path = pdk.appendingPathComponent(file).path
                corners.append(LibraryCorner(voltageV: v, libraries: [try LibertyReader.read(path: path)], paths: [path]))
            }
            let netlist = TestPaths.repo.appendingPathComponent("Netlists/pdk/\(config.netlists)/mac8.v").path
            let design = try VerilogReader.read(paths: [netlist], top: "mac8")   // read once for every corner
            let tables = try CornerCharacterizer.characterize(design: design, corners: corners, conditions: TimingConditions(),
                                                              requests: { _ in (CharacterizationRequest(busName: "W"), nil) })
            XCTAssertEqual(tables.voltages, config.corners.map(\.0).sorted(by: >))
            // Written and read back as a user would, then compared column by column.
            let reread = try CornerTables.parseCSV(tables.csv(), path: "corners.csv")
            for (v, _, id) in config.corners {
                let column = try XCTUnwrap(reread.corner(atVoltage: v)).table
                let reference = try CornerParityTests.openSTA(id)
                var worst = 0.0, at = ""
                XCTAssertEqual(column.entries.count, 256)
                for e in [column.unconstrained!] + column.entries {
                    let r = try XCTUnwrap(reference[e.code], "\(id) code \(e.code)")
                    XCTAssertEqual(e.delayNs == nil, r == nil, "\(id) code \(e.code): a path in one table only")
                    guard let d = e.delayNs, let r else { continue }
                    if abs(d - r) > worst { worst = abs(d - r); at = e.code < 0 ? "none" : "code \(e.code)" }
                }
                let slowest = column.entries.compactMap(\.delayNs).max()!
                let line = String(format: "corner parity %@ %@: largest |Halo − OpenSTA| = %.3f ps at %@; none %.6f ns, slowest code %.6f ns",
                                  config.name, CornerTables.label(v), worst * 1000, at, column.unconstrained!.delayNs!, slowest)
                print(line)
                XCTAssertLessThanOrEqual(worst, toleranceNs, line)
            }
            if config.netlists == "ihp-sg13g2" {
                let low = reread.corner(atVoltage: 1.2)!.table.entries, high = reread.corner(atVoltage: 1.5)!.table.entries
                let ratios = zip(low, high).compactMap { a, b in a.delayNs.flatMap { x in b.delayNs.map { x / $0 } } }
                print(String(format: "IHP typical 1.20 V / 1.50 V per-code delay ratio: %.4f … %.4f", ratios.min()!, ratios.max()!))
                XCTAssertEqual(ratios.min()!, 1.470, accuracy: 0.001)
                XCTAssertEqual(ratios.max()!, 1.516, accuracy: 0.001)
            }
        }
    }
}
