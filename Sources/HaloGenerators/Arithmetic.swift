import HaloCore

// Arithmetic building blocks over a NetlistBuilder: adders, bit matrices of partial products, their
// reduction by a carry-save array or a Wallace / Dadda tree, and carry-propagate adders.

extension NetlistBuilder {
    /// Half adder: `(a ⊕ b, a·b)`.
    func halfAdder(_ a: Signal, _ b: Signal) -> (sum: Signal, carry: Signal) {
        (xor(a, b), and(a, b))
    }

    /// Full adder: sum `a ⊕ b ⊕ c`, carry `a·b + c·(a ⊕ b)` (two XOR, two AND, one OR).
    /// A constant input gives the cheaper equivalent (`c = 1`: sum `~(a ⊕ b)`, carry `a + b`).
    func fullAdder(_ a: Signal, _ b: Signal, _ c: Signal) -> (sum: Signal, carry: Signal) {
        var ins = [a, b, c]
        if let k = ins.firstIndex(where: { $0.constantValue != nil }) {
            let v = ins.remove(at: k).constantValue!
            if !v { return halfAdder(ins[0], ins[1]) }
            return (xnor(ins[0], ins[1]), or(ins[0], ins[1]))
        }
        let t = xor(a, b)
        return (xor(t, c), or(and(a, b), and(t, c)))
    }
}

/// Bits with weights 2^0 … 2^(width−1), arranged in rows, plus a constant; everything is modulo 2^width.
///
/// A bit of negative weight −x·2^c is stored as ~x·2^c with −2^c added to the constant (−x = ~x − 1):
/// this is how Baugh-Wooley and Booth partial products with sign bits are added without sign extension.
struct BitMatrix {
    let width: Int
    /// Rows of bits; `.zero` is an empty position.
    private(set) var rows: [[Signal]] = []
    /// The constant, bit 0 first, modulo 2^width.
    private(set) var constant: [Bool]

    init(width: Int) {
        self.width = width
        constant = [Bool](repeating: false, count: width)
    }

    /// Adds ±2^c to the constant (modulo 2^width).
    mutating func addConstant(power c: Int, negative: Bool = false) {
        guard c < width else { return }
        // −2^c ≡ 2^width − 2^c: ones in bits c … width−1.
        var addend = [Bool](repeating: false, count: width)
        if negative { for k in c..<width { addend[k] = true } } else { addend[c] = true }
        var carry = false
        for k in 0..<width {
            let a = constant[k], b = addend[k]
            constant[k] = (a != b) != carry
            carry = (a && b) || (carry && (a != b))
        }
    }

    /// Adds the integer `value` (either sign, two's complement) to the constant, modulo 2^width (width ≤ 63).
    mutating func addConstant(_ value: Int) {
        for k in 0..<min(width, 63) where (value >> k) & 1 == 1 { addConstant(power: k) }
    }

    /// Adds the bit `s` with weight +2^c or −2^c, in row `row` or the first row after it with column c free.
    mutating func add(_ s: Signal, column c: Int, negative: Bool = false, row: Int, builder: NetlistBuilder) {
        guard c < width, c >= 0 else { return }
        if let v = s.constantValue {
            if v { addConstant(power: c, negative: negative) }
            return
        }
        var bit = s
        if negative {
            bit = builder.not(s)
            addConstant(power: c, negative: true)
        }
        var r = row
        while true {
            while rows.count <= r { rows.append([Signal](repeating: .zero, count: width)) }
            if rows[r][c] == .zero { rows[r][c] = bit; return }
            r += 1
        }
    }

    /// Appends a row of bits (bit k of `bits` at column `shift + k`), positive weights.
    mutating func addRow(_ bits: [Signal], shift: Int = 0, builder: NetlistBuilder) {
        let r = rows.count
        for (k, s) in bits.enumerated() { add(s, column: shift + k, row: r, builder: builder) }
    }

