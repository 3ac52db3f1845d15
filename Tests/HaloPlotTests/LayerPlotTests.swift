import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import HaloPlot

final class LayerPlotTests: XCTestCase {
    func testPanelsAndSeries() throws {
        let panels = [LayerPlot.Panel(title: "time per layer", yTitle: "time (µs)", series: [("int8", [3, 4, 5]), ("halo grid <fast>", [2, 3, 4])]),
                      LayerPlot.Panel(title: "energy per layer", yTitle: "energy (µJ)", series: [("int8", [30, 40, 50]), ("halo grid <fast>", [20, 30, 40])])]
        let svg = LayerPlot.svg(title: "array", layerCount: 3, panels: panels)
        XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), "not well-formed XML")
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 4)          // one line per series per panel (+ none in the legend)
        XCTAssertTrue(svg.contains("time per layer") && svg.contains("energy per layer") && svg.contains("halo grid &lt;fast&gt;"))
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 12)           // a marker per value
    }
}
