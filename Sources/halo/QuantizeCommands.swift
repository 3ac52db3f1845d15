import Foundation
import HaloCore
import HaloQuantization
import HaloCommandLine
import HaloCharacterization

// `halo select` and `halo quantize`: hardware-aware quantization grids from a delay table.

private let budgetOptions: Set<String> = ["--max-delay", "--min-speedup", "--max-mse", "--min-sqnr"]

func selectCommand(_ argv: [String]) throws {
    let args = try parseArguments(argv, Grammars.select)
    if try helpRequested(args, Grammars.select) { return }
    guard args.positionals.count == 1 else {
        throw HaloError(args.positionals.isEmpty ? "'halo select' needs a delay table (see 'halo select --help')"
                                                 : "'halo select' takes one delay table, got \(args.positionals.count) files")
    }
    let tablePath = args.positionals[0]
    let output = args.value("-o", "--output")
    var setup = try QuantizeSetup(args, command: "select", tablePath: tablePath, tile: nil, outputs: [output])
    setup.request.pareto = args.lastGiven(of: ["--pareto", "--no-pareto"]) == "--pareto" // default: no front
    let outcome = try HardwareAwareQuantizer.run(selector: setup.selector, request: setup.request)
    printWarnings(outcome.warnings)
    let split = setup.split(outcome)
    let tensors = setup.selector.quantize(split?.assignment ?? outcome.assignment)
    let json = setup.withSplit(QuantizationReport.json(outcome: outcome, selector: setup.selector, request: setup.request,
                                                       context: setup.context, tensors: tensors), split).render() + "\n"
    if let output {
        try setup.outputs.commit([output: json], standardOutput: summary(outcome, setup: setup, tensors: tensors) + (split?.summary() ?? "") + "wrote \(output)\n")
    } else {
        try setup.outputs.commit([:], standardOutput: json)
    }
}

