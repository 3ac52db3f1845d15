import Foundation
import XCTest
@testable import HaloCore

/// The ordered pipeline hands every result over in index order, never holds more than its window,
/// and stops cleanly at the first error.
final class ParallelLoopTests: XCTestCase {
    private struct Failure: Error, Equatable { let index: Int }

    private final class Outstanding: @unchecked Sendable {
        let lock = NSLock()
        var now = 0, most = 0
        func change(_ d: Int) { lock.lock(); now += d; most = max(most, now); lock.unlock() }
    }

    func testResultsInOrderWithinTheWindow() throws {
        for threads in [1, 2, 4] {
            let outstanding = Outstanding()
            var seen: [Int] = []
            try ParallelLoop(threads: threads).orderedPipeline(count: 60, window: 3, produce: { i -> Int in
                outstanding.change(1)
                // Uneven work, so that later items often finish first.
                usleep(useconds_t((i * 7919) % 5) * 200)
                return i * i
            }, consume: { i, square in
                XCTAssertEqual(square, i * i)
                seen.append(i)
                outstanding.change(-1)
            })
            XCTAssertEqual(seen, Array(0 ..< 60), "threads \(threads)")
            XCTAssertLessThanOrEqual(outstanding.most, threads == 1 ? 1 : 3, "threads \(threads)")
        }
    }

    func testFirstErrorStopsThePipeline() {
        for threads in [1, 2] {
            var consumed: [Int] = []
            XCTAssertThrowsError(try ParallelLoop(threads: threads).orderedPipeline(count: 50, window: 4, produce: { i -> Int in
                if i == 7 || i == 9 { throw Failure(index: i) }
                return i
            }, consume: { i, _ in consumed.append(i) })) { error in
                XCTAssertEqual(error as? Failure, Failure(index: 7))
            }
            XCTAssertEqual(consumed, Array(0 ..< 7))
            // A consumer's error stops it too.
            XCTAssertThrowsError(try ParallelLoop(threads: threads).orderedPipeline(count: 50, window: 2, produce: { $0 }, consume: { i, _ in
                if i == 3 { throw Failure(index: 3) }
            })) { error in XCTAssertEqual(error as? Failure, Failure(index: 3)) }
        }
    }
}
