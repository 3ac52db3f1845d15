import Foundation
import HaloCore

/// The delay-versus-error results of a hardware-aware quantization run, as plotted by `halo plot --pareto`.
///
/// JSON form, as `halo quantize`/`halo select` write it (other keys are ignored, so reports can grow):
/// ```
/// {"format": "int8", "weights": ["w.npy"], "reference_delay_ns": 4.626,
///  "budget":    {"kind": "max_delay_ns", "value": 3.5, "max_delay_ns": 3.5},
///  "grid":      {"codes": […], "max_delay_ns": 3.41, "mse": 2.1e-4, "sqnr_db": 31.0, …},
///  "baselines": [{"name": "RTN int8", "levels": 256, "max_delay_ns": 4.55, "mse": 1.1e-5, "sqnr_db": 38.2}, …],
///  "pareto":    [{"budget_ns": 3.1, "max_delay_ns": 3.07, "mse": 2.4e-3, "codes": […]}, …]}
/// ```
/// `grid` is the selected solution. With `"objective": "energy"` (or `"edp"`) the front trades energy per
/// operation (`energy_fj`) or the energy-delay product (`edp_fj_ns`) against error, and those are the
/// x values of the points (a point without one is skipped with a warning). The reader is tolerant: `delay_ns` is accepted for
/// `max_delay_ns`, `error` for `mse`, numbers may be written as strings, and a point without a usable
/// delay or error is skipped with a located warning.
public struct ParetoReport: Sendable {
    /// One labelled point (a baseline or the grid).
    public struct Point: Sendable, Equatable {
        /// The label (`int8 RTN`); empty for front points.
        public var name: String
        /// The largest critical-path delay over the weights used, in ns.
        public var maxDelayNs: Double
        /// The quantization error (mean squared error).
        public var mse: Double
        /// Signal-to-quantization-noise ratio in dB, when given.
        public var sqnrDb: Double?
        /// The number of levels (values) of the point's grid, when given (`levels`, or the length of `codes`).
        public var levels: Int?
        /// Energy per operation in fJ (`energy_fj`), when given.
        public var energyFJ: Double?
        /// Energy-delay product per operation in fJ·ns (`edp_fj_ns`), when given.
        public var edpFJns: Double?

        /// Creates a point.
        public init(name: String = "", maxDelayNs: Double, mse: Double, sqnrDb: Double? = nil, levels: Int? = nil,
                    energyFJ: Double? = nil, edpFJns: Double? = nil) {
            self.name = name
            self.maxDelayNs = maxDelayNs
            self.mse = mse
            self.sqnrDb = sqnrDb
            self.levels = levels
            self.energyFJ = energyFJ
            self.edpFJns = edpFJns
        }
    }

    /// What the front trades against error (the report's `objective`).
    public enum Objective: String, Sendable {
        /// Max critical-path delay, ns (reports without `objective`).
        case delay
        /// Energy per operation, fJ.
        case energy
        /// Energy-delay product per operation, fJ·ns.
        case edp

        /// The x value of a point under this objective, if it has one.
        public func x(_ p: Point) -> Double? {
            switch self {
            case .delay: return p.maxDelayNs
            case .energy: return p.energyFJ
            case .edp: return p.edpFJns
            }
        }

        /// The report key of the x value.
        var key: String {
            switch self {
            case .delay: return "max_delay_ns"
            case .energy: return "energy_fj"
            case .edp: return "edp_fj_ns"
            }
        }
    }

    /// The Pareto front (trade-off points), in file order.
    public var pareto: [Point]
    /// Reference methods, labelled.
    public var baselines: [Point]
    /// The selected grid (the solution under the budget), when given.
    public var grid: Point?
    /// A title from the report (`title`, `model` or `name`, else built from `weights` and `format`), when given.
    public var title: String?
    /// The delay budget (`budget.max_delay_ns`), when there is one.
    public var budgetNs: Double?
    /// The delay that speed-ups are measured against (`reference_delay_ns`), when given.
    public var referenceDelayNs: Double?
    /// What the front trades against error (`objective`; delay when absent).
    public var objective: Objective = .delay

    /// Creates a report.
    public init(pareto: [Point], baselines: [Point] = [], grid: Point? = nil, title: String? = nil) {
        self.pareto = pareto
        self.baselines = baselines
        self.grid = grid
        self.title = title
    }

