import Foundation
import HaloCore

/// A way of running a model's weights: a grid (its codes per tile) and whether tiles get DVFS levels.
public struct Scheme: Sendable {
    /// Display name (`int8 (all codes)`, `halo grid`, …).
    public var name: String
    /// Distinct values of the grid (the bits a packed weight needs: ⌈log₂ levels⌉).
    public var gridLevels: Int
    /// Every GEMM's codes under this scheme.
    public var gemms: [GEMMWeights]
    /// False: one level, the signed-off clock at nominal voltage (a conventional design). True: the
    /// array's ``ArrayConfig/dvfsLevels`` levels chosen for this scheme's tiles.
    public var dvfs: Bool

    /// A scheme.
    public init(name: String, gridLevels: Int, gemms: [GEMMWeights], dvfs: Bool) {
        self.name = name
        self.gridLevels = gridLevels
        self.gemms = gemms
        self.dvfs = dvfs
    }
}

/// Model prefill or decode.
public enum Phase: String, Sendable, CaseIterable {
    /// The prompt: M = tokens × batch rows, once.
    case prefill
    /// Generation: M = batch rows, once per generated token.
    case decode
}

/// An operating point a tile runs at.
public struct DVFSLevel: Sendable, Equatable {
    /// Index into ``MACTiming/corners``.
    public var corner: Int
    /// Supply voltage, V.
    public var voltageV: Double
    /// Clock period, ns.
    public var clockNs: Double
}

/// Energy of a piece of work by where it goes, fJ.
public struct EnergyBreakdown: Sendable, Equatable {
    /// The MACs' cells (per-code energy at the tile's voltage × operations).
    public var macFJ = 0.0
    /// The nets driven by the MACs' input ports, once per operation.
    public var inputNetsFJ = 0.0
    /// MAC leakage and static power over the time.
    public var leakageFJ = 0.0
    /// DRAM traffic.
    public var dramFJ = 0.0
    /// On-chip buffer and accumulator traffic.
    public var bufferFJ = 0.0
    /// DVFS level changes.
    public var switchFJ = 0.0
    /// The sum.
    public var totalFJ: Double { macFJ + inputNetsFJ + leakageFJ + dramFJ + bufferFJ + switchFJ }

    /// Adds `o` (× `times`).
    public mutating func add(_ o: EnergyBreakdown, times: Double = 1) {
        macFJ += o.macFJ * times; inputNetsFJ += o.inputNetsFJ * times; leakageFJ += o.leakageFJ * times
        dramFJ += o.dramFJ * times; bufferFJ += o.bufferFJ * times; switchFJ += o.switchFJ * times
    }
}

/// One GEMM run once (for decode: one token step).
public struct GEMMRun: Sendable {
    /// Which resource bounds the time.
    public enum Bound: String, Sendable { case compute, dram, buffer }
    /// The GEMM's name.
    public var name: String
    /// Activation rows M, input features K, output features N.
    public var m: Int, k: Int, n: Int
    /// Tile passes (weight tiles × passes over M), and how many ran at each level.
    public var passes: Int
    /// Passes at each level (index = level).
    public var passesPerLevel: [Int]
    /// Array cycles of all passes (load, fill, stream, drain).
    public var cycles: Int
    /// DVFS level changes before and between this GEMM's passes.
    public var switches: Int
    /// Time of the passes plus the level changes, ns.
    public var computeNs: Double
    /// Bytes moved between DRAM and the chip.
    public var dramBytes: Int
    /// Bytes moved between the on-chip buffer and the array.
    public var bufferBytes: Int
    /// Accumulator bytes (read-modify-write of partial sums; energy only).
    public var accumulatorBytes: Int
    /// DRAM time at full bandwidth, ns.
    public var dramNs: Double
    /// Buffer time at full bandwidth, ns.
    public var bufferNs: Double
    /// The roofline: max(compute, DRAM, buffer), ns.
    public var timeNs: Double
    /// What bounds it.
    public var bound: Bound
    /// MAC operations M·K·N.
    public var macOps: Double
    /// Where the energy goes.
    public var energy: EnergyBreakdown
}

