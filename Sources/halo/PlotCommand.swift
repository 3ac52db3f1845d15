import Foundation
import HaloCore
import HaloPlot

let plotHelp = """
OVERVIEW: Draw a delay table, or a quantization report's delay- (energy-, EDP-) vs-error front, as an SVG picture.

USAGE: halo plot TABLE.csv|TABLE.json [--format code|intN|uintN|fp16|bf16] [--title TEXT] [-o FILE.svg]
       halo plot --pareto REPORT.json [--title TEXT] [-o FILE.svg]

  A delay table is drawn as delay against code (or against the signed value with --format int8),
  with the delay under no case analysis as a labelled dashed line and a histogram of the delays
  beside it. A report (from quantization: 'pareto', 'baselines' and 'grid' points) is drawn as the
  front of max delay against error, with the baselines as labelled points; a report of
  'halo select/quantize --objective energy' (or edp) puts energy per operation (or EDP) on the x axis.

OPTIONS:
  --format F           x axis of a delay table: code (default), int8, uint8, intN, uintN
                       (intN: codes 2^(N-1) … 2^N-1 are the negative values), fp16, bf16 (the
                       weight's value in code order, one step per value: logarithmic in |value|,
                       ticks at powers of two; NaN and infinite codes are not drawn).
  --pareto REPORT      Plot a quantization report instead of a delay table.
  --title TEXT         Title (default: from the file's metadata and name).
  -o, --output FILE    Write the SVG to FILE (default: standard output).
  -h, --help           Show this help.

  View or convert the SVG with any browser, or e.g. 'rsvg-convert -o delay.png delay.svg'.
"""

/// `halo plot`: SVG pictures of delay tables and quantization reports.
func plotCommand(_ argv: [String]) throws {
    let args = try Arguments(argv, valueOptions: ["--format", "--pareto", "--title", "-o", "--output"],
                             flagOptions: ["--help", "-h"], command: "plot")
    if args.flag("--help") || args.flag("-h") { print(plotHelp); return }
    let diagnostics = DiagnosticSink()
    defer {
        for w in diagnostics.warnings { FileHandle.standardError.write(Data("\(w)\n".utf8)) }
    }
    let svg: String
    if let reportPath = args.value("--pareto") {
        guard args.positionals.isEmpty else {
            throw HaloError("'halo plot --pareto REPORT' takes no other file (found '\(args.positionals[0])')")
        }
        if let f = args.value("--format") {
            throw HaloError("--format '\(f)' applies to delay tables, not to --pareto reports")
        }
        let report = try ParetoReport.read(path: reportPath, diagnostics: diagnostics)
        var plot = ParetoPlot(report: report, name: (reportPath as NSString).lastPathComponent)
        if let t = args.value("--title") { plot.title = t }
        svg = plot.svg()
    } else {
        guard let tablePath = args.positionals.first else {
            throw HaloError("'halo plot' needs a delay table (TABLE.csv or TABLE.json) or --pareto REPORT.json (see 'halo plot --help')")
        }
        guard args.positionals.count == 1 else {
            throw HaloError("'halo plot' draws one table at a time (found '\(args.positionals[0])' and '\(args.positionals[1])')")
        }
        var format = ValueFormat.code
        if let text = args.value("--format") {
            guard let f = ValueFormat.parse(text) else {
                throw HaloError("unknown --format '\(text)' (expected code, int8, uint8, intN or uintN with N from 1 to 62, fp16 or bf16)")
            }
            format = f
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: tablePath, isDirectory: &isDirectory) else {
            throw HaloError("cannot read '\(tablePath)': no such file")
        }
        guard !isDirectory.boolValue else { throw HaloError("cannot read '\(tablePath)': it is a directory") }
        let table = try DelayTable.read(path: tablePath)
        if let bits = format.bits, table.metadata.busWidth > 0, table.metadata.busWidth != bits {
            diagnostics.warn("the table's bus '\(table.metadata.bus)' is \(table.metadata.busWidth) bits wide; plotting it as --format \(format)")
        }
        let netlist = table.metadata.netlist.split(separator: " ").first.map { (String($0) as NSString).lastPathComponent } ?? ""
        let name = netlist.isEmpty ? (tablePath as NSString).lastPathComponent : (netlist as NSString).deletingPathExtension
        var plot = DelayPlot(table: table, format: format, name: name)
        try plot.validate(path: tablePath)
        if let t = args.value("--title") { plot.title = t }
        svg = plot.svg()
    }
    if let output = args.value("-o", "--output") {
        try writeOutput(svg, to: output)
    } else {
        FileHandle.standardOutput.write(Data(svg.utf8))
    }
}

/// Writes `text` to `path`. A regular file (or a new one) is written atomically, through a temporary
/// file renamed into place; a symbolic link is followed first, so that the link stays a link; anything
/// else (`/dev/null`, `/dev/stdout`, a FIFO) is written directly, so that it is never replaced.
func writeOutput(_ text: String, to path: String) throws {
    let fm = FileManager.default
    var target = path
    if let type = (try? fm.attributesOfItem(atPath: path))?[.type] as? FileAttributeType, type == .typeSymbolicLink {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if let t = (try? fm.attributesOfItem(atPath: resolved))?[.type] as? FileAttributeType, t == .typeRegular {
            target = resolved
        } else {
            return try writeDirectly(text, to: path)
        }
    }
    var isDirectory: ObjCBool = false
    if fm.fileExists(atPath: target, isDirectory: &isDirectory) {
        if isDirectory.boolValue { throw HaloError("cannot write '\(path)': it is a directory") }
        let type = (try? fm.attributesOfItem(atPath: target))?[.type] as? FileAttributeType
        if type != .typeRegular { return try writeDirectly(text, to: path) }
    } else {
        let parent = (target as NSString).deletingLastPathComponent
        if !parent.isEmpty && !fm.fileExists(atPath: parent) {
            throw HaloError("cannot write '\(path)': no such directory '\(parent)'")
        }
    }
    do { try text.write(toFile: target, atomically: true, encoding: .utf8) } catch {
        throw HaloError("cannot write '\(path)': \(error.localizedDescription)")
    }
}

private func writeDirectly(_ text: String, to path: String) throws {
    guard let handle = FileHandle(forWritingAtPath: path) else { throw HaloError("cannot write '\(path)'") }
    defer { try? handle.close() }
    handle.write(Data(text.utf8))
}