    /// Reads a report file.
    /// - Throws: `HaloError` naming the file (`r.json: error: no such file`) or located in it (malformed
    ///   JSON, a top level that is not an object, nothing to plot).
    public static func read(path: String, diagnostics: DiagnosticSink? = nil) throws -> ParetoReport {
        try parse(InputFile.read(path), path: path, diagnostics: diagnostics)
    }

    /// Parses report JSON; `path` names the file in locations.
    public static func parse(_ data: Data, path: String, diagnostics: DiagnosticSink? = nil) throws -> ParetoReport {
        let root = try JSONNode.parse(data, path: path)
        guard case .object = root.value else {
            throw HaloError("expected a JSON object with 'pareto' and 'baselines', found \(root.kindName)", at: root.location)
        }
        var objective = Objective.delay
        if let node = root["objective"], !isNull(node) {
            guard let text = node.string, let o = Objective(rawValue: text) else {
                throw HaloError("unknown 'objective' (expected \"delay\", \"energy\" or \"edp\")", at: node.location)
            }
            objective = o
        }
        func finite(_ n: JSONNode?) -> Double? { n?.number.flatMap { $0.isFinite ? $0 : nil } }
        func point(_ node: JSONNode, what: String, named: Bool) -> Point? {
            guard case .object = node.value else {
                diagnostics?.warn("skipping \(what): expected an object, found \(node.kindName)", at: node.location)
                return nil
            }
            guard let d = (node["max_delay_ns"] ?? node["delay_ns"])?.number, d.isFinite else {
                diagnostics?.warn("skipping \(what): no finite 'max_delay_ns'", at: node.location)
                return nil
            }
            guard let e = (node["mse"] ?? node["error"])?.number, e.isFinite, e >= 0 else {
                diagnostics?.warn("skipping \(what): no finite, non-negative 'mse'", at: node.location)
                return nil
            }
            var p = Point(maxDelayNs: d, mse: e, sqnrDb: finite(node["sqnr_db"]), energyFJ: finite(node["energy_fj"]),
                          edpFJns: finite(node["edp_fj_ns"]))
            if objective.x(p) == nil {
                diagnostics?.warn("skipping \(what): no finite '\(objective.key)' (the report's objective is \(objective.rawValue))", at: node.location)
                return nil
            }
            if let l = node["levels"]?.number, l.isFinite, l >= 1, l < 1e9 { p.levels = Int(l) }
            else if let codes = node["codes"]?.array { p.levels = codes.count }
            if named { p.name = node["name"]?.string ?? node["method"]?.string ?? "" }
            return p
        }
        func list(_ key: String, named: Bool) throws -> [Point] {
            guard let node = root[key] else { return [] }
            if case .null = node.value { return [] }
            guard let items = node.array else {
                throw HaloError("'\(key)' must be an array of objects, found \(node.kindName)", at: node.location)
            }
            return items.enumerated().compactMap { k, item in point(item, what: "\(key)[\(k)]", named: named) }
        }
        var report = ParetoReport(pareto: try list("pareto", named: false), baselines: try list("baselines", named: true))
        report.objective = objective
        for (k, b) in report.baselines.enumerated() where b.name.isEmpty { report.baselines[k].name = "baseline \(k + 1)" }
        if let g = root["grid"], !isNull(g), var p = point(g, what: "grid", named: true) {
            if p.name.isEmpty { p.name = "selected grid" }
            report.grid = p
        }
        report.title = root["title"]?.string ?? root["model"]?.string ?? root["name"]?.string
        if report.title == nil {
            let weights = root["weights"]?.array?.compactMap(\.string).map { ($0 as NSString).lastPathComponent } ?? []
            var parts: [String] = []
            if !weights.isEmpty { parts.append(weights.count <= 2 ? weights.joined(separator: ", ") : "\(weights[0]) and \(weights.count - 1) more") }
            if let f = root["format"]?.string, !f.isEmpty { parts.append(f) }
            if !parts.isEmpty { report.title = parts.joined(separator: ", ") }
        }
        if let b = root["budget"]?["max_delay_ns"]?.number, b.isFinite { report.budgetNs = b }
        if let r = root["reference_delay_ns"]?.number, r.isFinite, r > 0 { report.referenceDelayNs = r }
        if report.pareto.isEmpty && report.baselines.isEmpty && report.grid == nil {
            throw HaloError("nothing to plot: no usable 'pareto', 'baselines' or 'grid' points", at: root.location)
        }
        return report
    }

