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
    if args.flag("--help") || args.flag("-h") { try printHelp(plotHelp); return }
    let diagnostics = DiagnosticSink()
    defer { printWarnings(diagnostics) }
    let output = args.value("-o", "--output")
    if let reportPath = args.value("--pareto") {
        guard args.positionals.isEmpty else {
            throw HaloError("'halo plot --pareto REPORT' takes no other file (found '\(args.positionals[0])')")
        }
        if let f = args.value("--format") {
            throw HaloError("--format '\(f)' applies to delay tables, not to --pareto reports")
        }
        let outputs = try RunOutputs([output], inputs: [reportPath])
        let report = try ParetoReport.read(path: reportPath, diagnostics: diagnostics)
        var plot = ParetoPlot(report: report, name: (reportPath as NSString).lastPathComponent)
        if let t = args.value("--title") { plot.title = t }
        try outputs.commit(plot.svg(), to: output)
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
        let outputs = try RunOutputs([output], inputs: [tablePath])
        let table = try DelayTable.read(path: tablePath)
        if let bits = format.bits, table.metadata.busWidth > 0, table.metadata.busWidth != bits {
            diagnostics.warn("the table's bus '\(table.metadata.bus)' is \(table.metadata.busWidth) bits wide; plotting it as --format \(format)")
        }
        let netlist = table.metadata.netlist.split(separator: " ").first.map { (String($0) as NSString).lastPathComponent } ?? ""
        let name = netlist.isEmpty ? (tablePath as NSString).lastPathComponent : (netlist as NSString).deletingPathExtension
        var plot = DelayPlot(table: table, format: format, name: name)
        try plot.validate(path: tablePath)
        if let t = args.value("--title") { plot.title = t }
        try outputs.commit(plot.svg(), to: output)
    }
}
