import Foundation
import HaloCore

/// Reads structural (gate-level) Verilog, as written by Yosys `write_verilog -noattr` and commercial
/// synthesis tools, and flattens the hierarchy below a top module into a bit-level `FlatDesign`.
///
/// Supported: non-ANSI and ANSI module headers; `input`/`output`/`inout`/`wire`/`tri`/`reg`/`supply0`/`supply1`
/// declarations with ranges; instances with named or positional connections; gate primitives
/// (`and or nand nor xor xnor not buf`); `assign` between nets (merged) and to constants; bit- and part-selects,
/// concatenations, replications and constants in any base; escaped identifiers. Attributes, comments,
/// `timescale`, parameters and `specify` blocks are skipped. Behavioural code is rejected with a located error.
public enum VerilogReader {
    /// Reads one or more Verilog files and flattens the hierarchy below `top`.
    ///
    /// - Parameters:
    ///   - paths: the files to read; modules may be spread over them in any order.
    ///   - top: the top module's name; `nil` picks the unique module that no other module instantiates
    ///     (an error if there is none or several, listing the candidates).
    ///   - isLeafCell: says which instantiated names are library cells. Names that are neither defined modules
    ///     nor leaf cells are an error at the instance's location (`unknown cell or module 'FOO'`).
    ///     When nil, every name that is not a defined module is taken as a leaf cell.
    ///   - blackBoxUnknownCells: make instances of unknown cells black boxes (dropped, with one warning) instead
    ///     of an error, as OpenSTA's `link_design` does. Unknown cells with no connections (tap and filler
    ///     cells) are always skipped, with one summarizing warning.
    ///   - diagnostics: receives warnings (implicit nets, x/z constants, width mismatches on module ports).
    /// - Returns: the flattened, bit-level design.
    /// - Throws: `HaloError` located at the offending token.
    public static func read(paths: [String], top: String?, isLeafCell: ((String) -> Bool)? = nil,
                            blackBoxUnknownCells: Bool = false, diagnostics: DiagnosticSink? = nil) throws -> FlatDesign {
        if paths.isEmpty { throw HaloError("no Verilog files given") }
        var interner = VerilogLexer.makeInterner()
        var modules: [VModule] = []
        for (i, path) in paths.enumerated() {
            let data = try InputFile.readDecompressing(path)
            try data.withUnsafeBytes { raw in
                let buf = raw.bindMemory(to: UInt8.self)
                modules.append(contentsOf: try parseModules(buf, file: Int32(i), path: path, interner: &interner,
                                                            diagnostics: diagnostics))
            }
        }
        return try VerilogElaborator(modules: modules, interner: interner, paths: paths, diagnostics: diagnostics,
                                     isLeafCell: isLeafCell, blackBoxUnknownCells: blackBoxUnknownCells).run(top: top)
    }

    /// Same as `read(paths:top:isLeafCell:diagnostics:)`, from text in memory; `path` is used in locations.
    ///
    /// - Parameters:
    ///   - text: the Verilog source.
    ///   - path: the name to report in locations and in `FlatDesign.sourcePath`.
    ///   - top: the top module's name, or nil to pick the unique uninstantiated module.
    ///   - isLeafCell: which undefined names are library cells (nil: all of them).
    ///   - blackBoxUnknownCells: unknown cells with connections become black boxes instead of an error.
    ///   - diagnostics: receives warnings.
    /// - Returns: the flattened, bit-level design.
    /// - Throws: `HaloError` located at the offending token.
    public static func parse(text: String, path: String, top: String?, isLeafCell: ((String) -> Bool)? = nil,
                             blackBoxUnknownCells: Bool = false, diagnostics: DiagnosticSink? = nil) throws -> FlatDesign {
        var interner = VerilogLexer.makeInterner()
        let bytes = Array(text.utf8)
        let modules = try bytes.withUnsafeBufferPointer { buf in
            try parseModules(buf, file: 0, path: path, interner: &interner,
                             diagnostics: diagnostics)
        }
        return try VerilogElaborator(modules: modules, interner: interner, paths: [path], diagnostics: diagnostics,
                                     isLeafCell: isLeafCell, blackBoxUnknownCells: blackBoxUnknownCells).run(top: top)
    }

    private static func parseModules(_ buf: UnsafeBufferPointer<UInt8>, file: Int32, path: String,
                                     interner: inout VerilogInterner, diagnostics: DiagnosticSink?) throws -> [VModule] {
        var parser = try VerilogParser(buf: buf, file: file, path: path, interner: interner, diagnostics: diagnostics)
        interner = VerilogInterner() // drop this reference so that the parser's copy stays unique
        try parser.parseFile()
        interner = parser.interner
        return parser.modules
    }
}
