import XCTest
import Foundation
import HaloCore
@testable import HaloLiberty

/// Malformed inputs: each must give one HaloError whose description names the place and the token.
final class LibertyErrorTests: XCTestCase {
    func errorLine(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try LibertyReader.parse(text: text, path: "lib.lib")
            XCTFail("no error", file: file, line: line)
            return ""
        } catch let error as HaloError {
            return error.description
        } catch {
            XCTFail("not a HaloError: \(error)", file: file, line: line)
            return ""
        }
    }

    /// Wraps `body` in a library with one 5x5 template.
    func library(_ body: String) -> String {
        """
        library (x) {
          lu_table_template (t) { variable_1 : input_net_transition ; variable_2 : total_output_net_capacitance ;
            index_1 ("1, 2, 3, 4, 5") ; index_2 ("1, 2, 3, 4, 5") ; }
        \(body)
        }
        """
    }

    func testMissingColon() {
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    area\n  }\n}\n"),
                       "lib.lib:4:3: error: expected ':' or '(' after 'area', found '}'")
    }

    func testUnterminatedGroup() {
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    area : 1 ;\n"),
                       "lib.lib:4:1: error: unterminated group 'cell' (opened at line 2)")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    pin (A) {\n      direction : input ;\n    }\n  }"),
                       "lib.lib:6:4: error: unterminated group 'library' (opened at line 1)")
    }

    func testMalformedNumber() {
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    area : x.5 ;\n  }\n}\n"),
                       "lib.lib:3:12: error: malformed number 'x.5'")
        XCTAssertEqual(errorLine("library (x) { cell (C) { pin (A) { capacitance : 1..2 ; } } }"),
                       "lib.lib:1:50: error: malformed number '1..2'")
        XCTAssertEqual(errorLine("library (x) { cell (C) { pin (A) { capacitance : 0x10 ; } } }"),
                       "lib.lib:1:50: error: malformed number '0x10'")
        XCTAssertEqual(errorLine("library (x) { cell (C) { pin (A) { capacitance : nan ; } } }"),
                       "lib.lib:1:50: error: malformed number 'nan'")
        XCTAssertEqual(errorLine("library (x) { cell (C) { pin (A) { capacitance : 1e ; } } }"),
                       "lib.lib:1:50: error: malformed number '1e'")
        XCTAssertEqual(errorLine("library (x) { cell (C) { pin (A) { capacitance : 1 2 ; } } }"),
                       "lib.lib:1:50: error: malformed number '1 2'")
    }

    func testMalformedNumberInsideAList() {
        // The column is that of the bad entry inside the quoted string, on a continued line.
        let text = library("""
          cell (C) { pin (Y) { timing () { related_pin : "A" ;
            cell_rise (t) { values ( "1, 2, 3, 4, 5", \\
                                     "1, 2, 3, 0.x4, 5" ) ; } } } }
        """)
        XCTAssertEqual(errorLine(text), "lib.lib:6:40: error: malformed number '0.x4'")
        XCTAssertEqual(errorLine(library("  cell (C) { pin (Y) { timing () {\n    cell_rise (scalar) { values (\"1,,2\") ; } } } }")),
                       "lib.lib:5:37: error: empty entry in number list '1,,2'")
    }

    func testUnterminatedString() {
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    pin (A) { function : \"A ; }\n  }\n}\n"),
                       "lib.lib:3:26: error: unterminated string")
        XCTAssertEqual(errorLine("library (x) {\n  cell (\"C"), "lib.lib:2:9: error: unterminated string")
    }

    func testUnterminatedComment() {
        XCTAssertEqual(errorLine("library (x) {\n  /* never closed\n  cell (C) { }\n}\n"),
                       "lib.lib:2:3: error: unterminated comment")
    }

    func testTableValueCount() {
        let text = library("""
          cell (C) { pin (Y) { timing () { related_pin : "A" ;
            cell_rise (t) {
              values ("1, 2, 3, 4, 5", "1, 2, 3, 4, 5", "1, 2, 3, 4, 5", "1, 2, 3, 4, 5", "1, 2, 3, 4") ; } } } }
        """)
        XCTAssertEqual(errorLine(text), "lib.lib:6:7: error: table 'cell_rise' has 24 values, expected 25 (5x5)")
        XCTAssertEqual(errorLine(library("  cell (C) { pin (Y) { timing () {\n    cell_rise (scalar) { values (\"1, 2\") ; } } } }")),
                       "lib.lib:5:26: error: table 'cell_rise' has 2 values, expected 1 (scalar)")
        XCTAssertEqual(errorLine(library("  cell (C) { pin (Y) { timing () {\n    cell_fall (t) { index_2 (\"1\") ; values (\"1, 2\") ; } } } }")),
                       "lib.lib:5:37: error: table 'cell_fall' has 2 values, expected 5 (5x1)")
        XCTAssertEqual(errorLine(library("  cell (C) { pin (Y) { timing () {\n    cell_rise (t) { } } } }")),
                       "lib.lib:5:5: error: table 'cell_rise' has no values")
    }

    func testTemplateErrors() {
        XCTAssertEqual(errorLine(library("  cell (C) { pin (Y) { timing () {\n    cell_rise (nosuch) { values (\"1\") ; } } } }")),
                       "lib.lib:5:16: error: undefined table template 'nosuch'")
        XCTAssertEqual(errorLine(library("  cell (C) { pin (Y) { timing () {\n    cell_rise (t) { index_3 (\"1\") ; values (\"1\") ; } } } }")),
                       "lib.lib:5:21: error: table 'cell_rise' has index_3 but template 't' has 2 variables")
        XCTAssertEqual(errorLine("library (x) {\n  lu_table_template (u) { variable_2 : input_net_transition ; }\n}\n"),
                       "lib.lib:2:27: error: lu_table_template 'u' has variable_2 but no variable_1")
        XCTAssertEqual(errorLine("library (x) {\n  lu_table_template (u) { variable_1 : input_net_transition ; }\n"
                                 + "  cell (C) { pin (Y) { timing () { cell_rise (u) { values (\"1\") ; } } } }\n}\n"),
                       "lib.lib:3:36: error: table 'cell_rise' has no index_1 and template 'u' gives none")
        XCTAssertEqual(errorLine(library("  cell (C) { pin (Y) { timing () {\n    cell_rise (t) { index_1 (\"\") ; values (\"1\") ; } } } }")),
                       "lib.lib:5:21: error: index_1 of table 'cell_rise' is empty")
    }

    func testIndexNotStrictlyIncreasing() {
        // In a template (equal points) and in a table's own index (decreasing points), at the attribute.
        XCTAssertEqual(errorLine("library (x) {\n  lu_table_template (t) { variable_1 : input_net_transition ;\n"
                                 + "    index_1 (\"0.1, 0.2, 0.2\") ; }\n}\n"),
                       "lib.lib:3:5: error: index_1 of 't' is not strictly increasing ('0.1, 0.2, 0.2')")
        XCTAssertEqual(errorLine(library("  cell (C) { pin (Y) { timing () {\n    cell_rise (t) { index_2 (\"1\", \"0.5\") ; values (\"1, 2\") ; } } } }")),
                       "lib.lib:5:21: error: index_2 of table 'cell_rise' is not strictly increasing ('1, 0.5')")
        XCTAssertEqual(errorLine("library (x) {\n  power_lut_template (p) { variable_1 : input_transition_time ; index_1 (\"2, 1\") ; }\n}\n"),
                       "lib.lib:2:65: error: index_1 of 'p' is not strictly increasing ('2, 1')")
    }

    func testFunctionNamesAnUnknownPin() {
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) { pin (A) { direction : input ; }\n    pin (Y) { direction : output ; function : \"A ^ B\" ; }\n  }\n}\n"),
                       "lib.lib:3:36: error: function 'A ^ B' of pin 'Y' names 'B', which is not a pin of cell 'C'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) { pin (A) { direction : input ; }\n    pin (Y) { direction : output ; function : \"A\" ; three_state : \"OE\" ; }\n  }\n}\n"),
                       "lib.lib:3:53: error: three_state 'OE' of pin 'Y' names 'OE', which is not a pin of cell 'C'")
    }

    func testFunctionSyntaxErrors() {
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    pin (Y) { direction : output ;\n      function : \"(A & B\" ;\n    }\n  }\n}\n"),
                       "lib.lib:4:25: error: expected ')' in Boolean expression '(A & B', found end of expression")
        // After a line continuation inside the string, the column is on the continued line.
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    pin (Y) { function : \"A \\\n  + )\" ; }\n  }\n}\n"),
                       "lib.lib:4:5: error: unexpected ')' in Boolean expression 'A + )'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    ff (IQ, IQN) { next_state : \"D $\" ; }\n  }\n}\n"),
                       "lib.lib:3:36: error: unexpected character '$' in Boolean expression 'D $'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) { pin (Y) { timing () {\n    when : \"A |\" ; } } }\n}\n"),
                       "lib.lib:3:16: error: unexpected end of expression in Boolean expression 'A |'")
    }

    func testStructureErrors() {
        XCTAssertEqual(errorLine("cell (C) { }\n"), "lib.lib:1:1: error: expected 'library' group, found 'cell'")
        XCTAssertEqual(errorLine(""), "lib.lib:1:1: error: expected 'library' group, found end of file")
        XCTAssertEqual(errorLine("library (x) {\n}\n}\n"),
                       "lib.lib:3:1: error: expected end of file after the 'library' group, found '}'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    pin (A { }\n  }\n}\n"),
                       "lib.lib:3:12: error: expected ')' to close the arguments of 'pin', found '{'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    area : ;\n  }\n}\n"),
                       "lib.lib:3:12: error: expected a value after 'area :', found ';'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    area : : 2 ;\n  }\n}\n"),
                       "lib.lib:3:12: error: unexpected ':' in the value of 'area'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    area : 1 = 2 ;\n  }\n}\n"),
                       "lib.lib:3:14: error: unexpected '=' in the value of 'area'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    area : 1 : 2 ;\n  }\n}\n"),
                       "lib.lib:3:12: error: malformed number '1 : 2'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    ( area : 1 ;\n  }\n}\n"),
                       "lib.lib:3:5: error: expected an attribute or group name, found '('")
        XCTAssertEqual(errorLine("library"), "lib.lib:1:8: error: expected '(' after 'library', found end of file")
        XCTAssertEqual(errorLine("library (x) ;"), "lib.lib:1:13: error: expected '{' to open group 'library', found ';'")
        XCTAssertEqual(errorLine("library (x) {\n  cell () { }\n}\n"), "lib.lib:2:3: error: cell group has no name")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    ff () { }\n  }\n}\n"),
                       "lib.lib:3:5: error: 'ff' group needs state variable names, e.g. ff(IQ, IQN)")
    }

    func testAttributeValueErrors() {
        XCTAssertEqual(errorLine("library (x) {\n  time_unit : \"1furlong\" ;\n}\n"),
                       "lib.lib:2:15: error: unknown time_unit '1furlong' (expected e.g. \"1ns\", \"100ps\", \"1ps\")")
        XCTAssertEqual(errorLine("library (x) {\n  capacitive_load_unit (1, kf) ;\n}\n"),
                       "lib.lib:2:28: error: unknown capacitive_load_unit 'kf' (expected 'ff' or 'pf')")
        XCTAssertEqual(errorLine("library (x) {\n  capacitive_load_unit (1) ;\n}\n"),
                       "lib.lib:2:3: error: capacitive_load_unit takes a number and 'ff' or 'pf', e.g. capacitive_load_unit (1, pf)")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    pin (A) { direction : sideways ; }\n  }\n}\n"),
                       "lib.lib:3:27: error: unknown direction 'sideways' (expected input, output, inout or internal)")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    pin (A) { clock : maybe ; }\n  }\n}\n"),
                       "lib.lib:3:23: error: expected 'true' or 'false' for 'clock', found 'maybe'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    bus (D) { bus_type : nosuch ; }\n  }\n}\n"),
                       "lib.lib:3:26: error: undefined bus type 'nosuch'")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    bus (D) { direction : input ; }\n  }\n}\n"),
                       "lib.lib:3:5: error: bus 'D' has no bus_type")
        XCTAssertEqual(errorLine("library (x) {\n  cell (C) {\n    pin (D[3:x]) { }\n  }\n}\n"),
                       "lib.lib:3:10: error: malformed bit range 'D[3:x]'")
    }

    func testBinaryAndCompressedInput() {
        XCTAssertEqual(errorLine("library (x) {\n  \u{01}\u{02} }\n}\n"),
                       "lib.lib:2:6: error: expected ':' or '(' after '??', found '}'")
        let gzip: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00]
        XCTAssertThrowsError(try gzip.withUnsafeBufferPointer { try LibertyReader.parse(bytes: $0, path: "a.lib.gz", diagnostics: nil) }) {
            XCTAssertEqual("\($0)", "a.lib.gz: error: malformed gzip data at byte 0: truncated header")
        }
        // A byte-order mark is skipped and does not shift columns.
        XCTAssertEqual(errorLine("\u{FEFF}cell (C) { }"), "lib.lib:1:1: error: expected 'library' group, found 'cell'")
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let depth = 5000
        var text = "library (x) {\n"
        text += String(repeating: "g () {\n", count: depth)
        text += String(repeating: "}\n", count: depth)
        text += "}\n"
        XCTAssertEqual(errorLine(text), "lib.lib:1001:1: error: groups nested more than 1000 deep")
        // 900 levels are fine (and skipped with one warning).
        let sink = DiagnosticSink()
        let ok = "library (x) {\n" + String(repeating: "g () {\n", count: 900) + String(repeating: "}\n", count: 900) + "}\n"
        XCTAssertNoThrow(try LibertyReader.parse(text: ok, path: "ok.lib", diagnostics: sink))
        XCTAssertEqual(sink.warnings.map(\.description), ["ok.lib:2:1: warning: skipping unknown Liberty group 'g'"])
    }

    func testMissingFile() {
        XCTAssertThrowsError(try LibertyReader.read(path: "/nonexistent/dir/x.lib")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/dir/x.lib: error: no such file")
        }
        XCTAssertThrowsError(try LibertyReader.read(path: "/tmp")) { error in
            XCTAssertEqual("\(error)", "/tmp: error: is a directory, not a file")
        }
    }

    /// Truncations and byte mutations of a real library never crash or hang: each gives a library or a HaloError.
    func testMutatedInputsNeverCrash() throws {
        let path = "/usr/share/qflow/tech/osu018/osu018_stdcells.lib"
        guard let data = FileManager.default.contents(atPath: path) else { throw XCTSkip("\(path) is not installed") }
        let bytes = [UInt8](data)
        var generator = SplitMix64(seed: 0x5eed)
        let specials: [UInt8] = Array("(){}:;,\"\\/*'!&|^ \n.-e0".utf8)
        var errors = 0
        for round in 0..<150 {
            var mutated = bytes
            if round % 3 == 0 {
                mutated = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
            } else {
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    let i = Int(generator.next() % UInt64(mutated.count))
                    mutated[i] = specials[Int(generator.next() % UInt64(specials.count))]
                }
            }
            do {
                _ = try mutated.withUnsafeBufferPointer { buffer in
                    try LibertyReader.parse(bytes: buffer, path: "mutated.lib", diagnostics: DiagnosticSink())
                }
            } catch is HaloError {
                errors += 1
            }
        }
        XCTAssertGreaterThan(errors, 50)
    }

    func testArbitraryBytesNeverCrash() {
        var generator = SplitMix64(seed: 42)
        let alphabet: [UInt8] = Array("library(x){cell(C)pin(A)timing()values(\"1,2\")function:\"A B\"\\\n;/**/ \t\r0.5e-3[]:".utf8) + [0, 0xFF, 0xC3]
        for _ in 0..<300 {
            let length = Int(generator.next() % 400)
            var bytes = Array("library (x) {".utf8)
            for _ in 0..<length { bytes.append(alphabet[Int(generator.next() % UInt64(alphabet.count))]) }
            _ = try? bytes.withUnsafeBufferPointer { buffer in
                try LibertyReader.parse(bytes: buffer, path: "random.lib", diagnostics: nil)
            }
        }
    }

    func testLargeInputIsLinear() throws {
        // A library of n cells, read at two sizes: time must grow about linearly.
        func text(cells: Int) -> String {
            var s = "library (big) {\n lu_table_template (t) { variable_1 : input_net_transition ; variable_2 : total_output_net_capacitance ;\n"
                + "  index_1 (\"1, 2, 3\") ; index_2 (\"1, 2, 3\") ; }\n"
            for i in 0..<cells {
                s += " cell (C\(i)) { area : 1 ; pin (A) { direction : input ; capacitance : 0.01 ; }\n"
                    + "  pin (Y) { direction : output ; function : \"!A\" ; timing () { related_pin : \"A\" ;\n"
                    + "   cell_rise (t) { values (\"1, 2, 3\", \\\n \"4, 5, 6\", \"7, 8, 9\") ; }\n"
                    + "   cell_fall (t) { values (\"1, 2, 3\", \"4, 5, 6\", \"7, 8, 9\") ; } } } }\n"
            }
            return s + "}\n"
        }
        func seconds(_ t: String) throws -> Double {
            var best = Double.infinity
            for _ in 0..<3 {
                let start = Date()
                let library = try LibertyReader.parse(text: t, path: "big.lib")
                best = min(best, Date().timeIntervalSince(start))
                XCTAssertFalse(library.cells.isEmpty)
            }
            return best
        }
        let small = try seconds(text(cells: 1000))
        let large = try seconds(text(cells: 8000))
        XCTAssertLessThan(large, max(small, 0.005) * 8 * 3, "8x the input took \(large / small)x the time")
    }
}
