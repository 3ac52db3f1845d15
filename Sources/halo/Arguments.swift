import HaloCore

/// A small command-line parser in the conventions of swift-argument-parser:
/// `--long value`, `--long=value`, `-o value`, repeated options, positionals, `--help`.
struct Arguments {
    private(set) var positionals: [String] = []
    private var options: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// Parses `args` given which options take a value and which are flags. Unknown options are an error.
    init(_ args: [String], valueOptions: Set<String>, flagOptions: Set<String>, command: String) throws {
        var i = 0
        var onlyPositionals = false
        while i < args.count {
            let a = args[i]
            i += 1
            if onlyPositionals || !a.hasPrefix("-") || a == "-" || isNumber(a) {
                positionals.append(a)
                continue
            }
            if a == "--" { onlyPositionals = true; continue }
            var name = a
            var inlineValue: String?
            if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
                name = String(a[..<eq])
                inlineValue = String(a[a.index(after: eq)...])
            }
            if flagOptions.contains(name) {
                guard inlineValue == nil else { throw HaloError("option '\(name)' of 'halo \(command)' takes no value") }
                flags.insert(name)
            } else if valueOptions.contains(name) {
                let value: String
                if let v = inlineValue { value = v } else {
                    guard i < args.count else { throw HaloError("option '\(name)' of 'halo \(command)' needs a value") }
                    value = args[i]
                    i += 1
                }
                options[name, default: []].append(value)
            } else {
                throw HaloError("unknown option '\(a)' for 'halo \(command)' (see 'halo \(command) --help')")
            }
        }
    }

    private func isNumber(_ s: String) -> Bool { Double(s) != nil }

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func value(_ names: String...) -> String? {
        for n in names { if let v = options[n]?.last { return v } }
        return nil
    }
    func values(_ names: String...) -> [String] { names.flatMap { options[$0] ?? [] } }
}
