// The timing data the sweep touches for every code, laid out flat: trivial structs in arrays,
// integer indices, one pool of doubles for every table. No references, so no reference counting
// in the hot loop.

/// A table of the pool: axes and values are offsets into `FlatTiming.pool`.
struct FlatTable {
    var order: Int32
    var input1: AxisInput, input2: AxisInput, input3: AxisInput
    var axis1: Int32, count1: Int32
    var axis2: Int32, count2: Int32
    var axis3: Int32, count3: Int32
    var values: Int32
}

/// One arc: transitions and table indices (-1 for none).
struct FlatArc {
    var from: Int32
    var to: Int32
    var delay: Int32
    var slew: Int32
}

/// One arc set of a cell.
struct FlatArcSet {
    var fromPin: Int32
    var toPin: Int32
    var arcStart: Int32, arcEnd: Int32
    var isClockEdge: Bool
    /// Function index of the `when` condition, -1 for none.
    var when: Int32
    /// Range in `FlatTiming.siblings` of conditional arc sets with the same pins.
    var siblingStart: Int32, siblingEnd: Int32
}

/// A setup check of a cell.
struct FlatCheck {
    var clockPin: Int32
    var dataPin: Int32
    var clockEdge: Int32
    var when: Int32
    var riseTable: Int32
    var fallTable: Int32
}

/// A compiled function: variables (cell pin indices, -1 for internal state) and, for up to six
/// variables, the truth table in one word; wider functions defer to `CompiledFunction`.
struct FlatFunction {
    var varStart: Int32
    var varCount: Int32
    var table: UInt64
    var general: Int32
}

/// A cell's ranges into the flat arrays.
struct FlatCell {
    var pinCount: Int32
    /// Range in `pinDirections`/`pinFunction` (per cell pin).
    var pinStart: Int32
    var arcSetStart: Int32, arcSetEnd: Int32
    var checkStart: Int32, checkEnd: Int32
    /// The cell's arcs (all arc sets) in `arcs`.
    var arcStart: Int32, arcEnd: Int32
}

/// All cells of a graph, flattened.
struct FlatTiming {
    var cells: [FlatCell] = []
    /// Per cell pin: 0 input, 1 output (or inout), 2 internal.
    var pinIsOutput: [Bool] = []
    /// Per cell pin: function index or -1.
    var pinFunction: [Int32] = []
    /// Per cell pin: function index of its three-state enable, or -1 (always driven).
    var pinEnable: [Int32] = []
    var arcSets: [FlatArcSet] = []
    var arcs: [FlatArc] = []
    var checks: [FlatCheck] = []
    var siblings: [Int32] = []
    var functions: [FlatFunction] = []
    var functionVars: [Int32] = []
    var generalFunctions: [CompiledFunction] = []
    var tables: [FlatTable] = []
    var pool: [Double] = []
    /// Axes already in the pool, so tables on the same grid share offsets (and interpolation weights).
    private var axisOffsets: [[Double]: Int32] = [:]

    init(models: [CellModel]) {
        for model in models {
            let pinStart = Int32(pinIsOutput.count)
            for k in 0..<model.pinNames.count {
                pinIsOutput.append(model.pinDirections[k] == .output || model.pinDirections[k] == .inout)
                pinFunction.append(model.functions[k].map { addFunction($0) } ?? -1)
                pinEnable.append(model.enables[k].map { addFunction($0) } ?? -1)
            }
            let setStart = Int32(arcSets.count)
            let cellArcStart = Int32(arcs.count)
            for (s, set) in model.arcSets.enumerated() {
                let arcStart = Int32(arcs.count)
                for arc in set.arcs {
                    arcs.append(FlatArc(from: Int32(arc.from.rawValue), to: Int32(arc.to.rawValue),
                                        delay: arc.delay.map { addTable($0) } ?? -1,
                                        slew: arc.slew.map { addTable($0) } ?? -1))
                }
                let sibStart = Int32(siblings.count)
                for (j, other) in model.arcSets.enumerated()
                where other.fromPin == set.fromPin && other.toPin == set.toPin && other.when != nil && j != s {
                    siblings.append(Int32(j) + setStart)
                }
                arcSets.append(FlatArcSet(fromPin: Int32(set.fromPin), toPin: Int32(set.toPin),
                                          arcStart: arcStart, arcEnd: Int32(arcs.count), isClockEdge: set.isClockEdge,
                                          when: set.when.map { addFunction($0) } ?? -1,
                                          siblingStart: sibStart, siblingEnd: Int32(siblings.count)))
            }
            let checkStart = Int32(checks.count)
            for check in model.checks {
                checks.append(FlatCheck(clockPin: Int32(check.clockPin), dataPin: Int32(check.dataPin),
                                        clockEdge: Int32(check.clockEdge.rawValue),
                                        when: check.when.map { addFunction($0) } ?? -1,
                                        riseTable: check.constraint[0].map { addTable($0) } ?? -1,
                                        fallTable: check.constraint[1].map { addTable($0) } ?? -1))
            }
            cells.append(FlatCell(pinCount: Int32(model.pinNames.count), pinStart: pinStart,
                                  arcSetStart: setStart, arcSetEnd: Int32(arcSets.count),
                                  checkStart: checkStart, checkEnd: Int32(checks.count),
                                  arcStart: cellArcStart, arcEnd: Int32(arcs.count)))
        }
    }

