import Foundation
import HaloCore

// What every subcommand shares about its outputs and numeric options. The discipline itself (checks
// against the inputs, temporaries renamed together, devices written through) is HaloCore's
// `OutputFiles`; this file only connects the command line to it.

/// The outputs of one run: its `-o`-style files, checked against its inputs before anything is read.
struct RunOutputs {
    let files: OutputFiles

    /// Checks `outputs` (nil entries: not asked for) against `inputs`.
    init(_ outputs: [String?], inputs: [String]) throws {
        files = try OutputFiles(outputs.compactMap { $0 }, inputs: inputs)
    }

    /// Writes the files and then standard output, all or none (see `OutputFiles.commit`).
    func commit(_ contents: [String: String], standardOutput: String? = nil) throws {
        try files.commit(contents.mapValues { Data($0.utf8) }, standardOutput: standardOutput.map { Data($0.utf8) })
    }

    /// Writes `text` to `output`, or to standard output when there is none.
    func commit(_ text: String, to output: String?) throws {
        if let output { try commit([output: text]) } else { try commit([:], standardOutput: text) }
    }
}

/// Prints a help text on standard output (a failure to write it is an error like any other).
func printHelp(_ text: String) throws {
    try StandardStreams.writeOutput(text + "\n")
}

/// Prints warnings on standard error.
func printWarnings(_ warnings: [String]) {
    for w in warnings { StandardStreams.writeError("halo: warning: \(oneLine(w))\n") }
}

/// Prints a reader's warnings on standard error.
func printWarnings(_ sink: DiagnosticSink) {
    for w in sink.warnings { StandardStreams.writeError(w.line(tool: "halo") + "\n") }
}

/// `--threads N` where the work runs on one thread (report, merge, generate, plot): accepted, so that
/// every subcommand takes it, and checked like everywhere else.
func acceptThreads(_ args: Arguments) throws {
    _ = try args.integer("--threads", in: 1 ... Limits.maxThreads)
}

extension Arguments {
    /// The integer value of option `name`, within `range`; nil when the option is absent.
    /// - Throws: `malformed --threads 'x' (expected an integer from 1 to 1024)` for text that is not an
    ///   integer, `--threads '0' is out of range (expected 1 to 1024)` for one outside `range`
    ///   (however many digits it has: nothing overflows).
    func integer(_ name: String, _ alias: String? = nil, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = alias.map({ value(name, $0) }) ?? value(name) else { return nil }
        let t = text.trimmingCharacters(in: .whitespaces)
        let digits = t.hasPrefix("-") || t.hasPrefix("+") ? t.dropFirst() : Substring(t)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw HaloError("malformed \(name) '\(text)' (expected an integer from \(range.lowerBound) to \(range.upperBound))")
        }
        guard let n = Int(t), range.contains(n) else {
            throw HaloError("\(name) '\(text)' is out of range (expected \(range.lowerBound) to \(range.upperBound))")
        }
        return n
    }
}
