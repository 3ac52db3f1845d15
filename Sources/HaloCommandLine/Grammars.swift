// The option table of every `halo` subcommand. An option used by several subcommands is defined once
// here (`Shared`), so it is spelled, explained and parsed the same way everywhere:
// `-o, --output FILE` on every subcommand that writes, `--quiet` and `--threads N` on every subcommand,
// `--json` where a JSON output can be chosen, `--format csv|json` for a table's file format and
// `--number-format F` for how codes encode values (`--format` still accepted there, with a warning).

/// The options several subcommands share.
public enum Shared {
    public static func output(_ help: String, required: Bool = false) -> OptionSpec {
        OptionSpec("--output", "FILE", aliases: ["-o"], default: required ? nil : "standard output", required: required, help: help)
    }
    public static let quiet = OptionSpec.flag("--quiet", aliases: ["-q"],
                                              help: "No progress or status lines on standard error (warnings and errors still are).")
    public static func threads(_ help: String = "Worker threads (default: all cores).") -> OptionSpec {
        OptionSpec("--threads", "N", default: "all cores", help: help)
    }
    public static let tableFormat = OptionSpec("--format", "csv|json", default: "csv, or json for a -o file ending in .json",
                                               help: "Output format (default csv, or by the -o file's extension).")
    public static let json = OptionSpec.flag("--json", help: "Write JSON (the same as --format json).")

    // Reading a design.
    public static let liberty = OptionSpec("--liberty", "LIB", aliases: ["-l"], default: "the embedded generic library", repeatable: true, help: """
        Liberty library (repeatable). Without one, gate primitives and Yosys
        internal cells are timed with Halo's embedded generic library.
        """)
    public static let top = OptionSpec("--top", "MODULE", default: "the module no other module instantiates",
                                       help: "Top module (default: the module no other module instantiates).")
    public static let outputLoad = OptionSpec("--output-load", "C", unit: "fF (fF, pF)", default: "10fF",
                                              help: "Load on every output port (default 10fF; units fF, pF).")
    public static let inputSlew = OptionSpec("--input-slew", "T", unit: "ns (ps, ns)", default: "0ps",
                                             help: "Transition at every input port (default 0ps; units ps, ns).")
    public static let clock = OptionSpec("--clock", "PORT", default: "found when unambiguous",
                                         help: "Clock port of a registered design (found by itself when unambiguous).")
    public static let propagatedClock = OptionSpec.flag("--propagated-clock", help: """
        Clock edges travel through the clock tree's cells (launch and capture
        latency and slew), as OpenSTA's set_propagated_clock; default: ideal clock.
        """)
    public static let blackBox = OptionSpec.flag("--black-box", help: """
        Time around instances of unknown cells as OpenSTA's black boxes (their pins
        neither drive nor load) instead of an error. Unknown cells with no
        connections (tap, filler cells) are always skipped with one warning.
        """)

