import HaloCore
import HaloQuantization

// The voltage options `halo quantize` and `halo simulate` share: a voltage/frequency table or per-voltage
// corner tables, read and checked the same way for both.

/// `--vf-table` and `--corners`, which exclude each other (the corners give each level's delays).
func voltageOptions(_ args: Arguments) throws -> (vfTable: String?, corners: String?) {
    let vfTable = args.value("--vf-table"), corners = args.value("--corners")
    if vfTable != nil, corners != nil { throw HaloError("--vf-table and --corners exclude each other (the corners give each level's delays)") }
    return (vfTable, corners)
}

/// The corner tables of `path`, checked to time every code of `space` as its delay table does at their
/// highest voltage (``CornerDelays/check(covers:what:)``).
func readCornerTables(_ path: String, covering space: CodeSpace) throws -> CornerTables {
    let tables = try CornerTables.read(path: path)
    try CornerDelays(tables).check(covers: space, what: path)
    return tables
}
