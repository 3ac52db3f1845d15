import Foundation
import XCTest
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization
import HaloGenerators

/// Parity with the judge on the MAC variants: upstream OpenSTA's delay tables of every 8-bit osu018 variant
/// (all 256 codes) and of every FP16/BF16 one (slices of 256 of the 65,536 codes) (Fixtures/opensta, made by
/// Fixtures/make-opensta-tables.sh; see Fixtures/PROVENANCE.md) against Halo's, within 1 ps on every code of
/// the table and the no-case row.
final class OpenSTAParityTests: XCTestCase {
    static let toleranceNs = 0.001

    /// A judge table: `code,delay_ns`, first row `none`. OpenSTA prints period − worst slack, and for a code
    /// under which every endpoint is constant the slack is infinite (≈ −1e39 printed): no path, nil here.
    static func readTable(_ path: String) throws -> (none: Double?, codes: [(Int, Double?)]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        guard lines.first == "code,delay_ns", lines.count >= 2 else { throw HaloError("\(path): not a code,delay_ns table") }
        var none: Double?? = nil
        var codes: [(Int, Double?)] = []
        for line in lines.dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            guard f.count == 2, let v = Double(f[1]) else { throw HaloError("\(path): malformed line '\(line)'") }
            let delay: Double? = v < -1e30 ? nil : v
            if f[0] == "none" { none = .some(delay) } else {
                guard let c = Int(f[0]) else { throw HaloError("\(path): malformed code '\(f[0])'") }
                codes.append((c, delay))
            }
        }
        guard let n = none else { throw HaloError("\(path): no 'none' row") }
        return (n, codes)
    }

    /// The osu018 netlists with judge tables: every 8-bit one and every floating-point one.
    static func judged(_ e: CorpusEntry) -> Bool { e.isMapped && (e.width == 8 || e.behaviour.floatLayout != nil) }

    func testOSU018VariantsMatchOpenSTA() throws {
        let entries = try CorpusTests.entries.get().filter(OpenSTAParityTests.judged)
        XCTAssertGreaterThanOrEqual(entries.filter { $0.behaviour.floatLayout != nil }.count, 4, "FP16/BF16 netlists")
        XCTAssertGreaterThan(entries.count, 0)
        _ = try OSU018.shared.library()
        let dir = VariantPaths.fixtures.appendingPathComponent("opensta")
        struct Outcome: Sendable { var rows = 0; var worst = 0.0; var worstWhere = ""; var problems: [String] = [] }
        let outcomes = parallelMap(entries) { e -> Outcome in
            var o = Outcome()
            let tablePath = dir.appendingPathComponent("\(e.top).csv").path
            do {
                guard FileManager.default.fileExists(atPath: tablePath) else {
                    return Outcome(problems: ["\(e.top): no judge table (run Tests/HaloGeneratorsTests/Fixtures/make-opensta-tables.sh)"])
                }
                let reference = try OpenSTAParityTests.readTable(tablePath)
                guard reference.codes.count >= 32 else { return Outcome(problems: ["\(e.top): only \(reference.codes.count) codes"]) }
                let graph = try e.graph()
                var ranges: [ClosedRange<Int>] = []
                for (c, _) in reference.codes {
                    if let last = ranges.last, last.upperBound + 1 == c { ranges[ranges.count - 1] = last.lowerBound...c }
                    else { ranges.append(c...c) }
                }
                var ours: [Int: Double?] = [:]
                var none: Double?
                for (k, r) in ranges.enumerated() {
                    var request = CharacterizationRequest(busName: e.weightBus, codes: r)
                    request.includeUnconstrained = k == 0
                    request.threads = 1
                    let table = try Characterizer.characterize(graph: graph, request: request)
                    for x in table.entries { ours[x.code] = x.delayNs }
                    if k == 0 { none = table.unconstrained?.delayNs ?? nil }
                }
                func compare(_ label: String, _ mine: Double?, _ theirs: Double?) {
                    o.rows += 1
                    switch (mine, theirs) {
                    case (nil, nil): return
                    case let (m?, t?):
                        let d = abs(m - t)
                        if d > o.worst || o.worstWhere.isEmpty {
                            o.worst = max(o.worst, d)
                            o.worstWhere = "\(e.top) \(label) (Halo \(String(format: "%.6f", m)), OpenSTA \(String(format: "%.6f", t)))"
                        }
                        if d > OpenSTAParityTests.toleranceNs { o.problems.append(o.worstWhere) }
                    default:
                        o.problems.append("\(e.top) \(label): Halo \(mine.map { "\($0)" } ?? "no path"), OpenSTA \(theirs.map { "\($0)" } ?? "no path")")
                    }
                }
                compare("none", none, reference.none)
                for (c, t) in reference.codes { compare("code \(c)", ours[c] ?? nil, t) }
            } catch {
                o.problems.append("\(e.top): \(error)")
            }
            return o
        }
        let problems = outcomes.flatMap(\.problems)
        XCTAssertEqual(problems.count, 0, problems.prefix(10).joined(separator: "\n"))
        let worst = outcomes.max { $0.worst < $1.worst }
        print(String(format: "parity variants: %d osu018 netlists (8-bit, FP16/BF16 slices), %d rows, largest |Halo − OpenSTA| = %.3f ps at %@",
                     entries.count, outcomes.reduce(0) { $0 + $1.rows }, (worst?.worst ?? 0) * 1000, worst?.worstWhere ?? ""))
        let float = zip(entries, outcomes).filter { $0.0.behaviour.floatLayout != nil }.map(\.1)
        if let w = float.max(by: { $0.worst < $1.worst }) {
            print(String(format: "parity FP16/BF16 variants: %d netlists, %d rows, largest |Halo − OpenSTA| = %.3f ps at %@",
                         float.count, float.reduce(0) { $0 + $1.rows }, w.worst * 1000, w.worstWhere))
        }
        // No stale tables: every fixture belongs to a corpus netlist.
        let tops = Set(entries.map(\.top))
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) where f.hasSuffix(".csv") {
            XCTAssertTrue(tops.contains(String(f.dropLast(4))), "Fixtures/opensta/\(f) has no 8-bit or FP osu018 netlist in the corpus")
        }
    }
}
