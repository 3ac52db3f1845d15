import Foundation
import XCTest
import HaloTestSupport
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// The netlist's logic, evaluated through the Liberty functions, against integer arithmetic and iverilog.
final class FunctionalTests: XCTestCase {
    struct Vector { var a: Int; var w: Int; var p: Int }

    static func randomVectors(_ count: Int, seed: UInt64) -> [Vector] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            Vector(a: Int.random(in: -128...127, using: &rng), w: Int.random(in: -128...127, using: &rng),
                   p: Int.random(in: -(1 << 19)...((1 << 19) - 1), using: &rng))
        }
    }

    /// Y = P + A*W on 20 bits, as an unsigned 20-bit pattern.
    static func expected(_ v: Vector) -> Int { (v.p + v.a * v.w) & 0xFFFFF }

    /// Evaluates mac8 on the vectors with Halo's bit-parallel evaluator.
    static func evaluateMac8(graph: TimingGraph, _ vectors: [Vector]) throws -> [Int] {
        let eval = try LogicEvaluator(graph: graph)
        func pins(_ bus: String, _ width: Int) throws -> [Int] { try CaseBus(named: bus, in: graph).pins }
        let a = try pins("A", 8), w = try pins("W", 8), p = try pins("P", 20), y = try pins("Y", 20)
        var out: [Int] = []
        var start = 0
        while start < vectors.count {
            let batch = Array(vectors[start..<min(vectors.count, start + 64)])
            func set(_ bus: [Int], _ field: (Vector) -> Int) {
                for (b, pin) in bus.enumerated() {
                    var word: UInt64 = 0
                    for (k, v) in batch.enumerated() where (field(v) >> b) & 1 == 1 { word |= 1 << UInt64(k) }
                    eval.setPort(pin, word)
                }
            }
            set(a, \.a); set(w, \.w); set(p, \.p)
            eval.evaluate()
            for k in batch.indices {
                var value = 0
                for (b, pin) in y.enumerated() where (eval.value(ofPin: pin) >> UInt64(k)) & 1 == 1 { value |= 1 << b }
                out.append(value)
            }
            start += 64
        }
        return out
    }

    func testMac8OSU018EvaluatorMatchesArithmeticAndIverilog() throws {
        let lib = try LibraryCache.shared.library("osu018")
        let netlist = TestPaths.repo.appendingPathComponent("Netlists/osu018/mac8.v").path
        let graph = try makeGraph(netlist: netlist, libraries: [lib])
        let vectors = FunctionalTests.randomVectors(10_000, seed: 2026)
        let ours = try FunctionalTests.evaluateMac8(graph: graph, vectors)
        var mismatches = 0
        for (v, y) in zip(vectors, ours) where y != FunctionalTests.expected(v) { mismatches += 1 }
        XCTAssertEqual(mismatches, 0, "Halo's evaluator disagrees with P + A*W on \(mismatches) of \(vectors.count) vectors")

        // The same vectors through iverilog with the osu018 cell models.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("halo-iverilog-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let vin = dir.appendingPathComponent("vectors.hex"), vout = dir.appendingPathComponent("out.hex")
        let text = vectors.map { String(format: "%02x %02x %05x", $0.a & 0xFF, $0.w & 0xFF, $0.p & 0xFFFFF) }.joined(separator: "\n") + "\n"
        try text.write(to: vin, atomically: true, encoding: .utf8)
        let script = TestPaths.repo.appendingPathComponent("Netlists/sim/simulate.sh").path
        let status = try runProcess("/bin/bash", [script, netlist, "mac8", vin.path, vout.path, TestPaths.osu018Models])
        XCTAssertEqual(status, 0, "iverilog simulation failed")
        let lines = try String(contentsOf: vout, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, vectors.count)
        var disagree = 0
        for (line, y) in zip(lines, ours) where Int(line, radix: 16) != y { disagree += 1 }
        XCTAssertEqual(disagree, 0, "Halo's evaluator disagrees with iverilog on \(disagree) vectors")
    }

    func testMac8GenericEvaluatorMatchesArithmetic() throws {
        let netlist = TestPaths.repo.appendingPathComponent("Netlists/generic/mac8.v").path
        let graph = try makeGraph(netlist: netlist, libraries: [])
        let vectors = FunctionalTests.randomVectors(10_000, seed: 7)
        let ours = try FunctionalTests.evaluateMac8(graph: graph, vectors)
        XCTAssertEqual(zip(vectors, ours).filter { FunctionalTests.expected($0) != $1 }.count, 0)
    }
}
