import Foundation
import XCTest
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization
import HaloGenerators

/// One row of Netlists/variants/MANIFEST.tsv.
struct CorpusEntry: Sendable {
    var file: String
    var top: String
    var buses: String
    var weightBus: String
    var width: Int
    var signed: String
    var format: String
    var multiplier: String
    var adder: String
    var accumulatorWidth: Int
    var accumulate: Bool
    var registered: Bool
    var cellTypes: String
    var cells: Int
    var generator: String
    var mapping: String

    var isMapped: Bool { file.hasPrefix("osu018/") }
    var path: String { VariantPaths.corpus.appendingPathComponent(file).path }

    var behaviour: MACBehaviour {
        MACBehaviour(width: width, accumulatorWidth: accumulatorWidth, signed: signed != "no",
                     format: MACBehaviour.Format(rawValue: format) ?? .int, accumulate: accumulate, registered: registered)
    }

    /// The MACSpec of the `generator` column (`halo generate mac --multiplier … --adder … …`).
    func spec() throws -> MACSpec {
        let words = generator.split(separator: " ").map(String.init)
        guard words.starts(with: ["halo", "generate", "mac"]) else { throw HaloError("generator '\(generator)'") }
        var spec = MACSpec(multiplier: .array)
        var i = 3
        func next() throws -> String {
            i += 1
            guard i < words.count else { throw HaloError("generator '\(generator)': missing value") }
            return words[i]
        }
        while i < words.count {
            switch words[i] {
            case "--multiplier": spec.multiplier = MultiplierArchitecture(rawValue: try next())!
            case "--adder": spec.adder = AdderArchitecture(rawValue: try next())!
            case "--width": spec.width = Int(try next())!
            case "--signed": spec.signed = true
            case "--unsigned": spec.signed = false
            case "--format": spec.format = MACNumberFormat(rawValue: try next())!
            case "--acc-width": spec.accumulatorWidth = Int(try next())!
            case "--registered": spec.registered = true
            case "--no-accumulate": spec.accumulate = false
            case "--top": spec.moduleName = try next()
            default: throw HaloError("generator '\(generator)': unknown word '\(words[i])'")
            }
            i += 1
        }
        return spec
    }

    static func load() throws -> [CorpusEntry] {
        let url = VariantPaths.corpus.appendingPathComponent("MANIFEST.tsv")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines.first?.split(separator: "\t").map(String.init) ?? []
        let expected = ["file", "top", "buses", "weight_bus", "width", "signed", "format", "multiplier", "adder", "acc_width",
                        "accumulate", "registered", "cell_types", "cells", "generator", "mapping"]
        guard header == expected else { throw HaloError("MANIFEST.tsv header \(header), expected \(expected)") }
        return try lines.dropFirst().map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == expected.count, let width = Int(f[4]), let acc = Int(f[9]), let cells = Int(f[13]) else {
                throw HaloError("malformed MANIFEST.tsv line: \(line)")
            }
            return CorpusEntry(file: f[0], top: f[1], buses: f[2], weightBus: f[3], width: width, signed: f[5], format: f[6],
                               multiplier: f[7], adder: f[8], accumulatorWidth: acc, accumulate: f[10] == "yes",
                               registered: f[11] == "yes", cellTypes: f[12], cells: cells, generator: f[14], mapping: f[15])
        }
    }

    /// The timing graph: osu018 netlists with the osu018 Liberty file, generic ones with the embedded library.
    func graph() throws -> TimingGraph {
        let design = try VerilogReader.read(paths: [path], top: top)
        return try TimingGraph(design: design, libraries: isMapped ? [try OSU018.shared.library()] : [])
    }
}

/// Runs `body` for every element on all cores; results in input order.
final class ResultBox<R>: @unchecked Sendable {
    var results: [R?]
    let lock = NSLock()
    init(_ n: Int) { results = .init(repeating: nil, count: n) }
}

func parallelMap<T: Sendable, R: Sendable>(_ items: [T], _ body: @Sendable (T) -> R) -> [R] {
    let box = ResultBox<R>(items.count)
    DispatchQueue.concurrentPerform(iterations: items.count) { i in
        let r = body(items[i])
        box.lock.lock(); box.results[i] = r; box.lock.unlock()
    }
    return box.results.map { $0! }
}

/// The committed corpus Netlists/variants: complete, up to date with the generator, and every netlist computing
/// its MAC — exhaustively over all A×W for widths ≤ 8, on 100,000 random vectors at 16 bits (FP16/BF16: with
/// special values, subnormals and cancelling addends mixed in) — and agreeing with iverilog on a sample.
final class CorpusTests: XCTestCase {
    static let entries: Result<[CorpusEntry], Error> = Result { try CorpusEntry.load() }

