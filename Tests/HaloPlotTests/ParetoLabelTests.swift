import Foundation
import XCTest
import HaloCore
import HaloPlot

/// (issue 13) The README's Pareto plot — worked example steps 3, 6 and 7 on the osu018 mac8, whose
/// report is below (the points that are drawn) — had its "budget" and "reference" labels on top of each
/// other and the "int4 high bits" marker hidden under the "16 fastest codes" one (the same delay and
/// error). No label may cover another label or a marker, and no marker another.
final class ParetoLabelTests: XCTestCase {
    static let readmeReport = """
{"format": "int8", "weights": ["synthetic gaussian, 65536 values, seed 1"], "reference_delay_ns": 4.625598,
 "budget": {"kind": "min_speedup", "value": 1.25, "max_delay_ns": 3.7004784},
 "grid": {"max_delay_ns": 3.676273, "mse": 0.00954122045214021, "sqnr_db": 20.204943102480026, "levels": 16},
 "baselines": [
  {"name": "int8 (all codes)", "levels": 256, "max_delay_ns": 4.625483, "mse": 8.992839801054164e-05, "sqnr_db": 40.46201383752462},
  {"name": "int4 low bits (-8…7)", "levels": 16, "max_delay_ns": 4.625472, "mse": 0.011843415807846633, "sqnr_db": 19.26621263593201},
  {"name": "int4 high bits (multiples of 16)", "levels": 16, "max_delay_ns": 3.465343, "mse": 0.011843415807846633, "sqnr_db": 19.26621263593201},
  {"name": "16 fastest codes", "levels": 16, "max_delay_ns": 3.465343, "mse": 0.011843415807846633, "sqnr_db": 19.26621263593201}],
 "pareto": [
  {"max_delay_ns": 2.028997, "mse": 1.0002262331326401},
  {"max_delay_ns": 3.068865, "mse": 0.5941005906284222},
  {"max_delay_ns": 3.272473, "mse": 0.5396044461147335},
  {"max_delay_ns": 3.347316, "mse": 0.5215215448722869},
  {"max_delay_ns": 3.395712, "mse": 0.167504033335468},
  {"max_delay_ns": 3.395757, "mse": 0.07792955274859507},
  {"max_delay_ns": 3.396318, "mse": 0.07463394246768135},
  {"max_delay_ns": 3.400757, "mse": 0.035100671018704},
  {"max_delay_ns": 3.442493, "mse": 0.028721630656768787},
  {"max_delay_ns": 3.465343, "mse": 0.011843415807846633},
  {"max_delay_ns": 3.574259, "mse": 0.011315607425333187},
  {"max_delay_ns": 3.592422, "mse": 0.011265359200760185},
  {"max_delay_ns": 3.615271, "mse": 0.010776674517432108},
  {"max_delay_ns": 3.625716, "mse": 0.010409586063506955},
  {"max_delay_ns": 3.625728, "mse": 0.010201809535103495},
  {"max_delay_ns": 3.626869, "mse": 0.010042376450552216},
  {"max_delay_ns": 3.648985, "mse": 0.009984180067431608},
  {"max_delay_ns": 3.658087, "mse": 0.009686470941157096},
  {"max_delay_ns": 3.676261, "mse": 0.009574555757222915},
  {"max_delay_ns": 3.676273, "mse": 0.00954122045214021},
  {"max_delay_ns": 4.326959, "mse": 0.009530201424423318},
  {"max_delay_ns": 4.327053, "mse": 0.009513928985068466},
  {"max_delay_ns": 4.347988, "mse": 0.009492102660520318},
  {"max_delay_ns": 4.348082, "mse": 0.00947857494455365},
  {"max_delay_ns": 4.575867, "mse": 0.009468217415786392},
  {"max_delay_ns": 4.589478, "mse": 0.009463885287898443},
  {"max_delay_ns": 4.608345, "mse": 0.009462904249048453},
  {"max_delay_ns": 4.625251, "mse": 0.009454717495674721},
  {"max_delay_ns": 4.625262, "mse": 0.00945442137429026}]}
"""

    func assertNoCollisions(_ plot: ParetoPlot, file: StaticString = #filePath, line: UInt = #line) {
        let (labels, markers) = plot.layout()
        for (i, a) in labels.enumerated() {
            for b in labels[(i + 1)...] { XCTAssertFalse(a.overlaps(b), "label '\(a.text)' covers label '\(b.text)'", file: file, line: line) }
            for m in markers { XCTAssertFalse(a.overlaps(m), "label '\(a.text)' covers \(m.text)", file: file, line: line) }
        }
        for (i, a) in markers.enumerated() {
            for b in markers[(i + 1)...] { XCTAssertFalse(a.overlaps(b), "\(a.text) hides \(b.text)", file: file, line: line) }
        }
    }

    func testReadmeParetoPlotLabelsDoNotCollide() throws {
        let report = try ParetoReport.parse(Data(Self.readmeReport.utf8), path: "grid.json")
        let high = try XCTUnwrap(report.baselines.first { $0.name.hasPrefix("int4 high") })
        let fastest = try XCTUnwrap(report.baselines.first { $0.name.hasPrefix("16 fastest") })
        XCTAssertEqual(high.maxDelayNs, fastest.maxDelayNs)
        XCTAssertEqual(high.mse, fastest.mse)
        let plot = ParetoPlot(report: report, name: "grid.json")
        let (labels, markers) = plot.layout()
        XCTAssertEqual(labels.count, report.baselines.count + 1 + 2, "a label per baseline, the grid and both guides")
        XCTAssertTrue(labels.contains { $0.text == "budget 3.700 ns" } && labels.contains { $0.text == "reference 4.626 ns" })
        XCTAssertEqual(markers.count, report.baselines.count + 1)
        assertNoCollisions(plot)
        // Every label is drawn in the SVG.
        let svg = plot.svg()
        for l in labels { XCTAssertTrue(svg.contains(">\(l.text.replacingOccurrences(of: "&", with: "&amp;"))<"), l.text) }
    }

    /// Coincident baselines are set side by side; the others stay where their values put them.
    func testCoincidentMarkersSideBySide() {
        var report = ParetoReport(pareto: [.init(maxDelayNs: 1, mse: 1), .init(maxDelayNs: 3, mse: 0.1)],
                                  baselines: [.init(name: "a", maxDelayNs: 1.5, mse: 0.5), .init(name: "b", maxDelayNs: 2.5, mse: 0.2),
                                              .init(name: "c", maxDelayNs: 2.5, mse: 0.2)])
        report.budgetNs = 2
        report.referenceDelayNs = 2.02
        let plot = ParetoPlot(report: report)
        let markers = plot.layout().markers
        XCTAssertEqual(markers[2].minX - markers[1].minX, 14, accuracy: 1e-9)
        XCTAssertEqual(markers[1].minY, markers[2].minY)
        XCTAssertLessThan(markers[0].maxX, markers[1].minX)
        assertNoCollisions(plot)
    }
}
