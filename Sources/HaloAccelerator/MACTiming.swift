import Foundation
import HaloCore
import HaloQuantization

/// What one MAC costs under each weight code at each supply voltage it can run at: the data the array
/// model consumes, independent of how it was measured.
///
/// A ``Corner`` is one supply voltage with the delay and energy of every code at that voltage; codes
/// are indexed by their bus code (`0 ..< codeCount`). Corner 0 is the nominal corner (the highest
/// voltage, where the delay table was characterized); the array's signed-off clock is
/// ``referenceDelayNs`` at that corner.
///
/// **Energy convention.** ``Corner/energyFJ`` is the energy of the MAC's own cells per operation,
/// *without* the nets driven by the MAC's input ports (OpenSTA's `report_power` convention). In a
/// systolic array those nets (the activation and partial-sum inputs) are driven by the neighbouring
/// PE's pipeline registers; the array charges them once per MAC operation as
/// ``inputNetEnergyFJ`` (at the nominal voltage, scaled by (V/V_nom)²), never again inside the MAC.
/// A table from `halo characterize --energy` includes them in every code's `energy_fj`; the
/// constructor from a table removes them (see ``init(table:format:voltage:inputNetEnergyFJ:tableIncludesInputNets:leakagePerMACNW:)``).
public struct MACTiming: Sendable {
    /// One supply voltage and every code's delay and energy there.
    public struct Corner: Sendable, Equatable {
        /// Supply voltage, V.
        public var voltageV: Double
        /// Critical-path delay of each code at this voltage, ns (index = bus code; 0 for a code with no
        /// path, and for a code the table lacks, which is never used).
        public var delayNs: [Double]
        /// Energy of one MAC operation with each code held, at this voltage, fJ, without the input-port
        /// nets (see ``MACTiming``).
        public var energyFJ: [Double]

        /// A corner.
        public init(voltageV: Double, delayNs: [Double], energyFJ: [Double]) {
            self.voltageV = voltageV
            self.delayNs = delayNs
            self.energyFJ = energyFJ
        }
    }

    /// The corners, highest voltage (nominal) first.
    public var corners: [Corner]
    /// The clock period a conventional design of this MAC is signed off at (the table's `none` row, or
    /// its slowest code), ns, at the nominal corner.
    public var referenceDelayNs: Double
    /// Energy of the nets driven by the MAC's input ports per operation at the nominal voltage, fJ;
    /// charged once per MAC operation by the array (scaled by (V/V_nom)² at a corner).
    public var inputNetEnergyFJ: Double
    /// Leakage power of one MAC at the nominal voltage, nW (scaled ∝ V at other corners).
    public var leakagePerMACNW: Double
    /// Number of codes (2^bits).
    public var codeCount: Int { corners[0].delayNs.count }
    /// The nominal voltage, V.
    public var nominalVoltageV: Double { corners[0].voltageV }

