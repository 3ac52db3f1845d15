import XCTest
import HaloCore
import HaloQuantization
@testable import HaloAccelerator

/// A 2-bit MAC at one voltage: code c has delay c+1 ns and energy 100·(c+1) fJ.
func fourCodeTiming(inputNetFJ: Double = 10, leakageNW: Double = 1000) throws -> MACTiming {
    try MACTiming(corners: [.init(voltageV: 1, delayNs: [1, 2, 3, 4], energyFJ: [100, 200, 300, 400])],
                  referenceDelayNs: 4, inputNetEnergyFJ: inputNetFJ, leakagePerMACNW: leakageNW)
}

final class ArraySimulatorTests: XCTestCase {
    /// One GEMM worked by hand: a 4×4 array, K = 6, N = 5, M = 3 (2×2 tiles of 4×4, 4×1, 2×4, 2×1).
    func testOneGEMMMatchesHandComputation() throws {
        var c = ArrayConfig()
        c.rows = 4; c.cols = 4; c.accumulatorRows = 100
        c.dramBandwidthGBps = 2; c.bufferBandwidthGBps = 8; c.bufferBytes = 32
        c.dramEnergyPJPerByte = 100; c.bufferEnergyPJPerByte = 10
        c.packWeights = false; c.overlapWeightLoad = false; c.staticPowerW = 0
        let timing = try fourCodeTiming()
        let sim = ArraySimulator(config: c, timing: timing, workload: Workload(prefillTokens: 3, prefillBatch: 1, decodeTokens: 0, decodeBatch: 1))
        // Tiles (kTile, nTile): (0,0) 16 weights of code 1; (0,1) 4 of code 3; (1,0) 8 of code 0; (1,1) one of code 2, one of code 3.
        let hist: [[Double]] = [[0, 16, 0, 0], [0, 0, 0, 4], [8, 0, 0, 0], [0, 0, 1, 1]]
        let gemm = GEMMWeights(name: "g", k: 6, n: 5, codes: .tiles(hist))
        let run = try sim.run(Scheme(name: "int2", gridLevels: 4, gemms: [gemm], dvfs: false))
        XCTAssertEqual(run.levels, [DVFSLevel(corner: 0, voltageV: 1, clockNs: 4)])
        let g = try XCTUnwrap(run.phase(.prefill)?.gemms.first)
        // Cycles a pass: load R=4, fill R−1=3, stream M=3, drain C−1=3 → 13; 4 tiles, one pass each.
        XCTAssertEqual(g.passes, 4)
        XCTAssertEqual(g.cycles, 52)
        XCTAssertEqual(g.computeNs, 208)                  // 52 × 4 ns
        // DRAM: weights ⌈6·5·2 bits / 8⌉ = 8; inputs 3·6 = 18 and outputs 3·5 = 15 do not fit the 32-byte buffer
        // together: the inputs (which fit alone) are read once, the outputs written.
        XCTAssertEqual(g.dramBytes, 41)
        XCTAssertEqual(g.dramNs, 20.5)                    // 41 B / 2 B/ns
        // Buffer: inputs once per tile column (18 × 2) + outputs 15; accumulators 2 · 3 · 5 · 2 K-tiles · 4 B.
        XCTAssertEqual(g.bufferBytes, 51)
        XCTAssertEqual(g.bufferNs, 6.375)
        XCTAssertEqual(g.accumulatorBytes, 240)
        XCTAssertEqual(g.timeNs, 208)
        XCTAssertEqual(g.bound, .compute)
        XCTAssertEqual(g.switches, 0)
        // Energy, fJ. MACs: 3 rows × (16·200 + 4·400 + 8·100 + 300 + 400) = 3 × 6300.
        XCTAssertEqual(g.energy.macFJ, 18900)
        XCTAssertEqual(g.energy.inputNetsFJ, 900)         // 3 rows × 30 weights × 10 fJ
        XCTAssertEqual(g.energy.leakageFJ, 3328)          // 16 MACs × 1000 nW × 208 ns = 3.328e6 nW·ns = 3328 fJ
        XCTAssertEqual(g.energy.dramFJ, 4_100_000)        // 41 B × 100 pJ
        XCTAssertEqual(g.energy.bufferFJ, 2_910_000)      // (51 + 240) B × 10 pJ
        XCTAssertEqual(g.energy.switchFJ, 0)
        XCTAssertEqual(g.energy.totalFJ, 7_033_128)
        XCTAssertEqual(g.macOps, 90)

        // A buffer holding both: the activations stay on chip, only the weights move. A buffer holding
        // neither: the inputs are read once per tile column (2), 8 + 36 + 15.
        for (bytes, dram) in [(1 << 20, 8), (10, 59)] {
            var d = c
            d.bufferBytes = bytes
            let r = try ArraySimulator(config: d, timing: timing, workload: sim.workload).run(Scheme(name: "int2", gridLevels: 4, gemms: [gemm], dvfs: false))
            XCTAssertEqual(r.phase(.prefill)?.gemms.first?.dramBytes, dram)
        }
    }

