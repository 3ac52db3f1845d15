import Foundation
import XCTest
@testable import HaloCore

/// gzip decompression against the reference implementation (`/bin/gzip`, zlib's format), and malformed
/// input as one-line errors.
final class GzipTests: XCTestCase {
    private func run(_ arguments: [String], input: Data) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = arguments
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        try p.run()
        let writer = Thread { try? inPipe.fileHandleForWriting.write(contentsOf: input); try? inPipe.fileHandleForWriting.close() }
        writer.start()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return out
    }

    /// Texts of several kinds (repetitive, random, empty, long runs), at gzip's fastest and best levels
    /// (fixed and dynamic Huffman blocks), decompress to the original bytes.
    func testRoundTripThroughGzip() throws {
        var rng = SystemRandomNumberGenerator()
        var texts: [Data] = [Data(), Data("a".utf8), Data(String(repeating: "cell_rise (t) { values (\"0.1, 0.2\") ; }\n", count: 5000).utf8)]
        texts.append(Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        texts.append(Data(repeating: 0x41, count: 200_000))
        texts.append(Data((0..<100_000).map { UInt8(truncatingIfNeeded: ($0 * 7919) >> 3) }))
        for text in texts {
            for level in ["-1", "-9"] {
                let compressed = try run(["-c", level], input: text)
                XCTAssertTrue(Gzip.isCompressed(compressed))
                XCTAssertEqual(try Gzip.decompress(compressed, path: "t.gz"), text, "\(text.count) bytes at \(level)")
            }
        }
    }

    /// Every real PDK library in `../shared/pdk` (written by other gzip implementations and levels)
    /// inflates to the bytes `gzip -dc` gives. Skipped, saying so, when the folder is absent.
    func testRealPDKLibrariesMatchGzip() throws {
        let pdk = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/pdk").standardized
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: pdk.path, isDirectory: &isDirectory), isDirectory.boolValue,
              let walker = FileManager.default.enumerator(atPath: pdk.path) else {
            throw XCTSkip("\(pdk.path) absent: real gzip libraries not checked")
        }
        var checked = 0
        for case let relative as String in walker where relative.hasSuffix(".gz") {
            let path = pdk.appendingPathComponent(relative).path
            let compressed = try Data(contentsOf: URL(fileURLWithPath: path))
            let expected = try run(["-dc"], input: compressed)
            XCTAssertEqual(try Gzip.decompress(compressed, path: path, limitBytes: Int.max), expected, relative)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 0, "no .gz file under \(pdk.path)")
    }

    /// Stored (uncompressed) blocks, written by hand: a member of two stored blocks, then a second member.
    func testStoredBlocksAndMembers() throws {
        func member(_ blocks: [[UInt8]]) -> [UInt8] {
            var m: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
            for (k, b) in blocks.enumerated() {
                m.append(k == blocks.count - 1 ? 1 : 0)   // BFINAL, BTYPE 00
                let n = UInt16(b.count)
                m += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)] + b
            }
            let all = blocks.flatMap { $0 }
            let crc = all.withUnsafeBufferPointer { CRC32.checksum($0) }
            for shift in stride(from: 0, to: 32, by: 8) { m.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
            for shift in stride(from: 0, to: 32, by: 8) { m.append(UInt8(truncatingIfNeeded: all.count >> shift)) }
            return m
        }
        let a: [UInt8] = Array("library (x) {\n".utf8), b: [UInt8] = Array("}\n".utf8)
        let data = Data(member([a, b]) + member([Array("// more\n".utf8)]))
        XCTAssertEqual(try Gzip.decompress(data, path: "s.gz"), Data(a + b + Array("// more\n".utf8)))
    }

    func testMalformedInputIsOneLocatedLine() throws {
        let good = try run(["-c"], input: Data(String(repeating: "halo ", count: 1000).utf8))
        var badCRC = good
        badCRC[badCRC.count - 8] ^= 0xFF
        var badSize = good
        badSize[badSize.count - 1] ^= 0x01
        let cases: [(Data, String)] = [
            (Data([0x1F, 0x8B, 8]), "z.gz: error: malformed gzip data at byte 0: truncated header"),
            (Data([0x1F, 0x8B, 9] + [UInt8](repeating: 0, count: 20)), "z.gz: error: malformed gzip data at byte 2: compression method 9 is not deflate"),
            (good.prefix(good.count / 2), "unexpected end of data"),
            (badCRC, "CRC-32 mismatch (the data is corrupt)"),
            (badSize, "differs from the trailer's"),
            (Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0x07] + [UInt8](repeating: 0, count: 10)), "invalid block type 3"),
        ]
        for (data, expected) in cases {
            XCTAssertThrowsError(try Gzip.decompress(data, path: "z.gz")) { error in
                let line = "\(error)"
                XCTAssertTrue(line.hasPrefix("z.gz: error: malformed gzip data at byte "), line)
                XCTAssertTrue(line.contains(expected), "\(line) lacks \(expected)")
                XCTAssertFalse(line.contains("\n"))
            }
        }
        // A decompression bomb stops at the limit.
        let zeros = try run(["-c", "-9"], input: Data(repeating: 0, count: 1 << 20))
        XCTAssertThrowsError(try Gzip.decompress(zeros, path: "z.gz", limitBytes: 1000)) { error in
            XCTAssertEqual("\(error)", "z.gz: error: decompresses to more than 1000 bytes, the limit for this kind of input")
        }
    }
}
