import Foundation
import XCTest
import HaloCore
import HaloCommandLine

/// The command-line grammar: every option of every subcommand is accepted exactly where its table
/// says, the others are refused with one line (and a suggestion when one is close), and the texts
/// made from the tables (help, README reference) are what users see.
final class GrammarTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The words that give `option` once, with a value when it takes one.
    func words(_ option: OptionSpec, spelling: String? = nil) -> [String] {
        [spelling ?? option.name] + (option.isFlag ? [] : ["1"])
    }

    func testEveryOptionIsAcceptedWhereItsGrammarSaysUnderEverySpelling() throws {
        for grammar in Grammars.all {
            for option in grammar.options {
                for spelling in option.spellings {
                    let parsed = try ParsedArguments(words(option, spelling: spelling), grammar: grammar)
                    XCTAssertEqual(parsed.occurrences.map(\.name), [option.name], "halo \(grammar.name) \(spelling)")
                    XCTAssertEqual(parsed.spelling(option.name), spelling)
                    XCTAssertEqual(parsed.positionals, [])
                    if option.isFlag { XCTAssertTrue(parsed.flag(option.name)) } else { XCTAssertEqual(parsed.value(option.name), "1") }
                    XCTAssertEqual(parsed.warnings, option.deprecatedAliases.contains(spelling)
                                   ? ["\(spelling) is deprecated here; use \(option.name)"] : [])
                }
                if !option.isFlag, option.name.hasPrefix("--") {
                    let parsed = try ParsedArguments([option.name + "=x=y"], grammar: grammar)
                    XCTAssertEqual(parsed.value(option.name), "x=y")
                }
            }
        }
    }

    func testOptionsOfOtherSubcommandsAreRefusedWithOneLine() throws {
        for grammar in Grammars.all {
            let own = Set(grammar.options.flatMap(\.spellings))
            for other in Grammars.all where other.name != grammar.name {
                for option in other.options {
                    for spelling in option.spellings where !own.contains(spelling) {
                        XCTAssertThrowsError(try ParsedArguments(words(option, spelling: spelling), grammar: grammar)) { error in
                            let line = (error as? HaloError)?.line(tool: "halo") ?? "\(error)"
                            XCTAssertTrue(line.hasPrefix("halo: error: unknown option '\(spelling)' for 'halo \(grammar.name)'"), line)
                            XCTAssertTrue(line.hasSuffix("(see 'halo \(grammar.name) --help')"), line)
                            XCTAssertFalse(line.contains("\n"))
                            // Either a close spelling of this subcommand, or where the option belongs.
                            XCTAssertTrue(line.contains("did you mean '") || (line.contains(": it is an option of ") && line.contains("'halo \(other.name)'")), line)
                            if let near = Suggestions.nearest(spelling, among: grammar.options.flatMap { [$0.name] + $0.aliases }) {
                                XCTAssertTrue(line.contains("did you mean '\(near)'?"), line)
                                XCTAssertNotNil(grammar.option(spelled: near))
                            }
                        }
                    }
                }
            }
        }
    }

    func testSharedOptionsAreEverywhere() {
        for grammar in Grammars.all {
            for name in ["--quiet", "--threads", "--help"] {
                XCTAssertNotNil(grammar.option(spelled: name), "halo \(grammar.name) lacks \(name)")
            }
            XCTAssertEqual(grammar.option(spelled: "-o")?.name, "--output", "halo \(grammar.name): -o writes its output")
            XCTAssertEqual(grammar.option(spelled: "-q")?.name, "--quiet")
        }
        for name in ["characterize", "merge"] {
            XCTAssertEqual(Grammars.named(name)?.option(spelled: "--format")?.metavar, "csv|json")
            XCTAssertNotNil(Grammars.named(name)?.option(spelled: "--json"))
        }
        for name in ["select", "quantize", "plot"] {
            let option = Grammars.named(name)?.option(spelled: "--format")
            XCTAssertEqual(option?.name, "--number-format", name)
            XCTAssertEqual(option?.deprecatedAliases, ["--format"], name)
        }
        for name in ["select", "quantize"] {
            XCTAssertTrue(Grammars.named(name)?.option(spelled: "--pareto")?.isFlag ?? false)
            XCTAssertTrue(Grammars.named(name)?.option(spelled: "--no-pareto")?.isFlag ?? false)
        }
    }

    func testDidYouMean() throws {
        let cases: [(String, [String], String)] = [
            ("characterize", ["--thread", "2"], "halo: error: unknown option '--thread' for 'halo characterize'; did you mean '--threads'? (see 'halo characterize --help')"),
            ("select", ["--levles", "2"], "halo: error: unknown option '--levles' for 'halo select'; did you mean '--levels'? (see 'halo select --help')"),
            ("quantize", ["--tabel=t.csv"], "halo: error: unknown option '--tabel=t.csv' for 'halo quantize'; did you mean '--table'? (see 'halo quantize --help')"),
            ("report", ["--energy"], "halo: error: unknown option '--energy' for 'halo report': it is an option of 'halo characterize' (see 'halo report --help')"),
            ("characterize", ["--frobnicate"], "halo: error: unknown option '--frobnicate' for 'halo characterize' (see 'halo characterize --help')"),
        ]
        for (command, argv, expected) in cases {
            XCTAssertThrowsError(try ParsedArguments(argv, grammar: Grammars.named(command)!)) { XCTAssertEqual(($0 as? HaloError)?.line(tool: "halo"), expected) }
        }
        XCTAssertThrowsError(try ParsedArguments(["--bus"], grammar: Grammars.characterize)) {
            XCTAssertEqual(($0 as? HaloError)?.line(tool: "halo"), "halo: error: option '--bus' of 'halo characterize' needs a value")
        }
        XCTAssertThrowsError(try ParsedArguments(["--quiet=1"], grammar: Grammars.select)) {
            XCTAssertEqual(($0 as? HaloError)?.line(tool: "halo"), "halo: error: option '--quiet' of 'halo select' takes no value")
        }
        XCTAssertEqual(Suggestions.distance(Array("kitten"), Array("sitting")), 3)
    }

    func testPositionalsNegativeNumbersAndDoubleDash() throws {
        let p = try ParsedArguments(["a.v", "--set", "W=-3", "-5", "--", "--bus"], grammar: Grammars.report)
        XCTAssertEqual(p.positionals, ["a.v", "-5", "--bus"])
        XCTAssertEqual(p.values("--set"), ["W=-3"])
        let q = try ParsedArguments(["--pareto", "--no-pareto", "--pareto"], grammar: Grammars.quantize)
        XCTAssertEqual(q.lastGiven(of: ["--pareto", "--no-pareto"]), "--pareto")
        let r = try ParsedArguments(["--format", "int8", "--format", "int4"], grammar: Grammars.select)
        XCTAssertEqual(r.value("--number-format"), "int4")
        XCTAssertEqual(r.warnings, ["--format is deprecated here; use --number-format"], "one warning line")
    }

    func testHelpIsMadeFromTheGrammar() {
        for grammar in Grammars.all {
            let help = HelpText.command(grammar)
            XCTAssertTrue(help.hasPrefix("OVERVIEW: \(grammar.overview)\n\nUSAGE: halo \(grammar.name)"), help)
            for option in grammar.options {
                XCTAssertTrue(help.contains("  " + option.label), "\(grammar.name) help lacks \(option.label)")
                if option.name != "--help" {
                    XCTAssertTrue(HelpText.usage(grammar).joined().contains(option.name == "--output" ? "-o FILE" : option.name),
                                  "\(grammar.name) usage lacks \(option.name)")
                }
            }
            XCTAssertTrue(HelpText.top().contains("\n  \(grammar.name) "), grammar.name)
            for line in help.split(separator: "\n") { XCTAssertLessThanOrEqual(line.count, 120, String(line)) }
        }
        XCTAssertTrue(HelpText.usage(Grammars.characterize).joined().contains("[--shard I/N]"))
    }

    /// The README's command reference is `halo help --markdown`, verbatim.
    func testReadmeCommandReferenceIsGenerated() throws {
        let readme = try String(contentsOf: Self.repo.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = "<!-- BEGIN halo help --markdown -->\n", end = "<!-- END halo help --markdown -->"
        guard let a = readme.range(of: begin), let b = readme.range(of: end, range: a.upperBound ..< readme.endIndex) else {
            return XCTFail("README lacks the \(begin.dropLast()) … \(end) section")
        }
        let section = String(readme[a.upperBound ..< b.lowerBound])
        XCTAssertEqual(section, HelpText.markdown(),
                       "README's command reference differs from 'halo help --markdown': regenerate it (Scripts/update-readme-reference.sh)")
    }
}
