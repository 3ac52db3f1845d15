/// Memory for `count` elements of a trivial type at a stable address, owned by this object and freed with
/// it. Hot loops read and write `pointer` (no bounds checks, copy-on-write or exclusivity checks per
/// access); keep the buffer alive while they run (hold it in a property, or `withExtendedLifetime`).
public final class StableBuffer<Element>: @unchecked Sendable {
    /// The first element.
    public let pointer: UnsafeMutablePointer<Element>
    /// The number of elements.
    public let count: Int
    /// How many elements are initialized (`count`, or 1 for an empty buffer made by `repeating`).
    private let initialized: Int

    /// `count` copies of `value` (at least one element is allocated, so `pointer` is always valid).
    public init(repeating value: Element, count: Int) {
        self.count = count
        initialized = Swift.max(1, count)
        pointer = .allocate(capacity: initialized)
        pointer.initialize(repeating: value, count: initialized)
    }

    /// The elements of `array`.
    public init(_ array: [Element]) {
        count = array.count
        initialized = array.count
        pointer = .allocate(capacity: Swift.max(1, array.count))
        _ = UnsafeMutableBufferPointer(start: pointer, count: array.count).initialize(from: array)
    }

    /// The elements as an array.
    public var array: [Element] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    deinit {
        pointer.deinitialize(count: initialized)
        pointer.deallocate()
    }
}
