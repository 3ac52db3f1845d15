/// A binary min-heap: `pop` returns the smallest element by `<` (ties in no particular order).
///
/// One heap for every priority queue of the project: the glitch simulator's events (by time, then
/// creation order) and the DVFS planner's candidate moves (by cost ratio, then tile). Inlinable, so it
/// is specialized for the element type where it is used.
public struct BinaryHeap<Element: Comparable> {
    @usableFromInline var items: [Element] = []

    /// An empty heap with room for `capacity` elements.
    @inlinable public init(capacity: Int = 0) { items.reserveCapacity(capacity) }

    /// The number of elements.
    @inlinable public var count: Int { items.count }
    /// True when the heap holds nothing.
    @inlinable public var isEmpty: Bool { items.isEmpty }
    /// The smallest element, without removing it.
    @inlinable public var min: Element? { items.first }

    /// Adds an element.
    @inlinable public mutating func push(_ element: Element) {
        items.append(element)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if !(element < items[parent]) { break }
            items[i] = items[parent]
            i = parent
        }
        items[i] = element
    }

    /// Removes and returns the smallest element (nil when empty).
    @inlinable public mutating func pop() -> Element? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var m = l
                if l + 1 < n && items[l + 1] < items[l] { m = l + 1 }
                if !(items[m] < last) { break }
                items[i] = items[m]
                i = m
            }
            items[i] = last
        }
        return top
    }
}
