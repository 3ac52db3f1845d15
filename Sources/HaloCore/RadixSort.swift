/// Stable sorting of 32-bit keys with 32-bit payloads, in linear time: least-significant-digit radix
/// sort, four passes of 8 bits (a pass in which every key has the same byte is skipped).
///
/// Halo sorts every block of weights (a row of a few thousand, per channel) by value before a scale
/// search; a comparison sort spent half the time of quantizing a model there. Stability means equal
/// keys keep their input order, so keys given in index order come out ordered by (key, index), exactly
/// as a comparison sort of `key << 32 | index` orders them.
public enum RadixSort {
    /// Sorts `keys` ascending, moving `values` with them; `scratchKeys` and `scratchValues` are work space
    /// (resized as needed, reusable across calls to avoid allocation).
    public static func sort(_ keys: inout [UInt32], _ values: inout [Int32], scratchKeys: inout [UInt32], scratchValues: inout [Int32]) {
        let n = keys.count
        precondition(values.count == n, "one value per key")
        guard n > 1 else { return }
        if scratchKeys.count < n { scratchKeys = [UInt32](repeating: 0, count: n) }
        if scratchValues.count < n { scratchValues = [Int32](repeating: 0, count: n) }
        keys.withUnsafeMutableBufferPointer { k in
            values.withUnsafeMutableBufferPointer { v in
                scratchKeys.withUnsafeMutableBufferPointer { sk in
                    scratchValues.withUnsafeMutableBufferPointer { sv in
                        sort(n, keys: k.baseAddress!, values: v.baseAddress!, scratchKeys: sk.baseAddress!, scratchValues: sv.baseAddress!)
                    }
                }
            }
        }
    }

    /// The same on raw buffers of `n` elements (the result in `keys` and `values`).
    public static func sort(_ n: Int, keys: UnsafeMutablePointer<UInt32>, values: UnsafeMutablePointer<Int32>,
                            scratchKeys: UnsafeMutablePointer<UInt32>, scratchValues: UnsafeMutablePointer<Int32>) {
        guard n > 1 else { return }
        // The four byte histograms in one read of the keys; a byte every key shares needs no pass.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * 256) { counts in
            counts.initialize(repeating: 0)
            for i in 0 ..< n {
                let key = keys[i]
                counts[Int(key & 0xFF)] &+= 1
                counts[256 + Int((key >> 8) & 0xFF)] &+= 1
                counts[512 + Int((key >> 16) & 0xFF)] &+= 1
                counts[768 + Int(key >> 24)] &+= 1
            }
            var (srcK, srcV, dstK, dstV) = (keys, values, scratchKeys, scratchValues)
            for pass in 0 ..< 4 {
                let shift = UInt32(8 * pass)
                let c = counts.baseAddress! + 256 * pass
                if c[Int((keys[0] >> shift) & 0xFF)] == n { continue }   // every key has this byte
                var sum = 0
                for i in 0 ..< 256 { let t = c[i]; c[i] = sum; sum &+= t }
                for i in 0 ..< n {
                    let key = srcK[i]
                    let b = Int((key >> shift) & 0xFF)
                    let at = c[b]
                    dstK[at] = key
                    dstV[at] = srcV[i]
                    c[b] = at &+ 1
                }
                swap(&srcK, &dstK)
                swap(&srcV, &dstV)
            }
            if srcK != keys {
                keys.update(from: srcK, count: n)
                values.update(from: srcV, count: n)
            }
        }
    }

    /// Stable sort of `n` keys by their upper 16 bits alone, the lower halves carried along: two passes
    /// over one array of 4-byte items instead of four over keys and payloads. Halo packs a BF16 weight's
    /// ordered bits with its position (< 65,536) in the lower half, so one sort gives the block's order
    /// by (value, position). The result is in `keys`; `scratch` holds `n` items.
    public static func sortByUpperHalf(_ n: Int, keys: UnsafeMutablePointer<UInt32>, scratch: UnsafeMutablePointer<UInt32>) {
        guard n > 1 else { return }
        // The counts live on the heap: as a stack temporary here, the release build of the test bundle
        // corrupted its caller's frame (Swift 6.3.1; a standalone -O build of the same code did not).
        let storage = UnsafeMutablePointer<Int>.allocate(capacity: 2 * 256)
        defer { storage.deallocate() }
        do {
            let counts = UnsafeMutableBufferPointer(start: storage, count: 2 * 256)
            counts.initialize(repeating: 0)
            for i in 0 ..< n {
                let key = keys[i]
                counts[Int((key >> 16) & 0xFF)] &+= 1
                counts[256 + Int(key >> 24)] &+= 1
            }
            var (src, dst) = (keys, scratch)
            for pass in 0 ..< 2 {
                let shift = UInt32(16 + 8 * pass)
                let c = counts.baseAddress! + 256 * pass
                if c[Int((keys[0] >> shift) & 0xFF)] == n { continue }   // every key has this byte
                var sum = 0
                for i in 0 ..< 256 { let t = c[i]; c[i] = sum; sum &+= t }
                for i in 0 ..< n {
                    let key = src[i]
                    let b = Int((key >> shift) & 0xFF)
                    let at = c[b]
                    dst[at] = key
                    c[b] = at &+ 1
                }
                swap(&src, &dst)
            }
            if src != keys { keys.update(from: src, count: n) }
        }
    }
}
