import Foundation
import XCTest
import HaloTestSupport
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// Parity with upstream OpenSTA on the open-PDK corpus: every weight code of the Yosys-mapped `mac8` and
/// `pe8` (Netlists/pdk) on every library of Fixtures/pdk/CONFIGS.tsv (IHP SG13G2, GF180MCU, ASAP7,
/// sky130hd, Nangate45, and settings with another input slew and output load), against the tables
/// upstream OpenSTA produced (Fixtures/pdk/PROVENANCE.md).
///
/// The libraries are read from `../shared/pdk` beside the checkout (or `$HALO_PDK_DIR`), decompressed
/// into a temporary folder; they are not part of the repository. Without them the test says which
/// configurations it skipped and is skipped.
final class PDKParityTests: XCTestCase {
    /// Largest tolerated |Halo − OpenSTA|, ns.
    let toleranceNs = 0.001

    struct Configuration {
        var id: String
        var netlists: String
        var libraries: [String]
        var loadFF: Double?
        var inputSlewNs: Double?
    }

    static let corpus = TestPaths.fixtures.appendingPathComponent("pdk")

    static func configurations() throws -> [Configuration] {
        let text = try String(contentsOf: corpus.appendingPathComponent("CONFIGS.tsv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Configuration(id: f[0], netlists: f[1], libraries: f[2].split(separator: " ").map(String.init),
                                 loadFF: f.count > 3 ? Double(f[3]) : nil, inputSlewNs: f.count > 4 ? Double(f[4]) : nil)
        }
    }

    func testEveryLibraryOfTheCorpusMatchesOpenSTA() throws {
        let configs = try PDKParityTests.configurations()
        XCTAssertGreaterThanOrEqual(configs.count, 11)
        guard let pdk = TestPaths.pdkFolder else {
            let where_ = ProcessInfo.processInfo.environment["HALO_PDK_DIR"] ?? "../shared/pdk beside the checkout"
            let message = "open-PDK parity skipped (no libraries at \(where_); set HALO_PDK_DIR): "
                + configs.map(\.id).joined(separator: ", ")
            print(message)
            throw XCTSkip(message)
        }
        let libraries = GzipLibraryCache(folder: pdk)
        var summary: [String] = []
        for config in configs {
            let libs = try config.libraries.map { try libraries.library($0) }
            var worst = ParityResult(rows: 0, worstNs: 0, worstAt: "-")
            var rows = 0
            for (design, bus, clock) in [("mac8", "W", nil), ("pe8", "wreg", "clk")] as [(String, String, String?)] {
                var conditions = TimingConditions()
                conditions.clockPort = clock
                if let load = config.loadFF { conditions.outputLoadFF = load }
                if let slew = config.inputSlewNs { conditions.inputSlewNs = slew }
                let netlist = TestPaths.repo.appendingPathComponent("Netlists/pdk/\(config.netlists)/\(design).v").path
                let graph = try makeGraph(netlist: netlist, libraries: libs, top: design, conditions: conditions)
                let reference = PDKParityTests.corpus.appendingPathComponent("\(config.id)/\(design).csv").path
                let r = try compareWithReference(graph: graph, bus: bus, referencePath: reference, label: "\(config.id)/\(design)")
                rows += r.rows
                if r.worstNs >= worst.worstNs { worst = r; worst.worstAt = "\(design) \(r.worstAt)" }
            }
            let line = "parity \(config.id): \(rows) rows, largest |Halo − OpenSTA| = \(String(format: "%.3f", worst.worstNs * 1000)) ps at \(worst.worstAt)"
            print(line)
            summary.append(line)
            XCTAssertLessThanOrEqual(worst.worstNs, toleranceNs, line)
        }
        XCTAssertEqual(summary.count, configs.count)
    }

    /// The corpus covers the five PDKs, the IHP typical corners at both voltages and two settings runs.
    func testCorpusCoversWhatTheIssueAsks() throws {
        let ids = Set(try PDKParityTests.configurations().map(\.id))
        for id in ["ihp-sg13g2-typ-1p20V", "ihp-sg13g2-typ-1p50V", "gf180mcu-7t-tt-1v80", "gf180mcu-7t-tt-3v30",
                   "gf180mcu-7t-tt-5v00", "asap7-rvt-tt", "sky130hd-tt", "nangate45-fast", "nangate45-slow"] {
            XCTAssertTrue(ids.contains(id), id)
        }
        XCTAssertGreaterThanOrEqual(ids.filter { $0.hasSuffix("-slew50ps") }.count, 2)
        XCTAssertGreaterThanOrEqual(ids.filter { $0.hasSuffix("-load3fF") }.count, 2)
        for id in ids {
            for design in ["mac8", "pe8"] {
                let path = PDKParityTests.corpus.appendingPathComponent("\(id)/\(design).csv").path
                XCTAssertTrue(FileManager.default.fileExists(atPath: path), path)
            }
        }
    }
}

/// Reads gzip-compressed libraries of a folder once per test process, decompressed with `gzip -dc`
/// into a temporary folder.
final class GzipLibraryCache: @unchecked Sendable {
    let folder: URL
    private let scratch: URL
    private var cache: [String: LibertyLibrary] = [:]
    private let lock = NSLock()

    init(folder: URL) {
        self.folder = folder
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-pdk-\(ProcessInfo.processInfo.processIdentifier)")
    }

    deinit { try? FileManager.default.removeItem(at: scratch) }

    /// The library at `relativePath` (e.g. `ihp-sg13g2/sg13g2_stdcell_typ_1p20V_25C.lib.gz`).
    func library(_ relativePath: String) throws -> LibertyLibrary {
        lock.lock(); defer { lock.unlock() }
        if let lib = cache[relativePath] { return lib }
        let source = folder.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: source.path) else {
            throw HaloError("\(source.path): no such library (the PDK folder is incomplete)")
        }
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let plain = scratch.appendingPathComponent((source.lastPathComponent as NSString).deletingPathExtension)
        if !FileManager.default.fileExists(atPath: plain.path) {
            FileManager.default.createFile(atPath: plain.path, contents: nil)
            let out = try FileHandle(forWritingTo: plain)
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
            gzip.arguments = ["-dc", source.path]
            gzip.standardOutput = out
            try gzip.run()
            gzip.waitUntilExit()
            try out.close()
            guard gzip.terminationStatus == 0 else { throw HaloError("gzip -dc \(source.path) failed") }
        }
        let lib = try LibertyReader.read(path: plain.path)
        cache[relativePath] = lib
        return lib
    }
}
