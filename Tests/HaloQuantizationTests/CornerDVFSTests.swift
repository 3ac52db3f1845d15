import Foundation
import Testing
import HaloCore
import HaloQuantization

/// Upstream OpenSTA's tables of the Yosys-mapped mac8 (Tests/HaloTimingTests/Fixtures/pdk, see its
/// PROVENANCE.md): the real per-voltage delays the DVFS plan's corners are built from here.
let pdkFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("HaloTimingTests/Fixtures/pdk")

/// DVFS with per-voltage tables (`--corners`): levels use each voltage's own per-code delays; compared with
/// a voltage model (alpha-power law, voltage/frequency table) that agrees with them on the full MAC.
@Suite struct CornerDVFSTests {
    static let ihp: [(Double, String)] = [(1.5, "ihp-sg13g2-typ-1p50V"), (1.2, "ihp-sg13g2-typ-1p20V")]
    static let gf180: [(Double, String)] = [(5.0, "gf180mcu-7t-tt-5v00"), (3.3, "gf180mcu-7t-tt-3v30"), (1.8, "gf180mcu-7t-tt-1v80")]

    /// Corner tables of OpenSTA's per-voltage tables.
    static func corners(_ ids: [(Double, String)]) throws -> CornerTables {
        try CornerTables(ids.map { v, id in
            .init(voltageV: v, libraries: [id], table: try DelayTable.read(path: pdkFixtures.appendingPathComponent("\(id)/mac8.csv").path))
        })
    }

    /// A selector over a 64×64 Gaussian matrix (16×32 tiles) on the nominal corner's table.
    static func selector(_ tables: CornerTables) throws -> GridSelector {
        let space = try CodeSpace(table: tables.nominal.table, format: .int(bits: 8), tablePath: "nominal")
        let w = WeightTensor(name: "w", shape: [64, 64], values: SyntheticWeights.generate(.gaussian, count: 64 * 64, seed: 7).values)
        var options = SelectorOptions()
        options.scaleGridPointsPerOctave = 3
        options.goldenIterations = 10
        return GridSelector(problem: try QuantizationProblem(tensors: [w], granularity: .channel, tile: TileShape(rows: 16, cols: 32)),
                            space: space, options: options)
    }

    /// Budgets: every code; the largest delay of the table whose codes all meet the reference clock at the
    /// lowest corner where some code does; the smallest budget that admits `k` codes.
    static func budgets(_ tables: CornerTables, space: CodeSpace, k: Int) -> [Double] {
        let nominal = tables.nominal.table
        let ref = space.referenceDelayNs
        for low in tables.corners.dropFirst().reversed().map(\.table) {
            let fitting = space.distinctDelays.last { b in
                nominal.entries.indices.allSatisfy { i in (nominal.entries[i].delayNs ?? 0) > b + 1e-12 || (low.entries[i].delayNs ?? 0) <= ref }
            }
            if let fitting { return Array(Set([space.distinctDelays.last!, fitting, space.smallestBudget(admitting: k)])).sorted(by: >) }
        }
        return [space.distinctDelays.last!]
    }

    /// Per-voltage tables from two libraries of the same cells give a delay ratio equal to the ratio of
    /// their tables: every code, and every level of a plan (its grid's slowest code at its voltage over
    /// its slowest at nominal), to the last bit.
    @Test(arguments: [ihp, gf180]) func levelsUseEachVoltagesOwnDelays(ids: [(Double, String)]) throws {
        let tables = try CornerDVFSTests.corners(ids)
        let delays = CornerDelays(tables)
        let nominal = tables.nominal.table
        for k in tables.corners.indices {
            let t = tables.corners[k].table
            for (e, n) in zip(t.entries, nominal.entries) {
                #expect(delays.delayNs(code: e.code, corner: k) == (e.delayNs ?? 0))
                if let d = e.delayNs, let dn = n.delayNs {
                    #expect(delays.delayNs(code: e.code, corner: k) / delays.delayNs(code: e.code, corner: 0) == d / dn)
                }
            }
        }
        let selector = try CornerDVFSTests.selector(tables)
        var options = DVFSOptions()
        options.goal = .energy
        options.errorSlack = 2
        options.voltage = .corners(delays)
        options.budgetsNs = CornerDVFSTests.budgets(tables, space: selector.space, k: 4)
        let plan = try DVFSPlanner.plan(selector: selector, levels: 4, options: options)
        let ref = selector.space.referenceDelayNs
        #expect(plan.energyRatio < 1, "some tiles run below the nominal voltage")
        for level in plan.levels {
            // The lowest corner at which every code of the grid, at that corner's own delay, meets the clock.
            let worst = tables.corners.map { c in level.grid.map { g in c.table.entries.first { $0.code == g.code }!.delayNs ?? 0 }.max()! }
            let k = tables.corners.indices.last { worst[$0] <= ref * (1 + 1e-12) }!
            #expect(level.voltage == tables.corners[k].voltageV)
            #expect(level.delayAtVoltageNs == worst[k])
            #expect(level.delayAtVoltageNs / level.maxDelayNs == worst[k] / worst[0])
            #expect(level.delayAtVoltageNs <= level.clockNs)
        }
    }

