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
/// into `FlatTiming` and evaluated by `flatTableValue`.
struct TableModel: Sendable {
    let inputs: [AxisInput]
    let axes: [[Double]]
    let values: [Double]

    init(inputs: [AxisInput], axes: [[Double]], values: [Double]) {
        self.inputs = Array(inputs.prefix(axes.count))
        self.axes = axes
        self.values = values
    }

    init(_ table: LibertyTable, isCheck: Bool) {
        inputs = table.variables.map { v in
            switch v {
            case .inputNetTransition, .inputTransitionTime: return .inputSlew
            case .totalOutputNetCapacitance: return .load
            case .constrainedPinTransition: return isCheck ? .inputSlew : .inputSlew
            case .relatedPinTransition: return isCheck ? .relatedSlew : .inputSlew
            default: return .zero
            }
        }
        axes = table.axes
        values = table.values
    }
}
