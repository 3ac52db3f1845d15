import Foundation
import XCTest

/// `halo characterize --energy` end to end: the columns, the JSON stimulus, activation files, errors.
final class EnergyCLITests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let osu018 = "/usr/share/qflow/tech/osu018/osu018_stdcells.lib"
    static let mac8 = repo.appendingPathComponent("Netlists/osu018/mac8.v").path

    /// The `halo` binary built beside the test bundle.
    static var haloPath: String {
        var dir = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("halo").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        for config in ["release", "debug"] {
            let candidate = repo.appendingPathComponent(".build/\(config)/halo").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "halo"
    }

    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    func halo(_ arguments: [String]) throws -> Outcome { try EnergyCLITests.run(arguments) }

    /// Runs `halo` with `arguments` (for the other CLI test classes too).
    static func run(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EnergyCLITests.haloPath)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                       stderr: String(decoding: e, as: UTF8.self))
    }

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-energy-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Asserts a non-zero exit and exactly one stderr error line equal to `expected`.
    func assertError(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try halo(arguments)
        XCTAssertNotEqual(r.status, 0, "expected failure", file: file, line: line)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        XCTAssertEqual(lines.filter { $0.contains("error:") }, [expected], r.stderr, file: file, line: line)
    }

    /// Rows of a CSV as field arrays (header first).
    func rows(_ csv: String) -> [[String]] {
        csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    func testEnergyColumns() throws {
        let r = try halo(["characterize", EnergyCLITests.mac8, "--liberty", EnergyCLITests.osu018, "--bus", "W",
                          "--codes", "0-7", "--energy", "--vectors", "300"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let table = rows(r.stdout)
        XCTAssertEqual(table.first, ["code", "delay_ns", "startpoint", "endpoint", "energy_fj", "toggles", "input_energy_fj"])
        XCTAssertEqual(table.count, 10)
        XCTAssertEqual(table[1][0], "none")
        let energies = table.dropFirst(2).map { Double($0[4])! }
        let toggles = table.dropFirst(2).map { Double($0[5])! }
        XCTAssertEqual(energies.count, 8)
        XCTAssertEqual(energies.min(), energies[0], "code 0 is the cheapest")
        XCTAssertGreaterThan(Double(table[1][4])!, energies.max()!, "a weight changing every operation costs most")
        XCTAssertTrue(toggles.allSatisfy { $0 > 0 })
        // Same seed, same table; another seed, another.
        let again = try halo(["characterize", EnergyCLITests.mac8, "--liberty", EnergyCLITests.osu018, "--bus", "W",
                              "--codes", "0-7", "--energy", "--vectors", "300", "--seed", "1"])
        XCTAssertEqual(again.stdout, r.stdout)
        let other = try halo(["characterize", EnergyCLITests.mac8, "--liberty", EnergyCLITests.osu018, "--bus", "W",
                              "--codes", "0-7", "--energy", "--vectors", "300", "--seed", "2"])
        XCTAssertNotEqual(other.stdout, r.stdout)
        // Without --energy the table is unchanged.
        let plain = try halo(["characterize", EnergyCLITests.mac8, "--liberty", EnergyCLITests.osu018, "--bus", "W", "--codes", "0-7"])
        XCTAssertEqual(rows(plain.stdout).first, ["code", "delay_ns", "startpoint", "endpoint"])
    }

    func testJSONRecordsTheStimulus() throws {
        let out = scratch.appendingPathComponent("e.json").path
        let r = try halo(["characterize", EnergyCLITests.mac8, "--liberty", EnergyCLITests.osu018, "--bus", "W", "--codes", "3-4",
                          "--energy", "--vectors", "200", "--stimulus", "gaussian:20", "--seed", "7", "--other-inputs", "random",
                          "--glitch", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let stimulus = try XCTUnwrap(json["stimulus"] as? [String: Any])
        XCTAssertEqual(stimulus["kind"] as? String, "gaussian")
        XCTAssertEqual(stimulus["sigma"] as? Double, 20)
        XCTAssertEqual(stimulus["vectors"] as? Int, 200)
        XCTAssertEqual(stimulus["seed"] as? Int, 7)
        XCTAssertEqual(stimulus["activation_bus"] as? String, "A")
        XCTAssertEqual(stimulus["other_inputs"] as? String, "random")
        XCTAssertEqual(stimulus["simulation"] as? String, "glitch")
        XCTAssertEqual(stimulus["supply_voltage_v"] as? Double, 1.8)
        XCTAssertGreaterThan(try XCTUnwrap(stimulus["leakage_nw"] as? Double), 0)
        let codes = try XCTUnwrap(json["codes"] as? [[String: Any]])
        XCTAssertEqual(codes.count, 2)
        XCTAssertGreaterThan(try XCTUnwrap(codes[0]["energy_fj"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(codes[0]["toggles"] as? Double), 0)
        XCTAssertNotNil((json["none"] as? [String: Any])?["energy_fj"])
        // Energy shards merge with their columns and stimulus.
        var shards: [String] = []
        for i in 0..<2 {
            let shard = scratch.appendingPathComponent("s\(i).json").path
            let r = try halo(["characterize", EnergyCLITests.mac8, "--liberty", EnergyCLITests.osu018, "--bus", "W",
                              "--shard", "\(i)/2", "--energy", "--vectors", "64", "-o", shard])
            XCTAssertEqual(r.status, 0, r.stderr)
            shards.append(shard)
        }
        let merged = try halo(["merge"] + shards + ["--format", "json"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let whole = try halo(["characterize", EnergyCLITests.mac8, "--liberty", EnergyCLITests.osu018, "--bus", "W",
                              "--energy", "--vectors", "64", "--format", "json"])
        func withoutPaths(_ s: String) -> String {
            s.split(separator: "\n").filter { !$0.contains("\"netlist\"") && !$0.contains("\"libraries\"") }.joined(separator: "\n")
        }
        XCTAssertEqual(withoutPaths(merged.stdout), withoutPaths(whole.stdout))
    }

    func testActivationFile() throws {
        // A ramp of activations, repeated to 500 vectors.
        let acts = try write("acts.txt", "# a ramp\n" + (-128...127).map(String.init).joined(separator: " ") + "\n")
        let r = try halo(["characterize", EnergyCLITests.mac8, "--liberty", EnergyCLITests.osu018, "--bus", "W", "--codes", "5-5",
                          "--energy", "--activations", acts, "--vectors", "500", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let stimulus = try XCTUnwrap(json["stimulus"] as? [String: Any])
        XCTAssertEqual(stimulus["kind"] as? String, "file")
        XCTAssertEqual(stimulus["file"] as? String, acts)
        XCTAssertEqual(stimulus["vectors"] as? Int, 500)
        // The file's length by default.
        let whole = try halo(["characterize", EnergyCLITests.mac8, "--liberty", EnergyCLITests.osu018, "--bus", "W", "--codes", "5-5",
                              "--energy", "--activations", acts, "--format", "json"])
        let wholeJSON = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(whole.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((wholeJSON["stimulus"] as? [String: Any])?["vectors"] as? Int, 256)
    }

    func testRegisteredPE() throws {
        let pe8 = EnergyCLITests.repo.appendingPathComponent("Netlists/osu018/pe8.v").path
        let r = try halo(["characterize", pe8, "--liberty", EnergyCLITests.osu018, "--bus", "wreg", "--codes", "0-3",
                          "--energy", "--vectors", "256", "--activation-bus", "a_in"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let table = rows(r.stdout)
        XCTAssertEqual(table.count, 6)
        let e = table.dropFirst(2).map { Double($0[4])! }
        XCTAssertEqual(e.min(), e[0])
        // Two input buses of the weight's width (a_in, w_in): a_in is preferred by its name.
        let json = try halo(["characterize", pe8, "--liberty", EnergyCLITests.osu018, "--bus", "wreg", "--codes", "0-3",
                             "--energy", "--vectors", "256", "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["stimulus"] as? [String: Any])?["activation_bus"] as? String, "a_in")
    }

    func testErrors() throws {
        let base = ["characterize", EnergyCLITests.mac8, "--liberty", EnergyCLITests.osu018, "--bus", "W", "--codes", "0-1"]
        try assertError(base + ["--vectors", "100"], "halo: error: --vectors needs --energy")
        try assertError(base + ["--glitch"], "halo: error: --glitch needs --energy")
        try assertError(base + ["--energy", "--vectors", "1"], "halo: error: --vectors '1' is out of range (expected 2 to 100000000)")
        try assertError(base + ["--energy", "--stimulus", "cauchy"],
                        "halo: error: unknown --stimulus 'cauchy' (expected uniform or gaussian[:SIGMA])")
        try assertError(base + ["--energy", "--stimulus", "gaussian:-1"],
                        "halo: error: malformed sigma '-1' in --stimulus (expected e.g. gaussian:32)")
        try assertError(base + ["--energy", "--other-inputs", "noise"],
                        "halo: error: unknown --other-inputs 'noise' (expected zero or random)")
        try assertError(base + ["--energy", "--activation-bus", "Q"],
                        "halo: error: no port or net bus named 'Q' in 'mac8' (ports: A, P, W, Y)")
        let bad = try write("bad.txt", "1 2 3\n4 five 6\n")
        try assertError(base + ["--energy", "--activations", bad],
                        "\(bad):2:3: error: malformed activation 'five' (expected an integer such as -3, 17, 0x2a)")
        let wide = try write("wide.txt", "1 2 300\n")
        try assertError(base + ["--energy", "--activations", wide],
                        "halo: error: activation 300 (value 3 of '\(wide)') does not fit the 8-bit bus 'A' (-128 … 255)")
        // The generic library states no voltage.
        let generic = EnergyCLITests.repo.appendingPathComponent("Netlists/generic/mac8.v").path
        try assertError(["characterize", generic, "--bus", "W", "--codes", "0-1", "--energy"],
                        "halo: error: no supply voltage: the libraries state no nom_voltage; give one (e.g. --vdd 1.8)")
        let ok = try halo(["characterize", generic, "--bus", "W", "--codes", "0-1", "--energy", "--vdd", "1.0"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(rows(ok.stdout).first?.last, "input_energy_fj")
        // The convention: include puts the input-port nets back into energy_fj, and has no separate column.
        let included = try halo(["characterize", generic, "--bus", "W", "--codes", "0-1", "--energy", "--vdd", "1.0", "--input-net-energy", "include"])
        XCTAssertEqual(included.status, 0, included.stderr)
        XCTAssertEqual(rows(included.stdout).first?.last, "toggles")
        for (s, i) in zip(rows(ok.stdout).dropFirst(), rows(included.stdout).dropFirst()) where s.count > 6 {
            XCTAssertEqual(Double(i[4])!, Double(s[4])! + Double(s[6])!, accuracy: 2e-4, "code \(s[0])")
        }
        try assertError(["characterize", generic, "--bus", "W", "--energy", "--vdd", "1.0", "--input-net-energy", "half"],
                        "halo: error: unknown --input-net-energy 'half' (expected separate or include)")
        try assertError(["characterize", generic, "--bus", "W", "--input-net-energy", "include"],
                        "halo: error: --input-net-energy needs --energy")
    }

    func testHelpMentionsEnergy() throws {
        let r = try halo(["characterize", "--help"])
        XCTAssertEqual(r.status, 0)
        for option in ["--energy", "--vectors N", "--activations FILE", "--seed S", "--glitch", "--vdd"] {
            XCTAssertTrue(r.stdout.contains(option), option)
        }
    }
}
