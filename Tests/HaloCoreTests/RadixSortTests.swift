import XCTest
@testable import HaloCore

/// The radix sort orders as a comparison sort of (key, index) does, on keys of every byte pattern.
final class RadixSortTests: XCTestCase {
    func testMatchesComparisonSortOfKeyAndIndex() {
        var rng = SystemRandomNumberGenerator()
        var scratchKeys: [UInt32] = [], scratchValues: [Int32] = []
        for n in [0, 1, 2, 3, 255, 256, 2048, 5000] {
            for spread in [UInt32(0), 3, 0xFF, 0xFFFF, 0xFF_FFFF, UInt32.max] {
                let base = UInt32.random(in: 0 ... UInt32.max, using: &rng)
                var keys = (0 ..< n).map { _ in base &+ (spread == 0 ? 0 : UInt32.random(in: 0 ... spread, using: &rng)) }
                let expected = keys.enumerated().map { UInt64($0.element) << 32 | UInt64($0.offset) }.sorted()
                var values = (0 ..< n).map { Int32($0) }
                RadixSort.sort(&keys, &values, scratchKeys: &scratchKeys, scratchValues: &scratchValues)
                XCTAssertEqual(keys, expected.map { UInt32($0 >> 32) }, "n \(n), spread \(spread)")
                XCTAssertEqual(values, expected.map { Int32($0 & 0xFFFF_FFFF) }, "n \(n), spread \(spread): stable")
            }
        }
    }

    /// Sorting by the upper halves is a stable sort of (upper half, input order), lower halves carried.
    func testUpperHalfSortIsStableOnTheUpperHalf() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 2, 255, 256, 2048, 5000] {
            for spread in [UInt32(0), 3, 0xFF, 0xFFFF] {
                let base = UInt32.random(in: 0 ... 0xFFFF, using: &rng)
                let keys = (0 ..< n).map { i in
                    (min(0xFFFF, base &+ (spread == 0 ? 0 : UInt32.random(in: 0 ... spread, using: &rng))) << 16) | UInt32.random(in: 0 ... 0xFFFF, using: &rng)
                }
                let expected = keys.enumerated().sorted { ($0.element >> 16, $0.offset) < ($1.element >> 16, $1.offset) }.map(\.element)
                var sorted = keys
                var scratch = [UInt32](repeating: 0, count: n)
                sorted.withUnsafeMutableBufferPointer { k in
                    scratch.withUnsafeMutableBufferPointer { s in
                        if n > 0 { RadixSort.sortByUpperHalf(n, keys: k.baseAddress!, scratch: s.baseAddress!) }
                    }
                }
                XCTAssertEqual(sorted, expected, "n \(n), spread \(spread)")
            }
        }
    }
}
