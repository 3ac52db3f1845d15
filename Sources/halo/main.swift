import Foundation
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

// `halo`: a thin shell over the library. Every error is one line on stderr and a non-zero exit.

let topHelp = """
OVERVIEW: Halo — gate-level timing of MAC hardware under case analysis, per weight code.

USAGE: halo <subcommand> [options]

SUBCOMMANDS:
  characterize   Delay of every code held on a bus (CSV or JSON delay table)
  report         Worst-path report in the manner of OpenSTA's report_checks
  merge          Join shard tables (from --shard i/n) into one, refusing overlaps and gaps

Run 'halo <subcommand> --help' for the options of each.
"""

let characterizeHelp = """
OVERVIEW: Time a netlist for every code held on a bus, as OpenSTA's set_case_analysis would.

USAGE: halo characterize NETLIST.v... [--liberty LIB]... [--top MODULE] --bus NAME
                         [--codes A-B] [--set TARGET=VALUE]... [--output-load 10fF]
                         [--input-slew 0ps] [--clock PORT] [--threads N]
                         [--format csv|json] [-o FILE] [--quiet]

OPTIONS:
  --liberty LIB        Liberty library (repeatable). Without one, gate primitives and Yosys
                       internal cells are timed with Halo's embedded generic library.
  --top MODULE         Top module (default: the module no other module instantiates).
  --bus NAME           Bus whose codes are swept: a port bus (W) or an internal net bus (wreg).
  --codes A-B          Range of codes (default: all 0 … 2^n−1). A and B take 37, 0x25, -3.
  --set TARGET=VALUE   Hold another constant: a bus and code (P=0) or a bit (load_w=1).
  --output-load C      Load on every output port (default 10fF; units fF, pF).
  --input-slew T       Transition at every input port (default 0ps; units ps, ns).
  --clock PORT         Clock port of a registered design (found by itself when unambiguous).
  --threads N          Worker threads (default: all cores).
  --shard I/N          Time only the I-th (0-based) of N equal slices of the codes, for array jobs;
                       join the shard files with 'halo merge'.
  --format csv|json    Output format (default csv, or by the -o file's extension).
  -o, --output FILE    Write the table to FILE (default: standard output).
  --quiet              No progress line.
  -h, --help           Show this help.
"""

let reportHelp = """
OVERVIEW: Report the worst paths of a netlist, optionally under case analysis.

USAGE: halo report NETLIST.v... [--liberty LIB]... [--top MODULE] [--set BUS=CODE]...
                   [--paths N] [--output-load 10fF] [--input-slew 0ps] [--clock PORT]

OPTIONS:
  --set TARGET=VALUE   Case analysis: a bus and code (W=37, W=-3, W=0x25) or a bit (W[3]=1).
  --paths N            Report the worst path of each of the N worst endpoints (default 1).
  (see 'halo characterize --help' for the others)
"""

final class Stderr: TextOutputStream {
    func write(_ string: String) { FileHandle.standardError.write(string.data(using: .utf8) ?? Data()) }
}
var stderrStream = Stderr()

struct Loaded {
    let graph: TimingGraph
    let libraries: [String]
    let netlists: [String]
}

/// Reads libraries and netlists and builds the timing graph, with the options common to the subcommands.
func load(_ args: Arguments, command: String, diagnostics: DiagnosticSink) throws -> Loaded {
    let netlists = args.positionals
    guard !netlists.isEmpty else { throw HaloError("'halo \(command)' needs a netlist file (see 'halo \(command) --help')") }
    let libPaths = args.values("--liberty", "-l")
    var libraries: [LibertyLibrary] = []
    for path in libPaths {
        libraries.append(try LibertyReader.read(path: path, diagnostics: diagnostics))
    }
    let isLeaf: (String) -> Bool = { name in
        libraries.contains { $0.cell(named: name) != nil } || GenericLibrary.cell(named: name, inputCount: 2) != nil
    }
    let design = try VerilogReader.read(paths: netlists, top: args.value("--top"), isLeafCell: isLeaf, diagnostics: diagnostics)
    var conditions = TimingConditions()
    if let text = args.value("--output-load") {
        guard let v = Quantity.capacitanceFF(text), v >= 0 else {
            throw HaloError("malformed capacitance '\(text)' for --output-load (e.g. 10fF, 0.01pF)")
        }
        conditions.outputLoadFF = v
    }
    if let text = args.value("--input-slew") {
        guard let v = Quantity.timeNs(text), v >= 0 else {
            throw HaloError("malformed time '\(text)' for --input-slew (e.g. 20ps, 0.1ns)")
        }
        conditions.inputSlewNs = v
    }
    conditions.clockPort = args.value("--clock")
    let graph = try TimingGraph(design: design, libraries: libraries, conditions: conditions, diagnostics: diagnostics)
    return Loaded(graph: graph, libraries: libPaths, netlists: netlists)
}

