import XCTest
@testable import HaloCore

/// The shared small containers: the binary heap against sorting, the stable buffer's contents.
final class ContainerTests: XCTestCase {
    func testHeapPopsInOrder() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 2, 7, 100, 1000] {
            let values = (0..<n).map { _ in Int.random(in: -50...50, using: &rng) }
            var heap = BinaryHeap<Int>()
            for v in values { heap.push(v) }
            XCTAssertEqual(heap.count, n)
            var popped: [Int] = []
            while let v = heap.pop() { popped.append(v) }
            XCTAssertEqual(popped, values.sorted())
            XCTAssertTrue(heap.isEmpty)
        }
        // Interleaved pushes and pops keep the minimum on top.
        var heap = BinaryHeap<Double>(capacity: 4)
        heap.push(3); heap.push(1); XCTAssertEqual(heap.pop(), 1)
        heap.push(0.5); heap.push(2); XCTAssertEqual(heap.min, 0.5)
        XCTAssertEqual([heap.pop(), heap.pop(), heap.pop(), heap.pop()], [0.5, 2, 3, nil])
    }

    func testStableBuffer() {
        let a = StableBuffer([3, 1, 4, 1, 5])
        XCTAssertEqual(a.count, 5)
        a.pointer[2] = 9
        XCTAssertEqual(a.array, [3, 1, 9, 1, 5])
        let b = StableBuffer(repeating: "x", count: 3)
        XCTAssertEqual(b.array, ["x", "x", "x"])
        XCTAssertEqual(StableBuffer([Int]()).array, [])
        XCTAssertEqual(StableBuffer(repeating: 1.5, count: 0).array, [])
    }
}
