// swift-tools-version:5.9
import PackageDescription

// Halo: gate-level timing of MAC hardware under case analysis, and hardware-aware quantization.
// One target per layer (see README "Repository layout"); a lower layer never imports a higher one.
// Each library target has its test target of the same name plus `Tests`.
let package = Package(
    name: "Halo",
    products: [
        .library(name: "Halo", targets: ["Halo", "HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloPower",
                                         "HaloCharacterization", "HaloQuantization", "HaloGenerators", "HaloPlot",
                                         "HaloAccelerator"]),
        .executable(name: "halo", targets: ["halo"]),
    ],
    targets: [
        .target(name: "HaloCore"),
        .target(name: "HaloLiberty", dependencies: ["HaloCore"]),
        .target(name: "HaloNetlist", dependencies: ["HaloCore"]),
        .target(name: "HaloTiming", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist"]),
        .target(name: "HaloPower", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming"]),
        .target(name: "HaloCharacterization", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloPower"]),
        .target(name: "HaloQuantization", dependencies: ["HaloCore"]),
        .target(name: "HaloGenerators", dependencies: ["HaloCore"]),
        .target(name: "HaloPlot", dependencies: ["HaloCore"]),
        // The accelerator model: a weight-stationary array running a quantized model (tables and codes in,
        // cycles, bytes and energy out).
        .target(name: "HaloAccelerator", dependencies: ["HaloCore", "HaloQuantization"]),
        // `import Halo`: every library layer re-exported (Sources/Halo/Halo.swift).
        .target(name: "Halo", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloPower", "HaloCharacterization",
                                             "HaloQuantization", "HaloGenerators", "HaloPlot", "HaloAccelerator"]),
        // The command-line grammar of `halo` (option tables, parsing, help, the README's reference).
        .target(name: "HaloCommandLine", dependencies: ["HaloCore"]),
        .executableTarget(name: "halo", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloPower",
                                                       "HaloCharacterization", "HaloQuantization", "HaloGenerators", "HaloPlot",
                                                       "HaloAccelerator", "HaloCommandLine"]),
        // Shared by the timing, power and characterization tests: library cache, fixture paths, parity
        // comparison with OpenSTA's tables. Not part of any product.
        .target(name: "HaloTestSupport", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloCharacterization"],
                path: "Tests/HaloTestSupport"),
        .testTarget(name: "HaloCoreTests", dependencies: ["HaloCore"]),
        .testTarget(name: "HaloLibertyTests", dependencies: ["HaloCore", "HaloLiberty"]),
        .testTarget(name: "HaloNetlistTests", dependencies: ["HaloCore", "HaloNetlist"]),
        .testTarget(name: "HaloTimingTests", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloCharacterization",
                                                           "HaloTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "HaloPowerTests", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloPower",
                                                          "HaloCharacterization", "HaloTestSupport"]),
        .testTarget(name: "HaloCharacterizationTests", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming",
                                                                     "HaloCharacterization", "HaloTestSupport"]),
        .testTarget(name: "HaloQuantizationTests", dependencies: ["HaloCore", "HaloQuantization"]),
        .testTarget(name: "HaloGeneratorsTests", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming",
                                                               "HaloCharacterization", "HaloGenerators"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "HaloPlotTests", dependencies: ["HaloCore", "HaloPlot"]),
        .testTarget(name: "HaloAcceleratorTests", dependencies: ["HaloCore", "HaloQuantization", "HaloAccelerator"]),
        .testTarget(name: "HaloCLITests", dependencies: ["HaloCore", "halo"]),
        .testTarget(name: "HaloCommandLineTests", dependencies: ["HaloCore", "HaloCommandLine"]),
        // Uses only `import Halo`, as a user's package would.
        .testTarget(name: "HaloUmbrellaTests", dependencies: ["Halo"]),
    ]
)