/// Parses `--set TARGET=VALUE` into constants: a bus and a code, or a single bit.
func caseConstants(_ specs: [String], graph: TimingGraph) throws -> [CaseConstant] {
    var result: [CaseConstant] = []
    for spec in specs {
        guard let eq = spec.firstIndex(of: "=") else {
            throw HaloError("malformed --set '\(spec)' (expected TARGET=VALUE, e.g. W=37 or load_w=1)")
        }
        let target = String(spec[..<eq]).trimmingCharacters(in: .whitespaces)
        let valueText = String(spec[spec.index(after: eq)...])
        if let pin = graph.casePin(named: target), (try? CaseBus(named: target, in: graph))?.width ?? 1 == 1 {
            guard let v = CaseBus.parseCode(valueText, width: 1) else {
                throw HaloError("malformed value '\(valueText)' for bit '\(target)' (expected 0 or 1)")
            }
            result.append(CaseConstant(pin: pin, value: v == 1))
            continue
        }
        let bus = try CaseBus(named: target, in: graph)
        guard let code = bus.parseCode(valueText) else {
            throw HaloError("malformed code '\(valueText)' for the \(bus.width)-bit bus '\(target)' (expected -\(1 << (bus.width - 1)) … \((1 << bus.width) - 1), 0x.., 0b..)")
        }
        result.append(contentsOf: bus.constants(code: code))
    }
    return result
}

func characterize(_ argv: [String]) throws {
    let args = try Arguments(argv, valueOptions: ["--liberty", "-l", "--top", "--bus", "--codes", "--set", "--output-load",
                                                  "--input-slew", "--clock", "--threads", "--shard", "--format", "-o", "--output"],
                             flagOptions: ["--help", "-h", "--quiet", "-q"], command: "characterize")
    if args.flag("--help") || args.flag("-h") { print(characterizeHelp); return }
    let diagnostics = DiagnosticSink()
    defer { for w in diagnostics.warnings { print(w, to: &stderrStream) } }
    guard let busName = args.value("--bus") else { throw HaloError("'halo characterize' needs --bus NAME (e.g. --bus W)") }
    let loaded = try load(args, command: "characterize", diagnostics: diagnostics)
    let graph = loaded.graph
    var request = CharacterizationRequest(busName: busName)
    request.fixedConstants = try caseConstants(args.values("--set"), graph: graph)
    let bus = try CaseBus(named: busName, in: graph)
    if let text = args.value("--codes") {
        let parts = splitRange(text)
        guard parts.count == 2, let a = bus.parseCode(parts[0]), let b = bus.parseCode(parts[1]), a <= b else {
            throw HaloError("malformed --codes '\(text)' (expected A-B with A ≤ B, e.g. 0-255 or 0x00-0x7f)")
        }
        request.codes = a...b
    }
    if let text = args.value("--shard") {
        guard let (i, n) = Shards.parse(text) else {
            throw HaloError("malformed --shard '\(text)' (expected I/N with 0 ≤ I < N, e.g. 0/8)")
        }
        let range = request.codes ?? 0...((1 << bus.width) - 1)
        guard let slice = Shards.slice(range, index: i, count: n) else {
            throw HaloError("shard \(text) of codes \(range.lowerBound)-\(range.upperBound) is empty (more shards than codes)")
        }
        request.codes = slice
    }
    if let t = args.value("--threads") {
        guard let n = Int(t), n >= 1 else { throw HaloError("malformed --threads '\(t)' (expected a positive integer)") }
        request.threads = n
    }
    let output = args.value("-o", "--output")
    let format = args.value("--format") ?? (output?.hasSuffix(".json") == true ? "json" : "csv")
    guard format == "csv" || format == "json" else { throw HaloError("unknown --format '\(format)' (expected csv or json)") }
    let showProgress = !(args.flag("--quiet") || args.flag("-q")) && isatty(2) != 0
    let start = Date()
    let progress: (@Sendable (Int, Int) -> Void)? = showProgress ? progressPrinter(start: start) : nil
    var table = try Characterizer.characterize(graph: graph, request: request, progress: progress)
    if showProgress { FileHandle.standardError.write("\n".data(using: .utf8)!) }
    table.metadata.libraries = loaded.libraries
    table.metadata.netlist = loaded.netlists.joined(separator: " ")
    try write(table, format: format, to: output)
}

