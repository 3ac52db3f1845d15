import Foundation
import HaloCore

/// How the codes of a delay table are shown on the x axis.
public enum ValueFormat: Sendable, Equatable, CustomStringConvertible {
    /// The unsigned code as written in the table.
    case code
    /// The two's-complement value of an N-bit code (`int8`: codes 128…255 are −128…−1).
    case signed(bits: Int)
    /// The unsigned value of an N-bit code (`uint8`: 0…255); like `code`, with the range fixed to N bits.
    case unsigned(bits: Int)
    /// Codes of a floating-point format (`fp16`, `bf16`), placed in the order of their values, one step
    /// per code (sign-magnitude: the x position of a code is ±its magnitude bits, so the axis is
    /// logarithmic in |value| and both zeros sit at 0); NaN and ±∞ codes are not drawn.
    case float(IEEEFloatFormat)

    /// Parses `code`, `intN`, `uintN` (N from 1 to 62), `fp16` or `bf16`. Returns nil for anything else.
    public static func parse(_ text: String) -> ValueFormat? {
        let t = text.lowercased()
        if t == "code" { return .code }
        if t == "fp16" { return .float(.binary16) }
        if t == "bf16" { return .float(.bfloat16) }
        if t.hasPrefix("uint"), let n = Int(t.dropFirst(4)), (1...62).contains(n), t.dropFirst(4).allSatisfy(\.isNumber) {
            return .unsigned(bits: n)
        }
        if t.hasPrefix("int"), let n = Int(t.dropFirst(3)), (1...62).contains(n), t.dropFirst(3).allSatisfy(\.isNumber) {
            return .signed(bits: n)
        }
        return nil
    }

    /// `code`, `int8`, `uint8`, `fp16`, `bf16`, ….
    public var description: String {
        switch self {
        case .code: return "code"
        case .signed(let b): return "int\(b)"
        case .unsigned(let b): return "uint\(b)"
        case .float(let f): return f == .bfloat16 ? "bf16" : f == .binary16 ? "fp16" : "float\(f.totalBits)"
        }
    }

    /// The number of bits, when the format fixes it.
    public var bits: Int? {
        switch self {
        case .code: return nil
        case .signed(let b), .unsigned(let b): return b
        case .float(let f): return f.totalBits
        }
    }

    /// The x position of `code`: the code, its two's complement value, or for a floating-point format
    /// ±(its bits without the sign), which orders codes by value.
    public func value(ofCode code: Int) -> Int {
        switch self {
        case .code, .unsigned: return code
        case .signed(let b):
            let half = 1 << (b - 1)
            return code >= half ? code - (1 << b) : code
        case .float(let f):
            let sign = 1 << (f.totalBits - 1)
            return code & sign != 0 ? -(code & (sign - 1)) : code
        }
    }

    /// Whether `code` is drawn: every code, except the NaN and infinite codes of a floating-point format.
    public func isDrawn(code: Int) -> Bool {
        guard case .float(let f) = self else { return true }
        return code >= 0 && code < (1 << f.totalBits) && f.value(ofCode: code).isFinite
    }

    /// The text of `code`'s value in labels (`−3`, `1.5`, `6.1035e-05`).
    public func valueText(ofCode code: Int) -> String {
        if case .float(let f) = self {
            let v = f.value(ofCode: code)
            let text = v == v.rounded() && abs(v) < 1e6 ? String(Int(v)) : String(format: "%g", v)
            return text.replacingOccurrences(of: "-", with: "\u{2212}")
        }
        let v = value(ofCode: code)
        return v < 0 ? "\u{2212}\(-v)" : "\(v)"
    }

    /// Floating point: ticks at 0 and at ±2^k for k a multiple of a step giving about three a side,
    /// labelled `2⁸`, `1`, `−2⁻⁸`, … (x positions as ``value(ofCode:)``).
    public func floatTicks(_ f: IEEEFloatFormat) -> [(x: Double, label: String)] {
        let lowest = 1 - f.bias, highest = f.maxExponentField - 1 - f.bias
        let step = [1, 2, 4, 8, 16, 32, 64, 128].first { s in
            (lowest ... highest).filter { $0 % s == 0 }.count <= 3
        } ?? 128
        var ticks: [(x: Double, label: String)] = [(0, "0")]
        for k in lowest ... highest where k % step == 0 {
            let code = (k + f.bias) << f.fractionBits
            let label = k == 0 ? "1" : "2" + Self.superscript(k)
            ticks.append((Double(code), label))
            ticks.append((-Double(code), "\u{2212}" + label))
        }
        return ticks.sorted { $0.x < $1.x }
    }

