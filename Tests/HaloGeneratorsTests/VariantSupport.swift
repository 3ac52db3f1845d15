import Foundation
import XCTest
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization
import HaloGenerators

/// Paths used by the generator tests.
enum VariantPaths {
    /// The repository root (three levels above this file).
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let corpus = repo.appendingPathComponent("Netlists/variants")
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let osu018Liberty = "/usr/share/qflow/tech/osu018/osu018_stdcells.lib"
    static let osu018Models = "/usr/share/qflow/tech/osu018/osu018_stdcells.v"
}

/// The osu018 library, read once per test process.
final class OSU018: @unchecked Sendable {
    static let shared = OSU018()
    private let lock = NSLock()
    private var cached: LibertyLibrary?

    func library() throws -> LibertyLibrary {
        lock.lock(); defer { lock.unlock() }
        if let cached { return cached }
        guard FileManager.default.fileExists(atPath: VariantPaths.osu018Liberty) else {
            throw HaloError("\(VariantPaths.osu018Liberty) is missing: install Debian's qflow-tech-osu018")
        }
        let lib = try LibertyReader.read(path: VariantPaths.osu018Liberty)
        cached = lib
        return lib
    }
}

/// Wide random bit patterns from HaloCore's SplitMix64 (deterministic, so failures reproduce).
extension SplitMix64 {
    /// A uniformly random bit pattern of `bits` bits (≤ 128).
    mutating func bits(_ bits: Int) -> UInt128 {
        let v = UInt128(next()) | (UInt128(next()) << 64)
        return bits >= 128 ? v : v & ((1 << UInt128(bits)) - 1)
    }
}

/// What a MAC netlist computes, written independently of the generator: the reference for the functional tests.
struct MACBehaviour: Sendable, CustomStringConvertible {
    enum Format: String, Sendable { case int, e4m3, fp16, bf16 }
    var width: Int
    var accumulatorWidth: Int
    var signed: Bool
    var format: Format
    var accumulate: Bool
    var registered: Bool

    var description: String {
        "\(format) \(signed ? "signed" : "unsigned") \(width)-bit, acc \(accumulatorWidth)\(accumulate ? "" : ", no accumulate")\(registered ? ", registered" : "")"
    }

    var mask: UInt128 { accumulatorWidth >= 128 ? ~0 : (1 << UInt128(accumulatorWidth)) - 1 }

    /// Value of an operand bit pattern.
    func operand(_ raw: UInt128) -> Int128 {
        let v = Int128(raw)
        if signed && (raw >> UInt128(width - 1)) & 1 == 1 { return v - (Int128(1) << Int128(width)) }
        return v
    }

    /// The e4m3 value of a code times 2^18, computed through Double (exact: at most 4 significant bits).
    static func e4m3Scaled(_ code: Int) -> Double {
        let sign: Double = code & 0x80 != 0 ? -1 : 1
        let e = (code >> 3) & 0xF, m = code & 7
        let value = e == 0 ? Double(m) * pow(2.0, -9) : Double(8 + m) * pow(2.0, Double(e - 10))
        return sign * value * pow(2.0, 9)
    }

    /// The operand layout of a floating-point format (nil for int and e4m3).
    var floatLayout: FloatReference.Layout? {
        switch format {
        case .fp16: return .fp16
        case .bf16: return .bf16
        case .int, .e4m3: return nil
        }
    }

    /// Random operands: uniform bit patterns for int and e4m3; for fp16/bf16 the mix of `FloatVectors`.
    func randomVector(_ rng: inout SplitMix64) -> (a: UInt128, w: UInt128, p: UInt128) {
        guard let l = floatLayout else {
            let a = rng.bits(width), w = rng.bits(width)
            return (a, w, accumulate ? rng.bits(accumulatorWidth) : 0)
        }
        let a = FloatVectors.operand(l, &rng), w = FloatVectors.operand(l, &rng)
        return (UInt128(a), UInt128(w), accumulate ? UInt128(FloatVectors.addend(a: a, w: w, l, &rng)) : 0)
    }

    /// `Y` as a bit pattern of the accumulator width.
    func expected(a: UInt128, w: UInt128, p: UInt128) -> UInt128 {
        if let l = floatLayout {
            return UInt128(FloatReference.fma(a: UInt64(a), w: UInt64(w), p: UInt64(p), layout: l, accumulate: accumulate))
        }
        let product: Int128
        switch format {
        case .int:
            product = operand(a) * operand(w)
        case .e4m3:
            // (a·2^9)·(w·2^9) = a·w·2^18, an integer: the product in units of 2^−18.
            let exact = MACBehaviour.e4m3Scaled(Int(a)) * MACBehaviour.e4m3Scaled(Int(w))
            precondition(exact == exact.rounded() && abs(exact) < 0x1p52)
            product = Int128(Int64(exact))
        case .fp16, .bf16:
            preconditionFailure("floating point is handled above")
        }
        let sum = (accumulate ? Int128(p) : 0) &+ product
        return UInt128(truncatingIfNeeded: sum) & mask
    }
}

