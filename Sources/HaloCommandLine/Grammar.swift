import HaloCore

// One command-line grammar for every `halo` subcommand: each subcommand declares its options in a
// table (`CommandGrammar`), and parsing, `--help`, `halo help CMD`, "did you mean" and the README's
// command reference are all produced from that table. The tables themselves are in `Grammars.swift`.
//
// The parser only sorts the words: which option, which value, which positional. What a value means
// (an integer in range, a time, a file) is checked by the subcommand, so that each message can name
// the value and its limit.

/// One option of a subcommand.
public struct OptionSpec: Sendable {
    /// The canonical spelling (`--threads`); the subcommand asks for values by this name.
    public var name: String
    /// Other spellings with the same meaning (`-o` for `--output`).
    public var aliases: [String]
    /// Old spellings still accepted, each with one warning line naming `name`.
    public var deprecatedAliases: [String]
    /// The placeholder of the value (`N`, `FILE`, `csv|json`); nil for a flag, which takes none.
    public var metavar: String?
    /// The unit of the value, for the reference (`ns; ps, ns`); nil when it has none.
    public var unit: String?
    /// The value when the option is absent, for the reference; nil when there is none to state.
    public var defaultValue: String?
    /// May be given several times, each value kept (`--liberty`); otherwise the last one counts.
    public var repeatable: Bool
    /// Shown without brackets in the usage line (the subcommand refuses to run without it).
    public var required: Bool
    /// Options with the same group exclude each other; they are shown as `[--a A | --b B]`.
    public var exclusiveGroup: String?
    /// The help section (`OPTIONS`, or a titled one such as the energy options).
    public var section: String
    /// The help text, pre-wrapped: lines after the first are indented under it.
    public var help: String

    public init(_ name: String, _ metavar: String? = nil, aliases: [String] = [], deprecated: [String] = [],
                unit: String? = nil, default defaultValue: String? = nil, repeatable: Bool = false, required: Bool = false,
                exclusive: String? = nil, section: String = "OPTIONS", help: String) {
        self.name = name
        self.metavar = metavar
        self.aliases = aliases
        self.deprecatedAliases = deprecated
        self.unit = unit
        self.defaultValue = defaultValue
        self.repeatable = repeatable
        self.required = required
        self.exclusiveGroup = exclusive
        self.section = section
        self.help = help
    }

    /// A flag: an option that takes no value.
    public static func flag(_ name: String, aliases: [String] = [], section: String = "OPTIONS", help: String) -> OptionSpec {
        OptionSpec(name, nil, aliases: aliases, section: section, help: help)
    }

    public var isFlag: Bool { metavar == nil }

    /// Every spelling that selects this option, the canonical one first.
    public var spellings: [String] { [name] + aliases + deprecatedAliases }

    /// `-o, --output FILE`: the short spellings first, then the long ones, then the value.
    public var label: String {
        let names = ([name] + aliases).sorted { a, b in (a.hasPrefix("--") ? 1 : 0) < (b.hasPrefix("--") ? 1 : 0) }
        return names.joined(separator: ", ") + (metavar.map { " " + $0 } ?? "")
    }
}

/// The options, positionals and help of one subcommand.
public struct CommandGrammar: Sendable {
    /// The subcommand (`characterize`).
    public var name: String
    /// One line for the top-level help.
    public var summary: String
    /// The first line of the subcommand's help.
    public var overview: String
    /// The positionals as shown in the usage line (`NETLIST.v...`).
    public var positionals: String
    /// Further usage forms, shown under the generated one (`halo plot --pareto REPORT.json …`).
    public var otherUsages: [String]
    /// Text between the usage and the options.
    public var discussion: String
    /// Text after the options.
    public var epilogue: String
    /// The options, in the order of the usage line and the help; `-h, --help` is added to every grammar.
    public var options: [OptionSpec]

    public init(name: String, summary: String, overview: String, positionals: String, otherUsages: [String] = [],
                discussion: String = "", epilogue: String = "", options: [OptionSpec]) {
        self.name = name
        self.summary = summary
        self.overview = overview
        self.positionals = positionals
        self.otherUsages = otherUsages
        self.discussion = discussion
        self.epilogue = epilogue
        self.options = options + [OptionSpec.flag("--help", aliases: ["-h"], help: "Show this help.")]
    }

    /// The option spelled `spelling` (canonical, alias or deprecated alias).
    public func option(spelled spelling: String) -> OptionSpec? {
        options.first { $0.spellings.contains(spelling) }
    }
}

