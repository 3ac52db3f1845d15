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
        let n = w - 1   // carries needed out of positions 0 … w−2
        var G = Array(g.prefix(n)), P = Array(p.prefix(n))
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
        var sum = [xor(p[0], carryIn)]
        for i in 1..<w { sum.append(xor(p[i], G[i - 1])) }
        return sum
    }
}
