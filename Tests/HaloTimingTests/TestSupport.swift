import Foundation
import XCTest
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// Paths shared by the timing tests.
enum TestPaths {
    /// The repository root (three levels above this file).
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let reference = fixtures.appendingPathComponent("reference")

    /// The Liberty files of Debian's qflow-tech packages (installed by .ci/run).
    static let liberty: [String: String] = [
        "osu018": "/usr/share/qflow/tech/osu018/osu018_stdcells.lib",
        "osu035": "/usr/share/qflow/tech/osu035/osu035_stdcells.lib",
        "osu05": "/usr/share/qflow/tech/osu050/osu05_stdcells.lib",
    ]
    static let osu018Models = "/usr/share/qflow/tech/osu018/osu018_stdcells.v"
}

/// Libraries are read once per test process.
final class LibraryCache: @unchecked Sendable {
    static let shared = LibraryCache()
    private let lock = NSLock()
    private var libraries: [String: LibertyLibrary] = [:]

    func library(_ name: String) throws -> LibertyLibrary {
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
func makeGraph(netlist: String, libraries: [LibertyLibrary], top: String? = nil,
               conditions: TimingConditions = TimingConditions()) throws -> TimingGraph {
    let design = try VerilogReader.read(paths: [netlist], top: top)
    return try TimingGraph(design: design, libraries: libraries, conditions: conditions)
}

/// A deterministic pseudo-random generator (SplitMix64) so that failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