/// Evaluates a MAC netlist's logic with Halo's bit-parallel evaluator, 64 vectors at a time.
final class MACSimulator {
    let behaviour: MACBehaviour
    let graph: TimingGraph
    let evaluator: LogicEvaluator
    let a: [Int], w: [Int], p: [Int], y: [Int]
    var clk: Int?, loadW: Int?

    /// Whether the netlist has enable flip-flops (`$_DFFE_PP_`, whose next state reads the state itself).
    let usesEnableFlops: Bool

    init(graph: TimingGraph, behaviour: MACBehaviour) throws {
        self.graph = graph
        usesEnableFlops = graph.design.instances.contains { $0.cellName.hasPrefix("$_DFFE_") }
        self.behaviour = behaviour
        evaluator = try LogicEvaluator(graph: graph)
        func bus(_ name: String) throws -> [Int] { try CaseBus(named: name, in: graph).pins }
        a = try bus("A")
        w = try bus("W")
        p = behaviour.accumulate ? try bus("P") : []
        y = try bus("Y")
        guard a.count == behaviour.width, w.count == behaviour.width, y.count == behaviour.accumulatorWidth,
              p.isEmpty || p.count == behaviour.accumulatorWidth else {
            throw HaloError("port widths A:\(a.count) W:\(w.count) P:\(p.count) Y:\(y.count) do not match \(behaviour)")
        }
        if behaviour.registered {
            clk = graph.casePin(named: "clk")
            loadW = graph.casePin(named: "load_w")
            guard clk != nil, loadW != nil else { throw HaloError("registered netlist without clk/load_w ports") }
        }
    }

    private func set(_ pins: [Int], _ values: [UInt128]) {
        for (b, pin) in pins.enumerated() {
            var word: UInt64 = 0
            for (k, v) in values.enumerated() where (v >> UInt128(b)) & 1 == 1 { word |= 1 << UInt64(k) }
            evaluator.setPort(pin, word)
        }
    }

    private func read(_ pins: [Int], count: Int) -> [UInt128] {
        var out = [UInt128](repeating: 0, count: count)
        for (b, pin) in pins.enumerated() {
            let word = evaluator.value(ofPin: pin)
            for k in 0..<count where (word >> UInt64(k)) & 1 == 1 { out[k] |= 1 << UInt128(b) }
        }
        return out
    }

    /// `Y` for up to 64 vectors. Registered: load `W` into `wreg` (load_w = 1), then present `A`, `P` with
    /// load_w = 0 and a different value on the `W` port (the register must hold), clock them into `areg`/`preg`,
    /// then change `A` and `P` again and clock `Y`: it must be the MAC of the sampled values.
    func run(a av: [UInt128], w wv: [UInt128], p pv: [UInt128]) -> [UInt128] {
        let n = av.count
        precondition(n <= 64 && wv.count == n && pv.count == n)
        if let loadW, clk != nil {
            let maskW: UInt128 = (1 << UInt128(behaviour.width)) - 1
            set(w, wv)
            set(a, av.map { ~$0 & maskW })
            evaluator.setPort(loadW, ~0)
            evaluator.evaluate()
            evaluator.clock()
            if usesEnableFlops && !EvaluatorProbe.holdsEnableFlopState {
                // The evaluator cannot hold a $_DFFE_PP_ with E = 0 (see EvaluatorProbe): keep loading the same
                // weight, so only the load path of wreg is checked here (iverilog checks the hold).
            } else {
                evaluator.setPort(loadW, 0)
                set(w, wv.map { ~$0 & maskW })
            }
            set(a, av)
            if !p.isEmpty { set(p, pv) }
            evaluator.evaluate()
            evaluator.clock()
            set(a, av.map { $0 ^ 0x5 })
            if !p.isEmpty { set(p, pv.map { ~$0 & behaviour.mask }) }
            evaluator.evaluate()
            evaluator.clock()
            return read(y, count: n)
        }
        set(a, av)
        set(w, wv)
        if !p.isEmpty { set(p, pv) }
        evaluator.evaluate()
        return read(y, count: n)
    }

