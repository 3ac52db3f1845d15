import Foundation

/// A JSON value with ordered object keys, rendered deterministically (arrays of scalars on one line).
public indirect enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// A number (`null` when not finite).
    case number(Double)
    /// An integer.
    case int(Int)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, keys in order.
    case object([(String, JSONValue)])

    /// Equality (object keys compared in order).
    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.render() == b.render() }

    /// Pretty text with two-space indentation and a final newline at the top level.
    public func render(indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent)
        let inner = String(repeating: " ", count: indent + 2)
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return JSONText.number(d)
        case .int(let i): return String(i)
        case .string(let s): return JSONText.string(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy({ $0.isScalar }) { return "[" + items.map { $0.render() }.joined(separator: ", ") + "]" }
            return "[\n" + items.map { inner + $0.render(indent: indent + 2) }.joined(separator: ",\n") + "\n" + pad + "]"
        case .object(let fields):
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.map { inner + JSONText.string($0.0) + ": " + $0.1.render(indent: indent + 2) }.joined(separator: ",\n") + "\n" + pad + "}"
        }
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }
}

/// The JSON report of a selection (`halo select -o grid.json`) or quantization (`REPORT.json`).
///
/// Keys: `halo_version`, `table`, `format`, `levels` (the grid's level count), `granularity`,
/// `weights`, `importance`, `budget` {`kind`, `value`, `max_delay_ns`}, `reference_delay_ns` and
/// `reference` (what speed-ups are against), `grid` {`codes`, `values`, `delays_ns` (null for a code without a path),
/// `max_delay_ns`, `mse`, `weighted_mse`, `sqnr_db`, `speedup`, `level_choice`}, `baselines`
/// [{`name`, `levels`, `max_delay_ns`, `mse`, `weighted_mse`, `sqnr_db`, `speedup`}], `tensors`
/// [{`name`, `shape`, `mse`, `weighted_mse`, `sqnr_db`, `scale_shape`, `scale_block`}], `pareto`
/// [{`budget_ns`, `max_delay_ns`, `mse`, `weighted_mse`, `sqnr_db`, `speedup`, `codes`}], and `dvfs`
/// when a plan was made. Errors are over the raw weights; `mse` is the plain mean of (x − x̂)²,
/// `weighted_mse` the importance-weighted mean that the selector minimizes.
///
/// `objective` (`delay`, `energy` or `edp`) says what an error budget minimized and what the front
/// trades against error; `grid.selection` says how the grid was chosen. When the table has energy,
/// `grid`, every baseline, tensor and front point gain `energy_fj` (energy per MAC operation, the mean
/// of the weights' codes' `energy_fj`) and (except tensors) `edp_fj_ns` (× max delay); `grid` and
/// baselines also `energy_ratio` and `edp_ratio` against `energy.reference` (every code of the format,
/// i.e. uniform INT8 for int8, rounded to nearest on the same weights); and `energy` {`reference`,
/// `reference_energy_fj`, `reference_edp_fj_ns`, `stimulus`} names the reference and the table's
/// stimulus (null for CSV tables, which do not record it).
public enum QuantizationReport {
    /// Inputs that the report names.
    public struct Context: Sendable {
        /// The delay table's path.
        public var table: String
        /// Weight files (or `synthetic gaussian, 65536 values, seed 1`).
        public var weights: [String]
        /// Importance file, if any.
        public var importance: String?

        /// A context.
        public init(table: String, weights: [String], importance: String? = nil) {
            self.table = table
            self.weights = weights
            self.importance = importance
        }
    }

