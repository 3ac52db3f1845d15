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

/// An NLDM table prepared for evaluation, with OpenSTA's interpolation and extrapolation:
/// the two break points around the value (the first or last two outside the axis) define a
/// line per axis, and 2-D tables interpolate bilinearly (`liberty/TableModel.cc`, `Table::findValue`).
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

    /// Index of the lower break point of the interpolation segment for `x` (OpenSTA's `findValueIndex`).
    @inline(__always)
    static func segment(_ axis: [Double], _ x: Double) -> Int {
        let size = axis.count
        if size <= 1 || x <= axis[0] { return 0 }
        if x >= axis[size - 1] { return size - 2 }
        var lower = -1, upper = size
        while upper - lower > 1 {
            let mid = (upper + lower) >> 1
            if x >= axis[mid] { lower = mid } else { upper = mid }
        }
        return lower
    }

    @inline(__always)
    private func axisValue(_ k: Int, slew: Double, load: Double, relatedSlew: Double) -> Double {
        switch inputs[k] {
        case .inputSlew: return slew
        case .load: return load
        case .relatedSlew: return relatedSlew
        case .zero: return 0
        }
    }

    /// The table's value for an input slew (ns), an output load (fF) and, for checks, the related pin's slew.
    func value(slew: Double, load: Double, relatedSlew: Double = 0) -> Double {
        switch axes.count {
        case 0:
            return values[0]
        case 1:
            let axis = axes[0]
            if axis.count == 1 { return values[0] }
            let x = axisValue(0, slew: slew, load: load, relatedSlew: relatedSlew)
            let i = TableModel.segment(axis, x)
            let d = (x - axis[i]) / (axis[i + 1] - axis[i])
            return (1 - d) * values[i] + d * values[i + 1]
        case 2:
            let a1 = axes[0], a2 = axes[1]
            let n2 = a2.count
            let x1 = axisValue(0, slew: slew, load: load, relatedSlew: relatedSlew)
            let x2 = axisValue(1, slew: slew, load: load, relatedSlew: relatedSlew)
            if a1.count == 1 {
                if n2 == 1 { return values[0] }
                let j = TableModel.segment(a2, x2)
                let d2 = (x2 - a2[j]) / (a2[j + 1] - a2[j])
                return (1 - d2) * values[j] + d2 * values[j + 1]
            }
            if n2 == 1 {
                let i = TableModel.segment(a1, x1)
                let d1 = (x1 - a1[i]) / (a1[i + 1] - a1[i])
                return (1 - d1) * values[i] + d1 * values[i + 1]
            }
            let i = TableModel.segment(a1, x1)
            let j = TableModel.segment(a2, x2)
            let d1 = (x1 - a1[i]) / (a1[i + 1] - a1[i])
            let d2 = (x2 - a2[j]) / (a2[j + 1] - a2[j])
            let y00 = values[i * n2 + j], y01 = values[i * n2 + j + 1]
            let y10 = values[(i + 1) * n2 + j], y11 = values[(i + 1) * n2 + j + 1]
            return (1 - d1) * (1 - d2) * y00 + d1 * (1 - d2) * y10 + d1 * d2 * y11 + (1 - d1) * d2 * y01
        default:
            return value3(slew: slew, load: load, relatedSlew: relatedSlew)
        }
    }

    private func value3(slew: Double, load: Double, relatedSlew: Double) -> Double {
        let a1 = axes[0], a2 = axes[1], a3 = axes[2]
        let n2 = a2.count, n3 = a3.count
        let x = [0, 1, 2].map { axisValue($0, slew: slew, load: load, relatedSlew: relatedSlew) }
        let i = TableModel.segment(a1, x[0]), j = TableModel.segment(a2, x[1]), k = TableModel.segment(a3, x[2])
        func v(_ a: Int, _ b: Int, _ c: Int) -> Double { values[(a * n2 + b) * n3 + c] }
        var d1 = 0.0, d2 = 0.0, d3 = 0.0
        if a1.count > 1 { d1 = (x[0] - a1[i]) / (a1[i + 1] - a1[i]) }
        if n2 > 1 { d2 = (x[1] - a2[j]) / (a2[j + 1] - a2[j]) }
        if n3 > 1 { d3 = (x[2] - a3[k]) / (a3[k + 1] - a3[k]) }
        let i1 = a1.count > 1 ? i + 1 : i, j1 = n2 > 1 ? j + 1 : j, k1 = n3 > 1 ? k + 1 : k
        var result = 0.0
        for (ia, wa) in [(i, 1 - d1), (i1, d1)] where wa != 0 || ia == i {
            for (jb, wb) in [(j, 1 - d2), (j1, d2)] where wb != 0 || jb == j {
                for (kc, wc) in [(k, 1 - d3), (k1, d3)] where wc != 0 || kc == k {
                    result += wa * wb * wc * v(ia, jb, kc)
                }
            }
        }
        return result
    }
}
