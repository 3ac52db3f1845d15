// NLDM table look-up, once: OpenSTA's `TableAxis::findAxisIndex` and its bilinear (trilinear)
// interpolation, with linear extrapolation from the first or last two break points outside the table
// (liberty/TableModel.cc). Timing (delays, slews, checks), the load segments of the sweep's memo and
// internal power all go through `axisSegment` and `flatTableValue`.

/// The segment of an axis around `v` and the fraction of the way through it: the largest `index` with
/// `axis[index] ≤ v`, clamped to `0 … n−2` (so outside the table the end segment extrapolates), and
/// `(v − axis[index]) / (axis[index+1] − axis[index])`. An axis of one point gives (0, 0).
@inline(__always)
func axisSegment(_ axis: UnsafePointer<Double>, _ n: Int, _ v: Double) -> (index: Int, fraction: Double) {
    if n <= 1 { return (0, 0) }
    var i: Int
    if v <= axis[0] { i = 0 } else if v >= axis[n - 1] { i = n - 2 } else {
        var lower = -1, upper = n
        while upper - lower > 1 {
            let mid = (upper + lower) >> 1
            if v >= axis[mid] { lower = mid } else { upper = mid }
        }
        i = lower
    }
    return (i, (v - axis[i]) / (axis[i + 1] - axis[i]))
}

/// Evaluates a flat table at (input slew, load, related slew) by `TableModel`'s axis bindings.
@inline(__always)
func flatTableValue(_ t: FlatTable, _ pool: UnsafePointer<Double>, slew: Double, load: Double, relatedSlew: Double) -> Double {
    @inline(__always) func x(_ input: AxisInput) -> Double {
        switch input {
        case .inputSlew: return slew
        case .load: return load
        case .relatedSlew: return relatedSlew
        case .zero: return 0
        }
    }
    let values = pool + Int(t.values)
    switch t.order {
    case 0:
        return values[0]
    case 1:
        let (i, d) = axisSegment(pool + Int(t.axis1), Int(t.count1), x(t.input1))
        if t.count1 == 1 { return values[0] }
        return (1 - d) * values[i] + d * values[i + 1]
    case 2:
        return gridValue(t, pool, gridWeights(t, pool, x1: x(t.input1), x2: x(t.input2)))
    default:
        let n2 = Int(t.count2), n3 = Int(t.count3)
        let (i, d1) = axisSegment(pool + Int(t.axis1), Int(t.count1), x(t.input1))
        let (j, d2) = axisSegment(pool + Int(t.axis2), n2, x(t.input2))
        let (k, d3) = axisSegment(pool + Int(t.axis3), n3, x(t.input3))
        var result = 0.0
        for (di, wi) in [(0, 1 - d1), (1, d1)] where wi != 0 {
            for (dj, wj) in [(0, 1 - d2), (1, d2)] where wj != 0 {
                for (dk, wk) in [(0, 1 - d3), (1, d3)] where wk != 0 {
                    result += wi * wj * wk * values[((i + di) * n2 + (j + dj)) * n3 + (k + dk)]
                }
            }
        }
        return result
    }
}

/// Bilinear weights of a point on a 2-D grid: value = Σ weight × values[offset + index].
struct GridWeights {
    var i00: Int, i01: Int, i10: Int, i11: Int
    var w00: Double, w01: Double, w10: Double, w11: Double
}

/// True when two tables are 2-D on the same grid (same axis offsets and inputs), so one set of
/// weights serves both.
@inline(__always) func sameGrid(_ a: FlatTable, _ b: FlatTable) -> Bool {
    a.order == 2 && b.order == 2 && a.axis1 == b.axis1 && a.axis2 == b.axis2 && a.count1 == b.count1
        && a.count2 == b.count2 && a.input1 == b.input1 && a.input2 == b.input2
}

