import Foundation
import HaloCore

/// A grid chosen once and applied many times (`halo select … -o grid.json`, then `halo quantize --grid
/// grid.json`): reads the grid's codes from a JSON report of `halo select` or `halo quantize`, or from the
/// `halo.json` manifest of a quantized model folder — any JSON object with `grid.codes` (and, when
/// present, `format`, which must be the format the grid is applied in).
///
/// Each code must be an integer code of the table, a level of the format (never a NaN or infinite
/// code), and listed once; every error is located at the offending value.
public enum GridFile {
    /// The levels of the grid in `path`, taken from `space` (so with the table's delays and energies).
    public static func read(path: String, space: CodeSpace) throws -> [CodeLevel] {
        let root = try JSONNode.parse(try InputFile.read(path), path: path)
        guard case .object = root.value else {
            throw HaloError("a grid file is a JSON object with 'grid': {'codes': [...]}, found \(root.kindName)", at: root.location)
        }
        if let format = root["format"] {
            guard let name = format.string, let parsed = NumberFormat.parse(name) else {
                throw HaloError("'format' must be a number format name, found \(format.kindName)", at: format.location)
            }
            guard parsed == space.format else {
                throw HaloError("the grid is of format \(parsed), but it is applied as \(space.format)", at: format.location)
            }
        }
        guard let grid = root["grid"] else { throw HaloError("no 'grid' (a report of halo select or halo quantize, or a model's halo.json)", at: root.location) }
        guard let codes = grid["codes"]?.array else {
            throw HaloError("'grid' has no 'codes' array", at: grid.location)
        }
        guard !codes.isEmpty else { throw HaloError("'grid.codes' is empty", at: grid.location) }
        var levels: [CodeLevel] = []
        var seen = Set<Int>()
        for node in codes {
            guard case .number(let d) = node.value, d == d.rounded(), d >= 0, d < Double(space.format.codeCount) else {
                throw HaloError("grid code must be an integer from 0 to \(space.format.codeCount - 1), found \(node.kindName == "a number" ? "\(node.number!)" : node.kindName)", at: node.location)
            }
            let code = Int(d)
            guard seen.insert(code).inserted else { throw HaloError("grid code \(code) is listed twice", at: node.location) }
            guard space.format.isLevel(code) else {
                throw HaloError("grid code \(code) is not a value of \(space.format) (NaN or infinite)", at: node.location)
            }
            guard let level = space.level(ofCode: code) else {
                throw HaloError("grid code \(code) is not in the delay table", at: node.location)
            }
            levels.append(level)
        }
        return levels.sorted { $0.value < $1.value }
    }
}
