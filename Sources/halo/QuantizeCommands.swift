import Foundation
import HaloCore
import HaloQuantization

// `halo select` and `halo quantize`: hardware-aware quantization grids from a delay table.

let selectHelp = """
OVERVIEW: Choose a quantization grid of fast codes from a delay table.

USAGE: halo select TABLE.csv --format int8 --levels 16 [--weights FILE [--tensor NAME]...]
                   [--importance FILE] [--max-delay T | --min-speedup S | --max-mse E | --min-sqnr D]
                   [--objective delay|energy|edp] [--granularity tensor|channel|group:G] [--pareto]
                   [-o grid.json]

The grid is the K codes (of those within the budget) and the scales that minimize the squared error
of the weights, every weight going to its nearest level. The level choice is exact (dynamic
programming over the sorted allowed values); the scales are searched (log grid + golden section).
With an error budget (--max-mse, --min-sqnr) the grid is instead the one of least delay, energy per
operation or energy-delay product (--objective) that meets it.

OPTIONS:
  --format F           How the table's codes (the bus bits) encode values: intN (two's complement,
                       int8 code 255 = -1), uintN, e4m3, e5m2 (OCP FP8), e2m1 (OCP FP4),
                       fp16 (IEEE binary16), bf16 (bfloat16): codes are the bit patterns; NaN and
                       infinite codes are never levels.
  --levels K|all       Levels of the grid (default 16); 'all' keeps every allowed value.
  --weights FILE       .safetensors (F32/F16/BF16), .npy (f4/f2/f8, C order) or text/CSV numbers
                       (repeatable). Without it: synthetic weights (see --distribution).
  --tensor NAME        Tensor to use, exact name or glob ('encoder.*.weight'; repeatable).
                       Default: every F32/F16/BF16 tensor of rank >= 2.
  --importance FILE    Per-weight importance (e.g. mean squared activations): for each tensor NAME
                       a tensor NAME of the same shape, or of in_features values broadcast over the
                       rows; a file with one tensor applies to every weight tensor.
  --distribution D     Synthetic weights without --weights: gaussian (default) or laplace.
  --samples N          Synthetic sample count (default 65536).
  --seed N             Synthetic seed (default 1).
  --max-delay T        Allow codes with delay <= T (units ps, ns; bare numbers are ns).
  --min-speedup S      Allow codes with delay <= reference / S. The reference delay is the table's
                       'none' row (the MAC without case analysis), or its slowest code when that
                       row has no path.
  --max-mse E          The fastest grid (over the table's distinct delays) with MSE <= E.
  --min-sqnr D         The fastest grid with SQNR >= D dB.
  --objective O        What an error budget minimizes, and the front's axis (default delay):
                       delay   the grid's slowest code (the clock period);
                       energy  energy per MAC operation: the mean energy_fj of the codes the weights
                               are quantized to (a table from 'halo characterize --energy');
                       edp     energy per operation x the grid's delay (fJ·ns).
                       With a table that has energy the report gives every grid's energy per op and
                       its ratio to the format's all-codes grid (uniform INT8 for int8).
  --granularity G      One scale per tensor, per output channel (row; default) or per group of G
                       consecutive weights of a row (group:128).
  --pareto             Also sweep the candidates: the front of max delay (or energy, or EDP) vs error.
  --threads N          Worker threads (default: all cores).
  -o, --output FILE    Write the JSON report to FILE and a summary to standard output
                       (default: the JSON on standard output).
  -h, --help           Show this help.
"""

