import Foundation
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization
import HaloCommandLine
import HaloPower

// `halo`: a thin shell over the library. Every error is one line on stderr and a non-zero exit.

struct Loaded {
    let graph: TimingGraph
    let libraries: [String]
    let netlists: [String]
}

/// Reads libraries and netlists and builds the timing graph, with the options common to the subcommands.
func load(_ args: Arguments, command: String, diagnostics: DiagnosticSink) throws -> Loaded {
    let libPaths = args.values("--liberty", "-l")
    var libraries: [LibertyLibrary] = []
    for path in libPaths {
        libraries.append(try LibertyReader.read(path: path, diagnostics: diagnostics))
    }
    let design = try readDesign(args, command: command, libraries: libraries, withoutLiberty: libPaths.isEmpty, diagnostics: diagnostics)
    let graph = try TimingGraph(design: design, libraries: libraries, conditions: try timingConditions(args), diagnostics: diagnostics)
    return Loaded(graph: graph, libraries: libPaths, netlists: args.positionals)
}

/// Reads the netlists (the positionals), their cells linked as leaves when `libraries` (or the generic
/// library) have them.
func readDesign(_ args: Arguments, command: String, libraries: [LibertyLibrary], withoutLiberty: Bool,
                diagnostics: DiagnosticSink) throws -> FlatDesign {
    let netlists = args.positionals
    guard !netlists.isEmpty else { throw HaloError("'halo \(command)' needs a netlist file (see 'halo \(command) --help')") }
    let isLeaf: (String) -> Bool = { name in
        libraries.contains { $0.cell(named: name) != nil } || GenericLibrary.cell(named: name, inputCount: 2) != nil
    }
    do {
        return try VerilogReader.read(paths: netlists, top: args.value("--top"), isLeafCell: isLeaf,
                                      blackBoxUnknownCells: args.flag("--black-box"), diagnostics: diagnostics)
    } catch var error as HaloError where withoutLiberty && error.message.hasPrefix("unknown cell or module") {
        // A mapped netlist timed without its library: say so, not only which cell is unknown.
        error.message += " (no --liberty given; the embedded generic library has only gate primitives and Yosys internal cells)"
        throw error
    }
}

/// The timing conditions of `--output-load`, `--input-slew`, `--clock` and `--propagated-clock`.
func timingConditions(_ args: Arguments) throws -> TimingConditions {
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
    conditions.propagatedClock = args.flag("--propagated-clock")
    return conditions
}

