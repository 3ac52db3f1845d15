import Foundation
import HaloCore
import HaloQuantization

/// INT8, INT4, the K fastest codes and the HALO grid run on one array, as ratios to INT8.
///
/// **Schemes.** `int8 (all codes)`: every code, one level at the signed-off clock and nominal voltage
/// (a conventional design; every ratio is against it). The format's other baselines (``CodeSpace/baselines(levels:)``:
/// INT4 in the low bits, INT4 in the high bits, the K fastest codes) and the HALO grid: each with the
/// array's DVFS levels chosen for its tiles. With a model folder the HALO grid's tiles are the model's
/// codes; the baselines (and, without a model, the HALO grid too) assume every tile holds its grid's
/// codes in the proportions of Gaussian weights quantized to that grid with one scale per channel
/// (65,536 weights, seed 1, as `halo select` without `--weights`), so every tile's slowest code is
/// the grid's. `--reorder` adds the HALO grid with output channels reordered (``ChannelPermutation``).
public enum AcceleratorStudy {
    /// Where the weights come from.
    public enum Weights: Sendable {
        /// A quantized model folder.
        case model(QuantizedModelCodes)
        /// GEMM shapes and the HALO grid's codes.
        case shapes([GEMMShapesFile.Shape], grid: [Int])
    }

    /// The result.
    public struct Result: Sendable {
        /// The runs, INT8 first.
        public var runs: [SchemeRun]
        /// Channel permutations (with reordering).
        public var permutations: [ChannelPermutation]
        /// The HALO grid's codes.
        public var gridCodes: [Int]
        /// With reordering: output channels of the reordered producers, and how many of them hold no
        /// code as slow as the grid's slowest (only those can make a tile faster).
        public var reorderedChannels = 0, fastChannels = 0
    }

    /// Runs every scheme.
    public static func run(space: CodeSpace, timing: MACTiming, config: ArrayConfig, workload: Workload, weights: Weights,
                           reorder: Bool) throws -> Result {
        let sim = ArraySimulator(config: config, timing: timing, workload: workload)
        let shapes: [(name: String, k: Int, n: Int)]
        let gridCodes: [Int]
        switch weights {
        case .model(let m):
            guard m.format == space.format else { throw HaloError("the model's codes are \(m.format), but the table is read as \(space.format)", at: SourceLocation(file: m.path)) }
            shapes = m.matrices.map { ($0.name, $0.k, $0.n) }
            gridCodes = m.gridCodes
        case .shapes(let s, let g):
            shapes = s.map { ($0.name, $0.k, $0.n) }
            gridCodes = g
        }
        let grid = try gridCodes.map { c -> CodeLevel in
            guard let l = space.level(ofCode: c) else { throw HaloError("grid code \(c) is not a usable code of the table") }
            return l
        }
        let k = grid.count
        func sharesScheme(_ name: String, _ levels: [CodeLevel], dvfs: Bool) -> Scheme {
            let s = gaussianShares(levels: levels, space: space)
            return Scheme(name: name, gridLevels: levels.count, gemms: shapes.map { GEMMWeights(name: $0.name, k: $0.k, n: $0.n, codes: .shares(s)) }, dvfs: dvfs)
        }
        let baselines = space.baselines(levels: k)
        var schemes = [sharesScheme(baselines[0].name, baselines[0].levels, dvfs: false)]
        for b in baselines.dropFirst() { schemes.append(sharesScheme(b.name, b.levels, dvfs: true)) }
        var permutations: [ChannelPermutation] = []
        var channels = 0, fast = 0
        switch weights {
        case .shapes:
            schemes.append(sharesScheme("halo grid", grid, dvfs: true))
        case .model(let m):
            schemes.append(Scheme(name: "halo grid", gridLevels: k, gemms: m.matrices.map {
                GEMMWeights(name: $0.name, k: $0.k, n: $0.n, codes: .tiles(m.tileHistograms($0, rows: config.rows, cols: config.cols)))
            }, dvfs: true))
            if reorder {
                let slowest = grid.map { timing.corners[0].delayNs[$0.code] }.max() ?? 0
                (permutations, channels, fast) = reorderings(m, delayNs: timing.corners[0].delayNs, gridMaxDelayNs: slowest)
                var outputOrder: [String: [Int]] = [:], inputOrder: [String: [Int]] = [:]
                for p in permutations {
                    for name in p.producers { outputOrder[name] = p.permutation }
                    inputOrder[p.consumer] = p.permutation
                }
                schemes.append(Scheme(name: "halo grid, reordered", gridLevels: k, gemms: m.matrices.map {
                    GEMMWeights(name: $0.name, k: $0.k, n: $0.n, codes: .tiles(m.tileHistograms($0, rows: config.rows, cols: config.cols,
                                                                                               outputOrder: outputOrder[$0.name], inputOrder: inputOrder[$0.name])))
                }, dvfs: true))
            }
        }
        return Result(runs: try schemes.map { try sim.run($0) }, permutations: permutations, gridCodes: gridCodes,
                      reorderedChannels: channels, fastChannels: fast)
    }

    /// The permutation of every producer/consumer group (``ChannelPermutation/groups(names:)``): slow
    /// channels first, a channel's slowness its slowest code over every producer. Also counts the
    /// channels, and those whose slowest code is faster than `gridMaxDelayNs`.
    public static func reorderings(_ model: QuantizedModelCodes, delayNs: [Double], gridMaxDelayNs: Double)
        -> (permutations: [ChannelPermutation], channels: Int, fastChannels: Int) {
        let byName = Dictionary(uniqueKeysWithValues: model.matrices.map { ($0.name, $0) })
        var channels = 0, fast = 0
        let permutations = ChannelPermutation.groups(names: model.matrices.map(\.name)).compactMap { g -> ChannelPermutation? in
            let producers = g.producers.compactMap { byName[$0] }
            guard let first = producers.first, producers.allSatisfy({ $0.n == first.n }), byName[g.consumer]?.k == first.n else { return nil }
            var key = [Double](repeating: 0, count: first.n)
            for p in producers { for (i, d) in model.rowMaxDelays(p, delayNs: delayNs).enumerated() { key[i] = max(key[i], d) } }
            channels += key.count
            fast += key.filter { $0 < gridMaxDelayNs - CodeSpace.delayResolutionNs }.count
            return ChannelPermutation(producers: g.producers, consumer: g.consumer, permutation: ChannelPermutation.slowestFirst(rowMaxDelayNs: key))
        }
        return (permutations, channels, fast)
    }

    /// Share of each code when 65,536 Gaussian weights (seed 1, 256 rows of 256) are quantized to
    /// `levels` with one fitted scale per row.
    public static func gaussianShares(levels: [CodeLevel], space: CodeSpace) -> [Double] {
        let g = SyntheticWeights.generate(.gaussian, count: 1 << 16, seed: 1)
        let w = WeightTensor(name: "gaussian", shape: [256, 256], values: g.values)
        var shares = [Double](repeating: 0, count: space.format.codeCount)
        guard let problem = try? QuantizationProblem(tensors: [w], granularity: .channel, threads: 1) else { return shares }
        let selector = GridSelector(problem: problem, space: space)
        let q = selector.quantize(Assignment(selector.fit(levels: levels)))
        for t in q { for c in t.codes { shares[Int(c)] += 1 } }
        let total = shares.reduce(0, +)
        return shares.map { $0 / total }
    }
}