    /// The report as a JSON value. `tensors` are the quantized tensors (their per-tensor errors).
    public static func json(outcome: QuantizationOutcome, selector: GridSelector, request: QuantizationRequest,
                            context: Context, tensors: [QuantizedTensor]) -> JSONValue {
        let space = selector.space
        func num(_ d: Double) -> JSONValue { .number(d) }
        func round6(_ d: Double) -> Double { (d * 1e6).rounded() / 1e6 }
        func errors(_ q: Quality) -> [(String, JSONValue)] {
            [("mse", num(q.mse)), ("weighted_mse", num(q.weightedMSE)), ("sqnr_db", num(q.sqnrDB))]
        }
        // Energy fields, when the table has energy: energy and EDP per operation, and with `ratios` both
        // against the reference.
        let reference = outcome.energyReference.flatMap { r in r.quality.energyPerOpFJ.map { (r, $0) } }
        func energy(_ q: Quality, maxDelayNs: Double, ratios: Bool) -> [(String, JSONValue)] {
            guard space.hasEnergy, let e = q.energyPerOpFJ else { return [] }
            var out: [(String, JSONValue)] = [("energy_fj", num(e)), ("edp_fj_ns", num(e * maxDelayNs))]
            if ratios, let (r, re) = reference {
                out.append(("energy_ratio", num(e / re)))
                out.append(("edp_ratio", num(e * maxDelayNs / (re * r.baseline.maxDelayNs))))
            }
            return out
        }
        let sol = outcome.solution
        var budgetFields: [(String, JSONValue)] = []
        switch request.budget {
        case .none: budgetFields = [("kind", .string("none")), ("value", .null)]
        case .maxDelay(let t): budgetFields = [("kind", .string("max_delay_ns")), ("value", num(t))]
        case .minSpeedup(let s): budgetFields = [("kind", .string("min_speedup")), ("value", num(s))]
        case .maxMSE(let e): budgetFields = [("kind", .string("max_mse")), ("value", num(e))]
        case .minSQNR(let d): budgetFields = [("kind", .string("min_sqnr_db")), ("value", num(d))]
        }
        budgetFields.append(("max_delay_ns", outcome.budgetNs.map { num($0) } ?? .null))
        let histogramExact = selector.problem.elementCount <= WeightHistogram.exactLimit
        let choice: String = sol.levels.count == space.allowed(maxDelayNs: outcome.budgetNs ?? .infinity).count
            ? "all allowed values"
            : (sol.levelChoiceExact ? "exact" : (histogramExact ? "exact among thinned candidates" : "exact on a 65536-bin histogram"))
        let grid: JSONValue = .object([
            ("codes", .array(sol.levels.map { .int($0.code) })),
            ("values", .array(sol.levels.map { num($0.value) })),
            ("delays_ns", .array(sol.levels.map { $0.hasPath ? num(round6($0.delayNs)) : .null })),
            ("max_delay_ns", num(round6(sol.maxDelayNs))),
        ] + errors(outcome.quality) + [
            ("speedup", num(space.speedup(maxDelayNs: sol.maxDelayNs))),
            ("level_choice", .string(choice)),
            ("selection", .string(outcome.selection)),
        ] + energy(outcome.quality, maxDelayNs: sol.maxDelayNs, ratios: true))
        let baselines: JSONValue = .array(outcome.baselines.map { b in
            .object([("name", .string(b.baseline.name)), ("levels", .int(b.baseline.levels.count)),
                     ("max_delay_ns", num(round6(b.baseline.maxDelayNs)))] + errors(b.quality)
                    + [("speedup", num(space.speedup(maxDelayNs: b.baseline.maxDelayNs)))]
                    + energy(b.quality, maxDelayNs: b.baseline.maxDelayNs, ratios: true))
        })
        let tensorList: JSONValue = .array(tensors.map { t in
            .object([("name", .string(t.name)), ("shape", .array(t.shape.map { .int($0) }))] + errors(t.quality)
                    + [("scale_shape", .array(t.scaleShape.map { .int($0) })), ("scale_block", .array(t.scaleBlock.map { .int($0) }))]
                    + energy(t.quality, maxDelayNs: sol.maxDelayNs, ratios: false).prefix(1))
        })
        let pareto: JSONValue = .array(outcome.pareto.map { p in
            .object([("budget_ns", num(round6(p.budgetNs))), ("max_delay_ns", num(round6(p.maxDelayNs)))] + errors(p.quality)
                    + [("speedup", num(space.speedup(maxDelayNs: p.maxDelayNs)))] + energy(p.quality, maxDelayNs: p.maxDelayNs, ratios: false)
                    + [("codes", .array(p.levels.map { .int($0.code) }))])
        })
        var fields: [(String, JSONValue)] = [
            ("halo_version", .string(HaloVersion.string)),
            ("table", .string(context.table)),
            ("format", .string(space.format.description)),
            ("levels", .int(sol.levels.count)),
            ("granularity", .string(selector.problem.granularity.description)),
            ("weights", .array(context.weights.map { .string($0) })),
            ("importance", context.importance.map { .string($0) } ?? .null),
            ("budget", .object(budgetFields)),
            ("reference_delay_ns", num(round6(space.referenceDelayNs))),
            ("reference", .string(space.referenceSource)),
            ("objective", .string(outcome.objective.description)),
            ("grid", grid),
            ("baselines", baselines),
            ("tensors", tensorList),
            ("pareto", pareto),
        ]
        if space.hasEnergy, let (r, re) = reference {
            fields.append(("energy", .object([
                ("reference", .string(r.baseline.name)),
                ("reference_energy_fj", num(re)),
                ("reference_edp_fj_ns", num(re * r.baseline.maxDelayNs)),
                ("stimulus", space.stimulus.map(stimulusJSON) ?? .null),
            ])))
        }
        if let plan = outcome.dvfs { fields.append(("dvfs", dvfsJSON(plan, selector: selector))) }
        return .object(fields)
    }