/// Refuses a `--set` on a bit of the swept bus: it would hold that bit in the `none` row too (the
/// reference every speed-up is measured against), and be overridden in every code's row.
func refuseSweptBits(_ specs: [String], graph: TimingGraph, bus: CaseBus) throws {
    let swept = Set(bus.pins)
    for spec in specs where try caseConstants([spec], graph: graph).contains(where: { swept.contains($0.pin) }) {
        throw HaloError("--set '\(spec)' holds bits of the swept bus '\(bus.name)' (--bus); it would change the 'none' reference row (choose codes with --codes, or time one code with 'halo report --set')")
    }
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

/// The energy options of `halo characterize`, besides `--energy` itself.
let energyValueOptions: Set<String> = ["--vectors", "--activations", "--seed", "--stimulus", "--activation-bus",
                                       "--other-inputs", "--vdd", "--input-net-energy"]

func characterize(_ argv: [String]) throws {
    let args = try parseArguments(argv, Grammars.characterize)
    if try helpRequested(args, Grammars.characterize) { return }
    let diagnostics = DiagnosticSink()
    defer { printWarnings(diagnostics) }
    guard let busName = args.value("--bus") else { throw HaloError("'halo characterize' needs --bus NAME (e.g. --bus W)") }
    if !args.values("--corner").isEmpty { return try characterizeCorners(args, busName: busName, diagnostics: diagnostics) }
    if args.value("--vf-output") != nil { throw HaloError("--vf-output needs --corner (the voltages to make the table of)") }
    let output = args.value("-o", "--output")
    let outputs = try RunOutputs([output], inputs: args.positionals + args.values("--liberty", "-l") + args.values("--activations"))
    let loaded = try load(args, command: "characterize", diagnostics: diagnostics)
    let graph = loaded.graph
    let format = try tableFormat(args, output: output)
    let showProgress = !(args.flag("--quiet") || args.flag("-q")) && isatty(2) != 0
    let (request, energyRequest) = try sweepRequests(args, busName: busName, graph: graph)
    var energyLibraries: [LibertyLibrary] = []
    if let energyRequest {
        // Fail early. The timing graph keeps no Liberty objects: read the libraries again for their power data.
        energyLibraries = try loaded.libraries.map { try LibertyReader.read(path: $0) }
        _ = try EnergyModel(graph: graph, libraries: energyLibraries, supplyVoltageV: energyRequest.supplyVoltageV)
    }
    var table = try Characterizer.characterize(graph: graph, request: request, progress: showProgress ? progressPrinter(start: Date()) : nil)
    if showProgress { StandardStreams.writeError("\n") }
    if let energyRequest {
        let energies = try EnergyCharacterizer.characterize(graph: graph, libraries: energyLibraries, request: energyRequest,
                                                            progress: showProgress ? progressPrinter(start: Date()) : nil)
        if showProgress {
            let leak = energies.leakageNW.map { String(format: "%.3g nW", $0) } ?? "none stated"
            StandardStreams.writeError("\nenergy: \(energies.stimulus.vectors) vectors a code; leakage (not in energy_fj): \(leak)\n")
        }
        EnergyCharacterizer.annotate(&table, with: energies)
    }
    table.metadata.libraries = loaded.libraries
    table.metadata.netlist = loaded.netlists.joined(separator: " ")
    try outputs.commit(format == "json" ? table.json() : table.csv(), to: output)
}

/// `halo characterize --corner V=LIB…`: the netlist read once, timed (and with `--energy` simulated) at
/// every corner; one CSV of corner tables, and with `--vf-output` the voltage/frequency table.
func characterizeCorners(_ args: Arguments, busName: String, diagnostics: DiagnosticSink) throws {
    for (option, why) in [("--liberty", "each corner names its libraries"), ("-l", "each corner names its libraries"),
                          ("--vdd", "each corner's voltage is its ½·C·V² supply"), ("--shard", "corner tables are not sharded"),
                          ("--format", "corner tables are CSV")] where !args.values(option).isEmpty {
        throw HaloError("--corner and \(option) exclude each other (\(why))")
    }
    if args.flag("--json") { throw HaloError("--corner and --json exclude each other (corner tables are CSV)") }
    let specs = try args.values("--corner").map(LibraryCorner.parse)
    let output = args.value("-o", "--output"), vfOutput = args.value("--vf-output")
    let outputs = try RunOutputs([output, vfOutput], inputs: args.positionals + specs.flatMap(\.paths) + args.values("--activations"))
    var corners: [LibraryCorner] = []
    for spec in specs {
        corners.append(LibraryCorner(voltageV: spec.voltageV, libraries: try spec.paths.map { try LibertyReader.read(path: $0, diagnostics: diagnostics) },
                                     paths: spec.paths))
    }
    // One read of the netlist, its cells linked against every corner's libraries (the same cells).
    let design = try readDesign(args, command: "characterize", libraries: corners.flatMap(\.libraries), withoutLiberty: false,
                                diagnostics: diagnostics)
    let showProgress = !(args.flag("--quiet") || args.flag("-q")) && isatty(2) != 0
    var tables = try CornerCharacterizer.characterize(
        design: design, corners: corners, conditions: try timingConditions(args),
        requests: { graph in try sweepRequests(args, busName: busName, graph: graph) }, diagnostics: diagnostics,
        progress: showProgress ? { corner in
            StandardStreams.writeError("\ncorner \(CornerTables.label(corner.voltageV)):\n")
            return progressPrinter(start: Date())
        } : nil)
    if showProgress { StandardStreams.writeError("\n") }
    tables = try CornerTables(tables.corners.map { c in
        var c = c
        c.table.metadata.netlist = args.positionals.joined(separator: " ")
        return c
    })
    var files: [String: String] = [:]
    if let vfOutput { files[vfOutput] = tables.voltageFrequencyCSV() }
    if let output { files[output] = tables.csv() }
    try outputs.commit(files, standardOutput: output == nil ? tables.csv() : nil)
}

/// The delay sweep's request and, with `--energy`, the energy sweep's, for `graph` (constants name its
/// pins). Energy options are checked here, before the (long) delay sweep.
func sweepRequests(_ args: Arguments, busName: String, graph: TimingGraph) throws -> CornerCharacterizer.Requests {
    var request = CharacterizationRequest(busName: busName)
    request.fixedConstants = try caseConstants(args.values("--set"), graph: graph)
    let bus = try sweptBus(named: busName, in: graph)
    try refuseSweptBits(args.values("--set"), graph: graph, bus: bus)
    if let text = args.value("--codes") {
        request.codes = try codeRange(text, of: bus)
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
    if let n = try args.integer("--threads", in: 1 ... Limits.maxThreads) { request.threads = n }
    guard args.flag("--energy") else {
        if let stray = (energyValueOptions.sorted() + ["--glitch"]).first(where: { !args.values($0).isEmpty || args.flag($0) }) {
            throw HaloError("\(stray) needs --energy")
        }
        return (request, nil)
    }
    var energyRequest = EnergyRequest(busName: busName, codes: request.codes)
    energyRequest.fixedConstants = request.fixedConstants
    energyRequest.threads = request.threads
    energyRequest.glitchAware = args.flag("--glitch")
    if let t = args.value("--input-net-energy") {
        guard let c = InputNetEnergy(rawValue: t) else {
            throw HaloError("unknown --input-net-energy '\(t)' (expected separate or include)")
        }
        energyRequest.inputNetEnergy = c
    }
    var stimulus = EnergyStimulus()
    if let n = try args.integer("--vectors", in: 2 ... EnergyStimulus.maxVectors) { stimulus.vectors = n }
    if let t = args.value("--seed") {
        guard let s = UInt64(t) else { throw HaloError("malformed --seed '\(t)' (expected a non-negative integer)") }
        stimulus.seed = s
    }
    if let t = args.value("--stimulus") {
        let parts = t.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first ?? "" {
        case "uniform" where parts.count == 1: stimulus.activations = .uniform
        case "gaussian":
            var sigma: Double?
            if parts.count == 2 {
                guard let x = Double(parts[1]), x > 0, x.isFinite else {
                    throw HaloError("malformed sigma '\(parts[1])' in --stimulus (expected e.g. gaussian:32)")
                }
                sigma = x
            }
            stimulus.activations = .gaussian(sigma: sigma)
        default: throw HaloError("unknown --stimulus '\(t)' (expected uniform or gaussian[:SIGMA])")
        }
    }
    if let path = args.value("--activations") {
        if args.value("--stimulus") != nil { throw HaloError("--activations and --stimulus exclude each other") }
        stimulus.activations = .values(try EnergyStimulus.readActivations(path: path), source: path)
    }
    stimulus.activationBus = args.value("--activation-bus")
    if let t = args.value("--other-inputs") {
        guard let m = EnergyStimulus.OtherInputs(rawValue: t) else {
            throw HaloError("unknown --other-inputs '\(t)' (expected zero or random)")
        }
        stimulus.otherInputs = m
    }
    if let t = args.value("--vdd") {
        guard let v = Double(t.lowercased().replacingOccurrences(of: "v", with: "")), v > 0, v.isFinite else {
            throw HaloError("malformed --vdd '\(t)' (expected a voltage such as 1.8)")
        }
        energyRequest.supplyVoltageV = v
    }
    energyRequest.stimulus = stimulus
    _ = try EnergyCharacterizer.makeStimulus(graph: graph, weightBus: bus, request: energyRequest)
    return (request, energyRequest)
}

/// `halo help [SUBCOMMAND | --markdown]`: the top-level help, a subcommand's help, or the README's
/// command reference.
func helpCommand(_ argv: [String]) throws {
    guard let what = argv.first else { return try printHelp(HelpText.top()) }
    guard argv.count == 1 else { throw HaloError("'halo help' takes one subcommand, not '\(argv.joined(separator: " "))'") }
    if what == "--markdown" { return try StandardStreams.writeOutput(HelpText.markdown()) }
    guard let grammar = Grammars.named(what) else {
        let near = Suggestions.nearest(what, among: Grammars.all.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
        throw HaloError("unknown subcommand '\(what)'\(near) (see 'halo --help')")
    }
    try printHelp(HelpText.command(grammar))
}

/// The file format of a table output: `--json`, `--format csv|json`, or the `-o` file's extension.
func tableFormat(_ args: Arguments, output: String?) throws -> String {
    if args.flag("--json") {
        if let f = args.value("--format"), f != "json" { throw HaloError("--json and --format \(f) exclude each other") }
        return "json"
    }
    let format = args.value("--format") ?? (output?.hasSuffix(".json") == true ? "json" : "csv")
    guard format == "csv" || format == "json" else { throw HaloError("unknown --format '\(format)' (expected csv or json)") }
    return format
}

/// A progress line on stderr: codes done, rate, time left.
func progressPrinter(start: Date) -> @Sendable (Int, Int) -> Void {
    return { done, total in
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let left = Double(total - done) / max(rate, 1e-9)
        let line = String(format: "\r%d/%d codes  %.0f codes/s  %.0fs left ", done, total, rate, left)
        StandardStreams.writeError(line)
    }
}

/// The bus `halo characterize` sweeps: an input port bus or an internal net bus, never an output port
/// (holding an output at a code would time nothing of the design), of a width that can be swept.
func sweptBus(named name: String, in graph: TimingGraph) throws -> CaseBus {
    let bus = try CaseBus(named: name, in: graph)
    let ports = graph.design.ports.filter { $0.busName == name || $0.name == name }
    if let port = ports.first, port.direction == .output {
        throw HaloError("--bus '\(name)' is an output port of '\(graph.design.topName)'; sweep an input port or an internal net bus")
    }
    _ = try bus.sweepRange(nil)
    return bus
}

/// Parses `--codes A-B` for `bus`: malformed text and codes outside the bus are told apart.
func codeRange(_ text: String, of bus: CaseBus) throws -> ClosedRange<Int> {
    var parts = splitRange(text)
    let malformed = HaloError("malformed --codes '\(text)' (expected A-B with A ≤ B, e.g. 0-255 or 0x00-0x7f)")
    if parts.count == 1, CaseBus.parseCode(text, width: 62) != nil { parts = [text, text] } // one code: `--codes 5`
    guard parts.count == 2 else { throw malformed }
    var codes: [Int] = []
    for part in parts {
        if let code = bus.parseCode(part) {
            codes.append(code)
        } else if CaseBus.parseCode(part, width: 62) != nil {
            throw HaloError("code '\(part)' of --codes '\(text)' is out of range for the \(bus.width)-bit bus '\(bus.name)' (\(-(1 << (bus.width - 1))) … \((1 << bus.width) - 1))")
        } else {
            throw malformed
        }
    }
    guard codes[0] <= codes[1] else { throw malformed }
    return codes[0]...codes[1]
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
    let args = try parseArguments(argv, Grammars.report)
    if try helpRequested(args, Grammars.report) { return }
    let diagnostics = DiagnosticSink()
    defer { printWarnings(diagnostics) }
    let output = args.value("--output")
    try acceptThreads(args)
    let outputs = try RunOutputs([output], inputs: args.positionals + args.values("--liberty", "-l"))
    let loaded = try load(args, command: "report", diagnostics: diagnostics)
    let graph = loaded.graph
    let constants = try caseConstants(args.values("--set"), graph: graph)
    let paths = try args.integer("--paths", in: 1 ... 1_000_000) ?? 1
    let analysis = TimingAnalysis(graph: graph)
    analysis.run(constants: constants)
    try outputs.commit(PathReport.render(analysis: analysis, paths: paths, constants: constants), to: output)
}

func merge(_ argv: [String]) throws {
    let args = try parseArguments(argv, Grammars.merge)
    if try helpRequested(args, Grammars.merge) { return }
    guard !args.positionals.isEmpty else { throw HaloError("'halo merge' needs shard files (see 'halo merge --help')") }
    let output = args.value("-o", "--output")
    let format = try tableFormat(args, output: output)
    try acceptThreads(args)
    let outputs = try RunOutputs([output], inputs: args.positionals)
    let tables = try args.positionals.map { try DelayTable.read(path: $0) }
    let merged = try Shards.merge(tables, names: args.positionals)
    try outputs.commit(format == "json" ? merged.json() : merged.csv(), to: output)
}

let argv = Array(CommandLine.arguments.dropFirst())
do {
    guard let sub = argv.first else { try printHelp(HelpText.top()); exit(0) }
    switch sub {
    case "characterize": try characterize(Array(argv.dropFirst()))
    case "report": try report(Array(argv.dropFirst()))
    case "merge": try merge(Array(argv.dropFirst()))
    case "generate": try generateCommand(Array(argv.dropFirst()))
    case "select": try selectCommand(Array(argv.dropFirst()))
    case "quantize": try quantizeCommand(Array(argv.dropFirst()))
    case "simulate": try simulateCommand(Array(argv.dropFirst()))
    case "plot": try plotCommand(Array(argv.dropFirst()))
    case "--help", "-h": try printHelp(HelpText.top())
    case "help": try helpCommand(Array(argv.dropFirst()))
    case "--version": try StandardStreams.writeOutput("halo \(HaloVersion.string)\n")
    default: throw HaloError("unknown subcommand '\(sub)' (see 'halo --help')")
    }
} catch {
    StandardStreams.writeError(HaloError(wrapping: error).line(tool: "halo") + "\n")
    exit(1)
}
