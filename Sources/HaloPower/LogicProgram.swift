import HaloCore
import HaloLiberty
import HaloTiming

/// One instruction of a compiled cell function, over rows of words:
/// `dst = (a ^ ma) OP (b ^ mb)`, or for `mux`: `dst = a ^ ((a ^ b) & s)` (s selects b).
struct LogicInstruction {
    enum Op: UInt8 { case and, or, xor, mux }
    var op: Op
    /// Operands: ≥ 0 a variable (cell input) index, −1 / −2 the constants 0 / 1, ≤ −3 temp −(t+3).
    var a: Int8, b: Int8, s: Int8
    var invertA: Bool, invertB: Bool
    /// Destination temp, or −1 for the function's result.
    var dst: Int8
}

/// A Boolean function compiled to straight-line code by Shannon expansion (shared sub-functions).
struct LogicProgram {
    var instructions: [LogicInstruction]
    var temps: Int
    /// The whole function is one operand (constant, variable or its complement): then `instructions` is empty.
    var result: Int8
    var invertResult: Bool

    /// Compiles a truth table of `n` variables (minterm m: variable k = bit k of m).
    init(table: [UInt64], variables n: Int) {
        var instructions: [LogicInstruction] = []
        var temps = 0
        var memo: [String: (Int8, Bool)] = [:]
        func bits(_ start: Int, _ count: Int) -> [UInt64] {
            // Bits [start, start+count) of table, packed from bit 0.
            if count <= 64 {
                let word = table[start >> 6] >> UInt64(start & 63)
                let mask: UInt64 = count == 64 ? ~0 : (UInt64(1) << UInt64(count)) &- 1
                return [word & mask]
            }
            return Array(table[(start >> 6)..<((start + count) >> 6)])
        }
        func isConst(_ t: [UInt64], _ count: Int, _ one: Bool) -> Bool {
            if count < 64 {
                let mask = (UInt64(1) << UInt64(count)) &- 1
                return one ? t[0] & mask == mask : t[0] & mask == 0
            }
            return t.allSatisfy { one ? $0 == ~0 : $0 == 0 }
        }
        /// An operand computing the function t of variables 0..<k.
        func build(_ t: [UInt64], _ k: Int) -> (Int8, Bool) {
            let count = 1 << k
            if isConst(t, count, false) { return (-1, false) }
            if isConst(t, count, true) { return (-2, false) }
            let key = "\(k):" + t.map { String($0, radix: 16) }.joined(separator: ",")
            if let m = memo[key] { return m }
            let half = count / 2
            let lo: [UInt64], hi: [UInt64]
            if count <= 64 {
                let mask: UInt64 = half == 64 ? ~0 : (UInt64(1) << UInt64(half)) &- 1
                lo = [t[0] & mask]
                hi = [(t[0] >> UInt64(half)) & mask]
            } else {
                lo = Array(t[0..<(t.count / 2)])
                hi = Array(t[(t.count / 2)...])
            }
            let v = Int8(k - 1)
            if lo == hi {
                let r = build(lo, k - 1)
                memo[key] = r
                return r
            }
            let (a, ia) = build(lo, k - 1)
            let (b, ib) = build(hi, k - 1)
            func emit(_ op: LogicInstruction.Op, _ a: Int8, _ ia: Bool, _ b: Int8, _ ib: Bool, s: Int8 = 0) -> (Int8, Bool) {
                let t = temps
                temps += 1
                instructions.append(LogicInstruction(op: op, a: a, b: b, s: s, invertA: ia, invertB: ib, dst: Int8(-(t + 3))))
                return (Int8(-(t + 3)), false)
            }
            let r: (Int8, Bool)
            switch (a, ia, b, ib) {
            case (-1, _, -2, _): r = (v, false)                         // f = x
            case (-2, _, -1, _): r = (v, true)                          // f = !x
            case (-1, _, _, _): r = emit(.and, v, false, b, ib)         // f = x & f1
            case (_, _, -1, _): r = emit(.and, v, true, a, ia)          // f = !x & f0
            case (-2, _, _, _): r = emit(.or, v, true, b, ib)           // f = !x | f1
            case (_, _, -2, _): r = emit(.or, v, false, a, ia)          // f = x | f0
            default:
                if a == b && ia != ib {
                    r = emit(.xor, v, false, a, ia)                     // f = x ^ f0 (f1 = !f0)
                } else if ia || ib {
                    // A mux takes plain operands: complement an inverted one first (x ^ 1).
                    let (pa, _) = ia ? emit(.xor, a, true, -1, false) : (a, false)
                    let (pb, _) = ib ? emit(.xor, b, true, -1, false) : (b, false)
                    r = emit(.mux, pa, false, pb, false, s: v)
                } else {
                    r = emit(.mux, a, false, b, false, s: v)
                }
            }
            memo[key] = r
            return r
        }
        let full = bits(0, 1 << n)
        let (r, inv) = build(full, n)
        if let last = instructions.last, r == last.dst, !inv {
            instructions[instructions.count - 1].dst = -1
            self.result = -1
            self.invertResult = false
        } else {
            self.result = r
            self.invertResult = inv
        }
        self.instructions = instructions
        self.temps = temps
    }