/// Writes a table as CSV or JSON to a file, or to standard output.
func write(_ table: DelayTable, format: String, to output: String?) throws {
    let text = format == "json" ? table.json() : table.csv()
    if let output {
        do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
            throw HaloError("cannot write '\(output)': \(error.localizedDescription)")
        }
    } else {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// A progress line on stderr: codes done, rate, time left.
func progressPrinter(start: Date) -> @Sendable (Int, Int) -> Void {
    return { done, total in
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let left = Double(total - done) / max(rate, 1e-9)
        let line = String(format: "\r%d/%d codes  %.0f codes/s  %.0fs left ", done, total, rate, left)
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// Splits `A-B` where A may itself be negative (`-8--1`).
func splitRange(_ text: String) -> [String] {
    let chars = Array(text)
    for i in chars.indices where chars[i] == "-" && i > 0 && chars[i - 1] != "-" && chars[i - 1] != "x" {
        return [String(chars[..<i]), String(chars[(i + 1)...])]
    }
    return [text]
}

func report(_ argv: [String]) throws {
    let args = try Arguments(argv, valueOptions: ["--liberty", "-l", "--top", "--set", "--paths", "--output-load",
                                                  "--input-slew", "--clock"],
                             flagOptions: ["--help", "-h"], command: "report")
    if args.flag("--help") || args.flag("-h") { print(reportHelp); return }
    let diagnostics = DiagnosticSink()
    defer { for w in diagnostics.warnings { print(w, to: &stderrStream) } }
    let loaded = try load(args, command: "report", diagnostics: diagnostics)
    let graph = loaded.graph
    let constants = try caseConstants(args.values("--set"), graph: graph)
    var paths = 1
    if let t = args.value("--paths") {
        guard let n = Int(t), n >= 1 else { throw HaloError("malformed --paths '\(t)' (expected a positive integer)") }
        paths = n
    }
    let analysis = TimingAnalysis(graph: graph)
    analysis.run(constants: constants)
    print(PathReport.render(analysis: analysis, paths: paths, constants: constants), terminator: "")
}

let mergeHelp = """
OVERVIEW: Join delay tables written by 'halo characterize --shard I/N' into one table.

USAGE: halo merge SHARD.csv|SHARD.json... [--format csv|json] [-o FILE]

Refuses a code present in two shards, missing codes between the shards, and 'none' rows that
disagree. With JSON shards (which record the bus width) it also checks that every code is present.
"""

func merge(_ argv: [String]) throws {
    let args = try Arguments(argv, valueOptions: ["--format", "-o", "--output"], flagOptions: ["--help", "-h"], command: "merge")
    if args.flag("--help") || args.flag("-h") { print(mergeHelp); return }
    guard !args.positionals.isEmpty else { throw HaloError("'halo merge' needs shard files (see 'halo merge --help')") }
    let tables = try args.positionals.map { try DelayTable.read(path: $0) }
    let merged = try Shards.merge(tables, names: args.positionals)
    let output = args.value("-o", "--output")
    let format = args.value("--format") ?? (output?.hasSuffix(".json") == true ? "json" : "csv")
    guard format == "csv" || format == "json" else { throw HaloError("unknown --format '\(format)' (expected csv or json)") }
    try write(merged, format: format, to: output)
}

let argv = Array(CommandLine.arguments.dropFirst())
do {
    guard let sub = argv.first else { print(topHelp); exit(0) }
    switch sub {
    case "characterize": try characterize(Array(argv.dropFirst()))
    case "report": try report(Array(argv.dropFirst()))
    case "merge": try merge(Array(argv.dropFirst()))
    case "--help", "-h", "help": print(topHelp)
    case "--version": print("halo \(HaloVersion.string)")
    default: throw HaloError("unknown subcommand '\(sub)' (see 'halo --help')")
    }
} catch let error as HaloError {
    print(error, to: &stderrStream)
    exit(1)
} catch {
    print("halo: error: \(error)", to: &stderrStream)
    exit(1)
}