/// One phase of one scheme.
public struct PhaseRun: Sendable {
    /// The phase.
    public var phase: Phase
    /// Each GEMM once (decode: one token step).
    public var gemms: [GEMMRun]
    /// Times a step is repeated (1 for prefill, the generated tokens for decode).
    public var steps: Int
    /// Tokens processed (prefill: prompt × batch; decode: generated × batch).
    public var tokens: Int
    /// Total time, ns (every step, with the level changes between steps).
    public var timeNs: Double
    /// Total energy.
    public var energy: EnergyBreakdown
    /// MAC operations.
    public var macOps: Double
    /// Tokens per second.
    public var tokensPerSecond: Double { timeNs > 0 ? Double(tokens) / (timeNs * 1e-9) : 0 }
}

/// A scheme run over the workload.
public struct SchemeRun: Sendable {
    /// The scheme's name.
    public var name: String
    /// Weight bits moved per weight.
    public var weightBits: Int
    /// Its levels.
    public var levels: [DVFSLevel]
    /// Prefill and decode (those with work).
    public var phases: [PhaseRun]
    /// Total time, ns.
    public var timeNs: Double { phases.reduce(0) { $0 + $1.timeNs } }
    /// Total energy, fJ.
    public var energyFJ: Double { phases.reduce(0) { $0 + $1.energy.totalFJ } }
    /// The phase run, if it had work.
    public func phase(_ p: Phase) -> PhaseRun? { phases.first { $0.phase == p } }
}

/// The analytical model of a weight-stationary systolic array (see README "Accelerator model").
///
/// **Mapping.** A GEMM `X[M×K] · W[K×N]` is cut into ⌈K/R⌉ × ⌈N/C⌉ weight tiles of at most R×C; each
/// tile is loaded into the array and the M activation rows stream through it, in passes of at most
/// ``ArrayConfig/accumulatorRows`` rows (the partial sums a tile column's accumulators hold).
///
/// **Cycles of a pass of m rows** (SCALE-Sim's weight-stationary count): R to shift the weights in (0
/// when ``ArrayConfig/overlapWeightLoad``, then R once per GEMM), R − 1 to fill the skewed input
/// wavefront, m to stream, C − 1 to drain the last column. A pass takes its cycles × its level's clock;
/// a change of level between consecutive passes costs ``ArrayConfig/dvfsSwitchNs``. Passes are
/// grouped by level within a GEMM (order does not change integer partial sums), starting with the
/// level the array is at.
///
/// **Bytes.** DRAM: every weight once per pass over M (⌈K·N·bits/8⌉, bits = ⌈log₂ levels⌉ packed, else
/// the code width); the activations stay in the buffer between layers when the GEMM's inputs M·K and
/// outputs M·N fit in it together, else the inputs are read (once when they fit alone, else once per
/// tile column) and the outputs written. Buffer: the inputs once per tile column (M·K·⌈N/C⌉) and the outputs M·N. Accumulators
/// (energy only): a read and a write of each partial sum per K-tile (2·M·N·⌈K/R⌉·accumulator bytes).
/// The GEMM takes max(compute, DRAM bytes / DRAM bandwidth, buffer bytes / buffer bandwidth when one
/// is set): perfect
/// overlap of transfers and compute (a roofline).
///
/// **Energy.** Per pass: m × Σ_codes count × energy(code, V) for the MACs, m × weights × input-net
/// energy at V (``inputNetEnergyFJ(corner:)``: a per-voltage table's own figure, else the nominal one
/// × (V/V_nom)²), leakage R·C·P_leak·(V/V_nom) over the pass time; leakage at nominal voltage over
/// the rest of the GEMM's time (stalls on memory, level changes); static power over all the time;
/// bytes × energy per byte; level changes × energy per change. Idle PEs of edge tiles and fill/drain
/// cycles spend no dynamic energy (clock-gated).
public struct ArraySimulator: Sendable {
    /// The hardware.
    public var config: ArrayConfig
    /// The MAC.
    public var timing: MACTiming
    /// The work.
    public var workload: Workload
    /// The code width of the format (bits per unpacked weight).
    public var codeBits: Int