    /// Timing from explicit corners (sorted here by voltage, highest first). Every corner must have
    /// `codeCount` delays and energies, all finite and non-negative.
    public init(corners: [Corner], referenceDelayNs: Double, inputNetEnergyFJ: Double, leakagePerMACNW: Double) throws {
        guard let first = corners.first else { throw HaloError("MAC timing needs at least one corner") }
        let n = first.delayNs.count
        for c in corners {
            guard c.delayNs.count == n, c.energyFJ.count == n else {
                throw HaloError("every corner needs \(n) delays and energies (the corner at \(c.voltageV) V has \(c.delayNs.count) and \(c.energyFJ.count))")
            }
            guard c.voltageV.isFinite, c.voltageV > 0, (c.delayNs + c.energyFJ).allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw HaloError("the corner at \(c.voltageV) V has a voltage, delay or energy that is not a finite non-negative number")
            }
        }
        guard referenceDelayNs.isFinite, referenceDelayNs > 0 else { throw HaloError("reference delay must be positive, found \(referenceDelayNs)") }
        guard inputNetEnergyFJ.isFinite, inputNetEnergyFJ >= 0, leakagePerMACNW.isFinite, leakagePerMACNW >= 0 else {
            throw HaloError("input-net energy and leakage must be finite and non-negative")
        }
        self.corners = corners.sorted { $0.voltageV > $1.voltageV }
        self.referenceDelayNs = referenceDelayNs
        self.inputNetEnergyFJ = inputNetEnergyFJ
        self.leakagePerMACNW = leakagePerMACNW
    }

    /// Timing from one delay table characterized at the nominal voltage of `voltage`, with one corner
    /// per voltage ``VoltageModel/candidateVoltages`` lists: each code's delay scaled by
    /// ``VoltageModel/delayScale(atVoltage:)`` and its energy by (V/V_nom)².
    ///
    /// - `inputNetEnergyFJ`: the input-port net energy per operation at nominal voltage; nil takes the
    ///   energy of the code of value 0 (a zero weight silences the multiplier, so what is left is the
    ///   activation nets switching: exact up to the internal energy of the cells those nets feed).
    /// - `tableIncludesInputNets`: the table's `energy_fj` includes those nets (Halo's tables do); they
    ///   are then subtracted from every code (clamped at 0) and charged once by the array instead.
    /// - `leakagePerMACNW`: nil takes the table's `leakage_nw` (JSON tables with energy), else 0.
    ///
    /// A table without `energy_fj` is refused.
    public init(table: DelayTable, format: NumberFormat, voltage: VoltageModel = .defaultModel, inputNetEnergyFJ: Double? = nil,
                tableIncludesInputNets: Bool = true, leakagePerMACNW: Double? = nil, tablePath: String = "") throws {
        let space = try CodeSpace(table: table, format: format, tablePath: tablePath)
        guard space.hasEnergy else {
            throw HaloError("the array model needs a delay table with energy_fj (run halo characterize --energy)", at: tablePath.isEmpty ? nil : SourceLocation(file: tablePath))
        }
        var delay = [Double](repeating: 0, count: format.codeCount)
        var energy = [Double](repeating: 0, count: format.codeCount)
        for e in table.entries where e.code < format.codeCount {
            delay[e.code] = e.delayNs ?? 0
            energy[e.code] = e.energyFJ ?? 0
        }
        let zero = space.levels.first { $0.value == 0 }?.energyFJ ?? 0
        let inputNets = inputNetEnergyFJ ?? zero
        if tableIncludesInputNets { energy = energy.map { max(0, $0 - inputNets) } }
        let vNom = voltage.nominalVoltage
        let corners = voltage.candidateVoltages.map { v -> Corner in
            let k = voltage.delayScale(atVoltage: v), e = (v / vNom) * (v / vNom)
            return Corner(voltageV: v, delayNs: delay.map { $0 * k }, energyFJ: energy.map { $0 * e })
        }
        try self.init(corners: corners, referenceDelayNs: space.referenceDelayNs, inputNetEnergyFJ: inputNets,
                      leakagePerMACNW: leakagePerMACNW ?? table.metadata.stimulus?.leakageNW ?? 0)
    }

    /// The slowest delay at corner `j` over the codes with a positive count in `histogram`, ns.
    public func maxDelayNs(corner j: Int, histogram: [Double]) -> Double {
        let d = corners[j].delayNs
        var m = 0.0
        for c in histogram.indices where histogram[c] > 0 && d[c] > m { m = d[c] }
        return m
    }

    /// Σ count × energy at corner `j` (MAC cells only), fJ, for one operation of every weight of `histogram`.
    public func energyFJ(corner j: Int, histogram: [Double]) -> Double {
        let e = corners[j].energyFJ
        var s = 0.0
        for c in histogram.indices where histogram[c] > 0 { s += histogram[c] * e[c] }
        return s
    }
}

extension VoltageModel {
    /// The voltages a DVFS level may take, highest (nominal) first: the alpha-power law's steps from
    /// nominal down to Vt + 0.1 V, the table's points, or the characterized corners.
    public var candidateVoltages: [Double] {
        switch self {
        case .alphaPower(let vn, let vt, _, let step):
            var out: [Double] = []
            var v = vn
            while v >= vt + 0.1 - 1e-12 { out.append((v * 1e6).rounded() / 1e6); v -= step }
            return out
        case .table(let points):
            return points.map(\.voltage).sorted(by: >)
        case .corners(let c):
            return c.voltages.sorted(by: >)
        }
    }
}
