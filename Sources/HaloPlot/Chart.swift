import Foundation

/// A mapping from data values to pixels along one axis, linear or logarithmic.
public struct AxisScale: Sendable {
    /// The data value at the start of the axis.
    public var lower: Double
    /// The data value at the end of the axis.
    public var upper: Double
    /// The pixel of `lower`.
    public var pixelLower: Double
    /// The pixel of `upper`.
    public var pixelUpper: Double
    /// Logarithmic (base 10) instead of linear.
    public var logarithmic: Bool

    /// Creates a scale; `pixelUpper < pixelLower` for a vertical axis (SVG y grows downwards).
    public init(lower: Double, upper: Double, pixelLower: Double, pixelUpper: Double, logarithmic: Bool = false) {
        self.lower = lower
        self.upper = upper
        self.pixelLower = pixelLower
        self.pixelUpper = pixelUpper
        self.logarithmic = logarithmic
    }

    /// The pixel of `value` (values outside the range extrapolate; non-positive values on a log axis go to its start).
    public func pixel(_ value: Double) -> Double {
        let t: Double
        if logarithmic {
            let lo = log10(max(lower, 1e-300)), hi = log10(max(upper, 1e-300))
            let v = value > 0 ? log10(value) : lo
            t = hi == lo ? 0.5 : (v - lo) / (hi - lo)
        } else {
            t = upper == lower ? 0.5 : (value - lower) / (upper - lower)
        }
        let p = pixelLower + t * (pixelUpper - pixelLower)
        return p.isFinite ? p : pixelLower
    }
}

/// A rectangular plotting area.
public struct PlotArea: Sendable {
    /// Left edge in pixels.
    public var left: Double
    /// Top edge in pixels.
    public var top: Double
    /// Width in pixels.
    public var width: Double
    /// Height in pixels.
    public var height: Double
    /// Right edge.
    public var right: Double { left + width }
    /// Bottom edge.
    public var bottom: Double { top + height }

    /// Creates an area.
    public init(left: Double, top: Double, width: Double, height: Double) {
        self.left = left
        self.top = top
        self.width = width
        self.height = height
    }
}

extension SVGDocument {
    /// Draws an x axis under `area`: baseline, ticks with labels, vertical grid lines (optional), and a title.
    mutating func xAxis(_ area: PlotArea, scale: AxisScale, ticks: [Double], label: (Double) -> String, title: String,
                        grid: Bool = true, minor: [Double] = []) {
        for v in minor {
            let x = scale.pixel(v)
            guard x >= area.left - 0.5, x <= area.right + 0.5 else { continue }
            line(x, area.bottom, x, area.bottom + 3, stroke: PlotPalette.axis, width: 0.8)
        }
        for v in ticks {
            let x = scale.pixel(v)
            guard x >= area.left - 0.5, x <= area.right + 0.5 else { continue }
            if grid { line(x, area.top, x, area.bottom, stroke: PlotPalette.grid, width: 1) }
            line(x, area.bottom, x, area.bottom + 5, stroke: PlotPalette.axis, width: 1)
            text(x, area.bottom + 19, label(v), size: 12, anchor: .middle, fill: PlotPalette.axis)
        }
        line(area.left, area.bottom, area.right, area.bottom, stroke: PlotPalette.axis, width: 1.2)
        text(area.left + area.width / 2, area.bottom + 42, title, size: 13.5, anchor: .middle, fill: "#222222")
    }

