import Foundation
import HaloCharacterization
import HaloCore
import XCTest

/// Delay tables read as data (HaloCore's readers) and shards joined (HaloCharacterization's `Shards`):
/// the rules of issue 12 checked directly on the library, each against an expectation written out by
/// hand rather than against earlier output.
final class TableDataTests: XCTestCase {
    func error(_ body: () throws -> Void) -> String {
        // The line the CLI prints (`halo: error: …` when the error has no location).
        do { try body(); return "no error" } catch { return (error as? HaloError)?.line(tool: "halo") ?? "\(error)" }
    }

    func csv(_ text: String) throws -> DelayTable { try DelayTable.parseCSV(text, path: "t.csv") }
    func json(_ text: String) throws -> DelayTable { try DelayTable.parseJSON(Data(text.utf8), path: "t.json") }

    /// CSV: finite delays ≥ 0 or empty; one `none` row; plain codes below 2^53.
    func testCSVFigures() throws {
        let t = try csv("code,delay_ns,startpoint,endpoint,energy_fj\nnone,2.5,a,y,\n0,-0,a,y,0\n1,,,,\n2,1e-3,a,y,7.25\n")
        XCTAssertEqual(t.unconstrained?.delayNs, 2.5)
        XCTAssertEqual(t.entries.map(\.code), [0, 1, 2])
        XCTAssertEqual(t.entries.map(\.delayNs), [0, nil, 0.001])
        XCTAssertEqual(t.entries.map(\.energyFJ), [0, nil, 7.25])
        XCTAssertEqual(error { _ = try csv("code,delay_ns\nnone,1\n0,-1e-9\n") },
                       "t.csv:3:3: error: negative delay '-1e-9' (expected ns ≥ 0, or an empty field for no path)")
        XCTAssertEqual(error { _ = try csv("code,delay_ns\nnone,1\n0, 1e309\n") },
                       "t.csv:3:3: error: delay '1e309' is out of range (expected a finite number ns ≥ 0, or an empty field for no path)")
        XCTAssertEqual(error { _ = try csv("code,delay_ns\nnone,1\n0,Infinity\n") }, "t.csv:3:3: error: malformed delay 'Infinity'")
        XCTAssertEqual(error { _ = try csv("code,delay_ns\n0,1\nnone,1\nnone,2\n") },
                       "t.csv:4:1: error: a second 'none' row (the first is at line 3); a table has exactly one")
        XCTAssertEqual(error { _ = try csv("code,delay_ns\n0,1\n") },
                       "t.csv: error: no 'none' row (the delay without case analysis); a table has exactly one")
        let widest = (1 << 53) - 1
        XCTAssertEqual(try csv("code,delay_ns\nnone,1\n\(widest),1\n").entries.map(\.code), [widest])
        XCTAssertEqual(error { _ = try csv("code,delay_ns\nnone,1\n\(widest + 1),1\n") },
                       "t.csv:3:1: error: code \(widest + 1) is beyond the widest bus a table may have (53 bits: codes below 2^53)")
    }

    /// JSON: numbers only as numbers, `null` for no path, keys once, codes in the bus and below 2^53.
    func testJSONFigures() throws {
        func table(_ codes: String, none: String = "{\"delay_ns\": 3}", width: String = "4") -> String {
            "{\"bus\": \"W\", \"bus_width\": \(width), \"none\": \(none),\n\"codes\": [\(codes)]}"
        }
        let t = try json(table("{\"code\": 15, \"delay_ns\": null}, {\"code\": 2, \"delay_ns\": 0, \"energy_fj\": null, \"toggles\": 4}"))
        XCTAssertEqual(t.entries.map(\.code), [2, 15])
        XCTAssertEqual(t.entries.map(\.delayNs), [0, nil])
        XCTAssertEqual(t.entries.map(\.toggles), [4, nil])
        XCTAssertEqual(t.metadata.busWidth, 4)
        XCTAssertEqual(error { _ = try json(table("{\"code\": 16, \"delay_ns\": 1}")) },
                       "t.json:2:20: error: codes[0].code 16 is outside the 4-bit bus 'W' (codes 0-15)")
        XCTAssertEqual(error { _ = try json(table("{\"code\": 1, \"delay_ns\": \"1\"}")) },
                       "t.json:2:35: error: codes[0].delay_ns must be a number ≥ 0 or null (no path), found a string")
        XCTAssertEqual(error { _ = try json(table("{\"code\": 1, \"delay_ns\": -0.5}")) },
                       "t.json:2:35: error: codes[0].delay_ns: negative delay '-0.5' (expected ns ≥ 0, or null for no path)")
        XCTAssertEqual(error { _ = try json(table("{\"code\": 1}")) },
                       "t.json:2:11: error: codes[0] has no 'delay_ns' (a number ≥ 0, or null for no path)")
        XCTAssertEqual(error { _ = try json(table("{\"code\": 1, \"delay_ns\": 1}", width: "0")) },
                       "t.json:1:27: error: 'bus_width' is 0; expected an integer from 1 to 53")
        XCTAssertEqual(error { _ = try json(table("{\"code\": 1, \"delay_ns\": 1, \"delay_ns\": 2}")) },
                       "t.json:2:50: error: repeated key 'delay_ns' in codes[0] (first at line 2, column 35)")
        XCTAssertEqual(error { _ = try json(table("{\"code\": 1, \"delay_ns\": 1}", none: "[]")) },
                       "t.json:1:38: error: JSON delay table needs a 'none' object (the delay without case analysis)")
        // What Halo writes, it reads: an unknown width is written null and read back as unknown.
        var written = DelayTable(unconstrained: .init(code: -1, delayNs: 2), entries: [.init(code: 0, delayNs: nil), .init(code: 1, delayNs: 1.5)])
        written.metadata.bus = "W"
        XCTAssertTrue(written.json().contains("\"bus_width\": null"))
        let back = try json(written.json())
        XCTAssertEqual(back.metadata.busWidth, 0)
        XCTAssertEqual(back.entries, written.entries)
        // Even the largest delay it accepts (written in full by %.6f: 316 characters; found by fuzzing).
        let huge = DelayTable(unconstrained: .init(code: -1, delayNs: 1e300), entries: [.init(code: 0, delayNs: 1.7e308)])
        XCTAssertEqual(try json(huge.json()).entries.map(\.delayNs), [1.7e308])
        XCTAssertEqual(try json(huge.json()).unconstrained?.delayNs, 1e300)
    }