    /// The rows to reduce: the constant's one bits as the first row (if any), then the rows in order.
    var rowsWithConstant: [[Signal]] {
        let constRow = constant.map { Signal.constant($0) }
        let body = rows.filter { $0.contains { $0 != .zero } }
        return constant.contains(true) ? [constRow] + body : body
    }
}

/// How the bits of a BitMatrix are brought down to two rows for the carry-propagate adder.
enum Reduction {
    /// Carry-save array: rows enter one after another, each through a row of full/half adders.
    case array
    /// Wallace tree: every stage takes each column's bits three at a time into full adders (a remaining pair
    /// into a half adder) until no column holds more than two bits.
    case wallace
    /// Dadda tree: the column heights are brought down to 2, 3, 4, 6, 9, 13, … with as few adders as possible.
    case dadda
}

extension NetlistBuilder {
    /// Reduces a bit matrix to two rows (`x + y ≡ matrix (mod 2^width)`).
    func reduce(_ m: BitMatrix, _ kind: Reduction) -> ([Signal], [Signal]) {
        let w = m.width
        let rows = m.rowsWithConstant
        let zeros = [Signal](repeating: .zero, count: w)
        switch kind {
        case .array:
            guard var s = rows.first else { return (zeros, zeros) }
            var c = zeros
            for r in rows.dropFirst() {
                var ns = zeros, nc = zeros
                for col in 0..<w {
                    let bits = [s[col], c[col], r[col]].filter { $0 != .zero }
                    switch bits.count {
                    case 0: break
                    case 1: ns[col] = bits[0]
                    case 2:
                        let (sum, carry) = halfAdder(bits[0], bits[1])
                        ns[col] = sum
                        if col + 1 < w { nc[col + 1] = carry }
                    default:
                        let (sum, carry) = fullAdder(bits[0], bits[1], bits[2])
                        ns[col] = sum
                        if col + 1 < w { nc[col + 1] = carry }
                    }
                }
                s = ns
                c = nc
            }
            return (s, c)
        case .wallace, .dadda:
            var cols = [[Signal]](repeating: [], count: w)
            for r in rows { for col in 0..<w where r[col] != .zero { cols[col].append(r[col]) } }
            if kind == .wallace {
                while (cols.map(\.count).max() ?? 0) > 2 {
                    var next = [[Signal]](repeating: [], count: w)
                    for col in 0..<w {
                        let bits = cols[col]
                        var k = 0
                        while bits.count - k >= 3 {
                            let (sum, carry) = fullAdder(bits[k], bits[k + 1], bits[k + 2])
                            next[col].append(sum)
                            if col + 1 < w { next[col + 1].append(carry) }
                            k += 3
                        }
                        if bits.count - k == 2 {
                            let (sum, carry) = halfAdder(bits[k], bits[k + 1])
                            next[col].append(sum)
                            if col + 1 < w { next[col + 1].append(carry) }
                        } else if bits.count - k == 1 {
                            next[col].append(bits[k])
                        }
                    }
                    cols = next
                }
            } else {
                let maxHeight = cols.map(\.count).max() ?? 0
                var targets: [Int] = []
                var d = 2
                while d < maxHeight {
                    targets.append(d)
                    d = d * 3 / 2
                }
                for target in targets.reversed() {
                    var next = [[Signal]](repeating: [], count: w)
                    for col in 0..<w {
                        var old = cols[col][...]
                        var h = old.count + next[col].count
                        while h > target {
                            precondition(old.count >= 2, "Dadda reduction ran out of bits")
                            if h - target >= 2 && old.count >= 3 {
                                let a = old.removeFirst(), b = old.removeFirst(), c = old.removeFirst()
                                let (sum, carry) = fullAdder(a, b, c)
                                next[col].append(sum)
                                if col + 1 < w { next[col + 1].append(carry) }
                                h -= 2
                            } else {
                                let a = old.removeFirst(), b = old.removeFirst()
                                let (sum, carry) = halfAdder(a, b)
                                next[col].append(sum)
                                if col + 1 < w { next[col + 1].append(carry) }
                                h -= 1
                            }
                        }
                        next[col].append(contentsOf: old)
                    }
                    cols = next
                }
            }
            var x = zeros, y = zeros
            for col in 0..<w {
                precondition(cols[col].count <= 2)
                if cols[col].count > 0 { x[col] = cols[col][0] }
                if cols[col].count > 1 { y[col] = cols[col][1] }
            }
            return (x, y)
        }
    }

