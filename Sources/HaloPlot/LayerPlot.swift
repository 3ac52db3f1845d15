import Foundation
import HaloCore

/// Per-layer quantities of several series (time and energy of every GEMM of a model under INT8, INT4,
/// the HALO grid, …) as stacked panels, one line with markers per series, the layers along x in order.
public enum LayerPlot {
    /// One panel: a title, a y-axis title, and each series' values (one per layer).
    public struct Panel: Sendable {
        /// Panel title.
        public var title: String
        /// y-axis title (with its unit).
        public var yTitle: String
        /// `(series name, value per layer)`; series in legend order.
        public var series: [(name: String, values: [Double])]

        /// A panel.
        public init(title: String, yTitle: String, series: [(name: String, values: [Double])]) {
            self.title = title
            self.yTitle = yTitle
            self.series = series
        }
    }

    /// The SVG document: `panels` stacked, sharing the x axis of `layerCount` layers.
    public static func svg(title: String, layerCount: Int, panels: [Panel]) -> String {
        let width = 960.0, panelHeight = 250.0, top = 64.0
        let names = panels.first?.series.map(\.name) ?? []
        let legendRows = Double(SVGDocument.legendRows(names.map { LegendItem(.line("#000", nil, 2), $0) }, maxWidth: width - 120))
        let height = top + Double(panels.count) * (panelHeight + 70) + 18 * legendRows + 20
        var doc = SVGDocument(width: width, height: height, title: title)
        doc.rect(0, 0, width, height, fill: "#ffffff")
        doc.text(width / 2, 28, title, size: 16, anchor: .middle, weight: "bold")
        let colors = PlotPalette.categorical
        let legend = names.enumerated().map { LegendItem(.line(colors[$0.offset % colors.count], nil, 2), $0.element) }
        doc.legend(legend, x: 90, y: 50, maxWidth: width - 120)
        let n = max(1, layerCount)
        for (p, panel) in panels.enumerated() {
            let area = PlotArea(left: 90, top: top + 18 * legendRows + Double(p) * (panelHeight + 70), width: width - 120, height: panelHeight - 40)
            let all = panel.series.flatMap(\.values).filter(\.isFinite)
            let ticks = Ticks.linear(0, max(all.max() ?? 1, 1e-300))
            let y = AxisScale(lower: ticks.lower, upper: ticks.upper, pixelLower: area.bottom, pixelUpper: area.top)
            let x = AxisScale(lower: -0.5, upper: Double(n) - 0.5, pixelLower: area.left, pixelUpper: area.right)
            doc.text(area.left, area.top - 8, panel.title, size: 13.5, weight: "bold")
            doc.yAxis(area, scale: y, ticks: ticks.values, label: { shortNumber($0) },
                      title: panel.yTitle, titleOffset: 66)
            let xt = Ticks.integer(0, n - 1, target: 12)
            doc.xAxis(area, scale: x, ticks: xt.values, label: { String(Int($0)) }, title: "layer (GEMM, in model order)")
            for (s, series) in panel.series.enumerated() {
                let color = colors[s % colors.count]
                let points = series.values.enumerated().filter { $0.element.isFinite }.map { (x.pixel(Double($0.offset)), y.pixel($0.element)) }
                doc.polyline(points, stroke: color, width: 1.5)
                if points.count <= 80 { for pt in points { doc.circle(pt.0, pt.1, r: 2.2, fill: color) } }
            }
        }
        return doc.render()
    }

    /// A tick label with at most 3 significant digits (`1.25e+06` as `1.25M`).
    static func shortNumber(_ v: Double) -> String {
        let a = abs(v)
        for (s, f) in [("G", 1e9), ("M", 1e6), ("k", 1e3)] where a >= f { return SVGDocument.number(v / f) + s }
        if a > 0 && a < 0.01 { return String(format: "%.1e", v) }
        return SVGDocument.number(v)
    }
}