    // Quantization.
    public static func numberFormat(required: Bool, help: String) -> OptionSpec {
        OptionSpec("--number-format", "F", deprecated: ["--format"], required: required, help: help)
    }
    public static let levels = OptionSpec("--levels", "K|all", default: "16",
                                          help: "Levels of the grid (default 16); 'all' keeps every allowed value.")
    public static let tensor = OptionSpec("--tensor", "NAME", default: "every F32/F16/BF16 tensor of rank >= 2", repeatable: true, help: """
        Tensor to use, exact name or glob ('encoder.*.weight'; repeatable).
        Default: every F32/F16/BF16 tensor of rank >= 2.
        """)
    public static let importance = OptionSpec("--importance", "FILE", default: "1 for every weight", help: """
        Per-weight importance. Calibration statistics (also with a model folder): a
        .safetensors file of NAME.act_sq (F32 [in_features], mean x^2 of the layer's
        inputs; weight (r, c) gets act_sq[c]) or NAME.fisher (F32, the weight's shape)
        for any subset of the quantized tensors, each normalised to mean 1, the others
        1 (Scripts/calibrate.sh writes one). Or raw importance (weight files only):
        for each tensor NAME a tensor NAME of the same shape, or of in_features values
        broadcast over the rows; a file with one tensor applies to every weight tensor.
        """)
    public static let sensitiveFraction = OptionSpec("--sensitive-fraction", "F", default: "0 (one grid)", help: """
        Keep up to F (0-1, or 5%) of the weights, the most sensitive scale blocks by
        importance-weighted error saved, on the sensitive grid (every code of the
        format, e.g. INT8), the rest on the fast grid; NAME.grid maps each block's
        grid. The report gives the counts and the time-weighted speed-up.
        """)
    public static let skip = OptionSpec("--skip", "NAME", default: "none", repeatable: true, help: """
        Tensor to keep as it is, exact name or glob (repeatable); wins over --tensor.
        """)
    public static let sample = OptionSpec("--sample", "N", unit: "weights", default: "16777216", help: """
        With a model folder: the grid is chosen on at most N of its weights (whole
        rows drawn uniformly from every selected tensor; all of them when they fit).
        """)
    public static let budgets: [OptionSpec] = [
        OptionSpec("--max-delay", "T", unit: "ns (ps, ns)", exclusive: "budget",
                   help: "Allow codes with delay <= T (units ps, ns; bare numbers are ns)."),
        OptionSpec("--min-speedup", "S", exclusive: "budget", help: """
            Allow codes with delay <= reference / S. The reference delay is the table's
            'none' row (the MAC without case analysis), or its slowest code when that
            row has no path.
            """),
        OptionSpec("--max-mse", "E", exclusive: "budget", help: "The fastest grid (over the table's distinct delays) with MSE <= E."),
        OptionSpec("--min-sqnr", "D", unit: "dB", exclusive: "budget", help: "The fastest grid with SQNR >= D dB."),
    ]
    public static let objective = OptionSpec("--objective", "O", default: "delay", help: """
        What an error budget minimizes, and the front's axis (default delay):
        delay   the grid's slowest code (the clock period);
        energy  energy per MAC operation: the mean energy_fj of the codes the weights
                are quantized to (a table from 'halo characterize --energy');
        edp     energy per operation x the grid's delay (fJ·ns).
        With a table that has energy the report gives every grid's energy per op and
        its ratio to the format's all-codes grid (uniform INT8 for int8).
        """)
    public static let granularity = OptionSpec("--granularity", "G", default: "channel", help: """
        One scale per tensor, per output channel (row; default) or per group of G
        consecutive weights of a row (group:128).
        """)
    public static func pareto(default on: Bool) -> [OptionSpec] {
        [.flag("--pareto", help: "Sweep the candidates: the front of max delay (or energy, or EDP) vs error"
                + (on ? " (default)." : ".\n(default: --no-pareto)")),
         .flag("--no-pareto", help: "Skip the Pareto sweep (the report's 'pareto' is then empty)" + (on ? ".\n(default: --pareto)" : "; the default."))]
    }
}

/// The grammars of all subcommands, in the order of the top-level help.
public enum Grammars {
    public static let all: [CommandGrammar] = [characterize, report, merge, generate, select, quantize, simulate, plot]

    /// The grammar of subcommand `name`.
    public static func named(_ name: String) -> CommandGrammar? { all.first { $0.name == name } }

    static let energySection = "ENERGY (adds columns energy_fj,toggles: energy per operation in fJ, net transitions per operation)"