func quantizeCommand(_ argv: [String]) throws {
    let args = try parseArguments(argv, Grammars.quantize)
    if try helpRequested(args, Grammars.quantize) { return }
    guard args.positionals.isEmpty else {
        throw HaloError("unexpected argument '\(args.positionals[0])' for 'halo quantize' (the table goes after --table)")
    }
    let cornersPath = args.value("--corners")
    // Corner tables read as a delay table are their nominal (highest-voltage) corner.
    guard let tablePath = args.value("--table") ?? cornersPath else { throw HaloError("'halo quantize' needs --table TABLE.csv") }
    guard !args.values("--weights").isEmpty else { throw HaloError("'halo quantize' needs --weights FILE") }
    guard let output = args.value("-o", "--output") else { throw HaloError("'halo quantize' needs -o OUT.safetensors") }
    let reportPath = args.value("--report")
    var tile: TileShape?
    if let t = args.value("--tile") {
        let parts = t.lowercased().split(whereSeparator: { $0 == "x" || $0 == "*" || $0 == "×" })
        let digits = { (p: Substring) in !p.isEmpty && p.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        guard parts.count == 2, parts.allSatisfy(digits) else { throw HaloError("malformed --tile '\(t)' (expected RxC, e.g. 128x128)") }
        let limit = Int(Int32.max)
        guard let r = Int(parts[0]), let c = Int(parts[1]), (1 ... limit).contains(r), (1 ... limit).contains(c) else {
            throw HaloError("--tile '\(t)' is out of range (rows and columns from 1 to \(limit))")
        }
        tile = TileShape(rows: r, cols: c)
    }
    var dvfs: DVFSOptions?
    let dvfsOptions = ["--dvfs-levels", "--dvfs-budgets", "--dvfs-goal", "--dvfs-slack", "--vf-table", "--corners"]
    if tile != nil {
        var o = DVFSOptions()
        if let n = try args.integer("--dvfs-levels", in: 1 ... 16) { o.levels = n }
        if let list = args.value("--dvfs-budgets") {
            var budgets: [Double] = []
            for part in list.split(separator: ",") {
                guard let t = Quantity.timeNs(String(part)), t > 0 else {
                    throw HaloError("malformed time '\(part)' in --dvfs-budgets (e.g. 4.6ns,3.7ns,3.4ns)")
                }
                budgets.append(t)
            }
            guard !budgets.isEmpty else { throw HaloError("--dvfs-budgets needs at least one time") }
            o.budgetsNs = budgets
        }
        if let g = args.value("--dvfs-goal") {
            guard let goal = DVFSOptions.Goal(rawValue: g) else { throw HaloError("unknown --dvfs-goal '\(g)' (expected speed or energy)") }
            o.goal = goal
        }
        if let s = args.value("--dvfs-slack") {
            guard let x = Double(s.hasSuffix("%") ? String(s.dropLast()) : s), x >= 0, x.isFinite else {
                throw HaloError("malformed --dvfs-slack '\(s)' (expected a non-negative number, e.g. 0.1 or 10%)")
            }
            o.errorSlack = s.hasSuffix("%") ? x / 100 : x
        }
        dvfs = o
    } else if let stray = dvfsOptions.first(where: { args.value($0) != nil }) {
        throw HaloError("\(stray) needs --tile RxC (the DVFS tile)")
    }
    if tile != nil, args.value("--sensitive-fraction") != nil {
        throw HaloError("--sensitive-fraction and --tile (a DVFS plan) both choose grids per block; give one or the other")
    }
    let (vfTable, _) = try voltageOptions(args)
    let weights = args.values("--weights")
    if weights.count == 1, ModelFolder.isFolder(weights[0]) {
        if tile != nil { throw HaloError("--tile (a DVFS plan) is not made for a model folder yet; give the weight files") }
        if args.value("--grid") != nil, let stray = (["--levels", "--objective"] + budgetOptions.sorted()).first(where: { args.value($0) != nil }) {
            throw HaloError("\(stray) chooses a grid; --grid applies a chosen one (give one or the other)")
        }
        let setup = try QuantizeSetup(args, command: "quantize", tablePath: tablePath, tile: nil, outputs: [reportPath],
                                      extraInputs: args.values("--grid"))
        try quantizeModel(args, setup: setup, tablePath: tablePath, output: output, reportPath: reportPath)
        return
    }
    for option in ["--grid", "--shard", "--force"] where args.value(option) != nil || args.flag(option) {
        throw HaloError("\(option) is for a model folder given as --weights")
    }
    var setup = try QuantizeSetup(args, command: "quantize", tablePath: tablePath, tile: tile, outputs: [output, reportPath],
                                  extraInputs: [vfTable, cornersPath].compactMap { $0 })
    if let vfTable { dvfs?.voltage = try VoltageModel.read(path: vfTable) }
    if let cornersPath {
        dvfs?.voltage = .corners(CornerDelays(try readCornerTables(cornersPath, covering: setup.selector.space)))
    }
    setup.request.pareto = args.lastGiven(of: ["--pareto", "--no-pareto"]) != "--no-pareto" // default: the front
    setup.request.dvfs = dvfs
    let outcome = try HardwareAwareQuantizer.run(selector: setup.selector, request: setup.request)
    printWarnings(outcome.warnings)
    let split = setup.split(outcome)
    let tensors = setup.selector.quantize(split?.assignment ?? outcome.assignment)
    let space = setup.selector.space
    var entries: [SafeTensorsWriter.Entry] = []
    for (t, q) in tensors.enumerated() {
        entries.append(.init(name: q.name, shape: q.shape, payload: .f32(q.dequantized)))
        let codes: SafeTensorsWriter.Payload = space.format.bits <= 8 ? .u8(q.codes.map { UInt8(truncatingIfNeeded: $0) }) : .u16(q.codes)
        entries.append(.init(name: q.name + ".codes", shape: q.shape, payload: codes))
        entries.append(.init(name: q.name + ".scale", shape: q.scaleShape, payload: .f32(q.scales)))
        if let plan = outcome.dvfs {
            let info = setup.selector.problem.tensors[t]
            let levels = (0 ..< info.tileRows * info.tileCols).map { UInt8(truncatingIfNeeded: plan.tileLevel[info.firstTile + $0]) }
            entries.append(.init(name: q.name + ".level", shape: [info.tileRows, info.tileCols], payload: .u8(levels)))
        }
        if let split {
            entries.append(.init(name: q.name + ".grid", shape: q.scaleShape, payload: .u8(split.gridMap(ofTensor: t, in: setup.selector.problem))))
        }
    }
    entries += try passedThrough(weightFiles: args.values("--weights"), besides: entries.map(\.name), quantized: tensors.map(\.name))
    var metadata = ["format": "pt", "halo_version": HaloVersion.string, "halo_format": space.format.description,
                    "halo_granularity": setup.selector.problem.granularity.description, "halo_table": tablePath,
                    "halo_grid_codes": outcome.solution.levels.map { String($0.code) }.joined(separator: ",")]
    if let plan = outcome.dvfs {
        for (i, l) in plan.levels.enumerated() {
            metadata["halo_dvfs_level\(i)_codes"] = l.grid.map { String($0.code) }.joined(separator: ",")
        }
    }
    if let split {
        // NAME.grid: 0 = the fast grid, 1 = the sensitive grid, per scale block.
        metadata["halo_grid_codes"] = split.fastGrid.map { String($0.code) }.joined(separator: ",")
        metadata["halo_sensitive_grid_codes"] = split.sensitiveGrid.map { String($0.code) }.joined(separator: ",")
    }
    var contents = [output: SafeTensorsWriter.encode(entries, metadata: metadata)]
    if let reportPath {
        let json = setup.withSplit(QuantizationReport.json(outcome: outcome, selector: setup.selector, request: setup.request,
                                                           context: setup.context, tensors: tensors), split).render() + "\n"
        contents[reportPath] = Data(json.utf8)
    }
    let wrote = "wrote \(output) (\(tensors.count) tensor\(tensors.count == 1 ? "" : "s"))" + (reportPath.map { " and \($0)" } ?? "") + "\n"
    try setup.outputs.files.commit(contents, standardOutput: Data((summary(outcome, setup: setup, tensors: tensors) + (split?.summary() ?? "") + wrote).utf8))
}

/// `halo quantize --weights FOLDER -o OUT`: the grid chosen on the folder's sample (or read with
/// `--grid`), then applied to every selected tensor, streaming, into a folder that loads as the original.
private func quantizeModel(_ args: Arguments, setup: QuantizeSetup, tablePath: String, output: String, reportPath: String?) throws {
    guard let (folder, plan) = setup.model else { return }
    let space = setup.selector.space
    var part: ModelWriter.Part?
    if let text = args.value("--shard") {
        guard let (i, n) = Shards.parse(text) else { throw HaloError("malformed --shard '\(text)' (expected I/N with 0 ≤ I < N, e.g. 0/8)") }
        part = ModelWriter.Part(index: i, count: n)
    }
    try part?.check(against: folder)
    var outcome: QuantizationOutcome?
    var grid: [CodeLevel]
    if let gridPath = args.value("--grid") {
        grid = try GridFile.read(path: gridPath, space: space)
    } else {
        if part != nil {
            printWarnings(["--shard without --grid: each job chooses the grid on the same sample (the same grid, by the same computation); 'halo select -o grid.json' once and --grid in every job saves that work"])
        }
        var request = setup.request
        request.pareto = args.lastGiven(of: ["--pareto", "--no-pareto"]) == "--pareto" // a model: no front unless asked
        let o = try HardwareAwareQuantizer.run(selector: setup.selector, request: request)
        printWarnings(o.warnings)
        outcome = o
        grid = o.solution.levels
    }
    // A sensitive split is chosen on the sample and carried to every tensor by its threshold.
    var split: SensitiveSplit?
    if let fraction = setup.sensitiveFraction {
        let fast = outcome?.solution ?? setup.selector.fit(levels: grid)
        split = SensitiveSplit.choose(selector: setup.selector, fast: fast, fraction: fraction,
                                      reselect: outcome.map { setup.reselection($0) })
        grid = split!.fastGrid
    }
    var writer = ModelWriter(folder: folder, plan: plan, grid: grid, space: space, granularity: setup.granularity)
    writer.threads = setup.selector.options.threads
    writer.statistics = setup.statistics
    writer.sensitiveThreshold = split.map { $0.threshold }
    writer.manifestFields = [("table", tablePath)] + (args.value("--grid").map { [("grid_file", $0)] } ?? [])
    let quiet = args.flag("--quiet")
    let start = Date()
    let progress: ((ModelWriter.Progress) -> Void)? = !quiet && isatty(2) != 0 ? { p in
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(p.quantizedWeightsDone) / max(elapsed, 1e-9)
        let left = Double(p.quantizedWeightCount - p.quantizedWeightsDone) / max(rate, 1e-9)
        StandardStreams.writeError(String(format: "\r%d/%d tensors  %.3f/%.3f B weights  %.1f M weights/s  %.0fs left ", p.tensorsDone, p.tensorCount,
                                          Double(p.quantizedWeightsDone) / 1e9, Double(p.quantizedWeightCount) / 1e9, rate / 1e6, left))
    } : nil
    let result = try writer.write(to: output, replace: args.flag("--force"), part: part, progress: progress)
    if progress != nil { StandardStreams.writeError("\n") }
    let sampled = setup.selector.problem.elementCount
    var text = outcome.map { summary($0, setup: setup, tensors: []) + "\n" } ?? "grid of \(grid.count) levels from \(args.value("--grid") ?? "")\n"
    text += "quantized \(result.tensors.count) tensors (\(result.quality.count) weights; grid chosen on \(sampled)), kept \(result.kept.count)"
    text += result.quality.count > 0 ? String(format: "; SQNR %.2f dB over the quantized weights\n", result.quality.sqnrDB) : "\n"
    if let split {
        let n = result.tensors.reduce(0) { $0 + $1.sensitiveWeights }, total = max(1, result.quality.count)
        let speedup = SensitiveSplit.timeWeightedSpeedup(fast: (total - n, split.fastSpeedup), sensitive: (n, split.sensitiveSpeedup))
        text += "on the sample: " + split.summary()
        text += String(format: "in the model: %d of %d weights (%.2f%%) on the sensitive grid; effective speed-up %.3fx (time-weighted)\n",
                       n, total, 100 * Double(n) / Double(total), speedup)
    }
    text += "wrote \(output)\(part.map { " (part \($0) of the shard files)" } ?? "")\n"
    var contents: [String: String] = [:]
    if let reportPath {
        var fields: [(String, JSONValue)] = []
        if let outcome, case .object(let f) = QuantizationReport.json(outcome: outcome, selector: setup.selector, request: setup.request,
                                                                      context: setup.context, tensors: []) {
            fields = f
        }
        if let split {
            fields.append(("sensitive", split.json(problem: setup.selector.problem, space: space)))
        }
        fields.append(("model", modelReport(folder: folder, output: output, part: part, sampled: sampled, result: result, split: split)))
        contents[reportPath] = JSONValue.object(fields).render() + "\n"
    }
    try setup.outputs.commit(contents, standardOutput: text)
}

/// The `model` member of a model folder's report: what was quantized (with each tensor's error) and kept.
private func modelReport(folder: ModelFolder, output: String, part: ModelWriter.Part?, sampled: Int, result: ModelWriter.Result,
                         split: SensitiveSplit?) -> JSONValue {
    func db(_ q: Quality) -> JSONValue { q.sqnrDB.isFinite ? .number(q.sqnrDB) : .null }
    var sensitive: [(String, JSONValue)] = []
    if let split {
        let n = result.tensors.reduce(0) { $0 + $1.sensitiveWeights }, total = result.quality.count
        sensitive = [("sensitive_weights", .int(n)), ("fast_weights", .int(total - n)),
                     ("sensitive_speedup", .number(SensitiveSplit.timeWeightedSpeedup(fast: (total - n, split.fastSpeedup), sensitive: (n, split.sensitiveSpeedup))))]
    }
    return .object(sensitive + [
        ("folder", .string(folder.path)), ("output", .string(output)), ("part", part.map { .string($0.description) } ?? .null),
        ("sampled_weights", .int(sampled)), ("quantized_weights", .int(result.quality.count)),
        ("mse", .number(result.quality.mse)), ("sqnr_db", db(result.quality)),
        ("quantized", .array(result.tensors.map { t in
            .object([("name", .string(t.name)), ("shape", .array(t.shape.map { .int($0) })), ("mse", .number(t.quality.mse)), ("sqnr_db", db(t.quality))]
                    + (split == nil ? [] : [("sensitive_weights", .int(t.sensitiveWeights)), ("sensitive_blocks", .array(t.sensitiveBlocks.map { .int($0) }))]))
        })),
        ("kept", .array(result.kept.map { .object([("name", .string($0.name)), ("reason", .string($0.reason))]) })),
        ("files", .array(result.files.map { .string($0) })),
    ])
}

/// Every tensor of the `.safetensors` weight files that was not quantized (biases, norms, integer
/// tensors, tensors not chosen by --tensor), as it is: same name, dtype, shape and bytes, so that the
/// output can be loaded in place of the original.
/// - Throws: when such a tensor's name is taken by one of Halo's own (`NAME.codes`, …) or by a tensor
///   of another weight file.
private func passedThrough(weightFiles: [String], besides written: [String], quantized: [String]) throws -> [SafeTensorsWriter.Entry] {
    let done = Set(quantized)
    var taken = Set(written)
    var entries: [SafeTensorsWriter.Entry] = []
    for path in weightFiles where path.lowercased().hasSuffix(".safetensors") {
        let file = try SafeTensorsFile(path: path)
        for info in file.tensors where !done.contains(info.name) {
            guard taken.insert(info.name).inserted else {
                throw HaloError("tensor '\(info.name)' is not quantized, but its name is taken in the output (by Halo's own tensors or another weight file); it cannot be copied", file: path)
            }
            entries.append(.init(name: info.name, shape: info.shape, payload: .raw(dtype: info.dtype, bytes: file.rawBytes(info))))
        }
    }
    return entries
}

/// What both commands read: the table, the format, the weights, the request.
private struct QuantizeSetup {
    var selector: GridSelector
    var request: QuantizationRequest
    var context: QuantizationReport.Context
    /// The run's output files, checked against its inputs before any of them was read.
    var outputs: RunOutputs
    /// With a model folder as `--weights`: the folder and what is quantized (the selector holds a sample).
    var model: (folder: ModelFolder, plan: ModelQuantizationPlan)?
    /// The granularity of the scales.
    var granularity: Granularity
    /// Calibration statistics (`--importance` with `NAME.act_sq` / `NAME.fisher` tensors).
    var statistics: CalibrationStatistics?
    /// `--sensitive-fraction`: the share of weights allowed on the sensitive grid.
    var sensitiveFraction: Double?

    /// Parses the options, checks `outputs` against every input (the table, weights, importance and
    /// `extraInputs`), then reads the inputs.
    init(_ args: Arguments, command: String, tablePath: String, tile: TileShape?, outputs outputPaths: [String?],
         extraInputs: [String] = []) throws {
        let threads = try args.integer("--threads", in: 1 ... Limits.maxThreads) ?? 0
        guard let formatText = args.value("--number-format") else {
            throw HaloError("'halo \(command)' needs --number-format (\(NumberFormat.acceptedNames))")
        }
        guard let format = NumberFormat.parse(formatText) else {
            throw HaloError("unknown \(args.spelling("--number-format")) '\(formatText)' (expected \(NumberFormat.acceptedNames))")
        }
        var objective = Objective.delay
        if let o = args.value("--objective") {
            guard let parsed = Objective.parse(o) else { throw HaloError("unknown --objective '\(o)' (expected delay, energy or edp)") }
            objective = parsed
        }
        var levels: Int? = 16
        if args.value("--levels")?.lowercased() == "all" { levels = nil } else if let n = try args.integer("--levels", in: 1 ... 65536) { levels = n }
        var granularity = Granularity.channel
        if let g = args.value("--granularity") {
            guard let parsed = Granularity.parse(g) else {
                throw HaloError("unknown --granularity '\(g)' (expected tensor, channel or group:G)")
            }
            granularity = parsed
        }
        self.granularity = granularity
        if let f = args.value("--sensitive-fraction") {
            let text = f.hasSuffix("%") ? String(f.dropLast()) : f
            guard let x = Double(text), x.isFinite, x >= 0, x <= (f.hasSuffix("%") ? 100 : 1) else {
                throw HaloError("malformed --sensitive-fraction '\(f)' (expected a fraction from 0 to 1, e.g. 0.05 or 5%)")
            }
            sensitiveFraction = f.hasSuffix("%") ? x / 100 : x
        }
        let budgetsGiven = budgetOptions.filter { args.value($0) != nil }.sorted()
        guard budgetsGiven.count <= 1 else {
            throw HaloError("use only one of --max-delay, --min-speedup, --max-mse, --min-sqnr (got \(budgetsGiven.joined(separator: " and ")))")
        }
        var budget = Budget.none
        if let t = args.value("--max-delay") {
            guard let v = Quantity.timeNs(t), v > 0 else { throw HaloError("malformed time '\(t)' for --max-delay (e.g. 3.2ns, 3200ps)") }
            budget = .maxDelay(v)
        } else if let s = args.value("--min-speedup") {
            guard let v = Double(s.hasSuffix("x") ? String(s.dropLast()) : s), v > 0, v.isFinite else {
                throw HaloError("malformed --min-speedup '\(s)' (expected a positive number, e.g. 1.25)")
            }
            budget = .minSpeedup(v)
        } else if let e = args.value("--max-mse") {
            guard let v = Double(e), v >= 0, v.isFinite else { throw HaloError("malformed --max-mse '\(e)' (expected a non-negative number)") }
            budget = .maxMSE(v)
        } else if let d = args.value("--min-sqnr") {
            let text = d.lowercased().hasSuffix("db") ? String(d.dropLast(2)) : d
            guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw HaloError("malformed --min-sqnr '\(d)' (expected decibels, e.g. 30 or 30dB)")
            }
            budget = .minSQNR(v)
        }
        let weightFiles = args.values("--weights")
        // A model folder is checked by ModelFolder and ModelWriter (which refuses to write into it).
        outputs = try RunOutputs(outputPaths, inputs: [tablePath] + weightFiles.filter { !ModelFolder.isFolder($0) }
                                 + args.values("--importance") + extraInputs)
        let table = try DelayTable.read(path: tablePath)
        let space = try CodeSpace(table: table, format: format, tablePath: tablePath, objective: objective)
        if objective.needsEnergy {
            guard table.hasEnergy else {
                throw HaloError("--objective \(objective) needs a delay table with energy_fj (run halo characterize --energy)")
            }
            if let level = space.levelWithoutEnergy {
                throw HaloError("code \(level.code) has no energy_fj (--objective \(objective) needs it for every code)", file: tablePath)
            }
        }
        // Weights.
        let patterns = args.values("--tensor")
        var tensors: [WeightTensor] = []
        var sampledImportance: [WeightTensor]?
        var weightNames: [String] = []
        let files = weightFiles
        if files.isEmpty {
            if !patterns.isEmpty { throw HaloError("--tensor needs --weights FILE") }
            let name = args.value("--distribution") ?? "gaussian"
            guard let dist = SyntheticWeights.Distribution(rawValue: name.lowercased()) else {
                throw HaloError("unknown --distribution '\(name)' (expected gaussian or laplace)")
            }
            let samples = try args.integer("--samples", in: 1 ... 1 << 28) ?? 65536
            var seed: UInt64 = 1
            if let s = args.value("--seed") {
                guard let n = UInt64(s) else { throw HaloError("malformed --seed '\(s)' (expected a non-negative integer)") }
                seed = n
            }
            if args.value("--distribution") == nil && args.value("--samples") == nil && args.value("--seed") == nil {
                // Asked for nothing synthetic: say that the grid is not fitted to a model's weights.
                printWarnings(["no --weights given: the grid is fitted to \(samples) synthetic Gaussian weights (seed \(seed)), not to a model's (give --weights FILE, or --distribution to choose synthetic weights)"])
            }
            tensors = [SyntheticWeights.generate(dist, count: samples, seed: seed)]
            weightNames = ["synthetic \(dist.rawValue), \(samples) values, seed \(seed)"]
        } else {
            for option in ["--distribution", "--samples", "--seed"] where args.value(option) != nil {
                throw HaloError("\(option) is for synthetic weights; it cannot be combined with --weights")
            }
            let skip = args.values("--skip")
            if files.count == 1, ModelFolder.isFolder(files[0]) {
                let folder = try ModelFolder(path: files[0])
                let plan = try ModelQuantizationPlan(folder: folder, selection: TensorSelection(include: patterns, skip: skip))
                printWarnings(plan.warnings)
                if let path = args.value("--importance") {
                    let file = try SafeTensorsFile(path: path)
                    guard CalibrationStatistics.isStatisticsFile(file) else {
                        throw HaloError("with a model folder, --importance takes calibration statistics (tensors NAME.act_sq or NAME.fisher; see 'halo quantize --help')", file: path)
                    }
                    statistics = try calibrationStatistics(file, quantized: plan.quantized.map { ($0.info.name, $0.info.shape) },
                                                           known: Set(folder.tensors.map(\.info.name)))
                }
                let maxWeights = try args.integer("--sample", in: 1 ... Int(Int32.max)) ?? ModelSampling.defaultMaxWeights
                let sample = try ModelSampling.sample(folder: folder, plan: plan, maxWeights: maxWeights, granularity: granularity,
                                                      statistics: statistics)
                tensors = sample.weights
                sampledImportance = sample.importance
                model = (folder, plan)
            } else {
                if let f = files.first(where: ModelFolder.isFolder) {
                    throw HaloError("is a model folder: give it alone as --weights", file: f)
                }
                if args.value("--sample") != nil { throw HaloError("--sample is for a model folder given as --weights") }
                var seen = Set<String>()
                for f in files {
                    for t in try WeightFiles.read(path: f, patterns: patterns)
                    where !skip.contains(where: { NamePattern.matches(t.name, pattern: $0) }) {
                        guard seen.insert(t.name).inserted else { throw HaloError("two weight tensors are named '\(t.name)'") }
                        tensors.append(t)
                    }
                }
                guard !tensors.isEmpty else { throw HaloError("--skip left no weight tensor to quantize") }
            }
            weightNames = files
        }
        // Importance.
        var importance: [WeightTensor]? = sampledImportance
        let importancePath = args.value("--importance")
        if let path = importancePath, model == nil {
            let statisticsFile = path.lowercased().hasSuffix(".safetensors") ? try SafeTensorsFile(path: path) : nil
            if let file = statisticsFile, CalibrationStatistics.isStatisticsFile(file) {
                var known = Set<String>()
                for f in files where f.lowercased().hasSuffix(".safetensors") { known.formUnion(try SafeTensorsFile(path: f).tensors.map(\.name)) }
                let stats = try calibrationStatistics(file, quantized: tensors.map { ($0.name, $0.shape) },
                                                      known: known)
                statistics = stats
                importance = try tensors.map { try stats.importance(for: $0.name, shape: $0.shape) }
            } else if path.lowercased().hasSuffix(".safetensors") {
                let file = try SafeTensorsFile(path: path)
                importance = try tensors.map { t in
                    guard let info = file.info(named: t.name) else {
                        throw HaloError("no importance tensor named '\(t.name)' (one per weight tensor, same name)", file: path)
                    }
                    return try file.read(info).checked(file: path)
                }
            } else {
                let one = try WeightFiles.read(path: path)[0]
                importance = tensors.map { _ in one }
            }
            for (t, imp) in zip(tensors, importance ?? []) {
                if let i = imp.values.firstIndex(where: { $0 < 0 }) {
                    throw HaloError("importance tensor '\(imp.name)' has a negative value (\(imp.values[i])) at flat index \(i)", file: path)
                }
                let cols = t.matrixShape.cols
                guard imp.count == t.count || imp.count == cols else {
                    throw HaloError("importance tensor '\(imp.name)' has shape \(imp.shape); the weights '\(t.name)' have shape \(t.shape) (expected the same shape, or \(cols) values broadcast over the rows)", file: path)
                }
            }
        }
        let problem = try QuantizationProblem(tensors: tensors, importance: importance, granularity: granularity, tile: tile,
                                              threads: threads)
        var options = SelectorOptions()
        options.threads = threads
        selector = GridSelector(problem: problem, space: space, options: options)
        request = QuantizationRequest(levels: levels)
        request.budget = budget
        request.objective = objective
        context = QuantizationReport.Context(table: tablePath, weights: weightNames, importance: importancePath)
    }
}