    private static func superscript(_ n: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        return (n < 0 ? "⁻" : "") + String(abs(n)).map { digits[Int(String($0))!] }
    }
}

/// A picture of a delay table: delay against code (or signed value), the no-case delay as a labelled
/// dashed line, and a histogram of the delays sharing the delay axis.
///
/// Tables of up to ~1,000 codes are drawn point by point; larger ones (65,536 codes of a 16-bit bus) as
/// the minimum-to-maximum range of the codes in each pixel column, so that the SVG stays small.
public struct DelayPlot: Sendable {
    /// The table to draw.
    public var table: DelayTable
    /// How codes are shown on the x axis.
    public var format: ValueFormat
    /// The title; by default built from the table's metadata.
    public var title: String
    /// The bus name shown in labels (`W`); by default the table's.
    public var busName: String

    /// Canvas width in pixels.
    public var width: Double = 1100
    /// Canvas height in pixels.
    public var height: Double = 600

    /// Creates a plot of `table`. `name` (a design or file name) goes into the default title.
    public init(table: DelayTable, format: ValueFormat = .code, name: String = "", busName: String? = nil) {
        self.table = table
        self.format = format
        let bus = busName ?? table.metadata.bus
        self.busName = bus
        var t = "Critical-path delay per code"
        if !bus.isEmpty { t = "Critical-path delay per code of \(bus)" }
        if !name.isEmpty { t += " — \(name)" }
        self.title = t
    }

    /// Checks that every code fits the format (`int8` allows codes 0…255).
    /// - Throws: `HaloError` naming the first code that does not fit, or when no code has a delay.
    public func validate(path: String) throws {
        if let bits = format.bits, let bad = table.entries.first(where: { $0.code >= (1 << bits) }) {
            throw HaloError("code \(bad.code) does not fit --format \(format) (codes 0-\((1 << bits) - 1))", file: path)
        }
        if !table.entries.contains(where: { $0.delayNs?.isFinite == true }) {
            throw HaloError("no code has a delay to plot (every row is empty: no path)", file: path)
        }
    }

    /// The range of x values drawn: the whole N-bit range for `intN`/`uintN`, otherwise 0…2^n−1 when the
    /// table covers more than half of it (or its metadata gives the bus width), else the codes present.
    public func valueRange() -> ClosedRange<Int> {
        switch format {
        case .signed(let b): return -(1 << (b - 1))...((1 << (b - 1)) - 1)
        case .unsigned(let b): return 0...((1 << b) - 1)
        case .float(let f):
            let largest = (f.maxExponentField << f.fractionBits) - 1    // the largest finite magnitude's bits
            return -largest...largest
        case .code:
            let codes = table.entries.map(\.code)
            guard let lo = codes.min(), let hi = codes.max() else { return 0...1 }
            let w = table.metadata.busWidth
            if w > 0 && w < 62 && hi < (1 << w) { return 0...((1 << w) - 1) }
            var bits = 1
            while bits < 62 && (1 << bits) <= hi { bits += 1 }
            if codes.count * 2 > (1 << bits) { return 0...((1 << bits) - 1) }
            return lo...hi
        }
    }

    /// Summary statistics of the delays with a path.
    public struct Summary: Sendable, Equatable {
        /// Codes with a delay.
        public var count: Int
        /// Codes without a path (empty `delay_ns`).
        public var withoutPath: Int
        /// The fastest code and its delay.
        public var fastest: (code: Int, delayNs: Double)?
        /// The slowest code and its delay.
        public var slowest: (code: Int, delayNs: Double)?
        /// The median delay.
        public var medianNs: Double?

        /// Equal when every field is (tuples are compared element by element).
        public static func == (a: Summary, b: Summary) -> Bool {
            a.count == b.count && a.withoutPath == b.withoutPath && a.fastest?.code == b.fastest?.code
                && a.fastest?.delayNs == b.fastest?.delayNs && a.slowest?.code == b.slowest?.code
                && a.slowest?.delayNs == b.slowest?.delayNs && a.medianNs == b.medianNs
        }
    }