let quantizeHelp = """
OVERVIEW: Quantize weights onto the grid of fast codes chosen from a delay table.

USAGE: halo quantize --table TABLE.csv --format int8 --weights FILE --levels 16 [--tensor NAME]...
                     [--max-delay T | --min-speedup S | --max-mse E | --min-sqnr D] [--objective O]
                     [--granularity tensor|channel|group:G] [--importance FILE]
                     [--tile RxC --dvfs-levels L [--dvfs-budgets T1,T2,...] [--dvfs-goal speed|energy]
                      [--dvfs-slack X] [--vf-table FILE]] -o OUT.safetensors --report REPORT.json

OUT.safetensors holds, for every quantized tensor NAME:
  NAME          F32, same shape: scale * value(code), ready to load in place of the original
  NAME.codes    U8 (U16 for formats wider than 8 bits), same shape: the bus codes
  NAME.scale    F32 [rowBlocks, colBlocks]: weight (r, c) of the matrix view [shape[0], rest]
                uses scale[r / blockRows, c / blockCols] ([1,1] per tensor, [rows,1] per channel)
  NAME.level    U8 [tileRows, tileCols], with a DVFS plan: each tile's level
REPORT.json holds format, levels, grid {codes, values, max_delay_ns, mse, sqnr_db, speedup},
baselines (all codes, INT4 in the low and in the high bits or, for fp16/bf16, the codes of E4M3,
E5M2 and E2M1 values, the K fastest codes), tensors, the
Pareto front of max delay (energy, EDP with --objective) vs error, and the DVFS plan when asked;
with a table that has energy, energy_fj per operation and its ratio to the all-codes grid.

OPTIONS (see 'halo select --help' for --format, --levels, --tensor, --importance, the budgets,
--objective and --granularity):
  --table FILE         Delay table (CSV or JSON from 'halo characterize').
  --weights FILE       .safetensors, .npy or text weights.
  --tile RxC           DVFS tile of each weight matrix (e.g. 128x128).
  --dvfs-levels L      Frequency levels (default 3). Budgets default to: the slowest code (or
                       --max-delay), the fastest budget that still allows K values, and the others
                       evenly spaced in frequency between, snapped to delays of the table.
  --dvfs-budgets LIST  Explicit level budgets (e.g. 4.6ns,3.7ns,3.4ns).
  --dvfs-goal G        speed (default): nominal voltage, each tile clocked at its grid's delay;
                       energy: the reference clock, each tile at the lowest voltage meeting it.
  --dvfs-slack X       Allowed increase of the importance-weighted squared error over every tile
                       at the most accurate level (default 0.1 = 10%).
  --vf-table FILE      Voltage/frequency table: CSV lines 'voltage_v,frequency_mhz' (optional
                       header, # comments), the frequency the full MAC reaches at that voltage; the
                       highest voltage is where the delay table holds. Default: alpha-power law,
                       1.8 V nominal, Vt 0.45 V, alpha 1.3, 10 mV steps.
  --no-pareto          Skip the Pareto sweep (the report's 'pareto' is then empty).
  --threads N          Worker threads (default: all cores).
  -o, --output FILE    The .safetensors output (required).
  --report FILE        The JSON report.
  -h, --help           Show this help.
"""

private let budgetOptions: Set<String> = ["--max-delay", "--min-speedup", "--max-mse", "--min-sqnr"]
private let commonValueOptions: Set<String> = Set(["--format", "--levels", "--weights", "--tensor", "--importance", "--granularity",
                                                   "--threads", "--distribution", "--samples", "--seed", "--objective"]).union(budgetOptions)

func selectCommand(_ argv: [String]) throws {
    let args = try Arguments(argv, valueOptions: commonValueOptions.union(Set(["-o", "--output"])),
                             flagOptions: ["--help", "-h", "--pareto"], command: "select")
    if args.flag("--help") || args.flag("-h") { try printHelp(selectHelp); return }
    guard args.positionals.count == 1 else {
        throw HaloError(args.positionals.isEmpty ? "'halo select' needs a delay table (see 'halo select --help')"
                                                 : "'halo select' takes one delay table, got \(args.positionals.count) files")
    }
    let tablePath = args.positionals[0]
    let output = args.value("-o", "--output")
    var setup = try QuantizeSetup(args, command: "select", tablePath: tablePath, tile: nil, outputs: [output])
    setup.request.pareto = args.flag("--pareto")
    let outcome = try HardwareAwareQuantizer.run(selector: setup.selector, request: setup.request)
    printWarnings(outcome.warnings)
    let tensors = setup.selector.quantize(outcome.assignment)
    let json = QuantizationReport.json(outcome: outcome, selector: setup.selector, request: setup.request,
                                       context: setup.context, tensors: tensors).render() + "\n"
    if let output {
        try setup.outputs.commit([output: json], standardOutput: summary(outcome, setup: setup, tensors: tensors) + "wrote \(output)\n")
    } else {
        try setup.outputs.commit([:], standardOutput: json)
    }
}

