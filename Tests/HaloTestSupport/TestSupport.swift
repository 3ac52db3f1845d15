import Foundation
import XCTest
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// Paths shared by the timing, power and characterization tests.
public enum TestPaths {
    /// The repository root (three levels above this file).
    public static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// OpenSTA's tables and the other timing fixtures (`Tests/HaloTimingTests/Fixtures`).
    public static let fixtures = repo.appendingPathComponent("Tests/HaloTimingTests/Fixtures")
    /// OpenSTA's tables of the reference designs.
    public static let reference = fixtures.appendingPathComponent("reference")

    /// The folder of gzip-compressed open-PDK libraries: `$HALO_PDK_DIR`, else `../shared/pdk` beside the
    /// checkout; nil when absent (tests that need it skip, saying so).
    public static var pdkFolder: URL? {
        let path = ProcessInfo.processInfo.environment["HALO_PDK_DIR"]
            ?? repo.deletingLastPathComponent().appendingPathComponent("shared/pdk").path
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? URL(fileURLWithPath: path) : nil
    }

    /// The Liberty files of Debian's qflow-tech packages (installed by .ci/run).
    public static let liberty: [String: String] = [
        "osu018": "/usr/share/qflow/tech/osu018/osu018_stdcells.lib",
        "osu035": "/usr/share/qflow/tech/osu035/osu035_stdcells.lib",
        "osu05": "/usr/share/qflow/tech/osu050/osu05_stdcells.lib",
    ]
    /// The osu018 cells' Verilog models (for iverilog).
    public static let osu018Models = "/usr/share/qflow/tech/osu018/osu018_stdcells.v"
}

/// Libraries are read once per test process.
public final class LibraryCache: @unchecked Sendable {
    /// The process's cache.
    public static let shared = LibraryCache()
    private let lock = NSLock()
    private var libraries: [String: LibertyLibrary] = [:]

    /// The library `name` (`osu018`, `osu035`, `osu05`), read on first use.
    public func library(_ name: String) throws -> LibertyLibrary {
        lock.lock(); defer { lock.unlock() }
        if let lib = libraries[name] { return lib }
        guard let path = TestPaths.liberty[name] else { throw HaloError("no library \(name)") }
        guard FileManager.default.fileExists(atPath: path) else {
            throw HaloError("\(path) is missing: install Debian's qflow-tech packages (.ci/run does)")
        }
        let lib = try LibertyReader.read(path: path)
        libraries[name] = lib
        return lib
    }
}

/// Builds a timing graph for a netlist file and libraries.
public func makeGraph(netlist: String, libraries: [LibertyLibrary], top: String? = nil,
               conditions: TimingConditions = TimingConditions()) throws -> TimingGraph {
    let design = try VerilogReader.read(paths: [netlist], top: top)
    return try TimingGraph(design: design, libraries: libraries, conditions: conditions)
}

/// The outcome of comparing Halo's delays with an OpenSTA table.
public struct ParityResult {
    /// Rows compared (codes plus `none`).
    public var rows: Int
    /// Largest |Halo − OpenSTA|, ns.
    public var worstNs: Double
    /// Where it occurs, with both values.
    public var worstAt: String

    /// A comparison's outcome: `rows` compared, the largest difference `worstNs` and where it is.
    public init(rows: Int, worstNs: Double, worstAt: String) {
        self.rows = rows
        self.worstNs = worstNs
        self.worstAt = worstAt
    }
}

/// Characterizes `graph` at every code of an OpenSTA table (`code,delay_ns`, first row `none`) and
/// compares; a row where exactly one side has no path is a test failure.
public func compareWithReference(graph: TimingGraph, bus: String, referencePath: String, label: String,
                          file: StaticString = #filePath, line: UInt = #line) throws -> ParityResult {
    let reference = try DelayTable.read(path: referencePath)
    XCTAssertFalse(reference.entries.isEmpty, "\(label): empty reference", file: file, line: line)
    // Sweep the reference's codes as contiguous ranges.
    var ranges: [ClosedRange<Int>] = []
    for e in reference.entries {
        if let last = ranges.last, last.upperBound + 1 == e.code { ranges[ranges.count - 1] = last.lowerBound...e.code }
        else { ranges.append(e.code...e.code) }
    }
    var ours: [Int: Double?] = [:]
    var unconstrained: Double?
    for (k, r) in ranges.enumerated() {
        var request = CharacterizationRequest(busName: bus, codes: r)
        request.includeUnconstrained = k == 0
        let table = try Characterizer.characterize(graph: graph, request: request)
        for e in table.entries { ours[e.code] = e.delayNs }
        if k == 0 { unconstrained = table.unconstrained?.delayNs ?? nil }
    }
    var worstDiff = 0.0
    var worstWhere = "none"
    func compare(_ row: String, _ mine: Double?, _ theirs: Double?) {
        guard let theirs else {
            if mine != nil { XCTFail("\(label) \(row): OpenSTA has no path, Halo \(mine!)", file: file, line: line) }
            return
        }
        guard let mine else { return XCTFail("\(label) \(row): Halo found no path, OpenSTA \(theirs)", file: file, line: line) }
        let d = abs(mine - theirs)
        if d > worstDiff { worstDiff = d; worstWhere = "\(row) (Halo \(String(format: "%.6f", mine)), OpenSTA \(String(format: "%.6f", theirs)))" }
    }
    compare("none", unconstrained, reference.unconstrained?.delayNs ?? nil)
    for e in reference.entries { compare("code \(e.code)", ours[e.code] ?? nil, e.delayNs) }
    return ParityResult(rows: reference.entries.count + 1, worstNs: worstDiff, worstAt: worstWhere)
}

/// Runs a program and returns its exit status.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