    /// The statistics shown in the subtitle (over the codes drawn: a floating-point format's NaN and ±∞
    /// codes are left out).
    public func summary() -> Summary {
        var delays: [Double] = []
        var fastest: (Int, Double)?, slowest: (Int, Double)?
        var without = 0
        for e in table.entries where format.isDrawn(code: e.code) {
            guard let d = e.delayNs, d.isFinite else { without += 1; continue }
            delays.append(d)
            if fastest == nil || d < fastest!.1 { fastest = (e.code, d) }
            if slowest == nil || d > slowest!.1 { slowest = (e.code, d) }
        }
        delays.sort()
        let median: Double? = delays.isEmpty ? nil
            : delays.count % 2 == 1 ? delays[delays.count / 2] : (delays[delays.count / 2 - 1] + delays[delays.count / 2]) / 2
        return Summary(count: delays.count, withoutPath: without, fastest: fastest.map { ($0.0, $0.1) },
                       slowest: slowest.map { ($0.0, $0.1) }, medianNs: median)
    }

    /// The SVG document.
    public func svg() -> String {
        var doc = SVGDocument(width: width, height: height, title: title)
        let stats = summary()
        let noCase = table.unconstrained?.delayNs.flatMap { $0.isFinite ? $0 : nil }
        let points: [(x: Int, d: Double)] = table.entries.compactMap { e in
            guard format.isDrawn(code: e.code), let d = e.delayNs, d.isFinite else { return nil }
            return (format.value(ofCode: e.code), d)
        }
        let bus = busName.isEmpty ? "the bus" : busName
        func valueText(_ code: Int) -> String {
            let number = format.valueText(ofCode: code)
            if !busName.isEmpty { return "\(busName) = \(number)" }
            if case .code = format { return "code \(number)" }
            return "value \(number)"
        }

        // Header: title, summary, legend.
        doc.text(24, 34, title, size: 19, fill: "#111111", weight: "bold")
        var facts: [String] = ["\(stats.count) code\(stats.count == 1 ? "" : "s")"]
        if let f = stats.fastest { facts.append("fastest \(formatDelayNs(f.delayNs)) ns (\(valueText(f.code)))") }
        if let m = stats.medianNs { facts.append("median \(formatDelayNs(m)) ns") }
        if let s = stats.slowest { facts.append("slowest \(formatDelayNs(s.delayNs)) ns (\(valueText(s.code)))") }
        if stats.withoutPath > 0 { facts.append("\(stats.withoutPath) without a path") }
        let hidden = table.entries.filter { !format.isDrawn(code: $0.code) }.count
        if hidden > 0 { facts.append("\(hidden) NaN/\u{221E} codes not drawn") }
        doc.text(24, 58, facts.joined(separator: "  ·  "), size: 13, fill: PlotPalette.muted)

        let main = PlotArea(left: 84, top: 100, width: width * 0.655, height: height - 100 - 84)
        let hist = PlotArea(left: main.right + 34, top: main.top, width: width - main.right - 34 - 36, height: main.height)
        let dense = points.count > Int(main.width)

        var legendItems: [LegendItem] = [
            LegendItem(dense ? .density(PlotPalette.data) : .marker(.circle, PlotPalette.data),
                       dense ? "codes per 3×3 px cell (darker: more)" : "delay per code"),
        ]
        if let noCase { legendItems.append(LegendItem(.line(PlotPalette.reference, "7 4", 2), "no case analysis (\(formatDelayNs(noCase)) ns)")) }
        legendItems.append(LegendItem(.bar(PlotPalette.data), "histogram of delays"))
        doc.legend(legendItems, x: main.left, y: 84)

        // Delay axis (shared by both panels).
        let delays = points.map(\.d) + (noCase.map { [$0] } ?? [])
        var dLo = delays.min() ?? 0, dHi = delays.max() ?? 1
        if dLo >= 0 && dLo < 0.6 * dHi { dLo = 0 }
        if dHi > dLo { dHi += (dHi - dLo) * 0.04 }  // room above the no-case line for its label
        let yt = Ticks.linear(dLo, dHi, target: 6)
        let yScale = AxisScale(lower: yt.lower, upper: yt.upper, pixelLower: main.bottom, pixelUpper: main.top)

        // Value axis.
        let range = valueRange()
        let xLoInt = min(range.lowerBound, points.map(\.x).min() ?? range.lowerBound)
        let xHiInt = max(range.upperBound, points.map(\.x).max() ?? range.upperBound)
        let xLo = Double(xLoInt), xHi = Double(xHiInt)
        let xt = Ticks.integer(xLoInt, xHiInt, target: 8)
        var floatTicks: [(x: Double, label: String)]?
        if case .float(let f) = format { floatTicks = format.floatTicks(f) }
        let pad = max(0.5, (xHi - xLo) * 0.015)
        let xScale = AxisScale(lower: xLo - pad, upper: xHi + pad, pixelLower: main.left, pixelUpper: main.right)
        let xTitle: String
        let of = busName.isEmpty ? "" : " of \(bus)"
        switch format {
        case .code: xTitle = "code\(of) (unsigned)"
        case .signed(let b): xTitle = "value\(of) (int\(b), two's complement)"
        case .unsigned(let b): xTitle = "value\(of) (uint\(b))"
        case .float: xTitle = "value\(of) (\(format), in code order: one step per value, logarithmic in |value|)"
        }
        if let floatTicks {
            let labels = Dictionary(floatTicks.map { ($0.x, $0.label) }, uniquingKeysWith: { a, _ in a })
            doc.xAxis(main, scale: xScale, ticks: floatTicks.map(\.x), label: { labels[$0] ?? "" }, title: xTitle)
        } else {
            doc.xAxis(main, scale: xScale, ticks: xt.values, label: { Ticks.label($0, step: xt.step) }, title: xTitle)
        }
        doc.yAxis(main, scale: yScale, ticks: yt.values, label: { Ticks.label($0, step: yt.step) }, title: "critical-path delay (ns)")
        // The zero value (signed and floating-point formats): a faint vertical guide.
        switch format {
        case .signed, .float:
            let x0 = xScale.pixel(0)
            doc.line(x0, main.top, x0, main.bottom, stroke: "#bbbbbb", width: 1)
        case .code, .unsigned:
            break
        }

        // No case analysis: a dashed line across both panels, under the data (labelled after them).
        if let noCase {
            let y = yScale.pixel(noCase)
            doc.line(main.left, y, hist.right, y, stroke: PlotPalette.reference, width: 2, dash: "7 4")
        }

        drawPoints(&doc, points, in: main, x: xScale, y: yScale, dense: dense)

        // The fastest code, ringed and labelled.
        if let f = stats.fastest, points.count > 1 {
            let x = xScale.pixel(Double(format.value(ofCode: f.code))), y = yScale.pixel(f.delayNs)
            doc.circle(x, y, r: 6.5, fill: "none", stroke: "#111111", strokeWidth: 1.4)
            let label = "fastest: \(valueText(f.code)) (\(formatDelayNs(f.delayNs)) ns)"
            let leftHalf = x < main.left + main.width * 0.6
            let ly = min(main.bottom - 8, y + 4)
            doc.text(leftHalf ? x + 11 : x - 11, ly, label, size: 12, anchor: leftHalf ? .start : .end, fill: "#111111",
                     outline: true)
        }

        if let noCase {
            let y = yScale.pixel(noCase)
            doc.text(main.right - 6, y - 7, "no case analysis: \(formatDelayNs(noCase)) ns", size: 12.5, anchor: .end,
                     fill: PlotPalette.reference, weight: "bold", outline: true)
        }

        drawHistogram(&doc, points.map(\.d), in: hist, delayScale: yScale, delayTicks: yt, noCase: noCase)
        return doc.render()
    }