    public static let characterize = CommandGrammar(
        name: "characterize",
        summary: "Delay of every code held on a bus (CSV or JSON delay table)",
        overview: "Time a netlist for every code held on a bus, as OpenSTA's set_case_analysis would.",
        positionals: "NETLIST.v...",
        options: [
            Shared.liberty,
            OptionSpec("--corner", "V=LIB[,LIB]", unit: "V", repeatable: true, help: """
                Characterize at a supply voltage with that voltage's libraries (repeatable,
                instead of --liberty; e.g. --corner 1.80V=tt_1v80.lib --corner 5.00V=tt_5v00.lib).
                The netlist is read once; the output is one CSV of corner tables: a column
                delay_ns@V per voltage (and energy_fj@V, toggles@V, input_energy_fj@V).
                """),
            OptionSpec("--vf-output", "FILE", default: "none", help: """
                With --corner: also write the voltage/frequency table of the corners (the
                full MAC's clock at each voltage), the file 'halo quantize --vf-table' reads.
                """),
            Shared.top,
            OptionSpec("--bus", "NAME", required: true,
                       help: "Bus whose codes are swept: a port bus (W) or an internal net bus (wreg)."),
            OptionSpec("--codes", "A-B", default: "all: 0 … 2^n−1",
                       help: "Range of codes (default: all 0 … 2^n−1), or one code. A and B take 37, 0x25, -3."),
            OptionSpec("--set", "TARGET=VALUE", repeatable: true, help: """
                Hold another constant: a bus and code (P=0) or a bit (load_w=1). Not a bit
                of the swept --bus: that would change the 'none' reference row.
                """),
            Shared.outputLoad, Shared.inputSlew, Shared.clock, Shared.propagatedClock, Shared.blackBox,
            Shared.threads(),
            OptionSpec("--shard", "I/N", default: "all codes", help: """
                Time only the I-th (0-based) of N equal slices of the codes, for array jobs;
                join the shard files with 'halo merge'.
                """),
            Shared.tableFormat, Shared.json,
            Shared.output("Write the table to FILE (default: standard output)."),
            Shared.quiet,
            OptionSpec.flag("--energy", section: energySection, help: """
                Simulate each code with the same input stream (weight bus held) and count
                toggles; energy = ½·C·V² per net transition + Liberty internal_power.
                """),
            OptionSpec("--vectors", "N", default: "1000 (with --activations: the file's length)", section: energySection,
                       help: "Vectors per code (default 1000; with --activations, the file's length)."),
            OptionSpec("--activations", "FILE", default: "random", section: energySection, help: """
                Activation values from FILE instead of random: integers (-3, 17, 0x2a)
                separated by blanks, commas or newlines, '#' comments; repeated if shorter.
                """),
            OptionSpec("--stimulus", "KIND", default: "uniform", section: energySection, help: """
                Random activations: uniform (default) or gaussian[:SIGMA] (SIGMA in integer
                steps, default a quarter of the signed range: 32 for 8 bits).
                """),
            OptionSpec("--seed", "S", default: "1", section: energySection, help: "Seed of the random streams (default 1)."),
            OptionSpec("--activation-bus", "B", default: "the other input bus of the weight's width", section: energySection,
                       help: "Bus the activations drive (default: the other input bus of the weight's width)."),
            OptionSpec("--other-inputs", "M", default: "zero", section: energySection,
                       help: "Other free inputs (e.g. the partial sum P): zero (default) or random."),
            OptionSpec.flag("--glitch", section: energySection,
                            help: "Event-driven simulation with per-arc delays: glitches count (combinational)."),
            OptionSpec("--vdd", "V", unit: "V", default: "the library's nom_voltage", section: energySection,
                       help: "Supply voltage for ½·C·V² (default: the library's nom_voltage)."),
            OptionSpec("--input-net-energy", "M", default: "separate", section: energySection, help: """
                Nets driven by the input ports (and clock): separate (default, as OpenSTA's
                report_power: not in energy_fj, their ½·C·V² in a column input_energy_fj)
                or include (in energy_fj).
                """),
        ])

