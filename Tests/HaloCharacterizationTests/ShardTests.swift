import Foundation
import XCTest
import HaloTestSupport
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// Shards cover a range exactly once; merging refuses overlaps, gaps and disagreeing `none` rows.
final class ShardTests: XCTestCase {
    func testSlicesPartitionTheRange() {
        for n in 1...9 {
            var covered: [Int] = []
            for i in 0..<n { if let s = Shards.slice(0...255, index: i, count: n) { covered += Array(s) } }
            XCTAssertEqual(covered, Array(0...255), "n = \(n)")
        }
        XCTAssertNil(Shards.slice(0...2, index: 0, count: 4))
        XCTAssertEqual(Shards.parse("3/8")?.index, 3)
        XCTAssertNil(Shards.parse("8/8"))
        XCTAssertNil(Shards.parse("a/8"))
    }

    func testMergeChecks() throws {
        func table(_ codes: ClosedRange<Int>, none: Double? = 5) -> DelayTable {
            DelayTable(unconstrained: none.map { .init(code: -1, delayNs: $0) },
                       entries: codes.map { .init(code: $0, delayNs: Double($0)) })
        }
        let merged = try Shards.merge([table(4...7), table(0...3)], names: ["b", "a"])
        XCTAssertEqual(merged.entries.map(\.code), Array(0...7))
        XCTAssertEqual(merged.unconstrained?.delayNs, 5)
        XCTAssertThrowsError(try Shards.merge([table(0...4), table(4...7)], names: ["a", "b"])) { e in
            XCTAssertEqual(HaloError(wrapping: e).line(tool: "halo"), "halo: error: code 4 is in both 'a' and 'b' (overlapping shards)")
        }
        XCTAssertThrowsError(try Shards.merge([table(0...2), table(5...7)], names: ["a", "b"])) { e in
            XCTAssertEqual(HaloError(wrapping: e).line(tool: "halo"), "halo: error: codes 3-4 are missing between 'a' (codes 0-2) and 'b' (codes 5-7) (a shard is absent)")
        }
        XCTAssertThrowsError(try Shards.merge([table(0...3), table(4...7, none: 6)], names: ["a", "b"])) { e in
            XCTAssertTrue(String(describing: e).contains("disagree"))
        }
    }

    /// Sharded sweeps on several threads give the same table as one sweep on one thread.
    func testShardsAndThreadsMatchOneThread() throws {
        let lib = try LibraryCache.shared.library("osu018")
        let netlist = TestPaths.repo.appendingPathComponent("Netlists/osu018/mac8.v").path
        let graph = try makeGraph(netlist: netlist, libraries: [lib])
        var one = CharacterizationRequest(busName: "W")
        one.threads = 1
        let reference = try Characterizer.characterize(graph: graph, request: one)
        var shards: [DelayTable] = []
        for i in 0..<3 {
            var r = CharacterizationRequest(busName: "W", codes: Shards.slice(0...255, index: i, count: 3))
            r.threads = 4
            shards.append(try Characterizer.characterize(graph: graph, request: r))
        }
        let merged = try Shards.merge(shards, names: ["0", "1", "2"])
        XCTAssertEqual(merged.entries, reference.entries)
        XCTAssertEqual(merged.unconstrained, reference.unconstrained)
    }
}
