import Foundation

/// Plain-text weights: numbers separated by commas, whitespace or newlines; `#` starts a comment.
/// When every non-empty line holds the same number of values (and there are at least two lines) the
/// tensor is 2-D `[lines, values per line]`, otherwise 1-D. Errors are located (`file:line:column`).
public enum TextWeights {
    /// Reads a file; the tensor is named after the file's stem.
    public static func read(path: String) throws -> WeightTensor {
        let data = try InputFile.read(path)
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(data, path: path, name: stem)
    }

    /// Parses text bytes; `path` labels errors.
    public static func parse(_ data: Data, path: String, name: String) throws -> WeightTensor {
        var bytes = [UInt8](data)
        bytes.append(0) // terminator for strtod
        var values: [Float] = []
        values.reserveCapacity(bytes.count / 4)
        var rowLengths: [Int] = []
        var line = 1
        var lineStart = 0
        var rowCount = 0
        try bytes.withUnsafeBufferPointer { buf in
            let cbase = UnsafeRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self)
            let n = buf.count - 1
            var i = 0
            func endRow() {
                if rowCount > 0 { rowLengths.append(rowCount) }
                rowCount = 0
            }
            while i < n {
                let c = buf[i]
                if c == 10 { endRow(); line += 1; i += 1; lineStart = i; continue }
                if c == 32 || c == 9 || c == 13 || c == 44 || c == 59 { i += 1; continue }
                if c == 35 { // comment to end of line
                    while i < n, buf[i] != 10 { i += 1 }
                    continue
                }
                // A token: up to the next separator.
                var j = i
                while j < n, !(buf[j] == 10 || buf[j] == 32 || buf[j] == 9 || buf[j] == 13 || buf[j] == 44 || buf[j] == 59 || buf[j] == 35) { j += 1 }
                var end: UnsafeMutablePointer<CChar>?
                let v = strtod(cbase + i, &end)
                let consumed = end.map { cbase.distance(to: UnsafePointer($0)) } ?? i
                let token = String(decoding: buf[i ..< j], as: UTF8.self)
                guard consumed == j, !token.isEmpty, isPlainNumber(buf, i, j) else {
                    throw HaloError("malformed number '\(token)'", at: SourceLocation(file: path, line: line, column: i - lineStart + 1))
                }
                guard v.isFinite, abs(v) <= Double(Float.greatestFiniteMagnitude) else {
                    throw HaloError("value '\(token)' is not a finite 32-bit float", at: SourceLocation(file: path, line: line, column: i - lineStart + 1))
                }
                values.append(Float(v))
                rowCount += 1
                i = j
            }
            endRow()
        }
        guard !values.isEmpty else {
            throw HaloError("no numbers in the file", at: SourceLocation(file: path, line: 1, column: 1))
        }
        if rowLengths.count >= 2, let first = rowLengths.first, rowLengths.allSatisfy({ $0 == first }) {
            return WeightTensor(name: name, shape: [rowLengths.count, first], values: values)
        }
        return WeightTensor(name: name, shape: [values.count], values: values)
    }

    /// Digits, sign, point and exponent only (strtod would also take `inf`, `nan` and hex).
    private static func isPlainNumber(_ buf: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        var sawDigit = false
        for k in from ..< to {
            let c = buf[k]
            if c >= 48 && c <= 57 { sawDigit = true; continue }
            if c == 43 || c == 45 || c == 46 || c == 101 || c == 69 { continue }
            return false
        }
        return sawDigit
    }
}

/// Reading weights from any supported file, chosen by extension: `.safetensors`, `.npy`, and
/// anything else as text (`.csv`, `.txt`, …).
public enum WeightFiles {
    /// The tensors of `path` selected by `patterns` (exact names or globs; see
    /// ``SafeTensorsFile/select(_:)`` for the default). For `.npy` and text files, which hold one
    /// tensor named after the file's stem, the patterns must match that name. Every tensor returned is
    /// checked for quantization (``WeightTensor/checked(file:)``: not empty, every value finite).
    public static func read(path: String, patterns: [String] = []) throws -> [WeightTensor] {
        let lower = path.lowercased()
        if lower.hasSuffix(".safetensors") {
            let file = try SafeTensorsFile(path: path)
            return try file.select(patterns).map { try file.read($0).checked(file: path) }
        }
        let tensor = lower.hasSuffix(".npy") ? try NPY.read(path: path) : try TextWeights.read(path: path)
        for p in patterns where !NamePattern.matches(tensor.name, pattern: p) {
            throw HaloError("no tensor matches '\(p)' (the file holds one tensor, '\(tensor.name)')", file: path)
        }
        return [try tensor.checked(file: path)]
    }
}

/// Seeded synthetic weights, identical on every platform: SplitMix64 seeding a xoshiro256** stream.
public struct SyntheticWeights {
    /// A named distribution.
    public enum Distribution: String, Sendable, CaseIterable {
        /// Standard normal, N(0, 1) (Box–Muller).
        case gaussian
        /// Laplace with unit variance (scale 1/√2), the heavier-tailed shape of real weight matrices.
        case laplace
    }

    /// `count` samples of `distribution` from `seed`, as a 1-D tensor named after the distribution.
    public static func generate(_ distribution: Distribution, count: Int, seed: UInt64) -> WeightTensor {
        var rng = Xoshiro256(seed: seed)
        var values = [Float](repeating: 0, count: count)
        switch distribution {
        case .gaussian:
            var i = 0
            while i < count {
                let u1 = max(rng.nextUnit(), 0x1p-60), u2 = rng.nextUnit()
                let r = (-2 * log(u1)).squareRoot()
                values[i] = Float(r * cos(2 * .pi * u2))
                if i + 1 < count { values[i + 1] = Float(r * sin(2 * .pi * u2)) }
                i += 2
            }
        case .laplace:
            let b = 1 / 2.0.squareRoot()
            for i in 0 ..< count {
                let u = rng.nextUnit() - 0.5
                let a = max(1 - 2 * abs(u), 0x1p-60)
                values[i] = Float(-b * (u < 0 ? -1 : 1) * log(a))
            }
        }
        return WeightTensor(name: distribution.rawValue, shape: [count], values: values)
    }
}

/// xoshiro256** seeded by SplitMix64: a small, fast, reproducible generator.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        s = (seeder.next(), seeder.next(), seeder.next(), seeder.next())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
