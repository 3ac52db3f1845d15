import Foundation

/// Work split over worker threads: the one parallel loop of the project (the code sweeps of delay
/// and energy characterization, the quantizer's searches).
///
/// A loop value carries its thread count, so the count travels with the request that asked for it
/// (`--threads`) instead of living in global state. Results never depend on the count: bodies write
/// to disjoint places, and whatever they combine is combined in index order by the caller.
public struct ParallelLoop: Sendable, Equatable {
    /// Worker threads, 1 … `Limits.maxThreads`.
    public let threads: Int

    /// A loop on `threads` workers; 0 (the default) or less means one per active core. Clamped to
    /// `Limits.maxThreads`.
    public init(threads: Int = 0) {
        let n = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        self.threads = max(1, min(Limits.maxThreads, n))
    }

    /// Runs `body` over `0 ..< count` in chunks of `chunkSize` consecutive indices (the last may be
    /// shorter). Workers (at most `threads`, never more than there are chunks) take the chunks in
    /// increasing order as they become free; each worker makes its own state once with `makeWorker`
    /// and hands it to `body` with every chunk it takes, so a worker can carry what one chunk leaves
    /// to the next (an incremental timing state, a scratch buffer).
    public func forEachChunk<Worker>(count: Int, chunkSize: Int, makeWorker: () -> Worker,
                                     _ body: (inout Worker, Range<Int>) -> Void) {
        guard count > 0 else { return }
        let size = max(1, chunkSize)
        let chunks = count / size + (count % size == 0 ? 0 : 1)
        let workers = min(threads, chunks)
        func chunk(_ c: Int) -> Range<Int> { c * size ..< min(count, c * size + size) }
        if workers == 1 {
            var state = makeWorker()
            for c in 0 ..< chunks { body(&state, chunk(c)) }
            return
        }
        let next = AtomicCounter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var state = makeWorker()
            while true {
                let c = next.add(1) - 1
                if c >= chunks { break }
                body(&state, chunk(c))
            }
        }
    }

    /// Runs `body(i)` for every i in `0 ..< count`, in parallel when there are several workers.
    public func forEach(_ count: Int, _ body: (Int) -> Void) {
        forEachChunk(count: count, chunkSize: 1, makeWorker: {}) { _, range in body(range.lowerBound) }
    }

    /// `count` items cut into contiguous ranges, about four per worker and at least
    /// `minimumPerChunk` items each (except when there are fewer items).
    public func chunks(_ count: Int, minimumPerChunk: Int = 1) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let pieces = max(1, min(threads * 4, count / max(1, minimumPerChunk)))
        let size = count / pieces + (count % pieces == 0 ? 0 : 1)
        return stride(from: 0, to: count, by: size).map { $0 ..< min(count, $0 + size) }
    }
}

/// A thread-safe counter.
public final class AtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    /// A counter at 0.
    public init() {}

    /// Adds `n` and returns the new value.
    public func add(_ n: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        value += n
        return value
    }
}

/// A buffer that the workers of a `ParallelLoop` write to at disjoint indices.
public struct UnsafeSendableBuffer<T>: @unchecked Sendable {
    /// The memory written to (owned by the caller, alive for the whole loop).
    public let base: UnsafeMutableBufferPointer<T>

    /// Wraps `base`.
    public init(_ base: UnsafeMutableBufferPointer<T>) { self.base = base }

    /// Element `i`.
    public subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}

extension ParallelLoop {
    /// Runs `produce(i)` for every i in `0 ..< count` on the workers, and hands each result to
    /// `consume(i, result)` on the calling thread **in index order**, as soon as it and all before it
    /// are ready: a pipeline whose stages overlap (tensors quantized two at a time while the previous
    /// one is written).
    ///
    /// At most `window` items (≥ 1) are in production or waiting or being consumed, which bounds the memory the
    /// results hold. A `produce` or `consume` that throws stops the pipeline: no new item is started,
    /// the items in flight finish and are discarded, and the first error (in index order) is thrown
    /// after every worker has stopped. With one thread everything runs on the calling thread, one item
    /// at a time.
    public func orderedPipeline<Item>(count: Int, window: Int, produce: @escaping @Sendable (Int) throws -> Item,
                                      consume: (Int, Item) throws -> Void) throws {
        guard count > 0 else { return }
        if threads == 1 || count == 1 {
            for i in 0 ..< count { try consume(i, try produce(i)) }
            return
        }
        let state = PipelineState<Item>()
        let slots = DispatchSemaphore(value: max(1, window))
        let group = DispatchGroup()
        let workers = DispatchQueue(label: "halo.pipeline", attributes: .concurrent)
        let feeder = DispatchQueue(label: "halo.pipeline.feeder")
        let threads = self.threads
        group.enter()
        feeder.async {
            // At most `threads` items run at once, and at most `window` wait to be consumed.
            let running = DispatchSemaphore(value: threads)
            for i in 0 ..< count {
                slots.wait()
                running.wait()
                if state.isStopped { running.signal(); break }
                group.enter()
                workers.async {
                    let result = Result { try produce(i) }
                    running.signal()
                    state.put(i, result)
                    group.leave()
                }
            }
            group.leave()
        }
        var failure: Error?
        for i in 0 ..< count {
            let result = state.take(i)
            do {
                try consume(i, try result.get())
            } catch {
                failure = error
                break
            }
            slots.signal()
        }
        if failure != nil {
            state.stop()
            // Free the feeder if it waits for a slot.
            for _ in 0 ..< count { slots.signal() }
        }
        group.wait()
        if let failure { throw failure }
    }
}

/// The results of an ``ParallelLoop/orderedPipeline(count:window:produce:consume:)`` waiting their turn.
private final class PipelineState<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [Int: Result<Item, Error>] = [:]
    private var stopped = false

    var isStopped: Bool {
        condition.lock(); defer { condition.unlock() }
        return stopped
    }

    func stop() {
        condition.lock()
        stopped = true
        results.removeAll()
        condition.unlock()
    }

    func put(_ i: Int, _ result: Result<Item, Error>) {
        condition.lock()
        if !stopped { results[i] = result }
        condition.broadcast()
        condition.unlock()
    }

    func take(_ i: Int) -> Result<Item, Error> {
        condition.lock(); defer { condition.unlock() }
        while results[i] == nil { condition.wait() }
        return results.removeValue(forKey: i)!
    }
}