    private mutating func addFunction(_ f: CompiledFunction) -> Int32 {
        let start = Int32(functionVars.count)
        functionVars.append(contentsOf: f.variablePins.map { Int32($0) })
        var general: Int32 = -1
        if f.variablePins.count > 6 {
            general = Int32(generalFunctions.count)
            generalFunctions.append(f)
        }
        functions.append(FlatFunction(varStart: start, varCount: Int32(f.variablePins.count), table: f.table[0], general: general))
        return Int32(functions.count - 1)
    }

    private mutating func addTable(_ t: TableModel) -> Int32 {
        func axis(_ k: Int) -> (Int32, Int32) {
            guard k < t.axes.count else { return (0, 1) }
            if let start = axisOffsets[t.axes[k]] { return (start, Int32(t.axes[k].count)) }
            let start = Int32(pool.count)
            pool.append(contentsOf: t.axes[k])
            axisOffsets[t.axes[k]] = start
            return (start, Int32(t.axes[k].count))
        }
        let (a1, n1) = axis(0), (a2, n2) = axis(1), (a3, n3) = axis(2)
        let v = Int32(pool.count)
        pool.append(contentsOf: t.values)
        func input(_ k: Int) -> AxisInput { k < t.inputs.count ? t.inputs[k] : .zero }
        tables.append(FlatTable(order: Int32(t.axes.count), input1: input(0), input2: input(1), input3: input(2),
                                axis1: a1, count1: n1, axis2: a2, count2: n2, axis3: a3, count3: n3, values: v))
        return Int32(tables.count - 1)
    }
}

/// Per-variable masks of minterms in which that variable is 1 (for up to 6 variables).
let variableMasks: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
    0xAAAA_AAAA_AAAA_AAAA, 0xCCCC_CCCC_CCCC_CCCC, 0xF0F0_F0F0_F0F0_F0F0,
    0xFF00_FF00_FF00_FF00, 0xFFFF_0000_FFFF_0000, 0xFFFF_FFFF_0000_0000)

@inline(__always) func variableMask(_ k: Int) -> UInt64 {
    switch k {
    case 0: return variableMasks.0
    case 1: return variableMasks.1
    case 2: return variableMasks.2
    case 3: return variableMasks.3
    case 4: return variableMasks.4
    default: return variableMasks.5
    }
}