    private static func isNull(_ n: JSONNode) -> Bool {
        if case .null = n.value { return true }
        return false
    }
}

/// A picture of a Pareto report: the front of max delay (or energy per operation, or EDP, by the report's
/// objective) against error as a staircase of points (each point's error holds until a faster… slower
/// budget admits the next), baselines and the grid as labelled markers. The error axis is logarithmic
/// when the errors span more than a factor of 30. The reference-delay and budget guides are drawn on a
/// delay axis only.
public struct ParetoPlot: Sendable {
    /// The report to draw.
    public var report: ParetoReport
    /// The title.
    public var title: String
    /// Canvas width in pixels.
    public var width: Double = 960
    /// Canvas height in pixels.
    public var height: Double = 620

    /// Creates a plot; `name` (e.g. the report's file name) goes into the default title when the report has none.
    public init(report: ParetoReport, name: String = "") {
        self.report = report
        var t: String
        switch report.objective {
        case .delay: t = "Max delay vs quantization error"
        case .energy: t = "Energy per operation vs quantization error"
        case .edp: t = "Energy-delay product vs quantization error"
        }
        if let rt = report.title, !rt.isEmpty { t += " — \(rt)" } else if !name.isEmpty { t += " — \(name)" }
        self.title = t
    }

    /// Whether the error axis is logarithmic.
    public var logarithmicError: Bool {
        let all = allPoints.map(\.mse)
        guard let lo = all.min(), let hi = all.max(), lo > 0 else { return false }
        return hi / lo > 30
    }

    private var allPoints: [ParetoReport.Point] { report.pareto + report.baselines + (report.grid.map { [$0] } ?? []) }

    /// A rectangle of the picture in pixels (y downwards): a label's text or a marker.
    public struct Box: Sendable, Equatable {
        /// What it is: a label's text, or `marker: NAME` for a marker.
        public var text: String
        public var minX: Double, minY: Double, maxX: Double, maxY: Double

        /// Whether the two rectangles share an area (touching edges do not count).
        public func overlaps(_ o: Box) -> Bool {
            min(maxX, o.maxX) - max(minX, o.minX) > 0 && min(maxY, o.maxY) - max(minY, o.minY) > 0
        }
    }

    /// Where the labels (the guides', the baselines' and the grid's) and the labelled markers are drawn:
    /// labels are placed so that they overlap neither each other nor a marker, and markers that would
    /// cover each other are set side by side.
    public func layout() -> (labels: [Box], markers: [Box]) {
        let r = draw()
        return (r.labels, r.markers)
    }

    /// The SVG document.
    public func svg() -> String { draw().doc.render() }

