import Foundation
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloPower

/// One supply voltage of a multi-corner characterization: the Liberty libraries characterized at that
/// voltage (`halo characterize --corner 1.80V=LIB[,LIB…]`).
public struct LibraryCorner: Sendable {
    /// The supply voltage, V (also the V of ½·C·V² in the corner's energy).
    public var voltageV: Double
    /// The libraries, as read.
    public var libraries: [LibertyLibrary]
    /// Their paths, as given (recorded in the corner tables).
    public var paths: [String]

    /// A corner at `voltageV` volts timed with `libraries` (read from `paths`).
    public init(voltageV: Double, libraries: [LibertyLibrary], paths: [String]) {
        self.voltageV = voltageV
        self.libraries = libraries
        self.paths = paths
    }

    /// Parses a `--corner` value: `VOLTAGE=LIB[,LIB…]`, the voltage in volts with or without `V`
    /// (`1.80V`, `1.8`), the libraries comma-separated (gzip-compressed files are read as they are).
    /// - Throws: `HaloError` naming the value when it is malformed.
    public static func parse(_ spec: String) throws -> (voltageV: Double, paths: [String]) {
        guard let eq = spec.firstIndex(of: "=") else {
            throw HaloError("malformed --corner '\(oneLine(spec, limit: 80))' (expected VOLTAGE=LIB[,LIB...], e.g. 1.80V=lib_1v80.lib)")
        }
        let voltageText = String(spec[..<eq])
        guard let v = CornerTables.volts(voltageText) else {
            throw HaloError("malformed voltage '\(oneLine(voltageText, limit: 40))' in --corner '\(oneLine(spec, limit: 80))' (expected a positive number of volts, e.g. 1.80V)")
        }
        let paths = spec[spec.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !paths.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            throw HaloError("--corner '\(oneLine(spec, limit: 80))' names an empty library (expected VOLTAGE=LIB[,LIB...])")
        }
        return (v, paths)
    }
}

/// Characterizes one netlist at several supply voltages: the design is read once and linked to each
/// corner's libraries, and every corner is swept with the same timing engine (and, when asked, the same
/// energy stimulus) as a single-library run.
public enum CornerCharacterizer {
    /// The requests of one corner's sweep, made from that corner's graph (constants name its pins).
    public typealias Requests = (timing: CharacterizationRequest, energy: EnergyRequest?)

    /// Delay (and energy) tables of `design` at every corner.
    ///
    /// - `requests`: builds the sweep's requests from each corner's timing graph (pin indices of case
    ///   constants belong to a graph). An energy request's supply voltage is set to the corner's.
    /// - `progress`: called with the corner being swept, returns the progress callback of its sweeps.
    /// - A library whose `nom_voltage` differs from its corner's voltage by more than 1 mV is warned about
    ///   on `diagnostics` (the voltage is probably mistyped).
    /// - Throws: for two corners at one voltage, and whatever linking or a sweep throws.
    public static func characterize(design: FlatDesign, corners: [LibraryCorner], conditions: TimingConditions,
                                    requests: (TimingGraph) throws -> Requests, diagnostics: DiagnosticSink? = nil,
                                    progress: ((LibraryCorner) -> (@Sendable (Int, Int) -> Void)?)? = nil) throws -> CornerTables {
        var seen = Set<String>()
        for c in corners where !seen.insert(CornerTables.label(c.voltageV)).inserted {
            throw HaloError("two --corner options at \(CornerTables.label(c.voltageV)); give each voltage once")
        }
        var out: [CornerTables.Corner] = []
        for corner in corners {
            for lib in corner.libraries {
                if let nominal = lib.nominalVoltage, abs(nominal - corner.voltageV) > 1e-3 {
                    diagnostics?.warn("library '\(lib.name)' of the \(CornerTables.label(corner.voltageV)) corner states nom_voltage \(nominal) V")
                }
            }
            let graph = try TimingGraph(design: design, libraries: corner.libraries, conditions: conditions, diagnostics: diagnostics)
            let (timing, energy) = try requests(graph)
            let report = progress?(corner)
            var table = try Characterizer.characterize(graph: graph, request: timing, progress: report)
            if var energy {
                energy.supplyVoltageV = corner.voltageV
                let energies = try EnergyCharacterizer.characterize(graph: graph, libraries: corner.libraries, request: energy,
                                                                    progress: report)
                EnergyCharacterizer.annotate(&table, with: energies)
            }
            table.metadata.libraries = corner.paths
            out.append(CornerTables.Corner(voltageV: corner.voltageV, libraries: corner.paths, table: table))
        }
        return try CornerTables(out)
    }
}