    /// A code without a path is a level that fits every budget; the report gives its delay as null,
    /// and the reference (the `none` row) stays the measure of speed-up.
    func testNoPathIsHandledAsSuch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("halo-nopath-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "code,delay_ns\nnone,4\n0,\n1,2\n2,3\n3,1\n".write(to: dir.appendingPathComponent("t.csv"), atomically: true, encoding: .utf8)
        let r = try BadInputTests.halo(["select", "t.csv", "--format", "uint2", "--levels", "all", "--samples", "64", "-o", "g.json"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("g.json"))) as? [String: Any])
        let grid = try XCTUnwrap(report["grid"] as? [String: Any])
        XCTAssertEqual(grid["codes"] as? [Int], [0, 1, 2, 3])
        let delays = try XCTUnwrap(grid["delays_ns"] as? [Any])
        XCTAssertTrue(delays[0] is NSNull, "\(delays)")
        XCTAssertEqual(delays.dropFirst().compactMap { $0 as? Double }, [2, 3, 1])
        XCTAssertEqual(grid["max_delay_ns"] as? Double, 3)
        XCTAssertEqual(try XCTUnwrap(grid["speedup"] as? Double), 4.0 / 3.0, accuracy: 1e-12)
    }

    /// Shards are sliced exactly however many there are (no overflow), and cover the range once.
    func testSlicesOfHugeCounts() throws {
        let n = Int.max
        // ⌊4k/n⌋ for k = n − 1 and n: 3 and 4, so the last shard holds code 3 alone; the first is empty.
        XCTAssertEqual(Shards.slice(0...3, index: n - 1, count: n), 3...3)
        XCTAssertNil(Shards.slice(0...3, index: 0, count: n))
        let big = 0...((1 << 62) - 1)
        var next = 0
        for i in 0..<7 {
            let s = try XCTUnwrap(Shards.slice(big, index: i, count: 7))
            XCTAssertEqual(s.lowerBound, next)
            // ⌊2^62 (i+1) / 7⌋ − 1, computed in Decimal (exact for these magnitudes).
            var e = Decimal(1 << 62) * Decimal(i + 1) / 7
            var floored = Decimal()
            NSDecimalRound(&floored, &e, 0, .down)
            XCTAssertEqual(Decimal(s.upperBound + 1), floored, "slice \(i)")
            next = s.upperBound + 1
        }
        XCTAssertEqual(next, 1 << 62)
    }

    /// Every recorded field of a shard is checked against the first shard, naming both files.
    func testMergeChecksTheRun() throws {
        func shard(_ codes: ClosedRange<Int>, _ change: (inout DelayTable.Metadata) -> Void = { _ in }) -> DelayTable {
            var m = DelayTable.Metadata()
            m.netlist = "mac.v"; m.top = "mac"; m.libraries = ["a.lib"]; m.bus = "W"; m.busWidth = 2
            change(&m)
            return DelayTable(metadata: m, unconstrained: .init(code: -1, delayNs: 3), entries: codes.map { .init(code: $0, delayNs: 1) })
        }
        XCTAssertEqual(try Shards.merge([shard(2...3), shard(0...1)], names: ["b", "a"]).entries.map(\.code), [0, 1, 2, 3])
        let changes: [(String, (inout DelayTable.Metadata) -> Void)] = [
            ("bus 'A' differs from 'W'", { $0.bus = "A" }),
            ("bus width 3 differs from 2", { $0.busWidth = 3 }),
            ("netlist 'x.v' differs from 'mac.v'", { $0.netlist = "x.v" }),
            ("top module 'x' differs from 'mac'", { $0.top = "x" }),
            ("output load 5.0 fF differs from 10.0 fF", { $0.outputLoadFF = 5 }),
            ("input slew 0.1 ns differs from 0.0 ns", { $0.inputSlewNs = 0.1 }),
            ("libraries [b.lib] differs from [a.lib]", { $0.libraries = ["b.lib"] }),
            ("clock 'clk' differs from none", { $0.clock = "clk" }),
        ]
        for (what, change) in changes {
            XCTAssertEqual(error { _ = try Shards.merge([shard(0...1), shard(2...3, change)], names: ["s0.json", "s1.json"]) },
                           "s1.json: error: \(what) in 's0.json', the first shard: shards of different runs")
        }
        XCTAssertEqual(error { _ = try Shards.merge([shard(0...0), shard(3...3)], names: ["s0.json", "s1.json"]) },
                       "halo: error: codes 1-2 are missing between 's0.json' (code 0) and 's1.json' (code 3) (a shard is absent)")
        XCTAssertEqual(error { _ = try Shards.merge([shard(1...2), shard(3...3)], names: ["s0.json", "s1.json"]) },
                       "halo: error: code 0 is missing before 's0.json' (codes 1-2) of the 2-bit bus 'W' (codes 0-3; a shard is absent)")
    }
}
