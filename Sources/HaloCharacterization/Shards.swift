import HaloCore

/// Slicing a code range into shards (`--shard i/n`) and joining shard tables (`halo merge`).
public enum Shards {
    /// The `index`-th (0-based) of `count` near-equal contiguous slices of `range`; nil for an empty slice.
    /// Exact for any sizes (the products are taken in double width, so nothing overflows).
    public static func slice(_ range: ClosedRange<Int>, index: Int, count: Int) -> ClosedRange<Int>? {
        precondition(count >= 1 && index >= 0 && index < count)
        let total = UInt(bitPattern: range.upperBound &- range.lowerBound) &+ 1
        /// ⌊total · k / count⌋ for 0 ≤ k ≤ count, at most `total`.
        func cut(_ k: Int) -> UInt {
            let product = total.multipliedFullWidth(by: UInt(k))
            return UInt(count).dividingFullWidth(product).quotient
        }
        let lo = cut(index), hi = cut(index + 1)
        guard lo < hi else { return nil }
        return (range.lowerBound + Int(lo)) ... (range.lowerBound + Int(hi - 1))
    }

    /// Parses `i/n` (0 ≤ i < n).
    public static func parse(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        return (i, n)
    }

    /// Joins shard tables into one.
    ///
    /// Every shard must describe the same run as the first: bus name and width, netlist, top module,
    /// output load, input slew, Liberty libraries, clock and energy stimulus (JSON shards record them;
    /// CSV shards record none, and are not mixed with JSON ones). A code present in two shards, a gap
    /// between codes (or, when the width is recorded, codes of the bus missing at either end), and
    /// `none` rows that disagree are refused, naming the shards. `names` label the tables (file paths).
    public static func merge(_ tables: [DelayTable], names: [String]) throws -> DelayTable {
        guard let first = tables.first else { throw HaloError("'halo merge' needs at least one table") }
        try checkSameRun(tables, names: names)
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
                if let seen = unconstrained, seen.delayNs != u.delayNs, abs((seen.delayNs ?? -1) - (u.delayNs ?? -1)) > 1e-9 {
                    func show(_ d: Double?) -> String { d.map { "\($0) ns" } ?? "no path" }
                    throw HaloError("the 'none' rows of '\(names[unconstrainedOwner])' (\(show(seen.delayNs))) and '\(names[t])' (\(show(u.delayNs))) disagree: shards of different designs?")
                }
                if unconstrained == nil { unconstrained = u; unconstrainedOwner = t }
            }
        }
        entries.sort { $0.code < $1.code }
        /// A shard named with the codes it holds: `'s1.json' (codes 100-199)`.
        func shard(_ t: Int) -> String {
            let codes = tables[t].entries.map(\.code)
            guard let lo = codes.min(), let hi = codes.max() else { return "'\(names[t])' (no codes)" }
            return "'\(names[t])' (code\(lo == hi ? " \(lo)" : "s \(lo)-\(hi)"))"
        }
        func codes(_ lo: Int, _ hi: Int) -> String { lo == hi ? "code \(lo) is" : "codes \(lo)-\(hi) are" }
        for k in entries.indices.dropFirst() where entries[k].code != entries[k - 1].code + 1 {
            let before = owner[entries[k - 1].code]!, after = owner[entries[k].code]!
            let missing = codes(entries[k - 1].code + 1, entries[k].code - 1)
            if before == after {
                throw HaloError("\(missing) missing inside \(shard(before))")
            }
            throw HaloError("\(missing) missing between \(shard(before)) and \(shard(after)) (a shard is absent)")
        }
        let width = first.metadata.busWidth
        if width > 0, let last = entries.last, let low = entries.first {
            let full = (1 << width) - 1
            if low.code != 0 {
                throw HaloError("\(codes(0, low.code - 1)) missing before \(shard(owner[low.code]!)) of the \(width)-bit bus '\(first.metadata.bus)' (codes 0-\(full); a shard is absent)")
            }
            if last.code != full {
                throw HaloError("\(codes(last.code + 1, full)) missing after \(shard(owner[last.code]!)) of the \(width)-bit bus '\(first.metadata.bus)' (codes 0-\(full); a shard is absent)")
            }
        }
        return DelayTable(metadata: first.metadata, unconstrained: unconstrained, entries: entries)
    }

    /// Refuses a shard whose recorded run differs from the first shard's, naming both files.
    static func checkSameRun(_ tables: [DelayTable], names: [String]) throws {
        guard let first = tables.first?.metadata else { return }
        func recorded(_ m: DelayTable.Metadata) -> Bool { !m.bus.isEmpty || m.busWidth > 0 || !m.netlist.isEmpty }
        func quoted(_ s: String) -> String { "'\(s)'" }
        for (t, table) in tables.enumerated().dropFirst() {
            let m = table.metadata
            if recorded(m) != recorded(first) {
                let (csv, json) = recorded(m) ? (names[0], names[t]) : (names[t], names[0])
                throw HaloError("'\(json)' records its run (bus, netlist, libraries) but '\(csv)' does not (a CSV shard); merge shards of one format",
                                file: names[t])
            }
            let checks: [(String, String, String)] = [
                ("bus", quoted(m.bus), quoted(first.bus)),
                ("bus width", "\(m.busWidth)", "\(first.busWidth)"),
                ("netlist", quoted(m.netlist), quoted(first.netlist)),
                ("top module", quoted(m.top), quoted(first.top)),
                ("output load", "\(m.outputLoadFF) fF", "\(first.outputLoadFF) fF"),
                ("input slew", "\(m.inputSlewNs) ns", "\(first.inputSlewNs) ns"),
                ("libraries", "[\(m.libraries.joined(separator: ", "))]", "[\(first.libraries.joined(separator: ", "))]"),
                ("clock", m.clock.map(quoted) ?? "none", first.clock.map(quoted) ?? "none"),
            ]
            for (what, mine, theirs) in checks where mine != theirs {
                throw HaloError("\(what) \(mine) differs from \(theirs) in '\(names[0])', the first shard: shards of different runs", file: names[t])
            }
            if m.stimulus != first.stimulus {
                throw HaloError("the energy stimulus differs from that of '\(names[0])', the first shard: shards of different runs", file: names[t])
            }
        }
    }
}
