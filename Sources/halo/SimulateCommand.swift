import Foundation
import HaloCore
import HaloQuantization
import HaloAccelerator
import HaloPlot
import HaloCommandLine

/// `halo simulate`: a quantized model (or GEMM shapes and a grid) on a weight-stationary array.
func simulateCommand(_ argv: [String]) throws {
    let args = try parseArguments(argv, Grammars.simulate)
    if try helpRequested(args, Grammars.simulate) { return }
    try acceptThreads(args)
    guard args.positionals.isEmpty else { throw HaloError("unexpected argument '\(args.positionals[0])' for 'halo simulate'") }
    let (vfPath, cornersPath) = try voltageOptions(args)
    if args.value("--table") != nil, cornersPath != nil {
        throw HaloError("give --table or --corners, not both (the corners' highest voltage is the delay table)")
    }
    // Corner tables read as a delay table are their nominal (highest-voltage) corner.
    guard let tablePath = args.value("--table") ?? cornersPath else { throw HaloError("'halo simulate' needs --table TABLE.csv or --corners FILE") }
    guard let formatText = args.value("--number-format") else {
        throw HaloError("'halo simulate' needs --number-format (\(NumberFormat.acceptedNames))")
    }
    guard let format = NumberFormat.parse(formatText) else {
        throw HaloError("unknown \(args.spelling("--number-format")) '\(formatText)' (expected \(NumberFormat.acceptedNames))")
    }
    let model = args.value("--model"), shapes = args.value("--shapes"), gridPath = args.value("--grid")
    switch (model, shapes) {
    case (nil, nil): throw HaloError("'halo simulate' needs --model FOLDER or --shapes FILE with --grid FILE")
    case (.some, .some): throw HaloError("give --model or --shapes, not both")
    case (.some, nil) where gridPath != nil: throw HaloError("--grid is for --shapes; a model folder carries its grid in halo.json")
    case (nil, .some) where gridPath == nil: throw HaloError("--shapes needs --grid FILE (a report of 'halo select', or a model's halo.json)")
    default: break
    }
    if args.flag("--reorder") && model == nil { throw HaloError("--reorder needs --model (the codes of each channel)") }
    if args.value("--permutations") != nil && !args.flag("--reorder") { throw HaloError("--permutations needs --reorder") }
    var workload = Workload()
    if let n = try args.integer("--prefill-tokens", in: 0 ... (1 << 24)) { workload.prefillTokens = n }
    if let n = try args.integer("--prefill-batch", in: 1 ... (1 << 16)) { workload.prefillBatch = n }
    if let n = try args.integer("--decode-tokens", in: 0 ... (1 << 24)) { workload.decodeTokens = n }
    if let n = try args.integer("--decode-batch", in: 1 ... (1 << 16)) { workload.decodeBatch = n }
    guard workload.prefillTokens > 0 || workload.decodeTokens > 0 else { throw HaloError("nothing to run: --prefill-tokens and --decode-tokens are both 0") }
    let configPath = args.value("--config")
    let output = args.value("-o", "--output"), plotPath = args.value("--plot"), permPath = args.value("--permutations")
    let inputs = [tablePath] + [configPath, vfPath, shapes, gridPath].compactMap { $0 }
    let outputs = try RunOutputs([output, plotPath, permPath], inputs: inputs)

    var config = ArrayConfig()
    if let configPath { config = try ArrayConfig.read(path: configPath) }
    if let n = try args.integer("--dvfs-levels", in: 1 ... 64) { config.dvfsLevels = n }
    if let g = args.value("--dvfs-goal") {
        guard let goal = ArrayConfig.Goal(rawValue: g) else { throw HaloError("unknown --dvfs-goal '\(g)' (expected speed or energy)") }
        config.goal = goal
    }
    let table = try DelayTable.read(path: tablePath)
    let space = try CodeSpace(table: table, format: format, tablePath: tablePath)
    let timing: MACTiming
    if let cornersPath {
        // Each characterized voltage with its own per-code delays and energies.
        timing = try MACTiming(corners: try readCornerTables(cornersPath, covering: space), format: format, tablePath: cornersPath)
    } else {
        // Without a table of operating points: the alpha-power law, nominal at the table's supply voltage.
        let voltage = try vfPath.map { try VoltageModel.read(path: $0) }
            ?? .alphaPower(nominal: table.metadata.stimulus?.supplyVoltageV ?? 1.8, threshold: 0.45, alpha: 1.3, step: 0.01)
        timing = try MACTiming(table: table, format: format, voltage: voltage, tablePath: tablePath)
    }
    let weights: AcceleratorStudy.Weights
    let source: String
    if let model {
        weights = .model(try QuantizedModelCodes(path: model))
        source = "model folder \(model)"
    } else {
        let grid = try GridFile.read(path: gridPath!, space: space).map(\.code)
        weights = .shapes(try GEMMShapesFile.read(path: shapes!), grid: grid)
        source = "shapes \(shapes!), grid \(gridPath!)"
    }
    let result = try AcceleratorStudy.run(space: space, timing: timing, config: config, workload: workload, weights: weights,
                                          reorder: args.flag("--reorder"))
    let report = AcceleratorReport(config: config, timing: timing, workload: workload, result: result, source: source)
    var files: [String: String] = [:]
    let json = report.json.render() + "\n"
    if let output { files[output] = json }
    if let plotPath {
        var panels: [LayerPlot.Panel] = []
        var layerCount = 0
        for phase in Phase.allCases {
            let s = report.layerSeries(phase)
            guard !s.layers.isEmpty else { continue }
            layerCount = s.layers.count
            let what = phase == .prefill ? "prefill (\(workload.prefillTokens) tokens × \(workload.prefillBatch))" : "one decode step (batch \(workload.decodeBatch))"
            panels.append(LayerPlot.Panel(title: "time per layer, \(what)", yTitle: "time (µs)", series: s.series.map { ($0.name, $0.timeNs.map { $0 / 1000 }) }))
            panels.append(LayerPlot.Panel(title: "energy per layer, \(what)", yTitle: "energy (µJ)", series: s.series.map { ($0.name, $0.energyFJ.map { $0 / 1e9 }) }))
        }
        files[plotPath] = LayerPlot.svg(title: "\(config.rows)×\(config.cols) array, DVFS goal \(config.goal.rawValue)", layerCount: layerCount, panels: panels)
    }
    if let permPath { files[permPath] = ChannelPermutation.json(result.permutations).render() + "\n" }
    let standard = output == nil && args.flag("--json") ? json : report.table
    try outputs.commit(files, standardOutput: standard)
}