    /// Draws a y axis left of `area`: baseline, ticks with labels, horizontal grid lines, and a rotated title.
    mutating func yAxis(_ area: PlotArea, scale: AxisScale, ticks: [Double], label: (Double) -> String, title: String,
                        grid: Bool = true, titleOffset: Double = 56, minor: [Double] = []) {
        for v in minor {
            let y = scale.pixel(v)
            guard y >= area.top - 0.5, y <= area.bottom + 0.5 else { continue }
            line(area.left - 3, y, area.left, y, stroke: PlotPalette.axis, width: 0.8)
        }
        for v in ticks {
            let y = scale.pixel(v)
            guard y >= area.top - 0.5, y <= area.bottom + 0.5 else { continue }
            if grid { line(area.left, y, area.right, y, stroke: PlotPalette.grid, width: 1) }
            line(area.left - 5, y, area.left, y, stroke: PlotPalette.axis, width: 1)
            text(area.left - 8, y + 4, label(v), size: 12, anchor: .end, fill: PlotPalette.axis)
        }
        line(area.left, area.top, area.left, area.bottom, stroke: PlotPalette.axis, width: 1.2)
        text(area.left - titleOffset, area.top + area.height / 2, title, size: 13.5, anchor: .middle, fill: "#222222",
             rotate: -90)
    }

    /// The width of a legend entry (glyph, label, gap).
    static func legendItemWidth(_ item: LegendItem, size: Double) -> Double {
        let glyphWidth: Double
        switch item.glyph { case .line: glyphWidth = 28; default: glyphWidth = 21 }
        return glyphWidth + SVGDocument.textWidth(item.label, size: size) + 22
    }

    /// The number of rows a legend takes when wrapped at `maxWidth` pixels.
    static func legendRows(_ items: [LegendItem], maxWidth: Double, size: Double = 12.5) -> Int {
        var rows = 1, width = 0.0
        for item in items {
            let w = legendItemWidth(item, size: size)
            if width > 0 && width + w > maxWidth { rows += 1; width = 0 }
            width += w
        }
        return rows
    }

    /// Draws a legend: items laid out left to right from (x, y), each a sample glyph and a label,
    /// wrapping to a new row (18 px lower) before `maxWidth`. Returns the baseline of the last row.
    @discardableResult
    mutating func legend(_ items: [LegendItem], x: Double, y: Double, maxWidth: Double = .infinity, size: Double = 12.5) -> Double {
        var cx = x, cy = y
        for item in items {
            let w = SVGDocument.legendItemWidth(item, size: size)
            if cx > x && cx - x + w > maxWidth { cx = x; cy += 18 }
            switch item.glyph {
            case .marker(let shape, let color):
                marker(shape, cx + 8, cy - 4, size: 9, fill: color, stroke: shape == .cross ? color : "#ffffff")
            case .line(let color, let dash, let width):
                line(cx, cy - 4, cx + 22, cy - 4, stroke: color, width: width, dash: dash)
            case .bar(let color):
                rect(cx + 2, cy - 10, 14, 11, fill: color, opacity: 0.75)
            case .density(let color):
                for k in 0..<3 { rect(cx + Double(k) * 6, cy - 8, 5, 5, fill: color, opacity: 0.3 + 0.35 * Double(k)) }
            }
            let glyphWidth: Double
            switch item.glyph { case .line: glyphWidth = 28; default: glyphWidth = 21 }
            text(cx + glyphWidth, cy, item.label, size: size, fill: "#333333")
            cx += w
        }
        return cy
    }
}

/// One entry of a legend.
public struct LegendItem: Sendable {
    /// What the entry's sample looks like.
    public enum Glyph: Sendable {
        /// A point marker.
        case marker(MarkerShape, String)
        /// A line sample (color, dash pattern, width).
        case line(String, String?, Double)
        /// A filled bar.
        case bar(String)
        /// Cells of increasing shade (a density picture).
        case density(String)
    }
    /// The sample.
    public var glyph: Glyph
    /// The text.
    public var label: String

    /// Creates an entry.
    public init(_ glyph: Glyph, _ label: String) {
        self.glyph = glyph
        self.label = label
    }
}

/// Formats a delay in ns with a precision suited to its size (`4.626`, `0.0312`, `12.4`).
public func formatDelayNs(_ d: Double) -> String {
    let a = abs(d)
    if a >= 100 { return String(format: "%.1f", d) }
    if a >= 0.1 || a == 0 { return String(format: "%.3f", d) }
    return String(format: "%.3g", d)
}