    public static let report = CommandGrammar(
        name: "report",
        summary: "Worst-path report in the manner of OpenSTA's report_checks",
        overview: "Report the worst paths of a netlist, optionally under case analysis.",
        positionals: "NETLIST.v...",
        options: [
            Shared.liberty, Shared.top,
            OptionSpec("--set", "TARGET=VALUE", repeatable: true,
                       help: "Case analysis: a bus and code (W=37, W=-3, W=0x25) or a bit (W[3]=1)."),
            OptionSpec("--paths", "N", default: "1", help: "Report the worst path of each of the N worst endpoints (default 1)."),
            Shared.outputLoad, Shared.inputSlew, Shared.clock, Shared.propagatedClock, Shared.blackBox,
            Shared.threads("Worker threads (accepted for a uniform command line; one analysis runs on one)."),
            Shared.output("Write the report to FILE (default: standard output)."),
            Shared.quiet,
        ])

    public static let merge = CommandGrammar(
        name: "merge",
        summary: "Join shard tables (from --shard i/n) into one, refusing overlaps and gaps",
        overview: "Join delay tables written by 'halo characterize --shard I/N' into one table.",
        positionals: "SHARD.csv|SHARD.json...",
        discussion: """
            Refuses a code present in two shards, missing codes between the shards (naming the shards around
            them), and 'none' rows that disagree. JSON shards record their run: every shard's bus, bus width,
            netlist, top module, output load, input slew, libraries, clock and energy stimulus must equal the
            first shard's, and every code of the bus must be present. CSV and JSON shards are not mixed.
            """,
        options: [
            Shared.tableFormat, Shared.json,
            Shared.output("Write the merged table to FILE (default: standard output)."),
            Shared.threads("Worker threads (accepted for a uniform command line; merging runs on one)."),
            Shared.quiet,
        ])

    public static let generate = CommandGrammar(
        name: "generate",
        summary: "Generate a MAC variant netlist (array/Wallace/Dadda/Booth/Baugh-Wooley, int or e4m3)",
        overview: "Generate a gate-level MAC netlist, Y = P + A*W (or a multiplier, Y = A*W).",
        positionals: "mac",
        discussion: """
            The netlist is structural Verilog of Yosys internal cells ($_AND_, $_XOR_, $_MUX_, ..., flip-flops
            $_DFF_P_ and $_DFFE_PP_): 'halo characterize' times it with the embedded generic library, and Yosys
            maps it to a Liberty library (synth; dfflibmap -liberty LIB; abc -liberty LIB).
            """,
        epilogue: """
            PORTS: A (activation), W (weight), P (partial sum in), Y (out); registered: also clk, load_w.

            EXAMPLE:
              halo generate mac --multiplier booth4 --adder kogge-stone --width 8 -o mac.v
              halo characterize mac.v --bus W
            """,
        options: [
            OptionSpec("--multiplier", "KIND", required: true, help: """
                array         carry-save array, unsigned (the signed array is baugh-wooley)
                wallace       Wallace tree (AND or Baugh-Wooley partial products)
                dadda         Dadda tree (AND or Baugh-Wooley partial products)
                booth4        radix-4 Booth partial products, Wallace tree
                baugh-wooley  Baugh-Wooley signed carry-save array, signed only
                """),
            OptionSpec("--width", "N", required: true,
                       help: "Bits of A and W: 2 ... 32 (--format e4m3: 8, fp16 and bf16: 16, the defaults there)."),
            OptionSpec("--adder", "KIND", default: "ripple", help: """
                Carry-propagate adder after the reduction (default ripple):
                ripple, kogge-stone, brent-kung, sklansky.
                """),
            .flag("--signed", help: """
                Two's complement A, W, P, Y (the default, but for array: --unsigned,
                the only one it supports). Not for e4m3/fp16/bf16, whose values carry a sign bit.
                """),
            .flag("--unsigned", help: "Unsigned A, W, P, Y."),
            OptionSpec("--acc-width", "M", default: "2N+4", help: """
                Bits of P and Y (default 2N+4, or 2N with --no-accumulate; e4m3: 41, or 37).
                Y = (P + A*W) mod 2^M. fp16, bf16: 32 only (binary32).
                """),
            // The MAC's arithmetic; the generated netlist's header records it as --format.
            OptionSpec("--format", "int|e4m3|fp16|bf16", default: "int", help: """
                int (default); e4m3: FP8 E4M3 operands (bias 7, subnormals, S.1111.111 read as
                +-480) with P and Y two's complement fixed point with 18 fraction bits
                (LSB 2^-18): every product is exact in 37 bits; fp16, bf16: IEEE binary16 or
                bfloat16 operands with P and Y IEEE binary32, Y = fp32(P + A*W) fused (exact
                product, one rounding to nearest even, subnormals, +-Inf and NaN as IEEE 754
                fusedMultiplyAdd; NaN results are 0x7FC00000). The significand product uses
                --multiplier (not baugh-wooley); --adder builds the alignment, addition,
                normalization and rounding adders.
                """),
            .flag("--registered", help: """
                Add registers clocked by the rising edge of clk: wreg <= W when load_w,
                areg <= A, preg <= P, Y <= MAC(areg, wreg, preg). Characterize with --bus wreg.
                """),
            .flag("--no-accumulate", help: "A plain multiplier, Y = A*W (no P port)."),
            OptionSpec("--top", "NAME", default: "from the options", help: """
                Module name (default from the options, e.g. mac_booth4_koggestone_s8,
                mul_array_ripple_u4, mac_dadda_sklansky_e4m3_reg, mac_dadda_koggestone_bf16).
                """),
            Shared.output("Write the netlist to FILE (default: standard output)."),
            Shared.threads("Worker threads (accepted for a uniform command line; generation runs on one)."),
            Shared.quiet,
        ])

