// swift-tools-version:5.9
import PackageDescription

// Halo: gate-level timing of MAC hardware under case analysis, and hardware-aware quantization.
// One target per layer (see README "Repository layout"); a lower layer never imports a higher one.
let package = Package(
    name: "Halo",
    products: [
        .library(name: "Halo", targets: ["Halo", "HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloCharacterization",
                                         "HaloQuantization", "HaloGenerators", "HaloPlot"]),
        .executable(name: "halo", targets: ["halo"]),
    ],
    targets: [
        .target(name: "HaloCore"),
        .target(name: "HaloLiberty", dependencies: ["HaloCore"]),
        .target(name: "HaloNetlist", dependencies: ["HaloCore"]),
        .target(name: "HaloTiming", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist"]),
        .target(name: "HaloCharacterization", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming"]),
        .target(name: "HaloQuantization", dependencies: ["HaloCore"]),
        .target(name: "HaloGenerators", dependencies: ["HaloCore"]),
        .target(name: "HaloPlot", dependencies: ["HaloCore"]),
        // `import Halo`: every library layer re-exported (Sources/Halo/Halo.swift).
        .target(name: "Halo", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloCharacterization",
                                             "HaloQuantization", "HaloGenerators", "HaloPlot"]),
        // The command-line grammar of `halo` (option tables, parsing, help, the README's reference).
        .target(name: "HaloCommandLine", dependencies: ["HaloCore"]),
        .executableTarget(name: "halo", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloCharacterization",
                                                       "HaloQuantization", "HaloGenerators", "HaloPlot", "HaloCommandLine"]),
        .testTarget(name: "HaloCoreTests", dependencies: ["HaloCore"]),
        .testTarget(name: "HaloLibertyTests", dependencies: ["HaloCore", "HaloLiberty"]),
        .testTarget(name: "HaloNetlistTests", dependencies: ["HaloCore", "HaloNetlist"]),
        .testTarget(name: "HaloTimingTests", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming", "HaloCharacterization"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "HaloQuantizationTests", dependencies: ["HaloCore", "HaloQuantization"]),
        .testTarget(name: "HaloGeneratorsTests", dependencies: ["HaloCore", "HaloLiberty", "HaloNetlist", "HaloTiming",
                                                               "HaloCharacterization", "HaloGenerators"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "HaloPlotTests", dependencies: ["HaloCore", "HaloPlot"]),
        .testTarget(name: "HaloCLITests", dependencies: ["HaloCore", "halo"]),
        .testTarget(name: "HaloCommandLineTests", dependencies: ["HaloCore", "HaloCommandLine"]),
        // Uses only `import Halo`, as a user's package would.
        .testTarget(name: "HaloUmbrellaTests", dependencies: ["Halo"]),
    ]
)
