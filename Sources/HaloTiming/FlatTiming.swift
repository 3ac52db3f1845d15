import HaloCore

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
    /// Some output has a three-state enable (`pinEnable` is worth reading).
    var hasThreeState: Bool
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
                                  arcStart: cellArcStart, arcEnd: Int32(arcs.count),
                                  hasThreeState: model.enables.contains { $0 != nil }))
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
    /// The buffers the view points into.
    private let allocations: [AnyObject]

    init(flat: FlatTiming, orderCell: [Int32], orderBase: [Int32], pinSource: [Int32], pinTie: [UInt8],
         loadCapacitance: [Double], isClockNetwork: [Bool], clockInverted: [Bool]) {
        var owned: [AnyObject] = []
        func copy<T>(_ a: [T]) -> UnsafeMutablePointer<T> {
            let buffer = StableBuffer(a)
            owned.append(buffer)
            return buffer.pointer
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


}