/// The weights of a 2-D table at the point (x1, x2) of its first and second axes.
@inline(__always)
func gridWeights(_ t: FlatTable, _ pool: UnsafePointer<Double>, x1: Double, x2: Double) -> GridWeights {
    let n1 = Int(t.count1), n2 = Int(t.count2)
    let (i, d1) = axisSegment(pool + Int(t.axis1), n1, x1)
    let (j, d2) = axisSegment(pool + Int(t.axis2), n2, x2)
    return gridWeights(i: i, d1: d1, n1: n1, j: j, d2: d2, n2: n2)
}

/// The weights of the cell (i, j) of a grid of n1 × n2 points at fractions (d1, d2).
@inline(__always)
func gridWeights(i: Int, d1: Double, n1: Int, j: Int, d2: Double, n2: Int) -> GridWeights {
    let i1 = n1 > 1 ? i + 1 : i, j1 = n2 > 1 ? j + 1 : j
    return GridWeights(i00: i * n2 + j, i01: i * n2 + j1, i10: i1 * n2 + j, i11: i1 * n2 + j1,
                       w00: (1 - d1) * (1 - d2), w01: (1 - d1) * d2, w10: d1 * (1 - d2), w11: d1 * d2)
}

/// The interpolation weights of a 2-D timing table at (slew, load) by its axis bindings.
@inline(__always)
func gridWeights(_ t: FlatTable, _ pool: UnsafePointer<Double>, slew: Double, load: Double) -> GridWeights {
    @inline(__always) func x(_ input: AxisInput) -> Double {
        switch input {
        case .inputSlew: return slew
        case .load: return load
        default: return 0
        }
    }
    return gridWeights(t, pool, x1: x(t.input1), x2: x(t.input2))
}

/// The load axis's segment of an arc: fixed for a pin, so computed once per graph.
struct LoadSegment {
    /// 1 when the load is the table's first axis, 2 when the second, 0 when the cache does not apply.
    var axis: Int32
    var index: Int32
    var fraction: Double
}

/// The segment of `load` on the load axis of a 2-D table (see `axisSegment`).
func loadSegment(_ t: FlatTable, _ pool: UnsafePointer<Double>, load: Double) -> LoadSegment {
    guard t.order == 2 else { return LoadSegment(axis: 0, index: 0, fraction: 0) }
    let axis: Int32 = t.input1 == .load ? 1 : (t.input2 == .load ? 2 : 0)
    guard axis != 0, (t.input1 == .inputSlew || t.input2 == .inputSlew) else { return LoadSegment(axis: 0, index: 0, fraction: 0) }
    let start = axis == 1 ? t.axis1 : t.axis2, count = Int(axis == 1 ? t.count1 : t.count2)
    guard count > 1 else { return LoadSegment(axis: 0, index: 0, fraction: 0) }
    let (i, d) = axisSegment(pool + Int(start), count, load)
    return LoadSegment(axis: axis, index: Int32(i), fraction: d)
}

/// `gridWeights` with the load's segment already known: only the slew axis is searched.
@inline(__always)
func gridWeights(_ t: FlatTable, _ pool: UnsafePointer<Double>, slew: Double, _ ls: LoadSegment) -> GridWeights {
    let n1 = Int(t.count1), n2 = Int(t.count2)
    if ls.axis == 1 {
        // Rows are loads, columns slews.
        let (j, d) = axisSegment(pool + Int(t.axis2), n2, slew)
        return gridWeights(i: Int(ls.index), d1: ls.fraction, n1: n1, j: j, d2: d, n2: n2)
    }
    let (i, d) = axisSegment(pool + Int(t.axis1), n1, slew)
    return gridWeights(i: i, d1: d, n1: n1, j: Int(ls.index), d2: ls.fraction, n2: n2)
}

/// A 2-D table's value with precomputed weights.
@inline(__always)
func gridValue(_ t: FlatTable, _ pool: UnsafePointer<Double>, _ w: GridWeights) -> Double {
    let v = pool + Int(t.values)
    return w.w00 * v[w.i00] + w.w10 * v[w.i10] + w.w11 * v[w.i11] + w.w01 * v[w.i01]
}