func quantizeCommand(_ argv: [String]) throws {
    let args = try Arguments(argv, valueOptions: commonValueOptions.union(Set(["--table", "-o", "--output", "--report", "--tile", "--dvfs-levels",
                                                                               "--dvfs-budgets", "--dvfs-goal", "--dvfs-slack", "--vf-table"])),
                             flagOptions: ["--help", "-h", "--no-pareto"], command: "quantize")
    if args.flag("--help") || args.flag("-h") { try printHelp(quantizeHelp); return }
    guard args.positionals.isEmpty else {
        throw HaloError("unexpected argument '\(args.positionals[0])' for 'halo quantize' (the table goes after --table)")
    }
    guard let tablePath = args.value("--table") else { throw HaloError("'halo quantize' needs --table TABLE.csv") }
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
    let dvfsOptions = ["--dvfs-levels", "--dvfs-budgets", "--dvfs-goal", "--dvfs-slack", "--vf-table"]
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
    let vfTable = args.value("--vf-table")
    var setup = try QuantizeSetup(args, command: "quantize", tablePath: tablePath, tile: tile, outputs: [output, reportPath],
                                  extraInputs: vfTable.map { [$0] } ?? [])
    if let vfTable { dvfs?.voltage = try VoltageModel.read(path: vfTable) }
    setup.request.pareto = !args.flag("--no-pareto")
    setup.request.dvfs = dvfs
    let outcome = try HardwareAwareQuantizer.run(selector: setup.selector, request: setup.request)
    printWarnings(outcome.warnings)
    let tensors = setup.selector.quantize(outcome.assignment)
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
    }
    var metadata = ["format": "pt", "halo_version": HaloVersion.string, "halo_format": space.format.description,
                    "halo_granularity": setup.selector.problem.granularity.description, "halo_table": tablePath,
                    "halo_grid_codes": outcome.solution.levels.map { String($0.code) }.joined(separator: ",")]
    if let plan = outcome.dvfs {
        for (i, l) in plan.levels.enumerated() {
            metadata["halo_dvfs_level\(i)_codes"] = l.grid.map { String($0.code) }.joined(separator: ",")
        }
    }
    var contents = [output: SafeTensorsWriter.encode(entries, metadata: metadata)]
    if let reportPath {
        let json = QuantizationReport.json(outcome: outcome, selector: setup.selector, request: setup.request,
                                           context: setup.context, tensors: tensors).render() + "\n"
        contents[reportPath] = Data(json.utf8)
    }
    let wrote = "wrote \(output) (\(tensors.count) tensor\(tensors.count == 1 ? "" : "s"))" + (reportPath.map { " and \($0)" } ?? "") + "\n"
    try setup.outputs.files.commit(contents, standardOutput: Data((summary(outcome, setup: setup, tensors: tensors) + wrote).utf8))
}

/// What both commands read: the table, the format, the weights, the request.
private struct QuantizeSetup {
    var selector: GridSelector
    var request: QuantizationRequest
    var context: QuantizationReport.Context
    /// The run's output files, checked against its inputs before any of them was read.
    var outputs: RunOutputs

    /// Parses the options, checks `outputs` against every input (the table, weights, importance and
    /// `extraInputs`), then reads the inputs.
    init(_ args: Arguments, command: String, tablePath: String, tile: TileShape?, outputs outputPaths: [String?],
         extraInputs: [String] = []) throws {
        let threads = try args.integer("--threads", in: 1 ... Limits.maxThreads) ?? 0
        guard let formatText = args.value("--format") else {
            throw HaloError("'halo \(command)' needs --format (\(NumberFormat.acceptedNames))")
        }
        guard let format = NumberFormat.parse(formatText) else {
            throw HaloError("unknown --format '\(formatText)' (expected \(NumberFormat.acceptedNames))")
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
        outputs = try RunOutputs(outputPaths, inputs: [tablePath] + weightFiles + args.values("--importance") + extraInputs)
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
            tensors = [SyntheticWeights.generate(dist, count: samples, seed: seed)]
            weightNames = ["synthetic \(dist.rawValue), \(samples) values, seed \(seed)"]
        } else {
            for option in ["--distribution", "--samples", "--seed"] where args.value(option) != nil {
                throw HaloError("\(option) is for synthetic weights; it cannot be combined with --weights")
            }
            var seen = Set<String>()
            for f in files {
                for t in try WeightFiles.read(path: f, patterns: patterns) {
                    guard seen.insert(t.name).inserted else { throw HaloError("two weight tensors are named '\(t.name)'") }
                    tensors.append(t)
                }
            }
            weightNames = files
        }
        // Importance.
        var importance: [WeightTensor]?
        let importancePath = args.value("--importance")
        if let path = importancePath {
            if path.lowercased().hasSuffix(".safetensors") {
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
            out += String(format: "  level %d: budget %@, clock %@, %.2f V, %d tiles (%.1f%% of weights)\n", i, ns(l.budgetNs), ns(l.clockNs), l.voltage, l.tiles,
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
