// The libFuzzer entry point for Halo's readers; the targets themselves are in
// Tests/HaloCLITests/FuzzTests.swift (compiled with -D HALO_FUZZ_STANDALONE). See run.sh.
//
// HALO_FUZZ_TARGET   liberty | verilog | table | shard | report | npy | safetensors | text-weights
// HALO_FUZZ_STRICT=1 abort on a "problem" (an error that is not a one-line HaloError) so that libFuzzer
//                    saves the input; otherwise problems are logged (first 20 distinct) and fuzzing goes on.
// HALO_FUZZ_SEEDS=D  write the target's built-in seeds into directory D and exit.
import Foundation

let environment = ProcessInfo.processInfo.environment
let fuzzTarget: FuzzTarget = {
    let name = environment["HALO_FUZZ_TARGET"] ?? "liberty"
    guard let t = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("halo-fuzz: unknown HALO_FUZZ_TARGET '\(name)' (\(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))\n".utf8))
        exit(2)
    }
    return t
}()
let strict = environment["HALO_FUZZ_STRICT"] == "1"
nonisolated(unsafe) var problemsSeen: Set<String> = []
nonisolated(unsafe) var problemCount = 0

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    if let dir = environment["HALO_FUZZ_SEEDS"] {
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (k, seed) in FuzzSeeds.builtIn(fuzzTarget).enumerated() {
            _ = FileManager.default.createFile(atPath: "\(dir)/builtin-\(k)", contents: Data(seed))
        }
        exit(0)
    }
    _ = fuzzTarget
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Data(bytes: $0, count: size) } ?? Data()
    if let problem = fuzzTarget.run(input) {
        problemCount += 1
        // Problems of one kind differ in their echoed text: key them by the first 40 characters.
        let key = String(problem.prefix(40))
        if strict { FileHandle.standardError.write(Data("halo-fuzz: PROBLEM: \(problem)\n".utf8)); abort() }
        if problemsSeen.count < 20, problemsSeen.insert(key).inserted {
            FileHandle.standardError.write(Data("halo-fuzz: problem (not a crash): \(problem.prefix(400))\n".utf8))
        }
    }
    return 0
}