/// The words of one invocation, sorted by a grammar: positionals, and each option's values under its
/// canonical name (an alias counts as its option).
public struct ParsedArguments: Sendable {
    public let command: String
    public private(set) var positionals: [String] = []
    /// Every option given, in order: canonical name, spelling as typed, value (nil for a flag).
    public private(set) var occurrences: [(name: String, spelling: String, value: String?)] = []
    /// Deprecation warnings, one line each, without the `halo: warning: ` prefix.
    public private(set) var warnings: [String] = []

    /// Sorts `args` by `grammar`.
    /// - Throws: one line for an unknown option (with "did you mean" when a spelling is close, or the
    ///   subcommands that have it), a value given to a flag, or a missing value.
    public init(_ args: [String], grammar: CommandGrammar) throws {
        command = grammar.name
        var i = 0
        var onlyPositionals = false
        while i < args.count {
            let a = args[i]
            i += 1
            if onlyPositionals || !a.hasPrefix("-") || a == "-" || Double(a) != nil {
                positionals.append(a)
                continue
            }
            if a == "--" { onlyPositionals = true; continue }
            var spelling = a
            var inlineValue: String?
            if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
                spelling = String(a[..<eq])
                inlineValue = String(a[a.index(after: eq)...])
            }
            guard let option = grammar.option(spelled: spelling) else {
                throw HaloError(Self.unknownOptionMessage(a, spelling: spelling, grammar: grammar))
            }
            if option.deprecatedAliases.contains(spelling) {
                let line = "\(spelling) is deprecated here; use \(option.name)"
                if !warnings.contains(line) { warnings.append(line) }
            }
            if option.isFlag {
                guard inlineValue == nil else { throw HaloError("option '\(spelling)' of 'halo \(command)' takes no value") }
                occurrences.append((option.name, spelling, nil))
            } else {
                let value: String
                if let v = inlineValue { value = v } else {
                    guard i < args.count else { throw HaloError("option '\(spelling)' of 'halo \(command)' needs a value") }
                    value = args[i]
                    i += 1
                }
                occurrences.append((option.name, spelling, value))
            }
        }
    }

    /// `unknown option '--thread' for 'halo characterize'; did you mean '--threads'? (see …)`.
    static func unknownOptionMessage(_ argument: String, spelling: String, grammar: CommandGrammar) -> String {
        let see = "see 'halo \(grammar.name) --help'"
        let head = "unknown option '\(argument)' for 'halo \(grammar.name)'"
        if let near = Suggestions.nearest(spelling, among: grammar.options.flatMap { [$0.name] + $0.aliases }) {
            return "\(head); did you mean '\(near)'? (\(see))"
        }
        let others = Grammars.all.filter { $0.name != grammar.name && $0.option(spelled: spelling) != nil }.map { "'halo \($0.name)'" }
        if !others.isEmpty {
            return "\(head): it is an option of \(others.joined(separator: ", ")) (\(see))"
        }
        return "\(head) (\(see))"
    }

    /// Whether flag `name` was given.
    public func flag(_ name: String) -> Bool { occurrences.contains { $0.name == name } }

    /// The last value of the first of `names` that was given (for a single-valued option).
    public func value(_ names: String...) -> String? {
        for n in names { if let v = occurrences.last(where: { $0.name == n })?.value { return v } }
        return nil
    }

    /// Every value of `names`, in order.
    public func values(_ names: String...) -> [String] {
        names.flatMap { n in occurrences.filter { $0.name == n }.compactMap(\.value) }
    }

    /// How option `name` was last spelled on the command line (for messages), or `name` itself.
    public func spelling(_ name: String) -> String {
        occurrences.last { $0.name == name }?.spelling ?? name
    }

    /// Which of `names` (flags that contradict each other, `--pareto`, `--no-pareto`) was given last.
    public func lastGiven(of names: [String]) -> String? {
        occurrences.last { names.contains($0.name) }?.name
    }
}

/// "Did you mean": the closest spelling by edit distance.
public enum Suggestions {
    /// The spelling of `candidates` nearest to `word`: within edit distance 2 (1 for short words), or
    /// one that `word` is a prefix of; nil when none is close.
    public static func nearest(_ word: String, among candidates: [String]) -> String? {
        let w = Array(word.drop { $0 == "-" })
        guard !w.isEmpty else { return nil }
        var best: (String, Int)?
        for c in candidates {
            let s = Array(c.drop { $0 == "-" })
            let d = distance(w, s)
            let limit = w.count <= 3 ? 1 : 2
            let prefix = s.count > w.count && w.count >= 3 && Array(s.prefix(w.count)) == w
            guard d <= limit || prefix else { continue }
            let score = prefix ? min(d, 1) : d
            if best == nil || score < best!.1 { best = (c, score) }
        }
        return best?.0
    }

    /// Levenshtein distance.
    public static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
