import Foundation
import HaloCore
import HaloQuantization

/// The study as a table, a JSON document, and per-layer series for a plot.
public struct AcceleratorReport: Sendable {
    /// The hardware.
    public var config: ArrayConfig
    /// The MAC.
    public var timing: MACTiming
    /// The work.
    public var workload: Workload
    /// The result.
    public var result: AcceleratorStudy.Result
    /// Where the weights came from (a folder, or a shapes file and a grid file), for the header.
    public var source: String

    /// A report.
    public init(config: ArrayConfig, timing: MACTiming, workload: Workload, result: AcceleratorStudy.Result, source: String) {
        self.config = config
        self.timing = timing
        self.workload = workload
        self.result = result
        self.source = source
    }

    var reference: SchemeRun { result.runs[0] }

    /// Where the input-port nets' energy per operation comes from: `config` (the configuration's
    /// `input_net_energy_fj`), else the MAC's ``MACTiming/InputNetSource`` (`table column`,
    /// `zero-code estimate`, `given`).
    public var inputNetSource: String { config.inputNetEnergyFJ != nil ? "config" : timing.inputNetSource.rawValue }

    /// The input-port nets' energy per operation at each corner, fJ, as the array charges it.
    var inputNetEnergyPerCornerFJ: [Double] {
        let sim = ArraySimulator(config: config, timing: timing, workload: workload)
        return timing.corners.indices.map { sim.inputNetEnergyFJ(corner: $0) }
    }