    /// The codes' delays against their values: dots, or when there are more codes than pixels across,
    /// a density picture of 3×3 px cells shaded by how many codes fall in them (log scale).
    private func drawPoints(_ doc: inout SVGDocument, _ points: [(x: Int, d: Double)], in main: PlotArea, x xScale: AxisScale,
                            y yScale: AxisScale, dense: Bool) {
        if dense {
            // A density picture: cells of 3×3 px shaded by how many codes fall in them (log scale).
            let cell = 3.0
            let columns = max(1, Int(main.width / cell)), rows = max(1, Int(main.height / cell))
            var counts = [Int32](repeating: 0, count: columns * rows)
            for p in points {
                let c = clampedInt((xScale.pixel(Double(p.x)) - main.left) / cell, 0, columns - 1)
                let r = clampedInt((yScale.pixel(p.d) - main.top) / cell, 0, rows - 1)
                counts[r * columns + c] += 1
            }
            let most = Double(counts.max() ?? 1)
            let levels = 8
            var byLevel = [String](repeating: "", count: levels)
            for r in 0..<rows {
                for c in 0..<columns where counts[r * columns + c] > 0 {
                    let t = log(1 + Double(counts[r * columns + c])) / log(1 + max(1, most))
                    let level = clampedInt((t * Double(levels)).rounded(.up) - 1, 0, levels - 1)
                    byLevel[level] += "M\(SVGDocument.number(main.left + Double(c) * cell)),\(SVGDocument.number(main.top + Double(r) * cell))h3v3h-3z"
                }
            }
            for (level, d) in byLevel.enumerated() where !d.isEmpty {
                doc.path(d, fill: PlotPalette.data, opacity: 0.18 + 0.82 * Double(level + 1) / Double(levels))
            }
        } else {
            let r = points.count <= 300 ? 2.7 : 2.0
            doc.raw("<g fill=\"\(PlotPalette.data)\" fill-opacity=\"0.85\">")
            for p in points {
                doc.raw("<circle cx=\"\(SVGDocument.number(xScale.pixel(Double(p.x))))\" cy=\"\(SVGDocument.number(yScale.pixel(p.d)))\" r=\"\(SVGDocument.number(r))\"/>")
            }
            doc.raw("</g>")
        }
    }