extension QuantizeSetup {
    /// The sensitive split of `outcome`'s grid (`--sensitive-fraction`), or nil.
    func split(_ outcome: QuantizationOutcome) -> SensitiveSplit? {
        sensitiveFraction.map { SensitiveSplit.choose(selector: selector, fast: outcome.solution, fraction: $0, reselect: reselection(outcome)) }
    }

    /// The codes the grid was chosen from and its level count, to choose it again on the fast blocks.
    func reselection(_ outcome: QuantizationOutcome) -> (allowed: [CodeLevel], levels: Int) {
        (outcome.budgetNs.map { selector.space.allowed(maxDelayNs: $0) } ?? selector.space.levels, request.levels ?? Int.max)
    }

    /// A report with the split's `sensitive` member.
    func withSplit(_ report: JSONValue, _ split: SensitiveSplit?) -> JSONValue {
        guard let split, case .object(let fields) = report else { return report }
        return .object(fields + [("sensitive", split.json(problem: selector.problem, space: selector.space))])
    }
}

/// Reads calibration statistics for the tensors `quantized` (name, shape); `known` are the model's
/// other tensors (their statistics are ignored, with a warning).
private func calibrationStatistics(_ file: SafeTensorsFile, quantized: [(String, [Int])], known: Set<String>) throws -> CalibrationStatistics {
    let stats = try CalibrationStatistics(file: file, quantized: Dictionary(quantized, uniquingKeysWith: { a, _ in a }), known: known)
    if !stats.ignored.isEmpty {
        printWarnings(["\(file.path): \(stats.ignored.count) statistics tensor\(stats.ignored.count == 1 ? "" : "s") of tensors that are not quantized ignored (e.g. '\(stats.ignored[0])')"])
    }
    return stats
}

