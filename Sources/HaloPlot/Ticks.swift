import Foundation

/// Axis ticks: "nice" round values covering a data range, and their labels.
///
/// Linear axes use steps of 1, 2, 2.5 or 5 times a power of ten (Heckbert's nice numbers); integer code
/// axes spanning a power of two may use power-of-two steps (0, 64, 128, …); logarithmic axes use the
/// decades (with 2 and 5 in between when there are few decades).
public struct Ticks: Sendable, Equatable {
    /// The tick values, ascending.
    public var values: [Double]
    /// The distance between consecutive ticks (linear axes), or 0 for logarithmic ones.
    public var step: Double
    /// The axis range: the first and last tick (so that the data sit inside round bounds).
    public var lower: Double
    /// See `lower`.
    public var upper: Double

    /// Creates ticks from explicit values.
    public init(values: [Double], step: Double, lower: Double, upper: Double) {
        self.values = values
        self.step = step
        self.lower = lower
        self.upper = upper
    }

    /// The nice number nearest `x` (`round`) or not below it: 1, 2, 2.5, 5 or 10 times a power of ten.
    public static func niceNumber(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = Foundation.floor(Foundation.log10(x))
        let power = Foundation.pow(10, exponent)
        let fraction = x / power
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 2.25 ? 2 : fraction < 3.5 ? 2.5 : fraction < 7.5 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10
        }
        return nice * power
    }

    /// Nice ticks covering `[low, high]` with about `target` intervals. The range is widened to whole steps.
    /// A degenerate range (`low == high`) is widened around the value.
    public static func linear(_ low: Double, _ high: Double, target: Int = 6) -> Ticks {
        var lo = low.isFinite ? low : 0
        var hi = high.isFinite ? high : 1
        if lo > hi { swap(&lo, &hi) }
        lo = max(lo, -1e300)
        hi = min(hi, 1e300)
        if hi - lo < max(abs(hi), abs(lo), 1e-300) * 1e-12 {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let step = niceNumber((hi - lo) / Double(max(1, target)), round: true)
        let first = Foundation.floor(lo / step + 1e-9) * step
        let last = Foundation.ceil(hi / step - 1e-9) * step
        var values: [Double] = []
        let steps = ((last - first) / step).rounded()
        let count = steps.isFinite ? Int(min(max(steps, 0), 1000)) : 0
        for k in 0...max(0, min(count, 1000)) {
            var v = first + Double(k) * step
            if abs(v) < step * 1e-9 { v = 0 }
            values.append(v)
        }
        return Ticks(values: values, step: step, lower: values.first!, upper: values.last!)
    }

    /// Ticks for an integer axis of codes or values `[low, high]`. When the span is a power of two
    /// (e.g. 0…255, −128…127) the steps are powers of two (0, 32, 64, …); otherwise as `linear`.
    /// The range is exactly `[low, high]` (no widening), with the ticks inside it.
    public static func integer(_ low: Int, _ high: Int, target: Int = 8) -> Ticks {
        let lo = min(low, high), hi = max(low, high)
        let (diff, overflow) = hi.subtractingReportingOverflow(lo)
        if overflow || diff >= 1 << 52 {
            // Beyond exact doubles: plain nice ticks, no power-of-two alignment.
            let t = linear(Double(lo), Double(hi), target: target)
            return Ticks(values: t.values.filter { $0 >= Double(lo) && $0 <= Double(hi) }, step: t.step,
                         lower: Double(lo), upper: Double(hi))
        }
        let span = diff + 1
        if span >= 4, span & (span - 1) == 0 {
            var step = 1
            while span / step > target { step *= 2 }
            var values: [Double] = []
            var v = lo
            // Align to multiples of the step (−128 and 0 are both multiples of 32).
            if v % step != 0 {
                let (aligned, overflow) = v.addingReportingOverflow(step - ((v % step) + step) % step)
                if overflow { return Ticks(values: [], step: Double(step), lower: Double(lo), upper: Double(hi)) }
                v = aligned
            }
            while v <= hi {
                values.append(Double(v))
                let (next, overflow) = v.addingReportingOverflow(step)
                if overflow { break }
                v = next
            }
            return Ticks(values: values, step: Double(step), lower: Double(lo), upper: Double(hi))
        }
        if hi == lo {
            return Ticks(values: [Double(lo)], step: 1, lower: Double(lo) - 1, upper: Double(hi) + 1)
        }
        let t = linear(Double(lo), Double(hi), target: target)
        let step = max(1, t.step.rounded())
        let values = t.values.filter { $0 >= Double(lo) - 1e-9 && $0 <= Double(hi) + 1e-9 }.map { ($0 / step).rounded() * step }
        return Ticks(values: values, step: step, lower: Double(lo), upper: Double(hi))
    }

    /// Ticks for a logarithmic axis covering `[low, high]` (both > 0): the decades, with 2 and 5 added
    /// when there are fewer than three decades. With `widen` the range grows to whole decades; without,
    /// the range is `[low, high]` and only the ticks inside it are kept.
    public static func logarithmic(_ low: Double, _ high: Double, widen: Bool = true) -> Ticks {
        if !widen {
            let lo = low > 0 && low.isFinite ? low : 1e-12
            let hi = high > lo && high.isFinite ? high : lo * 10
            let all = logarithmic(lo, hi, widen: true)
            var inside = all.values.filter { $0 >= lo * (1 - 1e-9) && $0 <= hi * (1 + 1e-9) }
            if inside.filter({ abs(log10($0) - log10($0).rounded()) < 1e-9 }).count < 3 {
                // Few decades inside: add 2 and 5 between them.
                var fine: [Double] = []
                var e = Int(Foundation.floor(Foundation.log10(lo))) - 1
                while e <= Int(Foundation.ceil(Foundation.log10(hi))) {
                    for m in [1.0, 2.0, 5.0] {
                        let v = m * Foundation.pow(10, Double(e))
                        if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { fine.append(v) }
                    }
                    e += 1
                }
                inside = fine
            }
            return Ticks(values: inside, step: 0, lower: lo, upper: hi)
        }
        var lo = low > 0 && low.isFinite ? low : 1e-12
        var hi = high > 0 && high.isFinite ? high : lo * 10
        if lo > hi { swap(&lo, &hi) }
        var e0 = Int(Foundation.floor(Foundation.log10(lo) + 1e-9))
        var e1 = Int(Foundation.ceil(Foundation.log10(hi) - 1e-9))
        if e1 <= e0 { e1 = e0 + 1 }
        if e1 - e0 > 60 { e0 = e1 - 60 }
        var values: [Double] = []
        let fine = e1 - e0 < 3
        for e in e0...e1 {
            let p = Foundation.pow(10, Double(e))
            values.append(p)
            if fine && e < e1 { values.append(2 * p); values.append(5 * p) }
        }
        return Ticks(values: values, step: 0, lower: values.first!, upper: values.last!)
    }

    /// A label for tick `value` on an axis with tick spacing `step`: just enough decimals to tell
    /// ticks apart (`0.25`, `1.5`, `2`), a minus sign (−) for negatives, and thin-space thousands
    /// grouping for large integers (`16 384`).
    public static func label(_ value: Double, step: Double) -> String {
        var decimals = 0
        if step > 0 && step.isFinite {
            var s = step
            while decimals < 9 && abs(s - s.rounded()) > 1e-9 * max(1, abs(s)) {
                s *= 10
                decimals += 1
            }
        }
        let v = abs(value) < 1e-12 * max(1, abs(step)) ? 0 : value
        var text = String(format: "%.\(decimals)f", abs(v))
        if decimals == 0, abs(v) >= 10_000 {
            var grouped = ""
            for (k, c) in text.reversed().enumerated() {
                if k > 0 && k % 3 == 0 { grouped.append("\u{2009}") }
                grouped.append(c)
            }
            text = String(grouped.reversed())
        }
        return (v < 0 ? "\u{2212}" : "") + text
    }

    /// Labels for the ticks of a logarithmic axis, all in one style: plain (`0.01`, `500`) when every tick
    /// is within 10⁻³…10⁴, else powers of ten (`10⁻⁵`, `2·10⁻⁵`).
    public static func logLabels(_ values: [Double]) -> [String] {
        let plain = values.allSatisfy { $0 >= 1e-3 * (1 - 1e-9) && $0 <= 1e4 * (1 + 1e-9) }
        return values.map { plain ? logLabel($0) : exponentLabel($0) }
    }

    /// `10⁻⁵` or `2·10⁻⁵`.
    static func exponentLabel(_ value: Double) -> String {
        guard value > 0, value.isFinite else { return "0" }
        let n = Int(Foundation.floor(Foundation.log10(value) + 1e-9))
        let m = Int((value / Foundation.pow(10, Double(n))).rounded())
        return (m == 1 ? "" : "\(m)·") + "10" + superscript(n)
    }

    /// A label for a tick on a logarithmic axis: `1`, `0.01`, `500`, or `10⁻⁵` beyond 10^±4.
    public static func logLabel(_ value: Double) -> String {
        guard value > 0 else { return "0" }
        let e = Foundation.log10(value)
        let er = e.rounded()
        if abs(e - er) < 1e-9 {
            let n = Int(er)
            if n >= -3 && n <= 4 { return label(value, step: Foundation.pow(10, Double(min(n, 0)))) }
            return "10" + superscript(n)
        }
        // 2·10^n or 5·10^n
        let n = Int(Foundation.floor(e + 1e-9))
        let m = (value / Foundation.pow(10, Double(n))).rounded()
        if n >= -3 && n <= 4 { return label(value, step: Foundation.pow(10, Double(min(n, 0)))) }
        return "\(Int(m))·10" + superscript(n)
    }

    static func superscript(_ n: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        var s = n < 0 ? "⁻" : ""
        for c in String(abs(n)) { s.append(digits[Int(String(c))!]) }
        return s
    }
}