    /// Two schemes that differ only in the MAC clock the tiles need (2 ns against 1 ns).
    func clockPair(m: Int, dramGBps: Double) throws -> (slow: SchemeRun, fast: SchemeRun, config: ArrayConfig) {
        var c = ArrayConfig()
        c.dramBandwidthGBps = dramGBps
        c.bufferBandwidthGBps = 1e6
        c.packWeights = false
        let timing = try MACTiming(corners: [.init(voltageV: 1, delayNs: [1, 2], energyFJ: [1, 1])], referenceDelayNs: 2,
                                   inputNetEnergyFJ: 0, leakagePerMACNW: 0)
        let sim = ArraySimulator(config: c, timing: timing, workload: Workload(prefillTokens: m, prefillBatch: 1, decodeTokens: 0, decodeBatch: 1))
        let shapes = [(512, 384), (256, 640), (128, 128)]
        func scheme(_ shares: [Double], dvfs: Bool) -> Scheme {
            Scheme(name: dvfs ? "fast" : "slow", gridLevels: 2, gemms: shapes.map { GEMMWeights(name: "g\($0.0)", k: $0.0, n: $0.1, codes: .shares(shares)) }, dvfs: dvfs)
        }
        return (try sim.run(scheme([0.5, 0.5], dvfs: false)), try sim.run(scheme([1, 0], dvfs: true)), c)
    }

    func testComputeBoundGEMMGainsTheGridSpeedup() throws {
        let (slow, fast, c) = try clockPair(m: 4096, dramGBps: 1000)
        let s = try XCTUnwrap(slow.phase(.prefill)), f = try XCTUnwrap(fast.phase(.prefill))
        XCTAssertTrue(s.gemms.allSatisfy { $0.bound == .compute })
        XCTAssertTrue(f.gemms.allSatisfy { $0.bound == .compute })
        XCTAssertEqual(fast.levels.map(\.clockNs), [1])
        let switches = f.gemms.reduce(0) { $0 + $1.switches }
        // The grid halves the clock period: time halves, up to the DVFS switching time.
        XCTAssertLessThanOrEqual(abs(f.timeNs - s.timeNs / 2), Double(switches) * c.dvfsSwitchNs + 1e-9)
        XCTAssertEqual(s.timeNs / f.timeNs, 2, accuracy: 1e-12)
    }

    func testMemoryBoundGEMMGainsNothingFromAFasterClock() throws {
        let (slow, fast, _) = try clockPair(m: 1, dramGBps: 1)
        let s = try XCTUnwrap(slow.phase(.prefill)), f = try XCTUnwrap(fast.phase(.prefill))
        XCTAssertTrue(s.gemms.allSatisfy { $0.bound == .dram })
        XCTAssertTrue(f.gemms.allSatisfy { $0.bound == .dram })
        XCTAssertEqual(f.timeNs, s.timeNs)
        // …and the faster clock still stalls on the same bytes: same DRAM time, GEMM by GEMM.
        XCTAssertEqual(f.gemms.map(\.dramNs), s.gemms.map(\.dramNs))
    }