    static let selectNumberFormat = Shared.numberFormat(required: true, help: """
        How the table's codes (the bus bits) encode values: intN (two's complement,
        int8 code 255 = -1), uintN, e4m3, e5m2 (OCP FP8), e2m1 (OCP FP4),
        fp16 (IEEE binary16), bf16 (bfloat16): codes are the bit patterns; NaN and
        infinite codes are never levels. Formerly --format (still accepted, with a warning).
        """)

    public static let select = CommandGrammar(
        name: "select",
        summary: "Choose a quantization grid of fast codes from a delay table",
        overview: "Choose a quantization grid of fast codes from a delay table.",
        positionals: "TABLE.csv",
        discussion: """
            The grid is the K codes (of those within the budget) and the scales that minimize the squared error
            of the weights, every weight going to its nearest level. The level choice is exact (dynamic
            programming over the sorted allowed values); the scales are searched (log grid + golden section).
            With an error budget (--max-mse, --min-sqnr) the grid is instead the one of least delay, energy per
            operation or energy-delay product (--objective) that meets it.
            """,
        options: [
            selectNumberFormat, Shared.levels,
            OptionSpec("--weights", "FILE", default: "synthetic Gaussian weights (with a warning)", repeatable: true, help: """
                .safetensors (F32/F16/BF16), .npy (f4/f2/f8, C order) or text/CSV numbers
                (repeatable), or a Hugging Face model folder (alone; its linear-layer
                weights, sampled: see --sample). Without it: synthetic weights (see
                --distribution), with a warning.
                """),
            Shared.tensor, Shared.skip, Shared.sample, Shared.importance, Shared.sensitiveFraction,
            OptionSpec("--distribution", "D", default: "gaussian", help: "Synthetic weights without --weights: gaussian (default) or laplace."),
            OptionSpec("--samples", "N", default: "65536", help: "Synthetic sample count (default 65536)."),
            OptionSpec("--seed", "N", default: "1", help: "Synthetic seed (default 1)."),
        ] + Shared.budgets + [
            Shared.objective, Shared.granularity,
        ] + Shared.pareto(default: false) + [
            Shared.threads(),
            Shared.output("""
                Write the JSON report to FILE and a summary to standard output
                (default: the JSON on standard output).
                """),
            Shared.quiet,
        ])

