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

/// How serious a diagnostic is.
public enum Severity: String, Sendable, Equatable {
    /// The input cannot be used: the operation stops (thrown as ``HaloError``).
    case error
    /// Something skipped or suspicious but not fatal.
    case warning
    /// Extra information attached to another diagnostic.
    case note
}

/// A message for the user with a severity and, where known, the place in an input file: the one
/// shape of every error, warning and note the library reports.
///
/// Its `description` is the located text compilers print, `file:line:column: error: message`
/// (`file: error: message` for a file as a whole, ``SourceLocation/init(file:)``), or
/// `error: message` when no file is involved. A command-line tool prints ``line(tool:)``, which puts
/// its name in front of an unlocated message (`halo: error: message`).
public struct Diagnostic: CustomStringConvertible, Sendable, Equatable {
    /// Error, warning or note.
    public var severity: Severity
    /// What is wrong, naming the offending token where there is one.
    public var message: String
    /// Where it is, when it comes from an input file.
    public var location: SourceLocation?

    /// A diagnostic of `severity` with `message`, located at `location` when it comes from an input file.
    public init(_ severity: Severity, _ message: String, at location: SourceLocation? = nil) {
        self.severity = severity
        self.message = message
        self.location = location
    }

    /// `file:line:column: severity: message` (`file: severity: message` for a whole file), or
    /// `severity: message` without a location; made fit for one line (see ``oneLine(_:limit:)``).
    public var description: String {
        let text = "\(severity.rawValue): \(oneLine(message))"
        if let location { return "\(oneLine(location.description, limit: 4096)): \(text)" }
        return text
    }

    /// The line a command-line tool named `tool` prints on stderr: ``description``, with `tool: ` in
    /// front when there is no location (`halo: error: message`).
    public func line(tool: String) -> String {
        location == nil ? "\(tool): \(description)" : description
    }
}

/// The error the library throws: a ``Diagnostic`` of severity error, a message and, where known, the
/// place in an input file.
///
/// Its `description` is the diagnostic's located text, with no program name in front
/// (`file:line:column: error: message`, `file: error: message`, or `error: message`); the CLI prints
/// ``Diagnostic/line(tool:)``.
public struct HaloError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The diagnostic: severity error, message and location.
    public var diagnostic: Diagnostic

    /// An error with `message`, located at `location` when it comes from an input file.
    public init(_ message: String, at location: SourceLocation? = nil) {
        diagnostic = Diagnostic(.error, message, at: location)
    }

    /// `error` itself when it is a `HaloError`; otherwise an unlocated error with its description as
    /// the message (a Foundation or system error that reached a caller).
    public init(wrapping error: Error) {
        self = (error as? HaloError) ?? HaloError("\(error)")
    }

    /// Where the error is, when it comes from an input file.
    public var location: SourceLocation? {
        get { diagnostic.location }
        set { diagnostic.location = newValue }
    }

    /// What is wrong, naming the offending token where there is one.
    public var message: String {
        get { diagnostic.message }
        set { diagnostic.message = newValue }
    }

    /// The located text: `file:line:column: error: message`, `file: error: message`, or `error: message`.
    public var description: String { diagnostic.description }

    /// The line the command-line tool `tool` prints (see ``Diagnostic/line(tool:)``).
    public func line(tool: String) -> String { diagnostic.line(tool: tool) }
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

/// The former name of a warning, now a ``Diagnostic`` of severity warning.
@available(*, deprecated, renamed: "Diagnostic")
public typealias HaloWarning = Diagnostic

/// Collects warnings from readers; the CLI prints them on stderr, tests inspect them.
public final class DiagnosticSink: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Diagnostic] = []
    private var seenKeys: Set<String> = []

    /// An empty sink.
    public init() {}

    /// All warnings so far (diagnostics of severity warning), in the order they were reported.
    public var warnings: [Diagnostic] {
        lock.lock(); defer { lock.unlock() }
        return stored
    }

    /// Reports a warning.
    public func warn(_ message: String, at location: SourceLocation? = nil) {
        lock.lock(); defer { lock.unlock() }
        stored.append(Diagnostic(.warning, message, at: location))
    }

    /// Reports a warning only the first time `key` is seen (e.g. "unknown Liberty group once per kind").
    public func warnOnce(key: String, _ message: String, at location: SourceLocation? = nil) {
        lock.lock(); defer { lock.unlock() }
        if seenKeys.insert(key).inserted {
            stored.append(Diagnostic(.warning, message, at: location))
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
