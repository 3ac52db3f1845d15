import HaloCore
import HaloLiberty
import HaloTiming

// Switching activity: how often each net toggles while a stream of input vectors is applied, with
// some pins held at constants (a weight code). Two simulators share one compiled form of the design:
//
// - `ActivitySimulator` (zero-delay, functional): every vector settles; a net's transitions are the
//   changes of its settled value between consecutive vectors. Combinational designs are evaluated
//   64 vectors a machine word along the vector stream (bit k of word w is vector 64·w + k), so the
//   transitions of a word are popcount(v XOR (v << 1 | carry)). Registered designs run one clock
//   cycle per vector in 64 independent lanes (see `ActivitySimulator.simulate`).
// - `GlitchSimulator` (event-driven, combinational designs): each vector's input changes start at
//   time 0 and propagate with per-arc NLDM delays under inertial delay, so hazards (glitches) count.

/// Input vectors packed for bit-parallel simulation: vector k of a pin is bit k % 64 of word k / 64.
public struct PackedStimulus: Sendable {
    /// Number of vectors.
    public let vectorCount: Int
    /// Words per pin, ⌈vectorCount / 64⌉.
    public var wordCount: Int { (vectorCount + 63) / 64 }
    /// The driven pins (top-level input ports, or instance pins to force), in the order set.
    public private(set) var pins: [Int] = []
    /// The words of each driven pin (bits past `vectorCount` are zero).
    public private(set) var words: [[UInt64]] = []

    /// An empty stimulus of `vectorCount` vectors; add driven pins with `set`.
    public init(vectorCount: Int) {
        precondition(vectorCount >= 0)
        self.vectorCount = vectorCount
    }

    /// Sets the vectors of a pin from its packed words (missing words read as 0).
    public mutating func set(pin: Int, words w: [UInt64]) {
        var w = Array(w.prefix(wordCount))
        while w.count < wordCount { w.append(0) }
        if vectorCount % 64 != 0, let last = w.indices.last { w[last] &= (UInt64(1) << UInt64(vectorCount % 64)) &- 1 }
        if let i = pins.firstIndex(of: pin) { words[i] = w } else { pins.append(pin); words.append(w) }
    }

    /// Holds a pin at a constant for every vector.
    public mutating func hold(pin: Int, value: Bool) {
        set(pin: pin, words: [UInt64](repeating: value ? ~0 : 0, count: wordCount))
    }

    /// Drives a bus: bit b of `values[k]` is vector k of `pins[b]` (two's complement for negative values).
    public mutating func setBus(_ busPins: [Int], values: [Int]) {
        precondition(values.count == vectorCount, "one value per vector")
        for (b, pin) in busPins.enumerated() {
            var w = [UInt64](repeating: 0, count: wordCount)
            for (k, v) in values.enumerated() where (v >> b) & 1 == 1 { w[k >> 6] |= UInt64(1) << UInt64(k & 63) }
            set(pin: pin, words: w)
        }
    }

    /// Vector k of the i-th driven pin.
    @inline(__always) func bit(_ i: Int, _ k: Int) -> Bool {
        (words[i][k >> 6] >> UInt64(k & 63)) & 1 == 1
    }
}

/// Per-net transition counts of one simulation.
public struct NetActivity: Sendable, Equatable {
    /// Vectors simulated.
    public var vectorCount: Int
    /// Consecutive vector pairs the counts cover (the operations): vectorCount − 1 for a combinational
    /// design; for a registered design, vectorCount minus the number of lanes (see `ActivitySimulator`).
    public var operations: Int
    /// Per net of `design.nets`: transitions to 1.
    public var rises: [Int]
    /// Per net: transitions to 0.
    public var falls: [Int]

    /// Counts as simulated: per net rises and falls over `operations` vector-to-vector steps.
    public init(vectorCount: Int, operations: Int, rises: [Int], falls: [Int]) {
        self.vectorCount = vectorCount
        self.operations = operations
        self.rises = rises
        self.falls = falls
    }

    /// Transitions of a net (rises + falls).
    public func toggles(ofNet n: Int) -> Int { rises[n] + falls[n] }
    /// Transitions of all nets.
    public var totalToggles: Int { rises.reduce(0, +) + falls.reduce(0, +) }
}