    /// `a + b + cin` modulo 2^a.count with the given carry-propagate adder.
    func add(_ kind: AdderArchitecture, _ a: [Signal], _ b: [Signal], carryIn: Signal = .zero) -> [Signal] {
        precondition(a.count == b.count)
        let w = a.count
        guard w > 0 else { return [] }
        if kind == .ripple {
            var c = carryIn
            var sum: [Signal] = []
            for i in 0..<w {
                let (s, co) = fullAdder(a[i], b[i], c)
                sum.append(s)
                c = co
            }
            return sum
        }
        // Parallel prefix: generate g = a·b, propagate p = a ⊕ b; the carry into bit i is the group
        // generate G[i−1:0] (with the carry-in folded into position 0); sum_i = p_i ⊕ carry_i.
        let p = (0..<w).map { xor(a[$0], b[$0]) }
        var g = (0..<w).map { and(a[$0], b[$0]) }
        g[0] = or(g[0], and(p[0], carryIn))
        let (G, _) = prefixNetwork(kind, generate: Array(g.prefix(w - 1)), propagate: Array(p.prefix(w - 1)))
        var sum = [xor(p[0], carryIn)]
        for i in 1..<w { sum.append(xor(p[i], G[i - 1])) }
        return sum
    }

    /// The group generate and propagate of every prefix `[i:0]` from the bits' `generate`/`propagate`, by the
    /// parallel-prefix network of `kind` (`.ripple` returns them unchanged: callers chain full adders instead).
    func prefixNetwork(_ kind: AdderArchitecture, generate: [Signal], propagate: [Signal]) -> (G: [Signal], P: [Signal]) {
        var G = generate, P = propagate
        let n = G.count
        func combine(_ i: Int, _ j: Int) {   // (G,P)_i ← (G,P)_i ∘ (G,P)_j, j < i
            G[i] = or(G[i], and(P[i], G[j]))
            P[i] = and(P[i], P[j])
        }
        switch kind {
        case .ripple:
            break
        case .koggeStone:
            var d = 1
            while d < n {
                let (g0, p0) = (G, P)
                for i in d..<n {
                    G[i] = or(g0[i], and(p0[i], g0[i - d]))
                    P[i] = and(p0[i], p0[i - d])
                }
                d *= 2
            }
        case .sklansky:
            var d = 1
            while d < n {
                for i in 0..<n where (i / d) % 2 == 1 { combine(i, (i / d) * d - 1) }
                d *= 2
            }
        case .brentKung:
            var d = 1
            while d < n {
                for i in stride(from: 2 * d - 1, to: n, by: 2 * d) { combine(i, i - d) }
                d *= 2
            }
            d /= 2
            while d >= 1 {
                for i in stride(from: 3 * d - 1, to: n, by: 2 * d) { combine(i, i - d) }
                d /= 2
            }
        }
        return (G, P)
    }

