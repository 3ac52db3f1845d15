import Testing
import HaloCore

/// Quantities as users type them: units convert to Halo's internal fF and ns.
@Suite struct UnitsTests {
    @Test(arguments: [("10fF", 10.0), ("0.01pF", 10.0), ("10", 10.0), ("1e-14f", 10.0), ("2.5 fF", 2.5)])
    func capacitance(text: String, femtofarads: Double) {
        #expect(abs(Quantity.capacitanceFF(text)! - femtofarads) < 1e-9)
    }

    @Test(arguments: [("20ps", 0.02), ("0.1ns", 0.1), ("1", 1.0), ("1e3ps", 1.0), ("1us", 1000.0)])
    func time(text: String, nanoseconds: Double) {
        #expect(abs(Quantity.timeNs(text)! - nanoseconds) < 1e-12)
    }

    @Test(arguments: ["", "fF", "10xF", "1.2.3ns", "nan", "ten ps"])
    func malformed(text: String) {
        #expect(Quantity.capacitanceFF(text) == nil)
        #expect(Quantity.timeNs(text) == nil)
    }

    @Test func locatedErrorFormat() {
        let e = HaloError("unknown cell 'FOO'", at: SourceLocation(file: "a.v", line: 3, column: 5))
        #expect(e.description == "a.v:3:5: error: unknown cell 'FOO'")
        #expect(HaloError("no bus").description == "error: no bus")
        #expect(HaloError("no bus").line(tool: "halo") == "halo: error: no bus")
    }
}