    func testManifestCoversEveryVariant() throws {
        let entries = try CorpusTests.entries.get()
        let files = Set(entries.map(\.file))
        XCTAssertEqual(files.count, entries.count, "duplicate files in MANIFEST.tsv")
        var missing: [String] = []
        for width in [4, 8] {
            for (mult, signed) in GeneratorTests.integerKinds {
                for adder in AdderArchitecture.allCases {
                    let name = MACSpec(multiplier: mult, adder: adder, width: width, signed: signed).defaultModuleName
                    for lib in ["generic", "osu018"] where !files.contains("\(lib)/\(name).v") { missing.append("\(lib)/\(name).v") }
                }
            }
        }
        for mult in [MultiplierArchitecture.array, .wallace, .dadda, .booth4] {
            for adder in AdderArchitecture.allCases {
                let name = MACSpec(multiplier: mult, adder: adder, width: 8, format: .e4m3).defaultModuleName
                for lib in ["generic", "osu018"] where !files.contains("\(lib)/\(name).v") { missing.append("\(lib)/\(name).v") }
            }
        }
        for (mult, signed) in [(MultiplierArchitecture.array, false), (.booth4, true)] {
            let name = MACSpec(multiplier: mult, adder: .ripple, width: 16, signed: signed).defaultModuleName
            for lib in ["generic", "osu018"] where !files.contains("\(lib)/\(name).v") { missing.append("\(lib)/\(name).v") }
        }
        for format in [MACNumberFormat.fp16, .bf16] {
            for mult in [MultiplierArchitecture.array, .booth4] {
                let name = MACSpec(multiplier: mult, adder: .koggeStone, width: 16, format: format).defaultModuleName
                for lib in ["generic", "osu018"] where !files.contains("\(lib)/\(name).v") { missing.append("\(lib)/\(name).v") }
            }
        }
        XCTAssertEqual(missing, [], "variants missing from the corpus")
        XCTAssertTrue(entries.contains { $0.registered && $0.isMapped }, "no registered variant")
        XCTAssertTrue(entries.contains { !$0.accumulate && $0.isMapped }, "no plain multiplier")
        for e in entries {
            XCTAssertTrue(FileManager.default.fileExists(atPath: e.path), "\(e.file) is listed but missing")
            XCTAssertEqual(e.weightBus, e.registered ? "wreg" : "W", e.file)
        }
        // Every file in the directories is listed.
        for lib in ["generic", "osu018"] {
            let dir = VariantPaths.corpus.appendingPathComponent(lib).path
            for f in try FileManager.default.contentsOfDirectory(atPath: dir) where !files.contains("\(lib)/\(f)") {
                XCTFail("\(lib)/\(f) is not in MANIFEST.tsv")
            }
        }
    }

    /// The generic netlists are exactly what `MACGenerator` writes for the manifest's command, and the manifest's
    /// cell counts and buses are those of the files.
    func testGenericNetlistsAreTheGeneratorsOutputAndManifestIsAccurate() throws {
        let entries = try CorpusTests.entries.get()
        for e in entries where !e.isMapped {
            let spec = try e.spec()
            let generated = try MACGenerator.generate(spec)
            let text = try String(contentsOfFile: e.path, encoding: .utf8)
            XCTAssertTrue(text == generated.verilog, "\(e.file) differs from '\(e.generator)': run Netlists/variants/regenerate.sh")
            XCTAssertEqual(e.top, generated.module)
            XCTAssertEqual(e.cells, generated.cellCount, e.file)
            XCTAssertEqual(e.accumulatorWidth, spec.resolvedAccumulatorWidth, e.file)
            XCTAssertEqual(e.buses, spec.ports.map { "\($0.name):\($0.width)" }.joined(separator: " "), e.file)
        }
        for e in entries where e.isMapped {
            XCTAssertTrue(e.mapping.contains("abc -liberty"), e.file)
            XCTAssertTrue(entries.contains { !$0.isMapped && $0.top == e.top && $0.generator == e.generator }, "\(e.file) has no generic source")
        }
    }

    func testEveryCorpusNetlistComputesItsMAC() throws {
        let entries = try CorpusTests.entries.get()
        XCTAssertGreaterThan(entries.count, 0)
        _ = try OSU018.shared.library()
        struct Result: Sendable { var file: String; var cells: Int; var outcome: MACSimulator.Outcome?; var error: String? }
        let start = Date()
        let results = parallelMap(entries) { e -> Result in
            do {
                let graph = try e.graph()
                let sim = try MACSimulator(graph: graph, behaviour: e.behaviour)
                let exhaustive = e.width <= 8
                let outcome = sim.check(exhaustive: exhaustive, count: 100_000, seed: UInt64(e.top.utf8.reduce(5381) { ($0 &* 33) &+ UInt64($1) }))
                return Result(file: e.file, cells: graph.instanceCount, outcome: outcome)
            } catch {
                return Result(file: e.file, cells: 0, error: "\(error)")
            }
        }
        var vectors = 0, mismatches = 0
        for (e, r) in zip(entries, results) {
            if let error = r.error { XCTFail("\(r.file): \(error)"); continue }
            let o = r.outcome!
            XCTAssertEqual(r.cells, e.cells, "\(e.file): cells in the file vs MANIFEST.tsv")
            XCTAssertEqual(o.vectors, e.width <= 8 ? 1 << (2 * e.width) : 100_000, e.file)
            XCTAssertEqual(o.mismatches, 0, "\(e.file): \(o.mismatches) of \(o.vectors) vectors wrong; first: \(o.firstMismatch ?? "")")
            vectors += o.vectors
            mismatches += o.mismatches
        }
        print(String(format: "CorpusTests: %d netlists, %d vectors (all A×W pairs up to 8 bits, 100,000 random at 16), %d mismatches, %.1f s",
                     entries.count, vectors, mismatches, Date().timeIntervalSince(start)))
    }

