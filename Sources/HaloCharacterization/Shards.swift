import HaloCore

/// Slicing a code range into shards (`--shard i/n`) and joining shard tables (`halo merge`).
public enum Shards {
    /// The `index`-th (0-based) of `count` near-equal contiguous slices of `range`; nil for an empty slice.
    public static func slice(_ range: ClosedRange<Int>, index: Int, count: Int) -> ClosedRange<Int>? {
        precondition(count >= 1 && index >= 0 && index < count)
        let total = range.count
        let lo = range.lowerBound + total * index / count
        let hi = range.lowerBound + total * (index + 1) / count - 1
        return lo <= hi ? lo...hi : nil
    }

    /// Parses `i/n` (0 ≤ i < n).
    public static func parse(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        return (i, n)
    }

    /// Joins shard tables into one. Refuses a code present in two shards, a gap between the lowest and
    /// highest code, and `none` rows that disagree. `names` label the tables in errors (file paths).
    public static func merge(_ tables: [DelayTable], names: [String]) throws -> DelayTable {
        guard let first = tables.first else { throw HaloError("'halo merge' needs at least one table") }
        var owner: [Int: Int] = [:]
        var entries: [DelayTable.Entry] = []
        var unconstrained: DelayTable.Entry?
        var unconstrainedOwner = 0
        for (t, table) in tables.enumerated() {
            for e in table.entries {
                if let other = owner[e.code] {
                    throw HaloError("code \(e.code) is in both '\(names[other])' and '\(names[t])' (overlapping shards)")
                }
                owner[e.code] = t
                entries.append(e)
            }
            if let u = table.unconstrained {
                if let seen = unconstrained, let a = seen.delayNs, let b = u.delayNs, abs(a - b) > 1e-9 {
                    throw HaloError("the 'none' rows of '\(names[unconstrainedOwner])' (\(a) ns) and '\(names[t])' (\(b) ns) disagree: shards of different designs?")
                }
                if unconstrained == nil { unconstrained = u; unconstrainedOwner = t }
            }
        }
        entries.sort { $0.code < $1.code }
        for k in entries.indices.dropFirst() where entries[k].code != entries[k - 1].code + 1 {
            throw HaloError("codes \(entries[k - 1].code + 1)-\(entries[k].code - 1) are missing (a shard is absent)")
        }
        if first.metadata.busWidth > 0, let last = entries.last, let low = entries.first {
            let full = (1 << first.metadata.busWidth) - 1
            if low.code != 0 || last.code != full {
                throw HaloError("the shards cover codes \(low.code)-\(last.code) of 0-\(full) for the \(first.metadata.busWidth)-bit bus '\(first.metadata.bus)'")
            }
        }
        return DelayTable(metadata: first.metadata, unconstrained: unconstrained, entries: entries)
    }
}