    /// A simulator.
    public init(config: ArrayConfig, timing: MACTiming, workload: Workload) {
        self.config = config
        self.timing = timing
        self.workload = workload
        var b = 0
        while (1 << b) < timing.codeCount { b += 1 }
        codeBits = max(1, b)
    }

    /// One tile: its weights' code histogram (`scale` × ``tileHistograms``[hist]).
    struct Tile {
        var gemm: Int, kRows: Int, nCols: Int, hist: Int, scale: Double
        var weights: Int { kRows * nCols }
    }

    /// Every tile of `scheme` in GEMM order (K-tiles outer, N-tiles inner), and the histograms.
    func tiles(_ scheme: Scheme) throws -> (tiles: [[Tile]], histograms: [[Double]]) {
        let r = config.rows, c = config.cols
        var all: [[Tile]] = [], hists: [[Double]] = []
        for (g, gemm) in scheme.gemms.enumerated() {
            let (kt, nt) = gemm.tileCounts(rows: r, cols: c)
            var list: [Tile] = []
            switch gemm.codes {
            case .shares(let s):
                guard s.count == timing.codeCount else { throw HaloError("GEMM '\(gemm.name)': \(s.count) code shares for a \(timing.codeCount)-code MAC") }
                hists.append(s)
                for i in 0 ..< kt { for j in 0 ..< nt {
                    let kr = min(r, gemm.k - i * r), nc = min(c, gemm.n - j * c)
                    list.append(Tile(gemm: g, kRows: kr, nCols: nc, hist: hists.count - 1, scale: Double(kr * nc)))
                } }
            case .tiles(let h):
                guard h.count == kt * nt else { throw HaloError("GEMM '\(gemm.name)': \(h.count) tile histograms for \(kt)×\(nt) tiles of \(r)×\(c)") }
                for i in 0 ..< kt { for j in 0 ..< nt {
                    let kr = min(r, gemm.k - i * r), nc = min(c, gemm.n - j * c)
                    guard h[i * nt + j].count == timing.codeCount else { throw HaloError("GEMM '\(gemm.name)': a tile histogram of \(h[i * nt + j].count) codes") }
                    hists.append(h[i * nt + j])
                    list.append(Tile(gemm: g, kRows: kr, nCols: nc, hist: hists.count - 1, scale: 1))
                } }
            }
            all.append(list)
        }
        return (all, hists)
    }

    /// Rows of the passes over M rows.
    func passRows(_ m: Int) -> [Int] {
        guard m > 0 else { return [] }
        let a = config.accumulatorRows
        return (0 ..< (m + a - 1) / a).map { min(a, m - $0 * a) }
    }

    /// Cycles of one pass of `m` rows.
    public func passCycles(rows m: Int) -> Int {
        (config.overlapWeightLoad ? 0 : config.rows) + (config.rows - 1) + m + (config.cols - 1)
    }

    /// Phases with work: (phase, M, steps, tokens).
    var phaseShapes: [(Phase, Int, Int, Int)] {
        var out: [(Phase, Int, Int, Int)] = []
        let p = workload.prefillTokens * workload.prefillBatch
        if p > 0 { out.append((.prefill, p, 1, p)) }
        if workload.decodeTokens > 0 && workload.decodeBatch > 0 {
            out.append((.decode, workload.decodeBatch, workload.decodeTokens, workload.decodeTokens * workload.decodeBatch))
        }
        return out
    }

