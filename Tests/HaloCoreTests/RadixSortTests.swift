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
}
