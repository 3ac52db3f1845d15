import Foundation
import XCTest
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
        let reference = try DelayTable.read(path: refPath)
        XCTAssertFalse(reference.entries.isEmpty)
        // Sweep the reference's codes as contiguous ranges.
        var ranges: [ClosedRange<Int>] = []
        for e in reference.entries {
            if let last = ranges.last, last.upperBound + 1 == e.code { ranges[ranges.count - 1] = last.lowerBound...e.code }
            else { ranges.append(e.code...e.code) }
        }
        var ours: [Int: Double?] = [:]
        var unconstrained: Double?
        for (k, r) in ranges.enumerated() {
            var request = CharacterizationRequest(busName: bus, codes: r)
            request.includeUnconstrained = k == 0
            let table = try Characterizer.characterize(graph: graph, request: request)
            for e in table.entries { ours[e.code] = e.delayNs }
            if k == 0 { unconstrained = table.unconstrained?.delayNs ?? nil }
        }
        var worstDiff = 0.0
        var worstWhere = "none"
        func compare(_ label: String, _ mine: Double?, _ theirs: Double?) {
            guard let theirs else { return XCTFail("\(library)/\(design) \(label): reference has no delay") }
            guard let mine else { return XCTFail("\(library)/\(design) \(label): Halo found no path, OpenSTA \(theirs)") }
            let d = abs(mine - theirs)
            if d > worstDiff { worstDiff = d; worstWhere = "\(label) (Halo \(String(format: "%.6f", mine)), OpenSTA \(String(format: "%.6f", theirs)))" }
        }
        compare("none", unconstrained, reference.unconstrained?.delayNs ?? nil)
        for e in reference.entries { compare("code \(e.code)", ours[e.code] ?? nil, e.delayNs) }
        print("parity \(library)/\(design): \(reference.entries.count + 1) rows, largest |Halo − OpenSTA| = \(String(format: "%.3f", worstDiff * 1000)) ps at \(worstWhere)")
        XCTAssertLessThanOrEqual(worstDiff, toleranceNs, "\(library)/\(design): largest difference at \(worstWhere)")
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