    public static let quantize = CommandGrammar(
        name: "quantize",
        summary: "Quantize weights (.safetensors/.npy/CSV) onto that grid, with baselines and DVFS plan",
        overview: "Quantize weights onto the grid of fast codes chosen from a delay table.",
        positionals: "",
        discussion: """
            OUT.safetensors holds, for every quantized tensor NAME:
              NAME          F32, same shape: scale * value(code), ready to load in place of the original
              NAME.codes    U8 (U16 for formats wider than 8 bits), same shape: the bus codes
              NAME.scale    F32 [rowBlocks, colBlocks]: weight (r, c) of the matrix view [shape[0], rest]
                            uses scale[r / blockRows, c / blockCols] ([1,1] per tensor, [rows,1] per channel)
              NAME.level    U8 [tileRows, tileCols], with a DVFS plan: each tile's level
              NAME.grid     U8 [rowBlocks, colBlocks], with --sensitive-fraction: 0 fast, 1 sensitive grid
            and every other tensor of the weight files (biases, norms, tensors not selected by --tensor)
            unchanged: same name, dtype, shape and bytes.
            With a model folder as --weights (a Hugging Face folder: model.safetensors.index.json and
            its shards, or *.safetensors), -o is a folder that loads exactly as the original: the same
            shards, tensor names, dtypes and shapes, every other file copied; quantized tensors hold
            scale * value(code) in their own dtype (BF16 stays BF16), every other tensor its bytes.
            Codes and scales go to halo-codes-*.safetensors beside them, listed in halo.json. By
            default the 2-D linear-layer weights are quantized (not embeddings, norms, biases or
            lm_head); the grid is chosen on a sample (--sample) and applied tensor by tensor, in
            bounded memory; the front is swept only with --pareto.
            REPORT.json holds format, levels, grid {codes, values, max_delay_ns, mse, sqnr_db, speedup},
            baselines (all codes, INT4 in the low and in the high bits or, for fp16/bf16, the codes of E4M3,
            E5M2 and E2M1 values, the K fastest codes), tensors, the
            Pareto front of max delay (energy, EDP with --objective) vs error, and the DVFS plan when asked;
            with a table that has energy, energy_fj per operation and its ratio to the all-codes grid.
            """,
        options: [
            OptionSpec("--table", "FILE", default: "the nominal corner of --corners", help: """
                Delay table (CSV or JSON from 'halo characterize'); required unless --corners
                gives it (its highest voltage).
                """),
            Shared.numberFormat(required: true, help: "How the table's codes encode values (see 'halo select --help')."),
            OptionSpec("--weights", "FILE", repeatable: true, required: true, help: """
                .safetensors, .npy or text weights (repeatable), or a Hugging Face model
                folder (alone): then -o is a folder that loads as the original does.
                """),
            Shared.levels, Shared.tensor, Shared.skip, Shared.importance, Shared.sensitiveFraction,
            OptionSpec("--grid", "FILE", default: "chosen from the weights", help: """
                Apply the grid of FILE (a report of 'halo select -o', or a quantized
                model's halo.json) instead of choosing one; scales are still fitted.
                """),
            Shared.sample,
            OptionSpec("--shard", "I/N", default: "the whole model", help: """
                With a model folder: write only the I-th of N groups of its shard files
                (I from 0; give --grid so that every job applies the same grid). The N
                jobs write into the same -o folder; no merge step is needed.
                """),
            OptionSpec.flag("--force", help: "Replace an existing output folder (model folders)."),
        ] + Shared.budgets + [
            Shared.objective, Shared.granularity,
            OptionSpec("--tile", "RxC", default: "no DVFS plan", help: "DVFS tile of each weight matrix (e.g. 128x128)."),
            OptionSpec("--dvfs-levels", "L", default: "3", help: """
                Frequency levels (default 3). Budgets default to: the slowest code (or
                --max-delay), the fastest budget that still allows K values, and the others
                evenly spaced in frequency between, snapped to delays of the table.
                """),
            OptionSpec("--dvfs-budgets", "LIST", unit: "ns (ps, ns)", help: "Explicit level budgets (e.g. 4.6ns,3.7ns,3.4ns)."),
            OptionSpec("--dvfs-goal", "G", default: "speed", help: """
                speed (default): nominal voltage, each tile clocked at its grid's delay;
                energy: the reference clock, each tile at the lowest voltage meeting it.
                """),
            OptionSpec("--dvfs-slack", "X", default: "0.1", help: """
                Allowed increase of the importance-weighted squared error over every tile
                at the most accurate level (default 0.1 = 10%).
                """),
            OptionSpec("--vf-table", "FILE", default: "alpha-power law", help: """
                Voltage/frequency table: CSV lines 'voltage_v,frequency_mhz' (optional
                header, # comments), the frequency the full MAC reaches at that voltage; the
                highest voltage is where the delay table holds. Default: alpha-power law,
                1.8 V nominal, Vt 0.45 V, alpha 1.3, 10 mV steps.
                """),
            OptionSpec("--corners", "FILE", default: "none", help: """
                Corner tables ('halo characterize --corner'): with --dvfs-goal energy each
                level runs at the lowest characterized voltage at which every code of its
                grid, at that voltage's own delay, meets the reference clock (no
                interpolation between corners). Instead of --vf-table.
                """),
        ] + Shared.pareto(default: true) + [
            Shared.threads(),
            Shared.output("The .safetensors output, or the output folder for a model folder (required).", required: true),
            OptionSpec("--report", "FILE", default: "none", help: "The JSON report."),
            Shared.quiet,
        ])