    /// The level program against every subset of candidate clocks.
    func testLevelPartitionIsOptimal() {
        var rng = SplitMix64(seed: 7)
        for _ in 0 ..< 200 {
            let m = Int(rng.next() % 7) + 1, levels = Int(rng.next() % 4) + 1
            let clocks = (0 ..< m).map { _ in Double(rng.next() % 1000) + 1 }.sorted(by: >)
            let weight = (0 ..< m).map { _ in Double(rng.next() % 100) }
            let cost = { (q: Int, s: Int) in weight[q] * clocks[s] }
            let chosen = ArraySimulator.partition(groups: m, levels: levels, cost: cost)
            func total(_ set: [Int]) -> Double { (0 ..< m).reduce(0.0) { sum, q in sum + cost(q, set.last { $0 <= q }!) } }
            var best = Double.infinity
            for mask in 0 ..< (1 << m) where mask & 1 == 1 && mask.nonzeroBitCount <= levels {
                best = min(best, total((0 ..< m).filter { mask >> $0 & 1 == 1 }))
            }
            XCTAssertLessThanOrEqual(chosen.count, levels)
            XCTAssertEqual(chosen.first, 0)
            XCTAssertEqual(total(chosen), best, accuracy: 1e-9 * max(1, best))
        }
    }

    /// Tiles with different slowest codes get different levels under the speed goal, and a level change
    /// costs the configured time and energy.
    func testDVFSLevelsAndSwitchCost() throws {
        var c = ArrayConfig()
        c.rows = 2; c.cols = 2; c.dvfsLevels = 2; c.dvfsSwitchNs = 50; c.dvfsSwitchNJ = 3
        c.packWeights = false; c.dramBandwidthGBps = 1e6; c.bufferBandwidthGBps = 1e6
        let timing = try fourCodeTiming(inputNetFJ: 0, leakageNW: 0)
        let sim = ArraySimulator(config: c, timing: timing, workload: Workload(prefillTokens: 10, prefillBatch: 1, decodeTokens: 0, decodeBatch: 1))
        // Two tiles along N: the first holds code 3 (4 ns), the second only code 0 (1 ns).
        let gemm = GEMMWeights(name: "g", k: 2, n: 4, codes: .tiles([[0, 0, 0, 4], [4, 0, 0, 0]]))
        let run = try sim.run(Scheme(name: "s", gridLevels: 4, gemms: [gemm], dvfs: true))
        XCTAssertEqual(run.levels.map(\.clockNs), [4, 1])
        let g = try XCTUnwrap(run.phase(.prefill)?.gemms.first)
        XCTAssertEqual(g.passesPerLevel, [1, 1])
        XCTAssertEqual(g.switches, 1)
        let cycles = 2 + 1 + 10 + 1                            // load, fill, stream, drain
        XCTAssertEqual(g.computeNs, Double(cycles) * 4 + Double(cycles) * 1 + 50)
        XCTAssertEqual(g.energy.switchFJ, 3_000_000)
    }

    /// The energy goal keeps the signed-off clock and lowers the supply of tiles whose slowest code
    /// has slack; the MAC energy scales by (V/V_nom)².
    func testEnergyGoalLowersTheVoltageOfFastTiles() throws {
        var c = ArrayConfig()
        c.rows = 2; c.cols = 2; c.goal = .energy; c.packWeights = false
        let table = DelayTable(unconstrained: DelayTable.Entry(code: 0, delayNs: 4),
                               entries: (0 ..< 4).map { DelayTable.Entry(code: $0, delayNs: Double($0 + 1), energyFJ: 100 * Double($0 + 1)) })
        let voltage = VoltageModel.table([.init(voltage: 1.0, frequencyMHz: 100), .init(voltage: 0.5, frequencyMHz: 50)])
        let timing = try MACTiming(table: table, format: .uint(bits: 2), voltage: voltage, inputNetEnergyFJ: 0, tableIncludesInputNets: false)
        XCTAssertEqual(timing.corners.map(\.voltageV), [1.0, 0.5])
        XCTAssertEqual(timing.corners[1].delayNs, [2, 4, 6, 8])   // half the frequency: twice the delay
        XCTAssertEqual(timing.corners[1].energyFJ, [25, 50, 75, 100])
        let sim = ArraySimulator(config: c, timing: timing, workload: Workload(prefillTokens: 1, prefillBatch: 1, decodeTokens: 0, decodeBatch: 1))
        // Tile 0: codes 0 and 1 (2 ns): 4 ns at 0.5 V meets the 4 ns clock. Tile 1: code 3 needs 1.0 V.
        let gemm = GEMMWeights(name: "g", k: 2, n: 4, codes: .tiles([[2, 2, 0, 0], [0, 0, 0, 4]]))
        let run = try sim.run(Scheme(name: "s", gridLevels: 4, gemms: [gemm], dvfs: true))
        XCTAssertEqual(run.levels.map(\.voltageV), [1.0, 0.5])
        XCTAssertEqual(run.levels.map(\.clockNs), [4, 4])
        let g = try XCTUnwrap(run.phase(.prefill)?.gemms.first)
        let expected: Double = 2 * 25 + 2 * 50 + 4 * 400   // tile 0 at 0.5 V, tile 1 at 1.0 V, one row
        XCTAssertEqual(g.energy.macFJ, expected)
    }
}