    /// Runs `scheme` over the workload.
    public func run(_ scheme: Scheme) throws -> SchemeRun {
        let (tiles, hists) = try tiles(scheme)
        let flat = tiles.flatMap { $0 }
        let (levels, tileLevel) = chooseLevels(scheme, tiles: flat, histograms: hists)
        var levelOf: [[Int]] = []
        var i = 0
        for list in tiles { levelOf.append(Array(tileLevel[i ..< i + list.count])); i += list.count }
        let bits = config.packWeights ? max(1, Int((log2(Double(max(1, scheme.gridLevels)))).rounded(.up))) : codeBits
        // Per-level per-histogram energy per row (MAC cells), fJ, computed once.
        var macPerRow = [[Double]](repeating: [], count: levels.count)
        for (l, lv) in levels.enumerated() { macPerRow[l] = hists.map { timing.energyFJ(corner: lv.corner, histogram: $0) } }
        var current: Int? = nil
        var phases: [PhaseRun] = []
        for (phase, m, steps, tokens) in phaseShapes {
            func step(_ start: Int?) -> (gemms: [GEMMRun], end: Int?) {
                var at = start
                var runs: [GEMMRun] = []
                for (g, gemm) in scheme.gemms.enumerated() {
                    let r = gemmRun(gemm, m: m, tiles: tiles[g], levelOf: levelOf[g], levels: levels, bits: bits,
                                    macPerRow: macPerRow, histograms: hists, at: &at)
                    runs.append(r)
                }
                return (runs, at)
            }
            let first = step(current)
            var time = first.gemms.reduce(0) { $0 + $1.timeNs }
            var energy = EnergyBreakdown()
            for r in first.gemms { energy.add(r.energy) }
            current = first.end
            if steps > 1 {
                // Steps 2…n are alike: each starts where the one before ended.
                let next = step(current)
                let t = next.gemms.reduce(0) { $0 + $1.timeNs }
                var e = EnergyBreakdown()
                for r in next.gemms { e.add(r.energy) }
                time += t * Double(steps - 1)
                energy.add(e, times: Double(steps - 1))
                current = next.end
            }
            let ops = first.gemms.reduce(0) { $0 + $1.macOps } * Double(steps)
            phases.append(PhaseRun(phase: phase, gemms: first.gemms, steps: steps, tokens: tokens, timeNs: time, energy: energy, macOps: ops))
        }
        return SchemeRun(name: scheme.name, weightBits: bits, levels: levels, phases: phases)
    }

    /// One GEMM with `m` rows: passes grouped by level, starting at level `at` when the GEMM uses it.
    func gemmRun(_ gemm: GEMMWeights, m: Int, tiles: [Tile], levelOf: [Int], levels: [DVFSLevel], bits: Int,
                 macPerRow: [[Double]], histograms: [[Double]], at: inout Int?) -> GEMMRun {
        let rows = passRows(m)
        let (kt, nt) = gemm.tileCounts(rows: config.rows, cols: config.cols)
        var order = Array(Set(levelOf)).sorted()
        if let a = at, let i = order.firstIndex(of: a) { order.remove(at: i); order.insert(a, at: 0) }
        var switches = 0, cycles = 0, passes = 0
        var passesPerLevel = [Int](repeating: 0, count: levels.count)
        var computeNs = 0.0, passNs = 0.0
        var e = EnergyBreakdown()
        let vNom = timing.nominalVoltageV
        let leakNW = Double(config.rows * config.cols) * (config.leakagePerMACNW ?? timing.leakagePerMACNW)
        for l in order {
            if at != l { if at != nil { switches += 1 }; at = l }
            let lv = levels[l], v = lv.voltageV / vNom, inputNet = inputNetEnergyFJ(corner: lv.corner)
            for (t, tile) in tiles.enumerated() where levelOf[t] == l {
                for mr in rows {
                    let cyc = passCycles(rows: mr)
                    cycles += cyc
                    passes += 1
                    passesPerLevel[l] += 1
                    let ns = Double(cyc) * lv.clockNs
                    passNs += ns
                    e.macFJ += Double(mr) * tile.scale * macPerRow[l][tile.hist]
                    e.inputNetsFJ += Double(mr) * Double(tile.weights) * inputNet
                    e.leakageFJ += leakNW * v * ns / 1000
                }
            }
        }
        if config.overlapWeightLoad, let first = order.first {
            let ns = Double(config.rows) * levels[first].clockNs
            cycles += config.rows
            passNs += ns
            e.leakageFJ += leakNW * (levels[first].voltageV / vNom) * ns / 1000
        }
        computeNs = passNs + Double(switches) * config.dvfsSwitchNs
        let passesOverM = rows.count
        let weightBytes = (gemm.k * gemm.n * bits + 7) / 8 * passesOverM
        let inputBytes = m * gemm.k * config.activationBytes
        let outputBytes = m * gemm.n * config.outputBytes
        // Activations stay in the buffer between layers when a GEMM's input and output fit in it together.
        let onChip = inputBytes + outputBytes <= config.bufferBytes
        let inputDRAM = onChip ? 0 : (inputBytes <= config.bufferBytes ? inputBytes : inputBytes * nt)
        let dram = weightBytes + inputDRAM + (onChip ? 0 : outputBytes)
        let buffer = inputBytes * nt + outputBytes
        let acc = 2 * m * gemm.n * kt * config.accumulatorBytes
        let dramNs = Double(dram) / config.dramBandwidthGBps
        let bufferNs = config.bufferBandwidthGBps.map { Double(buffer) / $0 } ?? 0
        let time = max(computeNs, dramNs, bufferNs)
        let bound: GEMMRun.Bound = time == computeNs ? .compute : (time == dramNs ? .dram : .buffer)
        e.leakageFJ += leakNW * (time - passNs) / 1000 + config.staticPowerW * time * 1e6
        e.dramFJ = Double(dram) * config.dramEnergyPJPerByte * 1e3
        e.bufferFJ = Double(buffer + acc) * config.bufferEnergyPJPerByte * 1e3
        e.switchFJ = Double(switches) * config.dvfsSwitchNJ * 1e6
        return GEMMRun(name: gemm.name, m: m, k: gemm.k, n: gemm.n, passes: passes, passesPerLevel: passesPerLevel, cycles: cycles,
                       switches: switches, computeNs: computeNs, dramBytes: dram, bufferBytes: buffer, accumulatorBytes: acc,
                       dramNs: dramNs, bufferNs: bufferNs, timeNs: time, bound: bound, macOps: Double(m) * Double(gemm.k) * Double(gemm.n),
                       energy: e)
    }

