import Foundation

/// Physical quantities as users type them on the command line: `10fF`, `0.01pF`, `20ps`, `1.5ns`.
///
/// Halo's internal units are **nanoseconds** for time and **femtofarads** for capacitance;
/// every conversion happens here, at the edge.
public enum Quantity {
    /// Parses a capacitance; a bare number is taken as fF. Returns fF.
    public static func capacitanceFF(_ text: String) -> Double? {
        parse(text, units: ["ff": 1, "pf": 1e3, "nf": 1e6, "af": 1e-3, "f": 1e15], bare: 1)
    }

    /// Parses a time; a bare number is taken as ns. Returns ns.
    public static func timeNs(_ text: String) -> Double? {
        parse(text, units: ["ps": 1e-3, "ns": 1, "fs": 1e-6, "us": 1e3, "s": 1e9], bare: 1)
    }

    private static func parse(_ text: String, units: [String: Double], bare: Double) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return nil }
        var numberEnd = t.endIndex
        // Split at the first letter that is not part of an exponent ("1e-3ns").
        var idx = t.startIndex
        while idx < t.endIndex {
            let c = t[idx]
            if c.isLetter {
                if (c == "e" || c == "E"), idx != t.startIndex {
                    let next = t.index(after: idx)
                    if next < t.endIndex, t[next].isNumber || t[next] == "-" || t[next] == "+" {
                        idx = next
                        continue
                    }
                }
                numberEnd = idx
                break
            }
            idx = t.index(after: idx)
        }
        let numberText = String(t[t.startIndex..<numberEnd]).trimmingCharacters(in: .whitespaces)
        let unitText = String(t[numberEnd...]).trimmingCharacters(in: .whitespaces).lowercased()
        guard let value = Double(numberText), value.isFinite else { return nil }
        guard let scale = unitText.isEmpty ? bare : units[unitText] else { return nil }
        // `1e308s` is finite as typed but not in ns: refuse rather than believe infinity.
        let scaled = value * scale
        return scaled.isFinite ? scaled : nil
    }
}
