import Foundation
import HaloCore
import HaloQuantization

/// The hardware the array model runs on: a weight-stationary systolic array of ``rows`` × ``cols`` MACs,
/// its on-chip buffer and DRAM, and its DVFS levels. Every default and its source is in the README
/// ("Accelerator model"); every field can be overridden from a JSON file (``read(path:base:)``).
public struct ArrayConfig: Sendable, Equatable {
    /// What the DVFS levels are for.
    public enum Goal: String, Sendable, Equatable, CaseIterable {
        /// Nominal voltage; each level a clock period (the tile's slowest code sets the level).
        case speed
        /// The signed-off clock; each level a supply voltage (the lowest at which the tile's slowest
        /// code still meets the clock).
        case energy
    }

    /// MAC rows (the reduction dimension K of a weight tile). Default 128.
    public var rows = 128
    /// MAC columns (output channels N of a weight tile). Default 128.
    public var cols = 128
    /// DRAM bandwidth, GB/s (10⁹ bytes/s). Default 34 (TPU v1's DDR3, Jouppi et al., ISCA 2017).
    public var dramBandwidthGBps = 34.0
    /// On-chip buffer bandwidth, GB/s; nil (the default): the buffer feeds the array every cycle at
    /// whatever clock it runs (R activation bytes a cycle, as TPU v1's unified buffer gives its 256 rows
    /// 256 B a cycle, 179.2 GB/s at 700 MHz), so it never bounds a GEMM. A number is a fixed bound.
    public var bufferBandwidthGBps: Double? = nil
    /// On-chip buffer capacity, bytes. Default 24 MiB (TPU v1's unified buffer).
    public var bufferBytes = 24 << 20
    /// Output rows the accumulators hold for one tile column: a GEMM with more rows M than this is
    /// run in passes of at most this many rows, each reloading its weights. Default 4096 (TPU v1:
    /// 4 MiB of 32-bit accumulators, 4096 × 256).
    public var accumulatorRows = 4096
    /// DRAM energy, pJ per byte. Default 162.5 (Horowitz, ISSCC 2014: 1.3–2.6 nJ per 64-bit DRAM
    /// access at 45 nm; the low end).
    public var dramEnergyPJPerByte = 162.5
    /// On-chip buffer energy, pJ per byte. Default 12.5 (Horowitz, ISSCC 2014: 100 pJ per 64-bit read of
    /// a 1 MB SRAM at 45 nm).
    public var bufferEnergyPJPerByte = 12.5
    /// DVFS levels (operating points a tile can be given). Default 3.
    public var dvfsLevels = 3
    /// What the levels are for. Default speed.
    public var goal = Goal.speed
    /// Time of one change of DVFS level (the array stalls), ns. Default 100 (on-chip regulators switch
    /// in tens of ns: Kim et al., HPCA 2008).
    public var dvfsSwitchNs = 100.0
    /// Energy of one change of DVFS level, nJ. Default 10 (an assumption: recharging ~10 nF of
    /// decoupling capacitance by a few hundred mV at ~1–2 V, plus regulator loss).
    public var dvfsSwitchNJ = 10.0
    /// Bytes per activation (input) element. Default 1 (INT8 activations).
    public var activationBytes = 1
    /// Bytes per output element written back. Default 1 (re-quantized to INT8).
    public var outputBytes = 1
    /// Bytes per accumulator (partial sum) element. Default 4.
    public var accumulatorBytes = 4
    /// Whether a K-level grid is stored and moved as ⌈log₂ K⌉-bit indices (decoded to codes when a tile
    /// is loaded) rather than as full codes. Default true.
    public var packWeights = true
    /// Whether a tile's weight load overlaps the previous tile's compute (double-buffered weights): then
    /// only the first tile of a GEMM pays the load cycles. Default false (SCALE-Sim's convention).
    public var overlapWeightLoad = false
    /// Power of everything but the MACs that does not scale with work (buffers' leakage, control), W.
    /// Default 0.
    public var staticPowerW = 0.0
    /// Leakage of one MAC at nominal voltage, nW; nil: the delay table's `leakage_nw`.
    public var leakagePerMACNW: Double? = nil
    /// Energy of the nets driven by a MAC's input ports per operation at nominal voltage, fJ, charged once
    /// per operation; nil: the table's energy for the zero weight (see ``MACTiming``).
    public var inputNetEnergyFJ: Double? = nil

    /// The documented defaults.
    public init() {}

    /// The fields a JSON file may set, with their meaning (for errors and the README).
    public static let fieldNames = ["rows", "cols", "dram_bandwidth_gbps", "buffer_bandwidth_gbps", "buffer_bytes", "accumulator_rows",
                                    "dram_energy_pj_per_byte", "buffer_energy_pj_per_byte", "dvfs_levels", "dvfs_goal", "dvfs_switch_ns",
                                    "dvfs_switch_nj", "activation_bytes", "output_bytes", "accumulator_bytes", "pack_weights",
                                    "overlap_weight_load", "static_power_w", "leakage_per_mac_nw", "input_net_energy_fj"]

    /// `base` with the fields of the JSON object in `path` applied. Every error is located at the
    /// offending value: an unknown field, a wrong kind, a number out of range.
    public static func read(path: String, base: ArrayConfig = ArrayConfig()) throws -> ArrayConfig {
        let root = try JSONNode.parse(try InputFile.read(path), path: path)
        return try apply(root, to: base)
    }