    /// The histogram of the delays beside the main panel, sharing its delay axis, with the no-case line.
    private func drawHistogram(_ doc: inout SVGDocument, _ delays: [Double], in hist: PlotArea, delayScale yScale: AxisScale,
                               delayTicks yt: Ticks, noCase: Double?) {
        let bin = Ticks.niceNumber((yt.upper - yt.lower) / 60, round: true)
        let binCount = clampedInt(((yt.upper - yt.lower) / bin).rounded(.up), 1, 2000)
        var counts = [Int](repeating: 0, count: binCount)
        for d in delays {
            counts[clampedInt(((d - yt.lower) / bin).rounded(.down), 0, binCount - 1)] += 1
        }
        let maxCount = counts.max() ?? 0
        let ht = Ticks.linear(0, Double(max(1, maxCount)), target: 3)
        let hScale = AxisScale(lower: 0, upper: ht.upper, pixelLower: hist.left, pixelUpper: hist.right)
        for v in yt.values {
            let y = yScale.pixel(v)
            doc.line(hist.left, y, hist.right, y, stroke: PlotPalette.grid, width: 1)
            doc.line(hist.left - 4, y, hist.left, y, stroke: PlotPalette.axis, width: 1)
        }
        doc.line(hist.left, hist.top, hist.left, hist.bottom, stroke: PlotPalette.axis, width: 1.2)
        doc.raw("<g fill=\"\(PlotPalette.data)\" fill-opacity=\"0.75\">")
        for (k, c) in counts.enumerated() where c > 0 {
            let y0 = yScale.pixel(yt.lower + Double(k + 1) * bin), y1 = yScale.pixel(yt.lower + Double(k) * bin)
            let w = hScale.pixel(Double(c)) - hist.left
            doc.raw("<rect x=\"\(SVGDocument.number(hist.left + 0.6))\" y=\"\(SVGDocument.number(y0 + 0.4))\" width=\"\(SVGDocument.number(max(1.5, w)))\" height=\"\(SVGDocument.number(max(0.6, y1 - y0 - 0.8)))\"/>")
        }
        doc.raw("</g>")
        if let noCase {
            let y = yScale.pixel(noCase)
            doc.line(hist.left, y, hist.right, y, stroke: PlotPalette.reference, width: 2, dash: "7 4")
        }
        doc.xAxis(hist, scale: hScale, ticks: ht.values, label: { Ticks.label($0, step: ht.step) },
                  title: "codes per \(formatBin(bin)) ns bin", grid: false)
    }

    private func formatBin(_ b: Double) -> String {
        var s = String(format: "%.6f", b)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

/// `x` converted to an integer and clamped to `lo…hi` (NaN gives `lo`); never traps.
func clampedInt(_ x: Double, _ lo: Int, _ hi: Int) -> Int {
    guard x.isFinite else { return x == .infinity ? hi : lo }
    if x <= Double(lo) { return lo }
    if x >= Double(hi) { return hi }
    return Int(x)
}