    public static let simulate = CommandGrammar(
        name: "simulate",
        summary: "Run a quantized model on a weight-stationary systolic array: time and energy vs INT8",
        overview: "Run a quantized model (or GEMM shapes) on a weight-stationary array: time and energy vs INT8.",
        positionals: "",
        discussion: """
            The array (default 128x128 MACs, TPU v1 buffer and DRAM figures; see README "Accelerator
            model") is configured by --config FILE, a JSON object of the fields the README lists. Each
            GEMM is cut into weight tiles; each tile runs at the fastest DVFS level whose clock its
            slowest code meets (--dvfs-goal speed) or at the lowest voltage meeting the signed-off
            clock (energy). The table needs energy_fj (halo characterize --energy). The nets driven by
            the MAC's input ports are charged once per operation: from the table's input_energy_fj
            (--input-net-energy separate), else as the zero weight's energy, taken out of every code.
            Weights: --model FOLDER (written by 'halo quantize --weights FOLDER -o OUT': its codes give
            every tile's codes), or --shapes FILE ({"gemms": [{"name", "k", "n", "repeat"}]}) with --grid.
            """,
        options: [
            OptionSpec("--table", "FILE", default: "none (or --corners)", help: """
                Delay table with energy_fj (CSV or JSON from 'halo characterize --energy');
                required unless --corners is given.
                """),
            Shared.numberFormat(required: true, help: "How the table's codes encode values (see 'halo select --help')."),
            OptionSpec("--model", "FOLDER", help: "A quantized model folder (halo.json and halo-codes-*.safetensors)."),
            OptionSpec("--shapes", "FILE", help: "GEMM shapes: JSON {\"gemms\": [{\"name\": …, \"k\": IN, \"n\": OUT, \"repeat\": R}]} (needs --grid)."),
            OptionSpec("--grid", "FILE", help: "The HALO grid with --shapes: a report of 'halo select', or a model's halo.json."),
            OptionSpec("--config", "FILE", default: "the documented defaults", help: "Array configuration: a JSON object overriding any default field."),
            OptionSpec("--prefill-tokens", "N", default: "512", help: "Prompt length of the prefill phase (0: no prefill)."),
            OptionSpec("--prefill-batch", "N", default: "1", help: "Sequences per prefill batch."),
            OptionSpec("--decode-tokens", "N", default: "128", help: "Generated tokens (decode steps; 0: no decode)."),
            OptionSpec("--decode-batch", "N", default: "1", help: "Sequences per decode batch."),
            OptionSpec("--dvfs-levels", "L", default: "from --config (3)", help: "DVFS levels (overrides the configuration)."),
            OptionSpec("--dvfs-goal", "G", default: "from --config (speed)", help: """
                speed: nominal voltage, a clock per level; energy: the signed-off clock,
                a supply voltage per level (overrides the configuration).
                """),
            OptionSpec("--vf-table", "FILE", default: "alpha-power law", help: """
                Voltage/frequency table for the energy goal (as for 'halo quantize').
                Default: alpha-power law, nominal at the table's supply voltage (1.8 V when
                it records none), Vt 0.45 V, alpha 1.3, 10 mV steps.
                """),
            OptionSpec("--corners", "FILE", default: "none", help: """
                Per-voltage tables ('halo characterize --corner V=LIB ... --energy') instead of
                --table and --vf-table: every voltage with its own per-code delays and
                energies, levels only at those voltages (between two, the higher); the
                signed-off clock is the highest voltage's full MAC.
                """),
            OptionSpec.flag("--reorder", help: """
                With --model: reorder output channels (slowest rows together) of layers whose
                consumer follows (MLP up/gate -> down, intermediate -> output, fc1 -> fc2) and
                report the HALO grid with and without it.
                """),
            OptionSpec("--permutations", "FILE", default: "none", help: "With --reorder: write the permutations as JSON a loader can apply."),
            OptionSpec("--plot", "FILE", default: "none", help: "Write an SVG of time and energy per layer (prefill, and one decode step)."),
            Shared.json,
            Shared.threads(),
            Shared.output("""
                Write the JSON report to FILE and the table to standard output (default:
                the table, or the JSON with --json, on standard output).
                """),
            Shared.quiet,
        ])

