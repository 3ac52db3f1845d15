import Foundation

/// Integer literals as a user writes them in options and input files: decimal (`37`, `-3`),
/// hexadecimal (`0x25`), octal (`0o45`) or binary (`0b100101`), with an optional sign, `_` separators,
/// any letter case, and blanks around them ignored.
///
/// One parser for every place that reads codes and values (bus codes, activation files); each caller
/// applies its own range (a bus width, a magnitude limit).
public enum IntegerLiteral {
    /// The sign and magnitude of `text`, or nil when it is not one of the forms above or its magnitude
    /// does not fit in `Int`.
    public static func parse<S: StringProtocol>(_ text: S) -> (negative: Bool, magnitude: Int)? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "")
        var negative = false
        var body = Substring(t)
        if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
        else if body.hasPrefix("+") { body = body.dropFirst() }
        var magnitude: Int?
        if body.hasPrefix("0x") { magnitude = Int(body.dropFirst(2), radix: 16) }
        else if body.hasPrefix("0b") { magnitude = Int(body.dropFirst(2), radix: 2) }
        else if body.hasPrefix("0o") { magnitude = Int(body.dropFirst(2), radix: 8) }
        else if !body.isEmpty, body.allSatisfy(\.isNumber) { magnitude = Int(body) }
        guard let magnitude else { return nil }
        return (negative, magnitude)
    }
}