    /// The function's value for one assignment (bit k of `m` = variable k), by running the program.
    func evaluate(_ m: Int) -> Bool {
        var temp = [Bool](repeating: false, count: temps)
        func operand(_ o: Int8) -> Bool {
            if o >= 0 { return (m >> Int(o)) & 1 == 1 }
            if o == -1 { return false }
            if o == -2 { return true }
            return temp[Int(-o) - 3]
        }
        var out = false
        for ins in instructions {
            let a = operand(ins.a) != ins.invertA, b = operand(ins.b) != ins.invertB
            let v: Bool
            switch ins.op {
            case .and: v = a && b
            case .or: v = a || b
            case .xor: v = a != b
            case .mux: v = operand(ins.s) ? b : a
            }
            if ins.dst == -1 { out = v } else { temp[Int(-ins.dst) - 3] = v }
        }
        if result == -1 && !instructions.isEmpty && instructions.last?.dst == -1 { return out }
        return operand(result) != invertResult
    }
}

/// block of variable k); writes the result to `dst`.
@inline(__always)
func runProgram(_ program: LogicProgram, vars: UnsafePointer<UnsafePointer<UInt64>>, temps: UnsafeMutablePointer<UInt64>,
         zeros: UnsafePointer<UInt64>, ones: UnsafePointer<UInt64>, W: Int, words: Int, dst: UnsafeMutablePointer<UInt64>) {
    @inline(__always) func pointer(_ o: Int8) -> UnsafePointer<UInt64> {
        if o >= 0 { return vars[Int(o)] }
        if o == -1 { return zeros }
        if o == -2 { return ones }
        return UnsafePointer(temps + (Int(-o) - 3) * W)
    }
    if program.instructions.isEmpty {
        let src = pointer(program.result)
        let mask: UInt64 = program.invertResult ? ~0 : 0
        for w in 0..<words { dst[w] = src[w] ^ mask }
        return
    }
    for ins in program.instructions {
        let out = ins.dst == -1 ? dst : temps + (Int(-ins.dst) - 3) * W
        let a = pointer(ins.a), b = pointer(ins.b)
        let ma: UInt64 = ins.invertA ? ~0 : 0, mb: UInt64 = ins.invertB ? ~0 : 0
        switch ins.op {
        case .and: for w in 0..<words { out[w] = (a[w] ^ ma) & (b[w] ^ mb) }
        case .or: for w in 0..<words { out[w] = (a[w] ^ ma) | (b[w] ^ mb) }
        case .xor: for w in 0..<words { out[w] = (a[w] ^ ma) ^ (b[w] ^ mb) }
        case .mux:
            let s = pointer(ins.s)
            for w in 0..<words { out[w] = a[w] ^ ((a[w] ^ b[w]) & s[w]) }
        }
    }
    if program.result != -1 || program.instructions.last?.dst != -1 {
        let src = pointer(program.result)
        let mask: UInt64 = program.invertResult ? ~0 : 0
        for w in 0..<words { dst[w] = src[w] ^ mask }
    }
}
