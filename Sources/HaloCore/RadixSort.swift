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
        var counts = [Int](repeating: 0, count: 256)
        var inScratch = false
        for shift in stride(from: 0, to: 32, by: 8) {
            let moved: Bool = keys.withUnsafeMutableBufferPointer { k in
                values.withUnsafeMutableBufferPointer { v in
                    scratchKeys.withUnsafeMutableBufferPointer { sk in
                        scratchValues.withUnsafeMutableBufferPointer { sv in
                            counts.withUnsafeMutableBufferPointer { c in
                                let (srcK, srcV, dstK, dstV) = inScratch ? (sk.baseAddress!, sv.baseAddress!, k.baseAddress!, v.baseAddress!)
                                                                         : (k.baseAddress!, v.baseAddress!, sk.baseAddress!, sv.baseAddress!)
                                for i in 0 ..< 256 { c[i] = 0 }
                                for i in 0 ..< n { c[Int((srcK[i] >> UInt32(shift)) & 0xFF)] += 1 }
                                if c[Int((srcK[0] >> UInt32(shift)) & 0xFF)] == n { return false }
                                var sum = 0
                                for i in 0 ..< 256 { let t = c[i]; c[i] = sum; sum += t }
                                for i in 0 ..< n {
                                    let key = srcK[i]
                                    let b = Int((key >> UInt32(shift)) & 0xFF)
                                    let at = c[b]
                                    dstK[at] = key
                                    dstV[at] = srcV[i]
                                    c[b] = at + 1
                                }
                                return true
                            }
                        }
                    }
                }
            }
            if moved { inScratch.toggle() }
        }
        if inScratch {
            for i in 0 ..< n {
                keys[i] = scratchKeys[i]
                values[i] = scratchValues[i]
            }
        }
    }
}