    struct Outcome { var vectors = 0; var mismatches = 0; var firstMismatch: String? }

    /// Checks vectors against the reference: every (A, W) pair when `exhaustive`, else `count` random ones;
    /// P random.
    func check(exhaustive: Bool, count: Int = 0, seed: UInt64) -> Outcome {
        var rng = SplitMix64(seed: seed)
        var outcome = Outcome()
        let nw = behaviour.width
        let total = exhaustive ? 1 << (2 * nw) : count
        var start = 0
        while start < total {
            let k = min(64, total - start)
            var av: [UInt128] = [], wv: [UInt128] = [], pv: [UInt128] = []
            for i in 0..<k {
                if exhaustive {
                    av.append(UInt128((start + i) & ((1 << nw) - 1)))
                    wv.append(UInt128((start + i) >> nw))
                    pv.append(behaviour.accumulate ? rng.bits(behaviour.accumulatorWidth) : 0)
                } else {
                    let v = behaviour.randomVector(&rng)
                    av.append(v.a)
                    wv.append(v.w)
                    pv.append(v.p)
                }
            }
            compare(a: av, w: wv, p: pv, into: &outcome)
            start += k
        }
        return outcome
    }

    /// Checks every weight code against the reference for each fixed (A, P) pair.
    func checkEveryWeight(fixed pairs: [(a: UInt128, p: UInt128)]) -> Outcome {
        var outcome = Outcome()
        let codes = 1 << behaviour.width
        for (a, p) in pairs {
            var w = 0
            while w < codes {
                let k = min(64, codes - w)
                compare(a: [UInt128](repeating: a, count: k), w: (w ..< w + k).map { UInt128($0) },
                        p: [UInt128](repeating: behaviour.accumulate ? p : 0, count: k), into: &outcome)
                w += k
            }
        }
        return outcome
    }

    /// Runs up to 64 vectors and counts the mismatches.
    private func compare(a av: [UInt128], w wv: [UInt128], p pv: [UInt128], into outcome: inout Outcome) {
        let k = av.count
        let got = run(a: av, w: wv, p: pv)
        for i in 0..<k {
            let want = behaviour.expected(a: av[i], w: wv[i], p: pv[i])
            if got[i] != want {
                outcome.mismatches += 1
                if outcome.firstMismatch == nil {
                    outcome.firstMismatch = "A=0x\(String(av[i], radix: 16)) W=0x\(String(wv[i], radix: 16)) P=0x\(String(pv[i], radix: 16)): Y=0x\(String(got[i], radix: 16)), expected 0x\(String(want, radix: 16))"
                }
            }
        }
        outcome.vectors += k
    }
}

extension MACBehaviour {
    init(_ spec: MACSpec) {
        self.init(width: spec.width, accumulatorWidth: spec.resolvedAccumulatorWidth, signed: spec.signed,
                  format: Format(rawValue: spec.format.rawValue)!, accumulate: spec.accumulate, registered: spec.registered)
    }
}

/// Builds the timing graph of Verilog text (generic library).
func genericGraph(_ text: String, top: String) throws -> TimingGraph {
    let design = try VerilogReader.parse(text: text, path: "\(top).v", top: top)
    return try TimingGraph(design: design, libraries: [])
}

/// Runs a program; returns its exit status and standard error.
@discardableResult
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    process.standardOutput = FileHandle.nullDevice
    let err = Pipe()
    process.standardError = err
    try process.run()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: e, as: UTF8.self))
}

/// Whether Halo's LogicEvaluator holds the state of an enable flip-flop (`$_DFFE_PP_`, next_state
/// `(E&D)|(!E&IQ)`) when its enable is 0. Probed once on a one-flop netlist: load 1 with E = 1, clock
/// with E = 0 and D = 0, read Q.
enum EvaluatorProbe {
    static let holdsEnableFlopState: Bool = {
        let text = """
        module probe(C, D, E, Q);
          input C, D, E;
          output Q;
          \\$_DFFE_PP_ ff (.C(C), .D(D), .E(E), .Q(Q));
        endmodule
        """
        guard let graph = try? genericGraph(text, top: "probe"), let eval = try? LogicEvaluator(graph: graph),
              let d = graph.casePin(named: "D"), let e = graph.casePin(named: "E"), let q = graph.casePin(named: "Q") else {
            return false
        }
        eval.setPort(d, ~0)
        eval.setPort(e, ~0)
        eval.evaluate()
        eval.clock()
        eval.setPort(d, 0)
        eval.setPort(e, 0)
        eval.evaluate()
        eval.clock()
        return eval.value(ofPin: q) == ~0
    }()
}