/// The human summary printed on standard output.
private func summary(_ outcome: QuantizationOutcome, setup: QuantizeSetup, tensors: [QuantizedTensor]) -> String {
    let space = setup.selector.space
    let sol = outcome.solution
    func ns(_ d: Double) -> String { String(format: "%.4f ns", d) }
    func sq(_ d: Double) -> String { d.isFinite ? String(format: "%.2f dB", d) : "inf" }
    var out = ""
    let budget = outcome.budgetNs.map { "budget \(ns($0))" } ?? "no delay budget"
    out += "\(sol.levels.count)-level \(space.format) grid (\(budget); reference \(ns(space.referenceDelayNs)), \(space.referenceSource)):\n"
    out += "  codes  " + sol.levels.map { String($0.code) }.joined(separator: " ") + "\n"
    out += "  values " + sol.levels.map { formatValue($0.value) }.joined(separator: " ") + "\n"
    // With energy: energy and EDP per operation, each also against the reference (all codes).
    let reference = outcome.energyReference.flatMap { r in r.quality.energyPerOpFJ.map { (r, $0) } }
    func row(_ name: String, _ levels: Int, _ delay: Double, _ q: Quality) -> String {
        let sp = space.speedup(maxDelayNs: delay)
        var line = name.padding(toLength: 40, withPad: " ", startingAt: 0)
            + String(format: "%6d  %@  %6.3fx  %12.5e  %@", levels, ns(delay), sp, q.mse, sq(q.sqnrDB))
        if let (r, re) = reference, let e = q.energyPerOpFJ {
            line = line.padding(toLength: 40 + 50, withPad: " ", startingAt: 0)
                + String(format: "%10.1f  %6.3fx  %11.1f  %6.3fx", e, e / re, e * delay, e * delay / (re * r.baseline.maxDelayNs))
        }
        return line + "\n"
    }
    if outcome.objective != .delay { out += "  chosen: \(outcome.selection) (objective \(outcome.objective))\n" }
    if let (r, re) = reference {
        out += String(format: "  energy per MAC operation %.1f fJ = %.3fx %@ (%.1f fJ); ", outcome.quality.energyPerOpFJ ?? 0,
                      (outcome.quality.energyPerOpFJ ?? 0) / re, r.baseline.name, re)
        out += space.stimulus.map { "stimulus: " + QuantizationReport.describe($0) } ?? "stimulus not recorded (CSV table; a JSON table from 'halo characterize --energy --format json' records it)"
        out += "\n"
    }
    out += "\n" + "".padding(toLength: 40, withPad: " ", startingAt: 0) + "levels  max delay    speed-up   MSE           SQNR"
        + (reference != nil ? "      energy fJ  vs ref    EDP fJ·ns  vs ref\n" : "\n")
    out += row("selected grid", sol.levels.count, sol.maxDelayNs, outcome.quality)
    for b in outcome.baselines { out += row(b.baseline.name, b.baseline.levels.count, b.baseline.maxDelayNs, b.quality) }
    if let plan = outcome.dvfs {
        out += String(format: "DVFS plan (%@, %d levels, goal %@)", setup.selector.problem.tile?.description ?? "", plan.levels.count, plan.options.goal.rawValue)
            .padding(toLength: 40, withPad: " ", startingAt: 0)
        out += String(format: "        time-weighted speed-up %.3fx, energy %.3f of INT8, MSE %.5e, SQNR %@\n",
                      plan.speedup, plan.energyRatio, plan.quality.mse, sq(plan.quality.sqnrDB))
        for (i, l) in plan.levels.enumerated() {
            out += String(format: "  level %d: budget %@, clock %@, %.2f V (grid %@ there), %d tiles (%.1f%% of weights)\n", i, ns(l.budgetNs), ns(l.clockNs),
                          l.voltage, ns(l.delayAtVoltageNs), l.tiles,
                          100 * Double(l.weights) / Double(max(1, plan.quality.count)))
        }
    }
    if !outcome.pareto.isEmpty && outcome.objective == .delay {
        out += "\nPareto front (\(outcome.pareto.count) points): max delay → MSE\n"
        for p in outcome.pareto {
            out += String(format: "  %.6f ns  %6.3fx  %12.5e  %@\n", p.maxDelayNs, space.speedup(maxDelayNs: p.maxDelayNs), p.quality.mse, sq(p.quality.sqnrDB))
        }
    } else if !outcome.pareto.isEmpty {
        let edp = outcome.objective == .edp
        out += "\nPareto front (\(outcome.pareto.count) points): \(edp ? "EDP" : "energy per op") → MSE\n"
        for p in outcome.pareto {
            let e = p.energyPerOpFJ ?? 0
            out += String(format: edp ? "  %12.1f fJ·ns  %.6f ns  %10.1f fJ  %12.5e  %@\n" : "  %10.1f fJ  %.6f ns  %12.1f fJ·ns  %12.5e  %@\n",
                          edp ? e * p.maxDelayNs : e, p.maxDelayNs, edp ? e : e * p.maxDelayNs, p.quality.mse, sq(p.quality.sqnrDB))
        }
    }
    if tensors.count > 1 {
        out += "\n\(tensors.count) tensors; worst SQNR: "
        if let worst = tensors.min(by: { $0.quality.sqnrDB < $1.quality.sqnrDB }) {
            out += "\(worst.name) \(sq(worst.quality.sqnrDB))\n"
        }
    }
    return out
}

private func formatValue(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(format: "%g", v)
}
