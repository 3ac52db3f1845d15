import Foundation
import Testing
import HaloQuantization

/// Number formats against hand-derived expectations: every code of e4m3, e5m2 and e2m1.
@Suite struct NumberFormatTests {
    /// E4M3 decoded independently by building the IEEE single-precision bit pattern.
    static func e4m3Reference(_ c: Int) -> Double {
        let s = UInt32(c >> 7), e = UInt32((c >> 3) & 0xF), m = UInt32(c & 7)
        if e == 15 && m == 7 { return .nan }
        if e == 0 { // subnormal: m × 2^-9, exact in Float
            return Double(Float(sign: s == 1 ? .minus : .plus, exponent: -9, significand: Float(m)))
        }
        return Double(Float(bitPattern: s << 31 | (e + 127 - 7) << 23 | m << 20))
    }

    static func e5m2Reference(_ c: Int) -> Double {
        let s = UInt32(c >> 7), e = UInt32((c >> 2) & 0x1F), m = UInt32(c & 3)
        if e == 31 { return m == 0 ? (s == 1 ? -.infinity : .infinity) : .nan }
        if e == 0 { return Double(Float(sign: s == 1 ? .minus : .plus, exponent: -16, significand: Float(m))) }
        return Double(Float(bitPattern: s << 31 | (e + 127 - 15) << 23 | m << 21))
    }

    @Test func e4m3EveryCode() {
        var nans = 0
        for c in 0 ..< 256 {
            let v = NumberFormat.e4m3.value(ofCode: c)!
            let r = Self.e4m3Reference(c)
            if r.isNaN { #expect(v.isNaN, "code \(c)"); nans += 1 } else {
                #expect(v == r, "code \(c): \(v) vs \(r)")
                #expect(v.sign == r.sign, "sign of code \(c)")
            }
            #expect(!v.isInfinite)
        }
        #expect(nans == 2)
        let f = NumberFormat.e4m3
        #expect(f.value(ofCode: 0x7E) == 448)
        #expect(f.value(ofCode: 0xFE) == -448)
        #expect(f.value(ofCode: 0x08) == 0x1p-6)
        #expect(f.value(ofCode: 0x01) == 0x1p-9)
        #expect(f.value(ofCode: 0x07) == 7 * 0x1p-9)
        #expect(f.value(ofCode: 0x38) == 1)
        #expect(f.value(ofCode: 0x78) == 256)
        #expect(f.value(ofCode: 0x7F)!.isNaN && f.value(ofCode: 0xFF)!.isNaN)
        #expect(f.value(ofCode: 0x80) == 0 && f.value(ofCode: 0x80)!.sign == .minus)
        #expect((0 ..< 256).filter { f.isLevel($0) }.count == 254)
    }

    @Test func e5m2EveryCode() {
        for c in 0 ..< 256 {
            let v = NumberFormat.e5m2.value(ofCode: c)!
            let r = Self.e5m2Reference(c)
            if r.isNaN { #expect(v.isNaN, "code \(c)") } else { #expect(v == r, "code \(c): \(v) vs \(r)") }
        }
        let f = NumberFormat.e5m2
        #expect(f.value(ofCode: 0x7B) == 57344)
        #expect(f.value(ofCode: 0x7C) == .infinity)
        #expect(f.value(ofCode: 0xFC) == -.infinity)
        #expect(f.value(ofCode: 0x7D)!.isNaN && f.value(ofCode: 0x7E)!.isNaN && f.value(ofCode: 0x7F)!.isNaN)
        #expect(f.value(ofCode: 0x3C) == 1)
        #expect(f.value(ofCode: 0x01) == 0x1p-16)
        #expect(f.value(ofCode: 0x04) == 0x1p-14)
        #expect(!f.isLevel(0x7C) && !f.isLevel(0x7D) && f.isLevel(0x7B))
        #expect((0 ..< 256).filter { f.isLevel($0) }.count == 248)
    }

    @Test func e2m1EveryCode() {
        let expected: [Double] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]
        for c in 0 ..< 16 {
            #expect(NumberFormat.e2m1.value(ofCode: c) == expected[c], "code \(c)")
            #expect(NumberFormat.e2m1.isLevel(c))
        }
        #expect(NumberFormat.e2m1.value(ofCode: 16) == nil)
        #expect(NumberFormat.e2m1.bits == 4)
    }

    @Test func integers() {
        let i8 = NumberFormat.int(bits: 8)
        for c in 0 ..< 256 { #expect(i8.value(ofCode: c) == Double(Int8(bitPattern: UInt8(c)))) }
        #expect(i8.value(ofCode: 255) == -1 && i8.value(ofCode: 128) == -128 && i8.value(ofCode: 127) == 127)
        #expect(i8.value(ofCode: 256) == nil && i8.value(ofCode: -1) == nil)
        #expect(i8.code(ofInteger: -1) == 255 && i8.code(ofInteger: -129) == nil)
        let i4 = NumberFormat.int(bits: 4)
        #expect((0 ..< 16).map { i4.value(ofCode: $0)! } == [0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1])
        let u8 = NumberFormat.uint(bits: 8)
        for c in 0 ..< 256 { #expect(u8.value(ofCode: c) == Double(c)) }
    }

    @Test(arguments: [("int8", "int8"), ("INT4", "int4"), ("uint8", "uint8"), ("e4m3", "e4m3"), ("fp8-e4m3", "e4m3"),
                      ("float8_e4m3fn", "e4m3"), ("e5m2", "e5m2"), ("fp4", "e2m1"), ("e2m1", "e2m1"), ("int16", "int16")])
    func parse(text: String, canonical: String) {
        #expect(NumberFormat.parse(text)?.description == canonical)
    }

    @Test(arguments: ["int", "int1", "int17", "uint0", "fp32", "e3m4", ""])
    func parseRejects(text: String) {
        #expect(NumberFormat.parse(text) == nil)
    }
}