/// Evaluates a flat table with OpenSTA's interpolation (see `TableModel`).
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
    @inline(__always) func segment(_ start: Int32, _ count: Int32, _ v: Double) -> Int {
        let a = pool + Int(start)
        let n = Int(count)
        if n <= 1 || v <= a[0] { return 0 }
        if v >= a[n - 1] { return n - 2 }
        var lower = -1, upper = n
        while upper - lower > 1 {
            let mid = (upper + lower) >> 1
            if v >= a[mid] { lower = mid } else { upper = mid }
        }
        return lower
    }
    let values = pool + Int(t.values)
    switch t.order {
    case 0:
        return values[0]
    case 1:
        if t.count1 == 1 { return values[0] }
        let v = x(t.input1)
        let a = pool + Int(t.axis1)
        let i = segment(t.axis1, t.count1, v)
        let d = (v - a[i]) / (a[i + 1] - a[i])
        return (1 - d) * values[i] + d * values[i + 1]
    case 2:
        let n1 = Int(t.count1), n2 = Int(t.count2)
        let a1 = pool + Int(t.axis1), a2 = pool + Int(t.axis2)
        let x1 = x(t.input1), x2 = x(t.input2)
        if n1 == 1 {
            if n2 == 1 { return values[0] }
            let j = segment(t.axis2, t.count2, x2)
            let d2 = (x2 - a2[j]) / (a2[j + 1] - a2[j])
            return (1 - d2) * values[j] + d2 * values[j + 1]
        }
        if n2 == 1 {
            let i = segment(t.axis1, t.count1, x1)
            let d1 = (x1 - a1[i]) / (a1[i + 1] - a1[i])
            return (1 - d1) * values[i] + d1 * values[i + 1]
        }
        let i = segment(t.axis1, t.count1, x1)
        let j = segment(t.axis2, t.count2, x2)
        let d1 = (x1 - a1[i]) / (a1[i + 1] - a1[i])
        let d2 = (x2 - a2[j]) / (a2[j + 1] - a2[j])
        let y00 = values[i * n2 + j], y01 = values[i * n2 + j + 1]
        let y10 = values[(i + 1) * n2 + j], y11 = values[(i + 1) * n2 + j + 1]
        return (1 - d1) * (1 - d2) * y00 + d1 * (1 - d2) * y10 + d1 * d2 * y11 + (1 - d1) * d2 * y01
    default:
        let n2 = Int(t.count2), n3 = Int(t.count3)
        let a1 = pool + Int(t.axis1), a2 = pool + Int(t.axis2), a3 = pool + Int(t.axis3)
        let x1 = x(t.input1), x2 = x(t.input2), x3 = x(t.input3)
        let i = segment(t.axis1, t.count1, x1), j = segment(t.axis2, t.count2, x2), k = segment(t.axis3, t.count3, x3)
        // An axis of one point contributes weight 1 at index 0.
        let d1 = t.count1 > 1 ? (x1 - a1[i]) / (a1[i + 1] - a1[i]) : 0
        let d2 = n2 > 1 ? (x2 - a2[j]) / (a2[j + 1] - a2[j]) : 0
        let d3 = n3 > 1 ? (x3 - a3[k]) / (a3[k + 1] - a3[k]) : 0
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

/// The interpolation weights of a 2-D table at (slew, load), as `flatTableValue` computes them.
@inline(__always)
func gridWeights(_ t: FlatTable, _ pool: UnsafePointer<Double>, slew: Double, load: Double) -> GridWeights {
    @inline(__always) func x(_ input: AxisInput) -> Double {
        switch input {
        case .inputSlew: return slew
        case .load: return load
        default: return 0
        }
    }
    @inline(__always) func segment(_ a: UnsafePointer<Double>, _ n: Int, _ v: Double) -> (Int, Double) {
        if n <= 1 { return (0, 0) }
        var i: Int
        if v <= a[0] { i = 0 } else if v >= a[n - 1] { i = n - 2 } else {
            var lower = -1, upper = n
            while upper - lower > 1 {
                let mid = (upper + lower) >> 1
                if v >= a[mid] { lower = mid } else { upper = mid }
            }
            i = lower
        }
        return (i, (v - a[i]) / (a[i + 1] - a[i]))
    }
    let n1 = Int(t.count1), n2 = Int(t.count2)
    let (i, d1) = segment(pool + Int(t.axis1), n1, x(t.input1))
    let (j, d2) = segment(pool + Int(t.axis2), n2, x(t.input2))
    let i1 = n1 > 1 ? i + 1 : i, j1 = n2 > 1 ? j + 1 : j
    return GridWeights(i00: i * n2 + j, i01: i * n2 + j1, i10: i1 * n2 + j, i11: i1 * n2 + j1,
                       w00: (1 - d1) * (1 - d2), w01: (1 - d1) * d2, w10: d1 * (1 - d2), w11: d1 * d2)
}

/// The load axis's segment of an arc: fixed for a pin, so computed once per graph.
struct LoadSegment {
    /// 1 when the load is the table's first axis, 2 when the second, 0 when the cache does not apply.
    var axis: Int32
    var index: Int32
    var fraction: Double
}

/// The segment of `load` on the load axis of a 2-D table (see `gridWeights`).
func loadSegment(_ t: FlatTable, _ pool: UnsafePointer<Double>, load: Double) -> LoadSegment {
    guard t.order == 2 else { return LoadSegment(axis: 0, index: 0, fraction: 0) }
    let axis: Int32 = t.input1 == .load ? 1 : (t.input2 == .load ? 2 : 0)
    guard axis != 0, (t.input1 == .inputSlew || t.input2 == .inputSlew) else { return LoadSegment(axis: 0, index: 0, fraction: 0) }
    let start = axis == 1 ? t.axis1 : t.axis2, count = Int(axis == 1 ? t.count1 : t.count2)
    guard count > 1 else { return LoadSegment(axis: 0, index: 0, fraction: 0) }
    let a = pool + Int(start)
    var i: Int
    if load <= a[0] { i = 0 } else if load >= a[count - 1] { i = count - 2 } else {
        i = 0
        while load >= a[i + 1] { i += 1 }
    }
    return LoadSegment(axis: axis, index: Int32(i), fraction: (load - a[i]) / (a[i + 1] - a[i]))
}

/// `gridWeights` with the load's segment already known: only the slew axis is searched.
@inline(__always)
func gridWeights(_ t: FlatTable, _ pool: UnsafePointer<Double>, slew: Double, _ ls: LoadSegment) -> GridWeights {
    let slewStart = ls.axis == 1 ? t.axis2 : t.axis1
    let n = Int(ls.axis == 1 ? t.count2 : t.count1)
    var i = 0, d = 0.0
    if n > 1 {
        let a = pool + Int(slewStart)
        if slew <= a[0] { i = 0 } else if slew >= a[n - 1] { i = n - 2 } else {
            var lower = -1, upper = n
            while upper - lower > 1 {
                let mid = (upper + lower) >> 1
                if slew >= a[mid] { lower = mid } else { upper = mid }
            }
            i = lower
        }
        d = (slew - a[i]) / (a[i + 1] - a[i])
    }
    let i1 = n > 1 ? i + 1 : i
    let j = Int(ls.index), j1 = j + 1, dl = ls.fraction
    let n2 = Int(t.count2)
    if ls.axis == 1 {
        // Rows are loads, columns slews.
        return GridWeights(i00: j * n2 + i, i01: j * n2 + i1, i10: j1 * n2 + i, i11: j1 * n2 + i1,
                           w00: (1 - dl) * (1 - d), w01: (1 - dl) * d, w10: dl * (1 - d), w11: dl * d)
    }
    return GridWeights(i00: i * n2 + j, i01: i * n2 + j1, i10: i1 * n2 + j, i11: i1 * n2 + j1,
                       w00: (1 - d) * (1 - dl), w01: (1 - d) * dl, w10: d * (1 - dl), w11: d * dl)
}

/// A 2-D table's value with precomputed weights.
@inline(__always)
func gridValue(_ t: FlatTable, _ pool: UnsafePointer<Double>, _ w: GridWeights) -> Double {
    let v = pool + Int(t.values)
    return w.w00 * v[w.i00] + w.w10 * v[w.i10] + w.w11 * v[w.i11] + w.w01 * v[w.i01]
}

/// Read-only views of the flat arrays at stable addresses, for the hot loop (no bounds checks,
/// no reference counting, no exclusivity checks). A trivial struct, so copying it into the
/// per-thread `TimingAnalysis` costs no retain or release per use; the memory is owned by the
/// `FlatBuffers` of the `TimingGraph`, which the analysis keeps alive.
struct FlatView {
    let cells: UnsafeMutablePointer<FlatCell>
    let pinIsOutput: UnsafeMutablePointer<Bool>
    let pinFunction: UnsafeMutablePointer<Int32>
    let pinEnable: UnsafeMutablePointer<Int32>
    let arcSets: UnsafeMutablePointer<FlatArcSet>
    let arcs: UnsafeMutablePointer<FlatArc>
    let checks: UnsafeMutablePointer<FlatCheck>
    let siblings: UnsafeMutablePointer<Int32>
    let functions: UnsafeMutablePointer<FlatFunction>
    let functionVars: UnsafeMutablePointer<Int32>
    let tables: UnsafeMutablePointer<FlatTable>
    let pool: UnsafeMutablePointer<Double>
    let orderCell: UnsafeMutablePointer<Int32>
    let orderBase: UnsafeMutablePointer<Int32>
    let pinSource: UnsafeMutablePointer<Int32>
    let pinTie: UnsafeMutablePointer<UInt8>
    let loadCapacitance: UnsafeMutablePointer<Double>
    let isClockNetwork: UnsafeMutablePointer<Bool>
    /// Per pin: the clock network carries the clock inverted there.
    let clockInverted: UnsafeMutablePointer<Bool>
    /// Per level-order position: first index in `arcLoad` of its cell's arcs.
    let arcLoadStart: UnsafeMutablePointer<Int32>
    /// Per instance arc: the load's segment on the arc's table grid.
    let arcLoad: UnsafeMutablePointer<LoadSegment>
    /// Number of instance arcs (entries of `arcLoad`).
    let instanceArcCount: Int
    let instanceCount: Int
    /// The most pins any cell has.
    let maxCellPins: Int
}

/// Owner of the memory a `FlatView` points at. Owned by the `TimingGraph`.
final class FlatBuffers: @unchecked Sendable {
    let view: FlatView
    private let allocations: [UnsafeMutableRawPointer]

    init(flat: FlatTiming, orderCell: [Int32], orderBase: [Int32], pinSource: [Int32], pinTie: [UInt8],
         loadCapacitance: [Double], isClockNetwork: [Bool], clockInverted: [Bool]) {
        var owned: [UnsafeMutableRawPointer] = []
        func copy<T>(_ a: [T]) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, a.count))
            _ = UnsafeMutableBufferPointer(start: p, count: a.count).initialize(from: a)
            owned.append(UnsafeMutableRawPointer(p))
            return p
        }
        var starts: [Int32] = []
        var segments: [LoadSegment] = []
        flat.pool.withUnsafeBufferPointer { pool in
            for o in 0..<orderCell.count {
                let cell = flat.cells[Int(orderCell[o])]
                starts.append(Int32(segments.count))
                for s in Int(cell.arcSetStart)..<Int(cell.arcSetEnd) {
                    let set = flat.arcSets[s]
                    let toPin = Int(orderBase[o]) + Int(set.toPin)
                    for a in Int(set.arcStart)..<Int(set.arcEnd) {
                        let arc = flat.arcs[a]
                        let t = arc.slew >= 0 ? flat.tables[Int(arc.slew)] : (arc.delay >= 0 ? flat.tables[Int(arc.delay)] : nil)
                        let load = loadCapacitance[toPin * 2 + Int(arc.to)]
                        segments.append(t.map { loadSegment($0, pool.baseAddress!, load: load) } ?? LoadSegment(axis: 0, index: 0, fraction: 0))
                    }
                }
            }
        }
        view = FlatView(cells: copy(flat.cells), pinIsOutput: copy(flat.pinIsOutput), pinFunction: copy(flat.pinFunction),
                        pinEnable: copy(flat.pinEnable), arcSets: copy(flat.arcSets), arcs: copy(flat.arcs), checks: copy(flat.checks),
                        siblings: copy(flat.siblings), functions: copy(flat.functions), functionVars: copy(flat.functionVars),
                        tables: copy(flat.tables), pool: copy(flat.pool), orderCell: copy(orderCell), orderBase: copy(orderBase),
                        pinSource: copy(pinSource), pinTie: copy(pinTie), loadCapacitance: copy(loadCapacitance),
                        isClockNetwork: copy(isClockNetwork), clockInverted: copy(clockInverted), arcLoadStart: copy(starts), arcLoad: copy(segments),
                        instanceArcCount: segments.count, instanceCount: orderCell.count,
                        maxCellPins: flat.cells.map { Int($0.pinCount) }.max() ?? 1)
        allocations = owned
    }

    deinit {
        for p in allocations { p.deallocate() }
    }
}
