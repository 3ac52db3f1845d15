import XCTest
import HaloCore
import HaloQuantization
@testable import HaloAccelerator

/// Per-voltage tables (`halo characterize --corner … --energy`) in the array model: each corner's own
/// delays and energies, and the input-port nets charged once from `input_energy_fj`.
final class CornerTimingTests: XCTestCase {
    /// A 2-bit MAC at 1.2 V and 0.9 V. Voltage does not stretch every code alike (×1.5, ×1.6, ×1.467,
    /// ×1.6); energies are the corners' own, not (V/V_nom)² of the nominal ones.
    static func corner(_ v: Double, delay: [Double], none: Double, energy: [Double], input: Double?) -> CornerTables.Corner {
        CornerTables.Corner(voltageV: v, table: DelayTable(
            unconstrained: DelayTable.Entry(code: -1, delayNs: none, energyFJ: energy.reduce(0, +), inputEnergyFJ: input.map { 2 * $0 }),
            entries: delay.indices.map { DelayTable.Entry(code: $0, delayNs: delay[$0], energyFJ: energy[$0], inputEnergyFJ: input) }))
    }
    static let high = corner(1.2, delay: [1, 2, 3, 4], none: 4, energy: [10, 20, 30, 40], input: 5)
    static let low = corner(0.9, delay: [1.5, 3.2, 4.4, 6.4], none: 6.4, energy: [6, 11, 17, 22], input: 2.5)

    func config(goal: ArrayConfig.Goal, levels: Int) -> ArrayConfig {
        var c = ArrayConfig()
        c.rows = 2; c.cols = 2; c.goal = goal; c.dvfsLevels = levels; c.dvfsSwitchNs = 0; c.dvfsSwitchNJ = 0
        c.packWeights = false; c.dramBandwidthGBps = 1e9; c.bufferBandwidthGBps = nil
        return c
    }

    /// A compute-bound GEMM of the grid {0, 1, 2} on the table of each corner alone: the time ratio is the
    /// ratio of the grid's slowest code in the two tables (4.4 / 3), not the full MAC's (6.4 / 4).
    func testComputeBoundTimeRatioIsTheRatioOfTheGridsSlowestCodes() throws {
        var times: [Double] = []
        for corner in [Self.high, Self.low] {
            let timing = try MACTiming(corners: try CornerTables([corner]), format: .uint(bits: 2))
            let sim = ArraySimulator(config: config(goal: .speed, levels: 1), timing: timing,
                                     workload: Workload(prefillTokens: 4096, prefillBatch: 1, decodeTokens: 0, decodeBatch: 1))
            let gemm = GEMMWeights(name: "g", k: 6, n: 10, codes: .shares([0.5, 0.25, 0.25, 0]))
            let run = try sim.run(Scheme(name: "grid", gridLevels: 3, gemms: [gemm], dvfs: true))
            let p = try XCTUnwrap(run.phase(.prefill))
            XCTAssertTrue(p.gemms.allSatisfy { $0.bound == .compute })
            XCTAssertEqual(run.levels.map(\.clockNs), [corner.table.entries[2].delayNs!])
            times.append(p.timeNs)
        }
        XCTAssertEqual(times[1] / times[0], 4.4 / 3, accuracy: 1e-12)
    }

