import HaloCore
import HaloLiberty

/// Evaluates a linked netlist's logic through its cells' Liberty functions, 64 vectors at a time
/// (bit k of every word is vector k).
///
/// Combinational logic settles in level order. Flip-flops hold a state per vector: `clock()` loads each
/// flop's `next_state` (as an ideal clock edge on every register at once), and the flop's outputs
/// read its state.
public final class LogicEvaluator {
    /// The design being evaluated.
    public let graph: TimingGraph
    /// Per pin: the 64 vectors' values.
    private var words: [UInt64]
    /// Per instance: flop state words (0 for combinational cells).
    private var state: [UInt64]
    /// Per cell model: next-state functions compiled over the cell's pins (nil for combinational cells).
    private let nextState: [CompiledFunction?]
    /// Per cell model: for each output pin, whether it reads the inverted state.
    private let outputReadsState: [[Int8]]

    /// An evaluator with every pin 0 and every flop state 0; throws when a flop's next_state cannot be compiled.
    public init(graph: TimingGraph) throws {
        self.graph = graph
        words = [UInt64](repeating: 0, count: graph.pinCount)
        state = [UInt64](repeating: 0, count: graph.instanceCount)
        var next: [CompiledFunction?] = []
        var reads: [[Int8]] = []
        for model in graph.cells {
            guard let seq = model.sequential else {
                next.append(nil)
                reads.append([])
                continue
            }
            guard let ns = seq.nextState else {
                throw HaloError("cell '\(model.name)' has a sequential group without next_state")
            }
            // The state variables read as two virtual pins after the cell's own: IQ and IQN.
            let statePin = model.pinNames.count
            next.append(try CompiledFunction(ns, pinIndex: { name in
                if name == seq.stateVariable { return statePin }
                if name == seq.invertedStateVariable { return statePin + 1 }
                return model.pinNames.firstIndex(of: name)
            }))
            reads.append(model.rawFunctions.map { f -> Int8 in
                guard let f else { return 0 }
                if f == .variable(seq.stateVariable) { return 1 }
                if f == .variable(seq.invertedStateVariable) || f == .not(.variable(seq.stateVariable)) { return -1 }
                return 0
            })
        }
        nextState = next
        outputReadsState = reads
    }

    /// Sets the 64 vectors of a top-level port bit (bit k = vector k).
    public func setPort(_ pin: Int, _ value: UInt64) {
        words[pin] = value
    }

    /// The 64 vectors' values at a pin after `evaluate()` (a load pin reads its net).
    public func value(ofPin pin: Int) -> UInt64 {
        let n = graph.pinNet[pin]
        if n >= 0 {
            if graph.netTie[n] != LogicValue.unknown.rawValue { return graph.netTie[n] == 1 ? ~0 : 0 }
            let d = graph.netDriver[n]
            if d >= 0 { return words[d] }
        }
        return words[pin]
    }

    /// Settles the combinational logic for the current port values and flop states.
    public func evaluate() {
        let g = graph
        let pinNet = g.pinNet, netTie = g.netTie, netDriver = g.netDriver, cells = g.cells
        let unknown = LogicValue.unknown.rawValue
        let state = self.state, nextState = self.nextState, outputReadsState = self.outputReadsState
        // One exclusive access to the words for the whole pass (not one per pin read).
        words.withUnsafeMutableBufferPointer { words in
            for i in g.instanceOrder {
                let ci = g.instanceCell[i]
                let model = cells[ci]
                let base = g.instancePinBase[i]
                for k in 0..<model.pinNames.count where model.pinDirections[k] == .input {
                    // A load pin reads its net (see value(ofPin:)).
                    var v = words[base + k]
                    let n = pinNet[base + k]
                    if n >= 0 {
                        if netTie[n] != unknown { v = netTie[n] == 1 ? ~0 : 0 } else if netDriver[n] >= 0 { v = words[netDriver[n]] }
                    }
                    words[base + k] = v
                }
                for k in 0..<model.pinNames.count where model.pinDirections[k] != .input {
                    if nextState[ci] != nil {
                        switch outputReadsState[ci][k] {
                        case 1: words[base + k] = state[i]; continue
                        case -1: words[base + k] = ~state[i]; continue
                        default: break
                        }
                    }
                    guard let f = model.functions[k] else { continue }
                    words[base + k] = LogicEvaluator.evaluate(f) { words[base + $0] }
                }
            }
        }
    }

    /// An ideal clock edge: every flop loads its next state (from the settled values), then logic settles again.
    public func clock() {
        let g = graph
        var newState = state
        for i in 0..<g.instanceCount {
            let ci = g.instanceCell[i]
            guard let f = nextState[ci] else { continue }
            let base = g.instancePinBase[i]
            let statePin = g.cells[ci].pinNames.count
            newState[i] = LogicEvaluator.evaluate(f) { k in
                if k == statePin { return self.state[i] }
                if k == statePin + 1 { return ~self.state[i] }
                return self.words[base + k]
            }
        }
        state = newState
        evaluate()
    }

    /// Bit-parallel evaluation of a truth table: OR over the on-set minterms of the AND of literals.
    /// The inputs live in a stack buffer (no allocation per gate: the functional tests evaluate millions).
    static func evaluate(_ f: CompiledFunction, _ input: (Int) -> UInt64) -> UInt64 {
        let n = f.variablePins.count
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: max(n, 1)) { vars in
            f.variablePins.withUnsafeBufferPointer { pins in
                for k in 0..<n { vars[k] = pins[k] >= 0 ? input(pins[k]) : 0 }
            }
            return f.table.withUnsafeBufferPointer { table in
                var result: UInt64 = 0
                for m in 0..<(1 << n) where (table[m >> 6] >> UInt64(m & 63)) & 1 == 1 {
                    var term: UInt64 = ~0
                    for k in 0..<n { term &= (m >> k) & 1 == 1 ? vars[k] : ~vars[k] }
                    result |= term
                }
                return result
            }
        }
    }
}