    /// A sample of vectors per netlist through iverilog (osu018 cell models for the mapped netlists, Yosys's
    /// simcells.v for the generic ones) agrees with Halo's evaluator and with the arithmetic.
    func testCorpusAgreesWithIverilog() throws {
        let entries = try CorpusTests.entries.get()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/iverilog") else {
            throw HaloError("iverilog is missing (apt-get install iverilog)")
        }
        _ = try OSU018.shared.library()
        let script = VariantPaths.corpus.appendingPathComponent("sim/simulate.sh").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("halo-variants-iverilog-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let start = Date()
        let failures = parallelMap(entries) { e -> [String] in
            do {
                let b = e.behaviour
                var rng = SplitMix64(seed: UInt64(e.cells))
                // Corners (0, 1, max, min of each operand) then random vectors: 64 in all; floating point: 512
                // vectors with special values, subnormals and cancelling addends (FloatVectors).
                let corners: [UInt128] = [0, 1, (1 << UInt128(b.width)) - 1, 1 << UInt128(b.width - 1)]
                let count = b.floatLayout == nil ? 64 : 512
                var av: [UInt128] = [], wv: [UInt128] = [], pv: [UInt128] = []
                for i in 0..<count {
                    if b.floatLayout != nil {
                        let v = b.randomVector(&rng)
                        av.append(v.a); wv.append(v.w); pv.append(v.p)
                        continue
                    }
                    av.append(i < 16 ? corners[i % 4] : rng.bits(b.width))
                    wv.append(i < 16 ? corners[i / 4] : rng.bits(b.width))
                    pv.append(b.accumulate ? rng.bits(b.accumulatorWidth) : 0)
                }
                let sim = try MACSimulator(graph: try e.graph(), behaviour: b)
                var ours: [UInt128] = []
                for k in stride(from: 0, to: count, by: 64) {
                    let r = k ..< k + 64
                    ours += sim.run(a: Array(av[r]), w: Array(wv[r]), p: Array(pv[r]))
                }
                let digits = { (bits: Int) in (bits + 3) / 4 }
                let pad = { (v: UInt128, bits: Int) -> String in
                    let s = String(v, radix: 16)
                    return String(repeating: "0", count: max(0, digits(bits) - s.count)) + s
                }
                let mw = max(b.width, b.accumulatorWidth)
                let text = (0..<count).map { "\(pad(av[$0], mw)) \(pad(wv[$0], mw)) \(pad(pv[$0], mw))" }.joined(separator: "\n") + "\n"
                let stem = e.file.replacingOccurrences(of: "/", with: "-")
                let vin = dir.appendingPathComponent("\(stem).hex"), vout = dir.appendingPathComponent("\(stem).out")
                try text.write(to: vin, atomically: true, encoding: .utf8)
                let models = e.isMapped ? [VariantPaths.osu018Models] : []
                let (status, stderr) = try runProcess("/bin/bash", [script, e.path, e.top, vin.path, vout.path] + models)
                guard status == 0 else { return ["\(e.file): iverilog failed: \(stderr)"] }
                let lines = try String(contentsOf: vout, encoding: .utf8).split(separator: "\n").map(String.init)
                guard lines.count == count else { return ["\(e.file): iverilog wrote \(lines.count) lines"] }
                var problems: [String] = []
                for k in 0..<count {
                    let want = b.expected(a: av[k], w: wv[k], p: pv[k])
                    if UInt128(lines[k], radix: 16) != ours[k] || ours[k] != want {
                        problems.append("\(e.file) vector \(k): iverilog \(lines[k]), Halo \(String(ours[k], radix: 16)), arithmetic \(String(want, radix: 16))")
                    }
                }
                return problems
            } catch {
                return ["\(e.file): \(error)"]
            }
        }
        let all = failures.flatMap { $0 }
        XCTAssertEqual(all.count, 0, all.prefix(10).joined(separator: "\n"))
        print(String(format: "CorpusTests: %d netlists × 64 vectors (FP16/BF16: 512) through iverilog agree with Halo and the arithmetic (%d disagreements), %.1f s",
                     entries.count, all.count, Date().timeIntervalSince(start)))
    }
}
