import Foundation
import XCTest
import HaloTestSupport
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// Parity with the judge: upstream OpenSTA's per-code delays (Fixtures/reference, see PROVENANCE.md).
final class ParityTests: XCTestCase {
    /// Largest tolerated |Halo − OpenSTA|, ns.
    let toleranceNs = 0.001

    private func checkParity(library: String, design: String, bus: String, clock: String? = nil) throws {
        let lib = try LibraryCache.shared.library(library)
        let netlist = TestPaths.reference.appendingPathComponent("netlists/\(library)/\(design).v").path
        var conditions = TimingConditions()
        conditions.clockPort = clock
        let graph = try makeGraph(netlist: netlist, libraries: [lib], top: design, conditions: conditions)
        let refPath = TestPaths.reference.appendingPathComponent("tables/\(library)/\(design).csv").path
        let result = try compareWithReference(graph: graph, bus: bus, referencePath: refPath, label: "\(library)/\(design)")
        print("parity \(library)/\(design): \(result.rows) rows, largest |Halo − OpenSTA| = \(String(format: "%.3f", result.worstNs * 1000)) ps at \(result.worstAt)")
        XCTAssertLessThanOrEqual(result.worstNs, toleranceNs, "\(library)/\(design): largest difference at \(result.worstAt)")
    }

    func testMac8OSU018() throws { try checkParity(library: "osu018", design: "mac8", bus: "W") }
    func testMac8OSU035() throws { try checkParity(library: "osu035", design: "mac8", bus: "W") }
    func testMac8OSU05() throws { try checkParity(library: "osu05", design: "mac8", bus: "W") }
    func testPe8OSU018() throws { try checkParity(library: "osu018", design: "pe8", bus: "wreg", clock: "clk") }
    func testPe8OSU035() throws { try checkParity(library: "osu035", design: "pe8", bus: "wreg", clock: "clk") }
    func testPe8OSU05() throws { try checkParity(library: "osu05", design: "pe8", bus: "wreg", clock: "clk") }
    func testMac16OSU018Sampled() throws { try checkParity(library: "osu018", design: "mac16", bus: "W") }

    /// The clock port is found by itself when unambiguous; the result is the same as naming it.
    func testPe8ClockFoundAutomatically() throws {
        let lib = try LibraryCache.shared.library("osu018")
        let netlist = TestPaths.reference.appendingPathComponent("netlists/osu018/pe8.v").path
        let graph = try makeGraph(netlist: netlist, libraries: [lib])
        XCTAssertEqual(graph.clockPin.map { graph.pinName($0) }, "clk")
    }
}