    /// The energy goal on both corners: a tile whose codes meet the 4 ns clock at 0.9 V runs there, with
    /// 0.9 V's own energies and input-net figure; the other stays at 1.2 V. Hand-computed.
    func testEnergyPerMACAtEachCornerIsThatTablesMix() throws {
        let timing = try MACTiming(corners: try CornerTables([Self.low, Self.high]), format: .uint(bits: 2))
        XCTAssertEqual(timing.corners.map(\.voltageV), [1.2, 0.9])
        XCTAssertEqual(timing.referenceDelayNs, 4)                          // the 1.2 V none row
        XCTAssertEqual(timing.inputNetSource, .tableColumn)
        XCTAssertEqual(timing.corners[1].energyFJ, [6, 11, 17, 22])         // as the table: nothing subtracted
        XCTAssertEqual(timing.corners[1].delayNs, [1.5, 3.2, 4.4, 6.4])     // nothing scaled
        XCTAssertEqual([timing.inputNetEnergyFJ(corner: 0), timing.inputNetEnergyFJ(corner: 1)], [5, 2.5])
        let sim = ArraySimulator(config: config(goal: .energy, levels: 2), timing: timing,
                                 workload: Workload(prefillTokens: 3, prefillBatch: 1, decodeTokens: 0, decodeBatch: 1))
        // Tile 0: codes 0 and 1 (3.2 ns at 0.9 V ≤ 4 ns). Tile 1: code 3 (6.4 ns at 0.9 V): 1.2 V.
        let gemm = GEMMWeights(name: "g", k: 2, n: 4, codes: .tiles([[2, 2, 0, 0], [0, 0, 0, 4]]))
        let run = try sim.run(Scheme(name: "s", gridLevels: 4, gemms: [gemm], dvfs: true))
        XCTAssertEqual(run.levels.map(\.voltageV), [1.2, 0.9])
        XCTAssertEqual(run.levels.map(\.clockNs), [4, 4])
        let g = try XCTUnwrap(run.phase(.prefill)?.gemms.first)
        XCTAssertEqual(g.passesPerLevel, [1, 1])
        // 3 rows × (2·6 + 2·11 at 0.9 V + 4·40 at 1.2 V).
        XCTAssertEqual(g.energy.macFJ, 3 * (2 * 6 + 2 * 11 + 4 * 40))
        // The input nets once per operation, at each tile's voltage: 3 rows × (4 × 2.5 + 4 × 5) — not
        // (0.9/1.2)² × 5 = 2.8125 fJ, and not again inside energy_fj.
        XCTAssertEqual(g.energy.inputNetsFJ, 3 * (4 * 2.5 + 4 * 5))
        XCTAssertEqual(g.macOps, 24)
        // A configured input-net energy overrides the table's (nominal, scaled by (V/V_nom)²).
        var c = config(goal: .energy, levels: 2)
        c.inputNetEnergyFJ = 8
        let overridden = ArraySimulator(config: c, timing: timing, workload: sim.workload)
        XCTAssertEqual(overridden.inputNetEnergyFJ(corner: 1), 8 * 0.75 * 0.75, accuracy: 1e-12)
        let report = AcceleratorReport(config: c, timing: timing, workload: sim.workload,
                                       result: AcceleratorStudy.Result(runs: [run], permutations: [], gridCodes: [0, 1, 3]), source: "test")
        XCTAssertEqual(report.inputNetSource, "config")
    }

    /// Tables without input_energy_fj (`include`): each corner's zero-weight energy is its input-net
    /// estimate, taken out of its codes; corners of different conventions are refused.
    func testIncludeTablesSubtractEachCornersZeroCode() throws {
        let high = Self.corner(1.2, delay: [1, 2, 3, 4], none: 4, energy: [10, 20, 30, 40], input: nil)
        let low = Self.corner(0.9, delay: [1.5, 3.2, 4.4, 6.4], none: 6.4, energy: [6, 11, 17, 22], input: nil)
        let timing = try MACTiming(corners: try CornerTables([high, low]), format: .uint(bits: 2))
        XCTAssertEqual(timing.inputNetSource, .zeroCodeEstimate)
        XCTAssertEqual(timing.corners.map(\.energyFJ), [[0, 10, 20, 30], [0, 5, 11, 16]])
        XCTAssertEqual([timing.inputNetEnergyFJ(corner: 0), timing.inputNetEnergyFJ(corner: 1)], [10, 6])
        XCTAssertThrowsError(try MACTiming(corners: try CornerTables([Self.high, low]), format: .uint(bits: 2), tablePath: "c.csv")) {
            XCTAssertEqual(($0 as? HaloError)?.description,
                           "c.csv: error: the corner at 1.20V takes its input-net energy from the table column but the one at 0.90V from the zero-code estimate; characterize every corner with the same --input-net-energy")
        }
    }

    /// One table with input_energy_fj (`separate`): the column, energy_fj as is; scaled by (V/V_nom)² at
    /// the voltage model's other points.
    func testSingleSeparateTableUsesItsColumn() throws {
        let voltage = VoltageModel.table([.init(voltage: 1.2, frequencyMHz: 100), .init(voltage: 0.6, frequencyMHz: 40)])
        let t = try MACTiming(table: Self.high.table, format: .uint(bits: 2), voltage: voltage)
        XCTAssertEqual(t.inputNetSource, .tableColumn)
        XCTAssertEqual(t.inputNetEnergyFJ, 5)
        XCTAssertEqual(t.corners[0].energyFJ, [10, 20, 30, 40])
        XCTAssertEqual(t.corners[1].energyFJ, [2.5, 5, 7.5, 10])
        XCTAssertEqual(t.corners[1].delayNs, [2.5, 5, 7.5, 10])
        XCTAssertEqual(t.inputNetEnergyFJ(corner: 1), 1.25)
        // Delays alone of corners are not enough for the array (it needs their energies).
        XCTAssertThrowsError(try MACTiming(table: Self.high.table, format: .uint(bits: 2),
                                           voltage: .corners(CornerDelays(try CornerTables([Self.high, Self.low])))))
    }
}