    /// A compound adder: `(a + b, a + b + 1)` modulo 2^a.count from one carry network (the carry into bit i
    /// with carry-in 1 is `G[i−1:0] + P[i−1:0]`), as FPUs use for the magnitude of an effective subtraction.
    /// With `.ripple`, two chains of full adders (carry-in 0 and 1).
    func compoundAdd(_ kind: AdderArchitecture, _ a: [Signal], _ b: [Signal]) -> (sum: [Signal], sumPlusOne: [Signal]) {
        precondition(a.count == b.count && !a.isEmpty)
        if kind == .ripple { return (add(kind, a, b), add(kind, a, b, carryIn: .one)) }
        let w = a.count
        let p = (0..<w).map { xor(a[$0], b[$0]) }
        let g = (0..<w).map { and(a[$0], b[$0]) }
        let (G, P) = prefixNetwork(kind, generate: Array(g.prefix(w - 1)), propagate: Array(p.prefix(w - 1)))
        var sum = [p[0]], plusOne = [not(p[0])]
        for i in 1..<w {
            sum.append(xor(p[i], G[i - 1]))
            plusOne.append(xor(p[i], or(G[i - 1], P[i - 1])))
        }
        return (sum, plusOne)
    }

    /// OR of `bits` as a balanced tree (`.zero` for none).
    func orTree(_ bits: [Signal]) -> Signal {
        reduceTree(bits, identity: .zero) { or($0, $1) }
    }

    /// AND of `bits` as a balanced tree (`.one` for none).
    func andTree(_ bits: [Signal]) -> Signal {
        reduceTree(bits, identity: .one) { and($0, $1) }
    }

    private func reduceTree(_ bits: [Signal], identity: Signal, _ op: (Signal, Signal) -> Signal) -> Signal {
        guard !bits.isEmpty else { return identity }
        var level = bits
        while level.count > 1 {
            var next: [Signal] = []
            var i = 0
            while i + 1 < level.count { next.append(op(level[i], level[i + 1])); i += 2 }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        return level[0]
    }

    /// `v << amount` (bit 0 first, zeros shifted in, bits shifted past the top dropped): a logarithmic barrel
    /// shifter, one row of multiplexers per bit of `amount` (bit 0 first).
    func shiftLeft(_ v: [Signal], by amount: [Signal]) -> [Signal] {
        var x = v
        for (k, s) in amount.enumerated() {
            let d = 1 << k
            x = x.indices.map { i in mux(s, x[i], i >= d ? x[i - d] : .zero) }
        }
        return x
    }

    /// `v >> amount` (zeros shifted in) and the sticky bit: the OR of every bit shifted out, collected at
    /// each row of the logarithmic shifter from the bits that row drops.
    func shiftRightSticky(_ v: [Signal], by amount: [Signal]) -> (bits: [Signal], sticky: Signal) {
        var x = v
        var sticky = Signal.zero
        for (k, s) in amount.enumerated() {
            let d = 1 << k
            sticky = or(sticky, and(s, orTree(Array(x.prefix(d)))))
            x = x.indices.map { i in mux(s, x[i], i + d < x.count ? x[i + d] : .zero) }
        }
        return (x, sticky)
    }

    /// The number of leading zeros of `v` (counted from its top bit, `v.last`), bit 0 first, and whether `v`
    /// is zero: a logarithmic leading-zero counter (each level merges two halves: the upper half's count when
    /// it has a one, else the lower half's with the half's weight added). `v` is padded at the bottom with
    /// zeros to a power of two; the count of a zero `v` is not meaningful.
    func leadingZeroCount(_ v: [Signal]) -> (count: [Signal], allZero: Signal) {
        var size = 1
        while size < v.count { size *= 2 }
        let topFirst = Array(v.reversed()) + [Signal](repeating: .zero, count: size - v.count)
        func count(_ s: ArraySlice<Signal>) -> (count: [Signal], allZero: Signal) {
            if s.count == 1 { return ([], not(s[s.startIndex])) }
            let half = s.count / 2
            let hi = count(s.prefix(half)), lo = count(s.suffix(half))
            let bits = zip(hi.count, lo.count).map { mux(hi.allZero, $0, $1) } + [hi.allZero]
            return (bits, and(hi.allZero, lo.allZero))
        }
        return count(topFirst[...])
    }
}
