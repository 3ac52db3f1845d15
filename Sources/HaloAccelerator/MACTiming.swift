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
/// PE's pipeline registers; the array charges them once per MAC operation
/// (``inputNetEnergyFJ(corner:)``), never again inside the MAC. Where that energy comes from is
/// ``inputNetSource``: a table characterized with `--input-net-energy separate` (the default) reports
/// it in its `input_energy_fj` column and leaves it out of `energy_fj`, and is used as is; a table
/// without that column (`include`) has it in every code's `energy_fj`, and the constructors estimate it
/// as the zero weight's energy and subtract it from every code.
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
        /// The input-port nets' energy per operation at this voltage, fJ, when it was measured here (a
        /// per-voltage table); nil: the nominal ``MACTiming/inputNetEnergyFJ`` scaled by (V/V_nom)².
        public var inputNetEnergyFJ: Double?

        /// A corner.
        public init(voltageV: Double, delayNs: [Double], energyFJ: [Double], inputNetEnergyFJ: Double? = nil) {
            self.voltageV = voltageV
            self.delayNs = delayNs
            self.energyFJ = energyFJ
            self.inputNetEnergyFJ = inputNetEnergyFJ
        }
    }

    /// Where the input-port nets' energy per operation comes from.
    public enum InputNetSource: String, Sendable, Equatable {
        /// The table's `input_energy_fj` column (`--input-net-energy separate`): `energy_fj` is used as is.
        case tableColumn = "table column"
        /// The zero weight's `energy_fj` (an `include` table, without `input_energy_fj`): subtracted from
        /// every code and charged once per operation instead. Exact up to the internal energy of the
        /// cells those nets feed (a zero weight silences the multiplier; what is left is the activation
        /// nets switching).
        case zeroCodeEstimate = "zero-code estimate"
        /// Given by the caller (``init(corners:referenceDelayNs:inputNetEnergyFJ:leakagePerMACNW:)``, or
        /// the `inputNetEnergyFJ` argument of the table constructor).
        case given
    }

    /// The corners, highest voltage (nominal) first.
    public var corners: [Corner]
    /// The clock period a conventional design of this MAC is signed off at (the table's `none` row, or
    /// its slowest code), ns, at the nominal corner.
    public var referenceDelayNs: Double
    /// Energy of the nets driven by the MAC's input ports per operation at the nominal voltage, fJ;
    /// charged once per MAC operation by the array (see ``inputNetEnergyFJ(corner:)``).
    public var inputNetEnergyFJ: Double
    /// Where ``inputNetEnergyFJ`` (and the corners' own values) come from.
    public var inputNetSource: InputNetSource
    /// Leakage power of one MAC at the nominal voltage, nW (scaled ∝ V at other corners).
    public var leakagePerMACNW: Double
    /// Number of codes (2^bits).
    public var codeCount: Int { corners[0].delayNs.count }
    /// The nominal voltage, V.
    public var nominalVoltageV: Double { corners[0].voltageV }

    /// Timing from explicit corners (sorted here by voltage, highest first). Every corner must have
    /// `codeCount` delays and energies, all finite and non-negative.
    public init(corners: [Corner], referenceDelayNs: Double, inputNetEnergyFJ: Double, leakagePerMACNW: Double,
                inputNetSource: InputNetSource = .given) throws {
        guard let first = corners.first else { throw HaloError("MAC timing needs at least one corner") }
        let n = first.delayNs.count
        for c in corners {
            guard c.delayNs.count == n, c.energyFJ.count == n else {
                throw HaloError("every corner needs \(n) delays and energies (the corner at \(c.voltageV) V has \(c.delayNs.count) and \(c.energyFJ.count))")
            }
            guard c.voltageV.isFinite, c.voltageV > 0, (c.delayNs + c.energyFJ + [c.inputNetEnergyFJ ?? 0]).allSatisfy({ $0.isFinite && $0 >= 0 }) else {
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
        self.inputNetSource = inputNetSource
        self.leakagePerMACNW = leakagePerMACNW
    }

    /// Timing from one delay table characterized at the nominal voltage of `voltage`, with one corner
    /// per voltage ``VoltageModel/candidateVoltages`` lists: each code's delay scaled by
    /// ``VoltageModel/delayScale(atVoltage:)`` and its energy (and the input nets') by (V/V_nom)².
    ///
    /// - `inputNetEnergyFJ`: the input-port net energy per operation at nominal voltage; nil takes the
    ///   table's `input_energy_fj` when it has one (its `energy_fj` then excludes those nets and is used
    ///   as is), else the energy of the code of value 0 (see ``InputNetSource/zeroCodeEstimate``).
    /// - `tableIncludesInputNets`: whether the table's `energy_fj` includes those nets (they are then
    ///   subtracted from every code, clamped at 0, and charged once by the array instead); nil: from the
    ///   table (included exactly when it has no `input_energy_fj`).
    /// - `leakagePerMACNW`: nil takes the table's `leakage_nw` (JSON tables with energy), else 0.
    ///
    /// A table without `energy_fj` is refused, and so are per-voltage corners (use
    /// ``init(corners:format:leakagePerMACNW:tablePath:)``, which takes each voltage's own energies).
    public init(table: DelayTable, format: NumberFormat, voltage: VoltageModel = .defaultModel, inputNetEnergyFJ: Double? = nil,
                tableIncludesInputNets: Bool? = nil, leakagePerMACNW: Double? = nil, tablePath: String = "") throws {
        if case .corners = voltage {
            throw HaloError("the array model takes per-voltage corner tables with their energies (MACTiming(corners:format:)), not their delays alone")
        }
        let (nominal, source, reference) = try Self.corner(table: table, voltageV: voltage.nominalVoltage, format: format,
                                                          inputNetEnergyFJ: inputNetEnergyFJ, includesInputNets: tableIncludesInputNets,
                                                          tablePath: tablePath)
        let vNom = voltage.nominalVoltage
        let corners = voltage.candidateVoltages.map { v -> Corner in
            let k = voltage.delayScale(atVoltage: v), e = (v / vNom) * (v / vNom)
            return Corner(voltageV: v, delayNs: nominal.delayNs.map { $0 * k }, energyFJ: nominal.energyFJ.map { $0 * e })
        }
        try self.init(corners: corners, referenceDelayNs: reference, inputNetEnergyFJ: nominal.inputNetEnergyFJ!,
                      leakagePerMACNW: leakagePerMACNW ?? table.metadata.stimulus?.leakageNW ?? 0, inputNetSource: source)
    }

    /// Timing from per-voltage tables (`halo characterize --corner … --energy`): one corner per
    /// characterized voltage with that voltage's own per-code delays and energies (nothing scaled), the
    /// array's DVFS levels taking only those voltages. The signed-off clock is the highest voltage's
    /// full-MAC delay (its `none` row, else its slowest code). Input-port nets per corner: its
    /// `input_energy_fj` column, or, for tables without one, that corner's zero-weight energy (subtracted
    /// from its codes); every corner must follow the same convention. Leakage: `leakagePerMACNW`, else
    /// the nominal table's `leakage_nw`, else 0 (scaled ∝ V).
    public init(corners tables: CornerTables, format: NumberFormat, leakagePerMACNW: Double? = nil, tablePath: String = "") throws {
        var corners: [Corner] = [], sources: [InputNetSource] = [], reference = 0.0
        for c in tables.corners {
            let (corner, source, ref) = try Self.corner(table: c.table, voltageV: c.voltageV, format: format, inputNetEnergyFJ: nil,
                                                       includesInputNets: nil, tablePath: tablePath,
                                                       what: " at \(CornerTables.label(c.voltageV))")
            if corners.isEmpty { reference = ref }
            corners.append(corner)
            sources.append(source)
        }
        if let k = sources.firstIndex(where: { $0 != sources[0] }) {
            throw HaloError("the corner at \(CornerTables.label(tables.voltages[0])) takes its input-net energy from the \(sources[0].rawValue) but the one at \(CornerTables.label(tables.voltages[k])) from the \(sources[k].rawValue); characterize every corner with the same --input-net-energy",
                            at: tablePath.isEmpty ? nil : SourceLocation(file: tablePath))
        }
        try self.init(corners: corners, referenceDelayNs: reference, inputNetEnergyFJ: corners[0].inputNetEnergyFJ!,
                      leakagePerMACNW: leakagePerMACNW ?? tables.nominal.table.metadata.stimulus?.leakageNW ?? 0, inputNetSource: sources[0])
    }

    /// One table as a corner at `voltageV` with its input-net energy settled (see the constructors), the
    /// source of that energy, and the table's reference delay.
    static func corner(table: DelayTable, voltageV: Double, format: NumberFormat, inputNetEnergyFJ: Double?, includesInputNets: Bool?,
                       tablePath: String, what: String = "") throws -> (Corner, InputNetSource, Double) {
        let location = tablePath.isEmpty ? nil : SourceLocation(file: tablePath)
        let space = try CodeSpace(table: table, format: format, tablePath: tablePath)
        guard space.hasEnergy else {
            throw HaloError("the array model needs a delay table with energy_fj\(what) (run halo characterize --energy)", at: location)
        }
        var delay = [Double](repeating: 0, count: format.codeCount)
        var energy = [Double](repeating: 0, count: format.codeCount)
        var column: [Double] = []
        for e in table.entries where e.code < format.codeCount {
            delay[e.code] = e.delayNs ?? 0
            energy[e.code] = e.energyFJ ?? 0
            if let x = e.inputEnergyFJ { column.append(x) }
        }
        let separate = table.hasInputEnergy
        if separate && column.count != table.entries.filter({ $0.code < format.codeCount }).count {
            throw HaloError("the table\(what) gives input_energy_fj for some codes but not all", at: location)
        }
        let includes = includesInputNets ?? !separate
        // The input nets are the activation and partial-sum ports: the same switching under every held
        // weight, so every code reports the same figure (their mean, should a table differ).
        let inputNets: Double, source: InputNetSource
        if let given = inputNetEnergyFJ {
            (inputNets, source) = (given, .given)
        } else if separate {
            let same = column.allSatisfy { $0 == column[0] }
            (inputNets, source) = (same ? column[0] : column.reduce(0, +) / Double(column.count), .tableColumn)
        } else {
            (inputNets, source) = (space.levels.first { $0.value == 0 }?.energyFJ ?? 0, .zeroCodeEstimate)
        }
        if includes { energy = energy.map { max(0, $0 - inputNets) } }
        return (Corner(voltageV: voltageV, delayNs: delay, energyFJ: energy, inputNetEnergyFJ: inputNets), source, space.referenceDelayNs)
    }

    /// The input-port nets' energy per operation at corner `j`, fJ: the corner's own measurement, else
    /// the nominal one scaled by (V/V_nom)².
    public func inputNetEnergyFJ(corner j: Int) -> Double {
        let v = corners[j].voltageV / nominalVoltageV
        return corners[j].inputNetEnergyFJ ?? inputNetEnergyFJ * v * v
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
    /// nominal down to Vt + 0.1 V, a table's points, or the characterized corners (delays at each are
    /// ``delayScale(atVoltage:)``: between points a level takes the higher one).
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
            return c.voltages
        }
    }
}