    /// The stimulus of a delay table's energy columns, with the keys of the table's JSON.
    public static func stimulusJSON(_ s: DelayTable.Stimulus) -> JSONValue {
        .object([
            ("kind", .string(s.kind)), ("activation_bus", .string(s.activationBus)), ("sigma", s.sigma.map { .number($0) } ?? .null),
            ("file", s.file.map { .string($0) } ?? .null), ("vectors", .int(s.vectors)), ("seed", s.seed.map { .int($0) } ?? .null),
            ("other_inputs", .string(s.otherInputs)), ("simulation", .string(s.simulation)),
            ("supply_voltage_v", .number(s.supplyVoltageV)), ("leakage_nw", s.leakageNW.map { .number($0) } ?? .null),
        ])
    }

    /// One line describing a stimulus: `10000 vectors of uniform activations on A (seed 1), other inputs
    /// zero, zero-delay toggles, 1.8 V`.
    public static func describe(_ s: DelayTable.Stimulus) -> String {
        var what: String
        switch s.kind {
        case "gaussian": what = "gaussian activations" + (s.sigma.map { String(format: " (sigma %g)", $0) } ?? "")
        case "file": what = "activations from \(s.file ?? "a file")"
        default: what = "\(s.kind) activations"
        }
        what += s.activationBus.isEmpty ? "" : " on \(s.activationBus)"
        if let seed = s.seed { what += " (seed \(seed))" }
        return "\(s.vectors) vectors of \(what), other inputs \(s.otherInputs), \(s.simulation) toggles, "
            + String(format: "%g V", s.supplyVoltageV)
    }

    /// The `dvfs` section: options, levels, totals, and every tile's level.
    public static func dvfsJSON(_ plan: DVFSPlan, selector: GridSelector) -> JSONValue {
        let problem = selector.problem
        func round6(_ d: Double) -> Double { (d * 1e6).rounded() / 1e6 }
        let total = Double(plan.levels.reduce(0) { $0 + $1.weights })
        let levels: JSONValue = .array(plan.levels.enumerated().map { (i, l) in
            .object([("level", .int(i)), ("budget_ns", .number(round6(l.budgetNs))), ("max_delay_ns", .number(round6(l.maxDelayNs))),
                     ("clock_ns", .number(round6(l.clockNs))), ("voltage_v", .number(round6(l.voltage))),
                     ("delay_at_voltage_ns", .number(round6(l.delayAtVoltageNs))),
                     ("codes", .array(l.grid.map { .int($0.code) })), ("values", .array(l.grid.map { .number($0.value) })),
                     ("tiles", .int(l.tiles)), ("weight_fraction", .number(total > 0 ? Double(l.weights) / total : 0))])
        })
        let tiles: JSONValue = .array(problem.tiles.enumerated().map { (i, t) in
            .object([("tensor", .string(problem.tensors[t.tensor].name)), ("row", .int(t.row)), ("col", .int(t.col)),
                     ("rows", .int(t.rows)), ("cols", .int(t.cols)), ("level", .int(plan.tileLevel[i]))])
        })
        return .object([
            ("tile", .string(problem.tile?.description ?? "")),
            ("goal", .string(plan.options.goal.rawValue)),
            ("voltage_model", .string(plan.options.voltage.description)),
            ("nominal_voltage_v", .number(plan.options.voltage.nominalVoltage)),
            ("error_slack", .number(plan.options.errorSlack)),
            ("accurate_weighted_error", .number(plan.accurateWeightedError)),
            ("error_budget", .number(plan.errorBudget)),
            ("weighted_error", .number(plan.quality.weightedSquaredError)),
            ("mse", .number(plan.quality.mse)),
            ("sqnr_db", .number(plan.quality.sqnrDB)),
            ("speedup", .number(plan.speedup)),
            ("energy_ratio", .number(plan.energyRatio)),
            ("levels", levels),
            ("tiles", tiles),
        ])
    }
}