    /// The alpha-power law (and the voltage/frequency table of the corners) made to agree with the corners
    /// on the full MAC's frequency at every characterized voltage, against the corners' own delays.
    ///
    /// What holds: (1) the full MAC, and so every code, is never slower at a corner than the model says
    /// the full MAC is there; (2) for any grid, the real slowest delay at V over the model's claim lies
    /// between the smallest and the largest per-code ratio of the grid over the full MAC's ratio; (3) the
    /// plan with corner tables is never slower than the reference clock at any level. What does not hold:
    /// the model's claim for a fast grid — short paths slow down more than the full MAC's at a lower
    /// voltage (IHP: up to 2.2 % more, GF180 at 1.8 V: 7.3 %), so the model's plan can put a level at a
    /// voltage where its grid misses the clock.
    @Test(arguments: [ihp, gf180]) func againstAModelAgreeingOnTheFullMAC(ids: [(Double, String)]) throws {
        let tables = try CornerDVFSTests.corners(ids)
        let delays = CornerDelays(tables)
        let nominal = tables.nominal.table
        let full = tables.corners.map { CornerTables.referenceDelayNs($0.table)! }
        // The voltage/frequency table generated from the corners agrees on the full MAC by construction.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-vf-\(UUID().uuidString).csv")
        try tables.voltageFrequencyCSV().write(to: scratch, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let vf = try VoltageModel.read(path: scratch.path)
        // An alpha-power law through the lowest corner: Vt solved for k(V_low) = full ratio (alpha 1.3).
        let vn = tables.voltages[0], vl = tables.voltages.last!, target = full.last! / full[0]
        var lo = 0.0, hi = vl - 1e-6
        for _ in 0 ..< 200 {
            let vt = (lo + hi) / 2
            let k = (vl / pow(vl - vt, 1.3)) / (vn / pow(vn - vt, 1.3))
            if k < target { lo = vt } else { hi = vt }
        }
        let alpha = VoltageModel.alphaPower(nominal: vn, threshold: (lo + hi) / 2, alpha: 1.3, step: 0.01)
        #expect(abs(alpha.delayScale(atVoltage: vl) / target - 1) < 1e-9)
        for k in tables.corners.indices {
            #expect(abs(vf.delayScale(atVoltage: tables.voltages[k]) / (full[k] / full[0]) - 1) < 1e-6)   // 6 decimals of MHz
            // (1) every code no slower than the full MAC at that corner, as the model claims for it.
            #expect(tables.corners[k].table.entries.allSatisfy { ($0.delayNs ?? 0) <= full[k] })
        }
        // (2) the bound, on every single code and on grids of the K fastest codes for K = 1 … 64.
        let byDelay = nominal.entries.filter { $0.delayNs != nil }.sorted { $0.delayNs! < $1.delayNs! }
        var grids = byDelay.map { [$0.code] }
        for n in 1 ... 64 { grids.append(byDelay.prefix(n).map(\.code)) }
        var worstOvershoot = 0.0
        for k in tables.corners.indices.dropFirst() {
            let fullRatio = full[k] / full[0]
            for codes in grids {
                let real = codes.map { delays.delayNs(code: $0, corner: k) }.max()!
                let claim = codes.map { delays.delayNs(code: $0, corner: 0) }.max()! * fullRatio
                let ratios = codes.map { delays.delayNs(code: $0, corner: k) / delays.delayNs(code: $0, corner: 0) }
                #expect(real / claim <= ratios.max()! / fullRatio * (1 + 1e-12))
                #expect(real / claim >= ratios.min()! / fullRatio * (1 - 1e-12))
                worstOvershoot = max(worstOvershoot, real / claim - 1)
            }
        }
        // The claim is not an upper bound: some fast grid is slower than the model says.
        #expect(worstOvershoot > 0.01)
        // (3) the plans: corners meet the clock at every level; the model's levels are checked against the
        // corners' delays where they sit at a characterized voltage.
        let selector = try CornerDVFSTests.selector(tables)
        var options = DVFSOptions()
        options.goal = .energy
        options.errorSlack = 2
        options.budgetsNs = CornerDVFSTests.budgets(tables, space: selector.space, k: 4)
        options.voltage = .corners(delays)
        let real = try DVFSPlanner.plan(selector: selector, levels: 4, options: options)
        options.voltage = vf
        let modelled = try DVFSPlanner.plan(selector: selector, levels: 4, options: options)
        var lines: [String] = []
        for level in real.levels { #expect(level.delayAtVoltageNs <= level.clockNs * (1 + 1e-12)) }
        for level in modelled.levels {
            let k = try #require(tables.corners.firstIndex { abs($0.voltageV - level.voltage) < 1e-9 })
            let actual = delays.maxDelayNs(of: level.grid, corner: k)
            lines.append(String(format: "%.2f V: claimed %.4f ns, actual %.4f ns (clock %.4f ns)", level.voltage, level.delayAtVoltageNs, actual, level.clockNs))
        }
        print("\(ids.map(\.1).joined(separator: "/")): largest overshoot of the full-MAC scaling on fast grids \(String(format: "%.2f", worstOvershoot * 100)) %; corner plan energy \(String(format: "%.4f", real.energyRatio)), model plan claims \(String(format: "%.4f", modelled.energyRatio)); model levels: \(lines.joined(separator: "; "))")
    }
}

