import Foundation

/// A minimal SVG writer: shapes and text appended in drawing order, rendered as one standalone document.
///
/// Coordinates are in pixels from the top-left corner. Text is escaped for XML, and characters that XML
/// forbids (control characters, U+FFFE, U+FFFF) are dropped, so any string from an input file can be drawn.
public struct SVGDocument: Sendable {
    /// Canvas width in pixels.
    public var width: Double
    /// Canvas height in pixels.
    public var height: Double
    /// The `<title>` of the document (shown as a tooltip by browsers).
    public var title: String
    private var body: [String] = []

    /// Font stack for every text element.
    public static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"

    /// An empty canvas.
    public init(width: Double, height: Double, title: String) {
        self.width = width
        self.height = height
        self.title = title
    }

    /// A number as SVG wants it: at most two decimals, no trailing zeros.
    public static func number(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let r = (x * 100).rounded() / 100
        if r == r.rounded() && abs(r) < 1e15 { return String(Int(r)) }
        var s = String(format: "%.2f", r)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// Text escaped for XML content and attribute values, with XML-forbidden characters dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for u in text.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out += " "
            default:
                let v = u.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF || (v >= 0x7F && v < 0xA0) { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    private static let n = number

    /// Appends raw SVG markup (already escaped). Used for grouping (`<g …>`…`</g>`).
    public mutating func raw(_ markup: String) { body.append(markup) }

    /// A straight line.
    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
                              width: Double = 1, dash: String? = nil, opacity: Double = 1) {
        var s = "<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\""
        if let dash { s += " stroke-dasharray=\"\(dash)\"" }
        if opacity < 1 { s += " stroke-opacity=\"\(Self.n(opacity))\"" }
        body.append(s + "/>")
    }

    /// A rectangle.
    public mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil,
                              strokeWidth: Double = 1, opacity: Double = 1, rx: Double = 0) {
        var s = "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(max(0, w)))\" height=\"\(Self.n(max(0, h)))\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"\(Self.n(strokeWidth))\"" }
        if opacity < 1 { s += " fill-opacity=\"\(Self.n(opacity))\"" }
        if rx > 0 { s += " rx=\"\(Self.n(rx))\"" }
        body.append(s + "/>")
    }

    /// A circle.
    public mutating func circle(_ cx: Double, _ cy: Double, r: Double, fill: String, stroke: String? = nil,
                                strokeWidth: Double = 1, opacity: Double = 1) {
        var s = "<circle cx=\"\(Self.n(cx))\" cy=\"\(Self.n(cy))\" r=\"\(Self.n(r))\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"\(Self.n(strokeWidth))\"" }
        if opacity < 1 { s += " fill-opacity=\"\(Self.n(opacity))\"" }
        body.append(s + "/>")
    }

    /// An open polyline through `points`.
    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil) {
        guard points.count >= 2 else { return }
        var s = "<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\" stroke-linejoin=\"round\""
        if let dash { s += " stroke-dasharray=\"\(dash)\"" }
        s += " points=\""
        s += points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
        body.append(s + "\"/>")
    }

    /// A path from raw path data (`d`).
    public mutating func path(_ d: String, fill: String = "none", stroke: String? = nil, width: Double = 1,
                              opacity: Double = 1) {
        var s = "<path d=\"\(d)\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\" stroke-linejoin=\"round\"" }
        if opacity < 1 { s += " opacity=\"\(Self.n(opacity))\"" }
        body.append(s + "/>")
    }

    /// Horizontal text alignment.
    public enum Anchor: String, Sendable { case start, middle, end }

    /// A line of text with its baseline at `y`; `rotate` in degrees about (x, y); `outline` draws a white
    /// halo behind the glyphs so that the text stays legible over lines and points.
    public mutating func text(_ x: Double, _ y: Double, _ string: String, size: Double = 12, anchor: Anchor = .start,
                              fill: String = "#222222", weight: String? = nil, rotate: Double = 0, italic: Bool = false,
                              outline: Bool = false) {
        var s = "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-size=\"\(Self.n(size))\""
        if anchor != .start { s += " text-anchor=\"\(anchor.rawValue)\"" }
        if fill != "#222222" { s += " fill=\"\(fill)\"" }
        if let weight { s += " font-weight=\"\(weight)\"" }
        if italic { s += " font-style=\"italic\"" }
        if outline { s += " stroke=\"#ffffff\" stroke-width=\"4\" stroke-linejoin=\"round\" paint-order=\"stroke\"" }
        if rotate != 0 { s += " transform=\"rotate(\(Self.n(rotate)) \(Self.n(x)) \(Self.n(y)))\"" }
        body.append(s + ">" + Self.escape(string) + "</text>")
    }

    /// A marker shape centred at (x, y) of about `size` pixels across.
    public mutating func marker(_ shape: MarkerShape, _ x: Double, _ y: Double, size: Double, fill: String,
                                stroke: String = "#ffffff", strokeWidth: Double = 1) {
        let h = size / 2
        let n = Self.n
        switch shape {
        case .circle:
            circle(x, y, r: h, fill: fill, stroke: stroke, strokeWidth: strokeWidth)
        case .square:
            rect(x - h * 0.9, y - h * 0.9, h * 1.8, h * 1.8, fill: fill, stroke: stroke, strokeWidth: strokeWidth)
        case .diamond:
            path("M\(n(x)),\(n(y - h * 1.2))L\(n(x + h * 1.2)),\(n(y))L\(n(x)),\(n(y + h * 1.2))L\(n(x - h * 1.2)),\(n(y))Z",
                 fill: fill, stroke: stroke, width: strokeWidth)
        case .triangle:
            path("M\(n(x)),\(n(y - h * 1.2))L\(n(x + h * 1.1)),\(n(y + h * 0.8))L\(n(x - h * 1.1)),\(n(y + h * 0.8))Z",
                 fill: fill, stroke: stroke, width: strokeWidth)
        case .triangleDown:
            path("M\(n(x)),\(n(y + h * 1.2))L\(n(x + h * 1.1)),\(n(y - h * 0.8))L\(n(x - h * 1.1)),\(n(y - h * 0.8))Z",
                 fill: fill, stroke: stroke, width: strokeWidth)
        case .star:
            var d = ""
            for k in 0..<10 {
                let r = k % 2 == 0 ? h * 1.35 : h * 0.6
                let a = Double(k) * Double.pi / 5 - Double.pi / 2
                d += (k == 0 ? "M" : "L") + "\(n(x + r * cos(a))),\(n(y + r * sin(a)))"
            }
            path(d + "Z", fill: fill, stroke: stroke, width: strokeWidth)
        case .cross:
            let a = h * 0.95
            line(x - a, y - a, x + a, y + a, stroke: fill, width: 2.5)
            line(x - a, y + a, x + a, y - a, stroke: fill, width: 2.5)
        }
    }

    /// The SVG document.
    public func render() -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\" font-family=\"\(Self.fontFamily)\">\n"
        out += "<title>\(Self.escape(title))</title>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" fill=\"#ffffff\"/>\n"
        for element in body { out += element; out += "\n" }
        out += "</svg>\n"
        return out
    }

    /// An estimate of the width of `text` at `size` in the sans-serif font (no font metrics available).
    public static func textWidth(_ text: String, size: Double) -> Double {
        var w = 0.0
        for c in text {
            switch c {
            case "i", "l", "j", "'", "|", ".", ",", ":", ";", "!", " ", "\u{2009}": w += 0.32
            case "f", "t", "r", "(", ")", "[", "]", "-": w += 0.42
            case "m", "w", "M", "W", "—": w += 0.9
            case "A"..."Z": w += 0.68
            default: w += 0.58
            }
        }
        return w * size
    }
}

/// Shapes for point markers.
public enum MarkerShape: CaseIterable, Sendable {
    case circle, square, diamond, triangle, triangleDown, star, cross
}

/// Colors of the plots (a colorblind-friendly palette: Okabe–Ito plus a dark blue for data).
public enum PlotPalette {
    /// The data series.
    public static let data = "#1f5f9e"
    /// Reference lines (no case analysis).
    public static let reference = "#c0392b"
    /// Axis lines and tick labels.
    public static let axis = "#444444"
    /// Grid lines.
    public static let grid = "#e6e6e6"
    /// Secondary text.
    public static let muted = "#666666"
    /// Colors for labelled points (baselines), in order.
    public static let categorical = ["#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f3c8d", "#000000"]
}