final class MACTimingTests: XCTestCase {
    /// A Halo table's energies include the input-port nets; the constructor charges them once, apart.
    func testInputNetsAreTakenOutOfEveryCodeAndChargedOnce() throws {
        let table = DelayTable(unconstrained: nil,
                               entries: (0 ..< 4).map { DelayTable.Entry(code: $0, delayNs: Double($0 + 1), energyFJ: 100 * Double($0 + 1)) })
        let t = try MACTiming(table: table, format: .uint(bits: 2), voltage: .table([.init(voltage: 1.2, frequencyMHz: 10)]))
        XCTAssertEqual(t.inputNetEnergyFJ, 100)                  // the zero weight's energy
        XCTAssertEqual(t.corners.map(\.energyFJ), [[0, 100, 200, 300]])
        XCTAssertEqual(t.referenceDelayNs, 4)                    // no none row: the slowest code
        let given = try MACTiming(table: table, format: .uint(bits: 2), voltage: .table([.init(voltage: 1.2, frequencyMHz: 10)]),
                                  inputNetEnergyFJ: 30, tableIncludesInputNets: false)
        XCTAssertEqual(given.corners[0].energyFJ, [100, 200, 300, 400])
        XCTAssertEqual(given.inputNetEnergyFJ, 30)
        let noEnergy = DelayTable(unconstrained: nil, entries: [DelayTable.Entry(code: 0, delayNs: 1)])
        XCTAssertThrowsError(try MACTiming(table: noEnergy, format: .uint(bits: 2), tablePath: "t.csv")) {
            XCTAssertEqual(($0 as? HaloError)?.description, "t.csv: error: the array model needs a delay table with energy_fj (run halo characterize --energy)")
        }
    }

    /// Alpha-power corners: nominal first, 10 mV steps down to Vt + 0.1 V, delays stretched by the law.
    func testAlphaPowerCorners() throws {
        let law = VoltageModel.alphaPower(nominal: 1.8, threshold: 0.45, alpha: 1.3, step: 0.01)
        let v = law.candidateVoltages
        XCTAssertEqual(v.first, 1.8)
        XCTAssertEqual(v.last, 0.55)
        XCTAssertEqual(v.count, 126)
        XCTAssertEqual(law.delayScale(atVoltage: 1.8), 1)
        // At 0.9 V: (0.9 / 0.45^1.3) / (1.8 / 1.35^1.3) = 0.5 · 3^1.3.
        XCTAssertEqual(law.delayScale(atVoltage: 0.9), 0.5 * pow(3, 1.3), accuracy: 1e-12)
        // A table: its points, highest first; between two points a level takes the higher (no interpolation).
        let table = VoltageModel.table([.init(voltage: 0.8, frequencyMHz: 60), .init(voltage: 1.0, frequencyMHz: 100)])
        XCTAssertEqual(table.candidateVoltages, [1.0, 0.8])
        XCTAssertEqual(table.delayScale(atVoltage: 0.8), 100.0 / 60, accuracy: 1e-12)
        XCTAssertEqual(table.delayScale(atVoltage: 0.9), 1)
    }
}