    /// Speed-up against the reference (INT8) of a time: reference time / time.
    static func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : .infinity }

    /// The levels of a run in one line: `4.6256 ns @ 1.80 V; 3.6 ns @ 1.80 V`.
    static func levels(_ r: SchemeRun) -> String {
        r.levels.map { String(format: "%.4f ns @ %.2f V", $0.clockNs, $0.voltageV) }.joined(separator: "; ")
    }

    /// The table: per scheme, per phase and overall, time, throughput and energy and their ratios to INT8.
    public var table: String {
        let buffer = config.bufferBandwidthGBps.map { String(format: "%g GB/s", $0) } ?? "feeding every cycle"
        var out = String(format: "array %d×%d, DRAM %g GB/s, buffer %@ (%d MiB), DVFS goal %@, %d levels, switch %g ns / %g nJ\n",
                         config.rows, config.cols, config.dramBandwidthGBps, buffer, config.bufferBytes >> 20,
                         config.goal.rawValue, config.dvfsLevels, config.dvfsSwitchNs, config.dvfsSwitchNJ)
        out += String(format: "MAC: signed-off clock %.4f ns at %.2f V, input nets %.1f fJ/op (%@), leakage %.1f nW/MAC; weights: %@\n",
                      timing.referenceDelayNs, timing.nominalVoltageV, config.inputNetEnergyFJ ?? timing.inputNetEnergyFJ, inputNetSource,
                      config.leakagePerMACNW ?? timing.leakagePerMACNW, source)
        out += "workload: prefill \(workload.prefillTokens) tokens × batch \(workload.prefillBatch); decode \(workload.decodeTokens) tokens × batch \(workload.decodeBatch)\n\n"
        let head = "scheme".padding(toLength: 36, withPad: " ", startingAt: 0) + " phase     time ms    speed-up  tokens/s     energy mJ   energy ratio  bound (compute/dram/buffer)"
        out += head + "\n"
        for r in result.runs {
            let name = r.name.padding(toLength: 36, withPad: " ", startingAt: 0)
            for p in r.phases {
                let ref = reference.phase(p.phase)!
                let bounds = GEMMRun.Bound.allCasesInOrder.map { b in p.gemms.filter { $0.bound == b }.count }
                out += name + " " + p.phase.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                out += String(format: " %10.3f   %7.3f×  %10.1f  %11.4f   %9.3f     %d/%d/%d\n", p.timeNs * 1e-6, Self.ratio(ref.timeNs, p.timeNs),
                              p.tokensPerSecond, p.energy.totalFJ * 1e-12, p.energy.totalFJ / ref.energy.totalFJ, bounds[0], bounds[1], bounds[2])
            }
            out += name + " overall " + String(format: " %10.3f   %7.3f×  %10s  %11.4f   %9.3f\n", r.timeNs * 1e-6, Self.ratio(reference.timeNs, r.timeNs), "",
                                                r.energyFJ * 1e-12, r.energyFJ / reference.energyFJ)
        }
        out += "\nlevels (clock @ supply) and weight bits:\n"
        for r in result.runs { out += "  \(r.name): \(Self.levels(r)); \(r.weightBits)-bit weights\n" }
        if !result.permutations.isEmpty {
            out += "\nreordered \(result.permutations.count) producer/consumer groups (output channels slowest first): "
                + "\(result.fastChannels) of \(result.reorderedChannels) channels hold no code as slow as the grid's slowest\n"
        }
        return out
    }

    /// The JSON document.
    public var json: JSONValue {
        func energy(_ e: EnergyBreakdown) -> JSONValue {
            .object([("total_fj", .number(e.totalFJ)), ("mac_fj", .number(e.macFJ)), ("input_nets_fj", .number(e.inputNetsFJ)),
                     ("leakage_fj", .number(e.leakageFJ)), ("dram_fj", .number(e.dramFJ)), ("buffer_fj", .number(e.bufferFJ)),
                     ("switch_fj", .number(e.switchFJ))])
        }
        let runs: [JSONValue] = result.runs.map { r in
            .object([
                ("name", .string(r.name)), ("weight_bits", .int(r.weightBits)),
                ("levels", .array(r.levels.map { .object([("voltage_v", .number($0.voltageV)), ("clock_ns", .number($0.clockNs))]) })),
                ("phases", .array(r.phases.map { p in
                    let ref = reference.phase(p.phase)!
                    return .object([
                        ("phase", .string(p.phase.rawValue)), ("steps", .int(p.steps)), ("tokens", .int(p.tokens)),
                        ("time_ns", .number(p.timeNs)), ("tokens_per_s", .number(p.tokensPerSecond)), ("mac_ops", .number(p.macOps)),
                        ("speedup", .number(Self.ratio(ref.timeNs, p.timeNs))), ("energy_ratio", .number(p.energy.totalFJ / ref.energy.totalFJ)),
                        ("energy", energy(p.energy)),
                        ("gemms", .array(p.gemms.map { g in
                            .object([("name", .string(g.name)), ("m", .int(g.m)), ("k", .int(g.k)), ("n", .int(g.n)), ("passes", .int(g.passes)),
                                     ("passes_per_level", .array(g.passesPerLevel.map { .int($0) })), ("cycles", .int(g.cycles)),
                                     ("switches", .int(g.switches)), ("compute_ns", .number(g.computeNs)), ("dram_bytes", .int(g.dramBytes)),
                                     ("buffer_bytes", .int(g.bufferBytes)), ("accumulator_bytes", .int(g.accumulatorBytes)),
                                     ("dram_ns", .number(g.dramNs)), ("buffer_ns", .number(g.bufferNs)), ("time_ns", .number(g.timeNs)),
                                     ("bound", .string(g.bound.rawValue)), ("energy_fj", .number(g.energy.totalFJ))])
                        })),
                    ])
                })),
                ("time_ns", .number(r.timeNs)), ("energy_fj", .number(r.energyFJ)),
                ("speedup", .number(Self.ratio(reference.timeNs, r.timeNs))), ("energy_ratio", .number(r.energyFJ / reference.energyFJ)),
            ])
        }
        return .object([
            ("halo_version", .string(HaloVersion.string)), ("source", .string(source)),
            ("config", config.json),
            ("mac", .object([("reference_delay_ns", .number(timing.referenceDelayNs)), ("nominal_voltage_v", .number(timing.nominalVoltageV)),
                             ("input_net_energy_fj", .number(config.inputNetEnergyFJ ?? timing.inputNetEnergyFJ)),
                             ("input_net_energy", .string(inputNetSource)),
                             ("voltages_v", .array(timing.corners.map { .number($0.voltageV) })),
                             ("input_net_energy_fj_per_voltage", .array(inputNetEnergyPerCornerFJ.map { .number($0) })),
                             ("leakage_per_mac_nw", .number(config.leakagePerMACNW ?? timing.leakagePerMACNW)),
                             ("corners", .int(timing.corners.count))])),
            ("workload", .object([("prefill_tokens", .int(workload.prefillTokens)), ("prefill_batch", .int(workload.prefillBatch)),
                                  ("decode_tokens", .int(workload.decodeTokens)), ("decode_batch", .int(workload.decodeBatch))])),
            ("grid", .object([("codes", .array(result.gridCodes.map { .int($0) }))])),
            ("reference", .string(reference.name)),
            ("schemes", .array(runs)),
            ("reordered_groups", .int(result.permutations.count)), ("reordered_channels", .int(result.reorderedChannels)),
            ("fast_channels", .int(result.fastChannels)),
        ])
    }

    /// Per-layer series for a plot: for `phase`, each run's time (ns) and energy (fJ) of every GEMM
    /// (decode: one token step), in GEMM order.
    public func layerSeries(_ phase: Phase) -> (layers: [String], series: [(name: String, timeNs: [Double], energyFJ: [Double])]) {
        let layers = reference.phase(phase)?.gemms.map(\.name) ?? []
        let series = result.runs.compactMap { r -> (String, [Double], [Double])? in
            guard let p = r.phase(phase) else { return nil }
            return (r.name, p.gemms.map(\.timeNs), p.gemms.map(\.energy.totalFJ))
        }
        return (layers, series.map { (name: $0.0, timeNs: $0.1, energyFJ: $0.2) })
    }
}

extension GEMMRun.Bound {
    /// compute, dram, buffer.
    static let allCasesInOrder: [GEMMRun.Bound] = [.compute, .dram, .buffer]
}