    /// The input-port nets' energy per MAC operation at corner `j`, fJ: the configuration's
    /// ``ArrayConfig/inputNetEnergyFJ`` (nominal) scaled by (V/V_nom)² when it is set, else the MAC's
    /// (``MACTiming/inputNetEnergyFJ(corner:)``: a per-voltage table's own figure at that voltage).
    public func inputNetEnergyFJ(corner j: Int) -> Double {
        guard let nominal = config.inputNetEnergyFJ else { return timing.inputNetEnergyFJ(corner: j) }
        let v = timing.corners[j].voltageV / timing.nominalVoltageV
        return nominal * v * v
    }

    /// The levels of `scheme` and the level of every tile.
    ///
    /// Without DVFS: one level, the signed-off clock (``MACTiming/referenceDelayNs``) at nominal voltage.
    /// Speed goal: nominal voltage; a tile needs a clock of at least its slowest code's delay; the
    /// ``ArrayConfig/dvfsLevels`` clocks are chosen among the tiles' needs to minimize the total pass
    /// time of the workload (exact: dynamic programming over the sorted distinct needs). Energy goal:
    /// the signed-off clock; a tile needs the lowest corner voltage at which its slowest code meets it
    /// (scanning down from nominal, with that corner's own per-code delays); the levels are chosen among
    /// those voltages to minimize the MACs' and input nets' energy over the workload (same program).
    /// Levels run only at the corners' voltages: with per-voltage tables
    /// (``MACTiming/init(corners:format:leakagePerMACNW:tablePath:)``) a tile that would meet the clock
    /// somewhere between two characterized voltages takes the higher one, as ``CornerDelays`` does.
    func chooseLevels(_ scheme: Scheme, tiles: [Tile], histograms: [[Double]]) -> ([DVFSLevel], [Int]) {
        let nominal = DVFSLevel(corner: 0, voltageV: timing.nominalVoltageV, clockNs: timing.referenceDelayNs)
        guard scheme.dvfs, !tiles.isEmpty else { return ([nominal], [Int](repeating: 0, count: tiles.count)) }
        // Rows each tile streams over the workload, and the cycles that takes.
        var rowsTotal = 0.0, cyclesPerTile = 0.0
        for (_, m, steps, _) in phaseShapes {
            for mr in passRows(m) { rowsTotal += Double(mr * steps); cyclesPerTile += Double(passCycles(rows: mr) * steps) }
        }
        let positive = timing.corners[0].delayNs.filter { $0 > 0 }.min() ?? timing.referenceDelayNs
        switch config.goal {
        case .speed:
            let need = tiles.map { max(positive, timing.maxDelayNs(corner: 0, histogram: histograms[$0.hist])) }
            let values = Array(Set(need)).sorted(by: >)
            let index = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })
            var weight = [Double](repeating: 0, count: values.count)
            for t in tiles.indices { weight[index[need[t]]!] += cyclesPerTile }
            let chosen = Self.partition(groups: values.count, levels: config.dvfsLevels) { q, s in weight[q] * values[s] }
            let levels = chosen.map { DVFSLevel(corner: 0, voltageV: timing.nominalVoltageV, clockNs: values[$0]) }
            return (levels, need.map { n in Self.servingLevel(group: index[n]!, chosen: chosen) })
        case .energy:
            let clock = timing.referenceDelayNs
            let need = tiles.map { t -> Int in
                var j = 0
                while j + 1 < timing.corners.count, timing.maxDelayNs(corner: j + 1, histogram: histograms[t.hist]) <= clock * (1 + 1e-12) { j += 1 }
                return j
            }
            let values = Array(Set(need)).sorted()
            let index = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })
            var groupHist = [[Double]](repeating: [Double](repeating: 0, count: timing.codeCount), count: values.count)
            var groupWeights = [Double](repeating: 0, count: values.count)
            for (t, tile) in tiles.enumerated() {
                let q = index[need[t]]!
                for (c, x) in histograms[tile.hist].enumerated() where x > 0 { groupHist[q][c] += x * tile.scale * rowsTotal }
                groupWeights[q] += Double(tile.weights) * rowsTotal
            }
            let chosen = Self.partition(groups: values.count, levels: config.dvfsLevels) { q, s in
                timing.energyFJ(corner: values[s], histogram: groupHist[q]) + groupWeights[q] * inputNetEnergyFJ(corner: values[s])
            }
            let levels = chosen.map { DVFSLevel(corner: values[$0], voltageV: timing.corners[values[$0]].voltageV, clockNs: clock) }
            return (levels, need.map { n in Self.servingLevel(group: index[n]!, chosen: chosen) })
        }
    }

    /// The chosen level serving `group`: the last chosen group index ≤ it.
    static func servingLevel(group q: Int, chosen: [Int]) -> Int { chosen.lastIndex { $0 <= q }! }

    /// Chooses at most `levels` of `groups` ordered groups (group 0 the most capable; a group can be
    /// served by any chosen group at or before it, the nearest being cheapest) minimizing
    /// Σ_q cost(q, serving(q)). Group 0 is always chosen. Exact: O(levels · groups²).
    public static func partition(groups m: Int, levels: Int, cost: (Int, Int) -> Double) -> [Int] {
        guard m > 0 else { return [] }
        // seg[i][j]: groups i..<j served by i.
        var seg = [[Double]](repeating: [Double](repeating: 0, count: m + 1), count: m)
        for i in 0 ..< m { for j in i + 1 ... m { seg[i][j] = seg[i][j - 1] + cost(j - 1, i) } }
        let L = max(1, min(levels, m))
        // f[l][i]: best cost of groups i..<m with group i chosen and at most l levels.
        var f = [[Double]](repeating: [Double](repeating: .infinity, count: m), count: L + 1)
        var next = [[Int]](repeating: [Int](repeating: m, count: m), count: L + 1)   // where i's segment ends
        var rest = [[Int]](repeating: [Int](repeating: 0, count: m), count: L + 1)   // levels left after it
        for i in 0 ..< m { f[1][i] = seg[i][m] }
        if L >= 2 {
            for l in 2 ... L {
                for i in 0 ..< m {
                    f[l][i] = f[l - 1][i]; next[l][i] = next[l - 1][i]; rest[l][i] = rest[l - 1][i]
                    for j in i + 1 ..< m {
                        let c = seg[i][j] + f[l - 1][j]
                        if c < f[l][i] * (1 - 1e-12) { f[l][i] = c; next[l][i] = j; rest[l][i] = l - 1 }
                    }
                }
            }
        }
        var chosen = [0], i = 0, l = L
        while l >= 1, next[l][i] < m {
            let j = next[l][i]
            chosen.append(j)
            l = rest[l][i]; i = j
        }
        return chosen
    }
}
