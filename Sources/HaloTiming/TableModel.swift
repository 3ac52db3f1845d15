import HaloLiberty

/// What feeds a table axis during delay calculation.
enum AxisInput: UInt8 {
    /// The transition (slew) at the arc's input pin, or the constrained (data) pin of a check.
    case inputSlew
    /// The total capacitance on the arc's output net.
    case load
    /// The transition at the related (clock) pin of a check.
    case relatedSlew
    /// Anything else (e.g. wire length): read as 0.
    case zero
}

/// An NLDM table with each axis bound to what feeds it during delay calculation. It is flattened
/// into `FlatTiming` for the sweep and evaluated by `flatTableValue`; `value` evaluates it alone, the same way.
package struct TableModel: Sendable {
    let inputs: [AxisInput]
    let axes: [[Double]]
    let values: [Double]
    /// The table on its own pool (axes, then values), for `value`.
    private let pool: [Double]
    private let flat: FlatTable

    init(inputs: [AxisInput], axes: [[Double]], values: [Double]) {
        self.inputs = Array(inputs.prefix(axes.count))
        self.axes = axes
        self.values = values
        var pool: [Double] = []
        var offsets: [(Int32, Int32)] = []
        for k in 0..<3 {
            if k < axes.count {
                offsets.append((Int32(pool.count), Int32(axes[k].count)))
                pool.append(contentsOf: axes[k])
            } else {
                offsets.append((0, 1))
            }
        }
        let valueStart = Int32(pool.count)
        pool.append(contentsOf: values)
        func input(_ k: Int) -> AxisInput { k < inputs.count ? inputs[k] : .zero }
        self.pool = pool
        self.flat = FlatTable(order: Int32(axes.count), input1: input(0), input2: input(1), input3: input(2),
                              axis1: offsets[0].0, count1: offsets[0].1, axis2: offsets[1].0, count2: offsets[1].1,
                              axis3: offsets[2].0, count3: offsets[2].1, values: valueStart)
    }

    /// The table's value at an input slew, load and related slew (ns, fF, ns), by `flatTableValue`.
    package func value(slew: Double, load: Double, relatedSlew: Double = 0) -> Double {
        pool.withUnsafeBufferPointer { flatTableValue(flat, $0.baseAddress!, slew: slew, load: load, relatedSlew: relatedSlew) }
    }

    package init(_ table: LibertyTable, isCheck: Bool) {
        self.init(inputs: table.variables.map { v in
            switch v {
            case .inputNetTransition, .inputTransitionTime: return .inputSlew
            case .totalOutputNetCapacitance: return .load
            case .constrainedPinTransition: return .inputSlew
            case .relatedPinTransition: return isCheck ? .relatedSlew : .inputSlew
            default: return .zero
            }
        }, axes: table.axes, values: table.values)
    }
}