    public static let plot = CommandGrammar(
        name: "plot",
        summary: "Draw a delay table (delay per code, histogram) or a delay-vs-error report as SVG",
        overview: "Draw a delay table, or a quantization report's delay- (energy-, EDP-) vs-error front, as an SVG picture.",
        positionals: "TABLE.csv|TABLE.json",
        otherUsages: ["halo plot --pareto REPORT.json [--title TEXT] [-o FILE.svg]"],
        discussion: """
              A delay table is drawn as delay against code (or against the signed value with --number-format
              int8), with the delay under no case analysis as a labelled dashed line and a histogram of the
              delays beside it. A report (from quantization: 'pareto', 'baselines' and 'grid' points) is drawn
              as the front of max delay against error, with the baselines as labelled points; a report of
              'halo select/quantize --objective energy' (or edp) puts energy per operation (or EDP) on the x axis.
            """,
        epilogue: "  View or convert the SVG with any browser, or e.g. 'rsvg-convert -o delay.png delay.svg'.",
        options: [
            Shared.numberFormat(required: false, help: """
                x axis of a delay table: code (default), int8, uint8, intN, uintN
                (intN: codes 2^(N-1) … 2^N-1 are the negative values), fp16, bf16 (the
                weight's value in code order, one step per value: logarithmic in |value|,
                ticks at powers of two; NaN and infinite codes are not drawn).
                Formerly --format (still accepted, with a warning).
                """),
            OptionSpec("--pareto", "REPORT", help: "Plot a quantization report instead of a delay table."),
            OptionSpec("--title", "TEXT", default: "from the file's metadata and name", help: "Title (default: from the file's metadata and name)."),
            Shared.output("Write the SVG to FILE (default: standard output)."),
            Shared.threads("Worker threads (accepted for a uniform command line; drawing runs on one)."),
            Shared.quiet,
        ])
}
