import Foundation
import HaloCore

/// The per-code delays of each characterized supply voltage, as a DVFS plan uses them
/// (``VoltageModel/corners(_:)``, `halo quantize --corners FILE`).
///
/// A level at voltage V runs its grid with the delays of V's own table: its slowest code at V is the
/// slowest of the grid's codes in that column — no single factor scales the nominal table, since
/// voltage does not stretch every code alike. Levels run only at characterized voltages: between two
/// corners a level takes the higher one (no interpolation, which would guess a delay no library states).
public struct CornerDelays: Sendable, Equatable {
    /// The characterized voltages, highest (nominal) first, V.
    public let voltages: [Double]
    /// The full MAC's delay at each voltage (the `none` row, or the slowest code), ns.
    public let referenceDelaysNs: [Double]
    /// Per corner, the delay of every code with a path, ns (codes without a path are absent).
    let delays: [[Int: Double]]
    /// Codes of the tables (with or without a path).
    let codes: Set<Int>

    /// The delays of `tables`.
    public init(_ tables: CornerTables) {
        voltages = tables.voltages
        referenceDelaysNs = tables.corners.map { CornerTables.referenceDelayNs($0.table) ?? 0 }
        delays = tables.corners.map { c in
            Dictionary(uniqueKeysWithValues: c.table.entries.compactMap { e in e.delayNs.map { (e.code, $0) } })
        }
        codes = Set(tables.nominal.table.entries.map(\.code))
    }

    /// The nominal voltage (the highest), V.
    public var nominalVoltage: Double { voltages[0] }

    /// The delay of `code` at corner `k` (0 when no path exists under it), ns.
    public func delayNs(code: Int, corner k: Int) -> Double { delays[k][code] ?? 0 }

    /// The slowest code of `grid` at corner `k` (0 when none of its codes has a path), ns.
    public func maxDelayNs(of grid: [CodeLevel], corner k: Int) -> Double {
        grid.reduce(0) { max($0, delayNs(code: $1.code, corner: k)) }
    }

    /// The lowest characterized voltage at which every code of `grid` meets `clockNs` (within 1e-12
    /// relative), and the grid's slowest delay there; the nominal voltage when no lower one does.
    public func lowestVoltage(grid: [CodeLevel], clockNs: Double) -> (voltage: Double, delayNs: Double) {
        var best = (voltages[0], maxDelayNs(of: grid, corner: 0))
        for k in voltages.indices.dropFirst() {
            let d = maxDelayNs(of: grid, corner: k)
            if d <= clockNs * (1 + 1e-12) { best = (voltages[k], d) }
        }
        return best
    }

    /// Checks that the corner tables time every code of `space` and agree with its delays at the
    /// nominal voltage (within 0.5 ps, beyond the float rounding of a table's six decimals); `what`
    /// names the corner file in messages.
    public func check(covers space: CodeSpace, what: String) throws {
        for level in space.levels {
            guard codes.contains(level.code) else {
                throw HaloError("code \(level.code) of the delay table is not in the corner tables", file: what)
            }
            let nominal = delayNs(code: level.code, corner: 0)
            guard abs(nominal - level.delayNs) <= 5e-4 else {
                throw HaloError(String(format: "code %d takes %.6f ns in the delay table but %.6f ns at the corner tables' nominal %@; give the table of the highest corner", level.code, level.delayNs, nominal, CornerTables.label(voltages[0])),
                                file: what)
            }
        }
    }
}
