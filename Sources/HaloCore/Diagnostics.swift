import Foundation

/// A position in a source file: 1-based line and column, as compilers print them; or a whole file
/// (line and column 0) for errors that have no position, such as those in binary weight files.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file's path as the user named it (or a label such as `<command line>`).
    public var file: String
    /// 1-based line number.
    public var line: Int
    /// 1-based column number (in UTF-8 bytes from the start of the line).
    public var column: Int

    /// A location at 1-based `line` and `column` of `file`.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// The whole of `file`, no position in it (line and column 0): described as just `file`.
    public init(file: String) {
        self.init(file: file, line: 0, column: 0)
    }

    /// Whether this names a whole file rather than a position in it.
    public var isWholeFile: Bool { line == 0 }

    /// `file:line:column`, or `file` for a whole file.
    public var description: String { isWholeFile ? file : "\(file):\(line):\(column)" }
}

/// An error that a user can act on: a message and, where known, the place in an input file.
///
/// Its `description` is the one line the CLI prints on stderr: `file:line:column: error: message`,
/// `file: error: message` for a file as a whole (``SourceLocation/init(file:)``), or
/// `halo: error: message` when no file is involved.
public struct HaloError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Where the error is, when it comes from an input file.
    public var location: SourceLocation?
    /// What is wrong, naming the offending token where there is one.
    public var message: String

    /// An error with `message`, located at `location` when it comes from an input file.
    public init(_ message: String, at location: SourceLocation? = nil) {
        self.location = location
        self.message = message
    }

    /// The CLI's line: `file:line:column: error: message` (`file: error: message` for a whole file), or
    /// `halo: error: message` without a location.
    public var description: String {
        if let location { return "\(oneLine(location.description, limit: 4096)): error: \(oneLine(message))" }
        return "halo: error: \(oneLine(message))"
    }
}

/// A message made fit for one line of a terminal: control characters and line separators (from a
/// malformed input quoted in the message) are escaped, and an overlong message is cut with `…`.
public func oneLine(_ message: String, limit: Int = 400) -> String {
    var out = ""
    var count = 0
    for scalar in message.unicodeScalars {
        if count >= limit { out += "…"; break }
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029 {
                out += String(format: "\\u{%02X}", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        count += 1
    }
    return out
}

/// A warning: something skipped or suspicious but not fatal.
public struct HaloWarning: CustomStringConvertible, Sendable, Equatable {
    /// Where the warning is, when it comes from an input file.
    public var location: SourceLocation?
    /// What was skipped or looks wrong.
    public var message: String

    /// A warning with `message`, located at `location` when it comes from an input file.
    public init(_ message: String, at location: SourceLocation? = nil) {
        self.location = location
        self.message = message
    }

    /// The CLI's line: `file:line:column: warning: message`, or `halo: warning: message` without a location.
    public var description: String {
        if let location { return "\(location): warning: \(oneLine(message))" }
        return "halo: warning: \(oneLine(message))"
    }
}

/// Collects warnings from readers; the CLI prints them on stderr, tests inspect them.
public final class DiagnosticSink: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [HaloWarning] = []
    private var seenKeys: Set<String> = []

    /// An empty sink.
    public init() {}

    /// All warnings so far, in the order they were reported.
    public var warnings: [HaloWarning] {
        lock.lock(); defer { lock.unlock() }
        return stored
    }

    /// Reports a warning.
    public func warn(_ message: String, at location: SourceLocation? = nil) {
        lock.lock(); defer { lock.unlock() }
        stored.append(HaloWarning(message, at: location))
    }

    /// Reports a warning only the first time `key` is seen (e.g. "unknown Liberty group once per kind").
    public func warnOnce(key: String, _ message: String, at location: SourceLocation? = nil) {
        lock.lock(); defer { lock.unlock() }
        if seenKeys.insert(key).inserted {
            stored.append(HaloWarning(message, at: location))
        }
    }
}

/// Converts a byte offset in a UTF-8 buffer to a 1-based line and column.
/// Readers that keep only offsets on their tokens call this when they report an error.
public func lineAndColumn(in bytes: UnsafeBufferPointer<UInt8>, offset: Int) -> (line: Int, column: Int) {
    var line = 1
    var lineStart = 0
    let end = min(offset, bytes.count)
    var i = 0
    while i < end {
        if bytes[i] == 10 { line += 1; lineStart = i + 1 }
        i += 1
    }
    return (line, end - lineStart + 1)
}