    /// `base` with the fields of `root` (a parsed JSON object) applied.
    public static func apply(_ root: JSONNode, to base: ArrayConfig) throws -> ArrayConfig {
        guard case .object(let members) = root.value else {
            throw HaloError("an array configuration is a JSON object, found \(root.kindName)", at: root.location)
        }
        var c = base
        for (key, node) in members {
            func int(_ range: ClosedRange<Int>) throws -> Int {
                guard case .number(let d) = node.value, d == d.rounded(), d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
                    throw HaloError("'\(key)' must be an integer from \(range.lowerBound) to \(range.upperBound), found \(describe(node))", at: node.location)
                }
                return Int(d)
            }
            func number(_ range: ClosedRange<Double>) throws -> Double {
                guard case .number(let d) = node.value, d.isFinite, range.contains(d) else {
                    throw HaloError("'\(key)' must be a number from \(range.lowerBound) to \(range.upperBound), found \(describe(node))", at: node.location)
                }
                return d
            }
            func optional(_ range: ClosedRange<Double>) throws -> Double? { node.isNull ? nil : try number(range) }
            func bool() throws -> Bool {
                guard case .bool(let b) = node.value else { throw HaloError("'\(key)' must be true or false, found \(describe(node))", at: node.location) }
                return b
            }
            switch key {
            case "rows": c.rows = try int(1 ... 65536)
            case "cols": c.cols = try int(1 ... 65536)
            case "dram_bandwidth_gbps": c.dramBandwidthGBps = try number(1e-6 ... 1e9)
            case "buffer_bandwidth_gbps": c.bufferBandwidthGBps = try optional(1e-6 ... 1e9)
            case "buffer_bytes": c.bufferBytes = try int(0 ... (1 << 50))
            case "accumulator_rows": c.accumulatorRows = try int(1 ... (1 << 30))
            case "dram_energy_pj_per_byte": c.dramEnergyPJPerByte = try number(0 ... 1e9)
            case "buffer_energy_pj_per_byte": c.bufferEnergyPJPerByte = try number(0 ... 1e9)
            case "dvfs_levels": c.dvfsLevels = try int(1 ... 64)
            case "dvfs_goal":
                guard let s = node.string, let g = Goal(rawValue: s) else {
                    throw HaloError("'dvfs_goal' must be \"speed\" or \"energy\", found \(describe(node))", at: node.location)
                }
                c.goal = g
            case "dvfs_switch_ns": c.dvfsSwitchNs = try number(0 ... 1e12)
            case "dvfs_switch_nj": c.dvfsSwitchNJ = try number(0 ... 1e12)
            case "activation_bytes": c.activationBytes = try int(1 ... 16)
            case "output_bytes": c.outputBytes = try int(1 ... 16)
            case "accumulator_bytes": c.accumulatorBytes = try int(1 ... 16)
            case "pack_weights": c.packWeights = try bool()
            case "overlap_weight_load": c.overlapWeightLoad = try bool()
            case "static_power_w": c.staticPowerW = try number(0 ... 1e6)
            case "leakage_per_mac_nw": c.leakagePerMACNW = try optional(0 ... 1e12)
            case "input_net_energy_fj": c.inputNetEnergyFJ = try optional(0 ... 1e12)
            default:
                throw HaloError("unknown field '\(key)'; the fields are \(fieldNames.joined(separator: ", "))", at: node.location)
            }
        }
        return c
    }

    /// The configuration as JSON (every field, in ``fieldNames`` order).
    public var json: JSONValue {
        .object([("rows", .int(rows)), ("cols", .int(cols)), ("dram_bandwidth_gbps", .number(dramBandwidthGBps)),
                 ("buffer_bandwidth_gbps", bufferBandwidthGBps.map { .number($0) } ?? .null), ("buffer_bytes", .int(bufferBytes)),
                 ("accumulator_rows", .int(accumulatorRows)), ("dram_energy_pj_per_byte", .number(dramEnergyPJPerByte)),
                 ("buffer_energy_pj_per_byte", .number(bufferEnergyPJPerByte)), ("dvfs_levels", .int(dvfsLevels)),
                 ("dvfs_goal", .string(goal.rawValue)), ("dvfs_switch_ns", .number(dvfsSwitchNs)), ("dvfs_switch_nj", .number(dvfsSwitchNJ)),
                 ("activation_bytes", .int(activationBytes)), ("output_bytes", .int(outputBytes)), ("accumulator_bytes", .int(accumulatorBytes)),
                 ("pack_weights", .bool(packWeights)), ("overlap_weight_load", .bool(overlapWeightLoad)), ("static_power_w", .number(staticPowerW)),
                 ("leakage_per_mac_nw", leakagePerMACNW.map { .number($0) } ?? .null),
                 ("input_net_energy_fj", inputNetEnergyFJ.map { .number($0) } ?? .null)])
    }
}

/// A JSON value for messages: `a string "x"`, `the number 3.5`, `an object`.
func describe(_ node: JSONNode) -> String {
    switch node.value {
    case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
    case .string(let s): return "the string \"\(s)\""
    default: return node.kindName
    }
}