    private func draw() -> (doc: SVGDocument, labels: [Box], markers: [Box]) {
        var placedLabels: [Box] = [], placedMarkers: [Box] = []
        var doc = SVGDocument(width: width, height: height, title: title)
        doc.text(24, 34, title, size: 19, fill: "#111111", weight: "bold")
        var facts = ["\(report.pareto.count) point\(report.pareto.count == 1 ? "" : "s") on the front"]
        if !report.baselines.isEmpty { facts.append("\(report.baselines.count) baseline\(report.baselines.count == 1 ? "" : "s")") }
        let objective = report.objective
        facts.append(objective == .delay ? "lower left is better: a faster MAC and a smaller error"
                     : "lower left is better: less \(objective == .edp ? "energy × delay" : "energy") per operation and a smaller error")
        // x of a point (every point read has one: the reader skips those without).
        func px(_ p: ParetoReport.Point) -> Double { objective.x(p) ?? p.maxDelayNs }
        // The delay guides only on a delay axis.
        let budgetNs = objective == .delay ? report.budgetNs : nil, referenceDelayNs = objective == .delay ? report.referenceDelayNs : nil
        doc.text(24, 58, facts.joined(separator: "  ·  "), size: 13, fill: PlotPalette.muted)

        // Legend (built first: its rows push the plot down).
        var items: [LegendItem] = []
        if !report.pareto.isEmpty { items.append(LegendItem(.line(PlotPalette.data, nil, 2.2), "Pareto front")) }
        for (k, b) in report.baselines.enumerated() {
            let style = Self.style(k)
            items.append(LegendItem(.marker(style.shape, style.color), b.name))
        }
        if let g = report.grid { items.append(LegendItem(.marker(.star, Self.selectedColor), g.name)) }
        if budgetNs != nil { items.append(LegendItem(.line(PlotPalette.reference, "7 4", 1.8), "delay budget")) }
        let legendWidth = width - 96 - 40
        let legendRows = min(6, SVGDocument.legendRows(items, maxWidth: legendWidth))
        let extra = Double(legendRows - 1) * 18
        let area = PlotArea(left: 96, top: 100 + extra, width: width - 96 - 40, height: height - 100 - extra - 84)
        let log = logarithmicError
        let points = allPoints
        let xs = points.map(px) + [budgetNs, referenceDelayNs].compactMap { $0 }
        let ys = points.map(\.mse)
        let xLo = xs.min() ?? 0, xHi = xs.max() ?? 1
        let xPad = max((xHi - xLo) * 0.06, abs(xHi) * 0.02, 1e-9)
        // Energy is never negative: its axis starts at 0 at the lowest.
        let xt = Ticks.linear(objective == .delay ? xLo - xPad : max(0, xLo - xPad), xHi + xPad, target: 7)
        let xScale = AxisScale(lower: xt.lower, upper: xt.upper, pixelLower: area.left, pixelUpper: area.right)
        let yt: Ticks
        if log {
            yt = Ticks.logarithmic((ys.min() ?? 1) / 1.8, (ys.max() ?? 1) * 1.8, widen: false)
        } else {
            let hi = ys.max() ?? 1
            yt = Ticks.linear(0, hi * 1.06, target: 6)
        }
        let yScale = AxisScale(lower: yt.lower, upper: yt.upper, pixelLower: area.bottom, pixelUpper: area.top, logarithmic: log)
        var minor: [Double] = []
        if log {
            // Minor ticks at 2…9 × each decade inside the range.
            var e = Int(Foundation.floor(Foundation.log10(yt.lower)))
            while Foundation.pow(10, Double(e)) <= yt.upper && minor.count < 1000 {
                for m in 2...9 {
                    let v = Double(m) * Foundation.pow(10, Double(e))
                    if v >= yt.lower && v <= yt.upper && !yt.values.contains(where: { abs($0 / v - 1) < 1e-9 }) { minor.append(v) }
                }
                e += 1
            }
        }
        let xTitle: String
        switch objective {
        case .delay: xTitle = "max critical-path delay over the weights used (ns)"
        case .energy: xTitle = "energy per MAC operation, mean over the weights' codes (fJ)"
        case .edp: xTitle = "energy per operation × max delay (fJ·ns)"
        }
        doc.xAxis(area, scale: xScale, ticks: xt.values, label: { Ticks.label($0, step: xt.step) }, title: xTitle)
        let logLabels = Dictionary(zip(yt.values, Ticks.logLabels(yt.values)), uniquingKeysWith: { a, _ in a })
        doc.yAxis(area, scale: yScale, ticks: yt.values, label: { log ? (logLabels[$0] ?? Ticks.logLabel($0)) : Ticks.label($0, step: yt.step) },
                  title: "quantization error (MSE\(log ? ", log scale" : ""))", titleOffset: 70, minor: minor)

        doc.legend(items, x: area.left, y: 84, maxWidth: legendWidth)

        // Vertical guides: the reference delay (what speed-ups are against) and the budget. Their labels
        // are placed after the markers, with the other labels, so that none covers another.
        var guideLabels: [(text: String, x: Double, color: String, bold: Bool)] = []
        func guide(_ x: Double, _ text: String, color: String, dash: String, bold: Bool) {
            let px = xScale.pixel(x)
            guard px >= area.left, px <= area.right else { return }
            doc.line(px, area.top, px, area.bottom, stroke: color, width: 1.6, dash: dash)
            guideLabels.append((text, px, color, bold))
        }
        if let b = budgetNs { guide(b, "budget \(formatDelayNs(b)) ns", color: PlotPalette.reference, dash: "7 4", bold: true) }
        if let r = referenceDelayNs {
            guide(r, "reference \(formatDelayNs(r)) ns", color: "#777777", dash: "2 3", bold: false)
        }

        // The front: a staircase (an error is reachable from its delay budget onwards) with points.
        let front = report.pareto.sorted { (px($0), $0.mse) < (px($1), $1.mse) }
        if front.count >= 2 {
            var pts: [(Double, Double)] = []
            for (k, p) in front.enumerated() {
                let x = xScale.pixel(px(p)), y = yScale.pixel(p.mse)
                if k > 0 { pts.append((x, pts.last!.1)) }
                pts.append((x, y))
            }
            doc.polyline(pts, stroke: PlotPalette.data, width: 2.2)
        }
        for p in front {
            doc.circle(xScale.pixel(px(p)), yScale.pixel(p.mse), r: 3.8, fill: PlotPalette.data, stroke: "#ffffff",
                       strokeWidth: 1.2)
        }

        // Labelled points: the grid and the baselines, labels placed where they do not collide.
        var taken: [(Double, Double, Double, Double)] = []
        func place(_ label: String, x: Double, y: Double) {
            let size = 12.5
            let w = SVGDocument.textWidth(label, size: size), h = size + 2
            // Beside the marker (right, then left), at rising vertical offsets; far ones get a leader line.
            var candidates: [(Double, Double, SVGDocument.Anchor, Double)] = []
            for dy in [0.0, -15, 15, -30, 30, -45, 45, -60, 60, -75, 75, -90, 90, -105, 105, -120, 120] {
                candidates.append((x + 11, y + 4 + dy, .start, abs(dy)))
                candidates.append((x - 11, y + 4 + dy, .end, abs(dy)))
            }
            // The first candidate inside the plot that overlaps nothing; else the one inside the plot
            // overlapping least (nearer preferred).
            var chosen = candidates[0]
            var best = Double.infinity
            for c in candidates {
                let left = c.2 == .start ? c.0 : c.0 - w
                let box = (left, c.1 - h + 3, left + w, c.1 + 3)
                let inside = box.0 >= area.left + 2 && box.2 <= area.right - 2 && box.1 >= area.top && box.3 <= area.bottom
                var overlap = 0.0
                for t in taken {
                    let ox = min(box.2, t.2) - max(box.0, t.0), oy = min(box.3, t.3) - max(box.1, t.1)
                    if ox > 0 && oy > 0 { overlap += ox * oy }
                }
                let score = overlap * 10 + c.3 + (inside ? 0 : 1e9)
                if score < best { best = score; chosen = c }
            }
            let left = chosen.2 == .start ? chosen.0 : chosen.0 - w
            taken.append((left, chosen.1 - h + 3, left + w, chosen.1 + 3))
            if chosen.3 >= 30 {
                let ly = chosen.1 - 4
                doc.line(x + (chosen.2 == .start ? 5 : -5), y + (ly > y ? 4 : -4), chosen.0 + (chosen.2 == .start ? -3 : 3), ly,
                         stroke: "#888888", width: 0.8)
            }
            doc.text(chosen.0, chosen.1, label, size: size, anchor: chosen.2, fill: "#222222", outline: true)
            placedLabels.append(Box(text: label, minX: left, minY: chosen.1 - h + 3, maxX: left + w, maxY: chosen.1 + 3))
        }
        // A guide's label: at the top beside its line (right of it, or left near the right edge), lower
        // rows when that place is taken.
        func placeGuide(_ label: String, x: Double, color: String, bold: Bool) {
            let size = 12.0
            let w = SVGDocument.textWidth(label, size: size) * (bold ? 1.08 : 1), h = size + 2
            let preferRight = x <= area.left + area.width * 0.75
            var chosen: (Double, Double, SVGDocument.Anchor)?
            search: for row in 0 ..< 12 {
                let y = area.top + 14 + Double(row) * 16
                for right in preferRight ? [true, false] : [false, true] {
                    let left = right ? x + 6 : x - 6 - w
                    let box = (left, y - h + 3, left + w, y + 3)
                    guard box.0 >= area.left + 2, box.2 <= area.right - 2 else { continue }
                    let free = taken.allSatisfy { t in !(min(box.2, t.2) - max(box.0, t.0) > 0 && min(box.3, t.3) - max(box.1, t.1) > 0) }
                    if free { chosen = (right ? x + 6 : x - 6, y, right ? .start : .end); break search }
                }
            }
            let c = chosen ?? (preferRight ? x + 6 : x - 6, area.top + 14, preferRight ? .start : .end)
            let left = c.2 == .start ? c.0 : c.0 - w
            taken.append((left, c.1 - h + 3, left + w, c.1 + 3))
            placedLabels.append(Box(text: label, minX: left, minY: c.1 - h + 3, maxX: left + w, maxY: c.1 + 3))
            doc.text(c.0, c.1, label, size: size, anchor: c.2, fill: color, weight: bold ? "bold" : nil, outline: true)
        }
        // The front's line segments count as taken too (as thin boxes), so labels avoid crossing them.
        if front.count >= 2 {
            for k in 1..<front.count {
                let x0 = xScale.pixel(px(front[k - 1])), x1 = xScale.pixel(px(front[k]))
                let y0 = yScale.pixel(front[k - 1].mse), y1 = yScale.pixel(front[k].mse)
                taken.append((min(x0, x1) - 1, y0 - 1.5, max(x0, x1) + 1, y0 + 1.5))   // horizontal step
                taken.append((x1 - 1.5, min(y0, y1) - 1, x1 + 1.5, max(y0, y1) + 1))   // vertical step
            }
        }
        // Markers first (so that labels never hide under another marker), then labels.
        // Baselines that would cover each other (equal or nearly equal delay and error, e.g. INT4 in the
        // high bits and the K fastest codes) are set side by side, centred on their common point.
        var centres = report.baselines.map { (xScale.pixel(px($0)), yScale.pixel($0.mse)) }
        var grouped = Set<Int>()
        for k in centres.indices where !grouped.contains(k) {
            let group = centres.indices.filter { j in !grouped.contains(j) && abs(centres[j].0 - centres[k].0) < 12 && abs(centres[j].1 - centres[k].1) < 12 }
            guard group.count > 1 else { continue }
            let (cx, cy) = centres[k]
            for (i, j) in group.enumerated() {
                centres[j] = (cx + (Double(i) - Double(group.count - 1) / 2) * 14, cy)
                grouped.insert(j)
            }
        }
        var labels: [(String, Double, Double)] = []
        for (k, b) in report.baselines.enumerated() {
            let style = Self.style(k)
            let (x, y) = centres[k]
            doc.marker(style.shape, x, y, size: 12, fill: style.color, stroke: "#ffffff", strokeWidth: 1.2)
            taken.append((x - 7, y - 7, x + 7, y + 7))
            placedMarkers.append(Box(text: "marker: \(b.name)", minX: x - 6, minY: y - 6, maxX: x + 6, maxY: y + 6))
            labels.append((Self.label(b), x, y))
        }
        if let g = report.grid {
            // The selected grid last, on top of everything.
            let x = xScale.pixel(px(g)), y = yScale.pixel(g.mse)
            doc.marker(.star, x, y, size: 17, fill: Self.selectedColor, stroke: "#5a3d00", strokeWidth: 1)
            taken.append((x - 10, y - 10, x + 10, y + 10))
            placedMarkers.append(Box(text: "marker: \(g.name)", minX: x - 8.5, minY: y - 8.5, maxX: x + 8.5, maxY: y + 8.5))
            labels.insert((Self.label(g, withLevels: true), x, y), at: 0)
        }
        for p in front { let x = xScale.pixel(px(p)), y = yScale.pixel(p.mse); taken.append((x - 4, y - 4, x + 4, y + 4)) }
        for g in guideLabels { placeGuide(g.text, x: g.x, color: g.color, bold: g.bold) }
        for (text, x, y) in labels { place(text, x: x, y: y) }
        return (doc, placedLabels, placedMarkers)
    }

    static func label(_ p: ParetoReport.Point, withLevels: Bool = false) -> String {
        var s = p.name
        if withLevels, let l = p.levels { s += " · \(l) level\(l == 1 ? "" : "s")" }
        if let q = p.sqnrDb { s += String(format: " · %.1f dB", q) }
        return s
    }

    /// The color of the selected grid's star.
    static let selectedColor = "#f0b400"

    static func style(_ k: Int) -> (shape: MarkerShape, color: String) {
        let shapes: [MarkerShape] = [.diamond, .square, .triangle, .triangleDown, .star, .circle]
        return (shapes[k % shapes.count], PlotPalette.categorical[k % PlotPalette.categorical.count])
    }
}
