import XCTest
import HaloCore
@testable import HaloNetlist

/// Malformed inputs: each must fail with one exact, located message.
final class VerilogErrorTests: XCTestCase {
    private func expectError(_ text: String, top: String? = nil, isLeafCell: ((String) -> Bool)? = nil,
                             _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let d = try VerilogReader.parse(text: text, path: "bad.v", top: top, isLeafCell: isLeafCell)
            XCTFail("no error; read \(d.instances.count) instances", file: file, line: line)
        } catch let e as HaloError {
            XCTAssertEqual(e.line(tool: "halo"), expected, file: file, line: line)
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
        }
    }

    func testMissingSemicolonAfterInstance() {
        expectError("""
        module m(input a, output y);
          INVX1 u1 (.A(a), .Y(y)) foo
        endmodule
        """, "bad.v:2:27: error: expected ';' after instance, found 'foo'")
    }

    func testUnknownCell() {
        expectError("""
        module m(input a, output y);
          INVX1 u1 (.A(a), .Y(y));
          FOO u2 (.A(a));
        endmodule
        """, isLeafCell: { $0 == "INVX1" }, "bad.v:3:3: error: unknown cell or module 'FOO'")
    }

    func testUndefinedNetInSelect() {
        expectError("""
        module m(input a, output y);
          INVX1 u1 (.A(q[1]), .Y(y));
        endmodule
        """, "bad.v:2:16: error: undefined net 'q'")
    }

    func testUndefinedNetOnRightOfAssign() {
        expectError("""
        module m(input a, output y);
          assign y = nowhere;
        endmodule
        """, "bad.v:2:14: error: undefined net 'nowhere'")
    }

    func testBitIndexOutOfRange() {
        expectError("""
        module m(input [7:0] a, output y);
          INVX1 u1 (.A(a[8]), .Y(y));
        endmodule
        """, "bad.v:2:16: error: bit index 8 is out of range [7:0] of 'a'")
    }

    func testPartSelectOutOfRangeAndReversed() {
        expectError("""
        module m(input [0:7] a, output [1:0] y);
          assign y = a[7:8];
        endmodule
        """, "bad.v:2:14: error: part-select [7:8] is out of range [0:7] of 'a'")
        expectError("""
        module m(input [7:0] a, output [1:0] y);
          assign y = a[0:1];
        endmodule
        """, "bad.v:2:14: error: part-select [0:1] is reversed relative to the declaration [7:0] of 'a'")
    }

    func testUnknownPortOfModule() {
        expectError("""
        module top(input a, output y);
          sub s1 (.i(a), .q(y));
        endmodule
        module sub(input i, output o);
          INVX1 u (.A(i), .Y(o));
        endmodule
        """, "bad.v:2:19: error: module 'sub' has no port 'q'")
    }

    func testTooManyPositionalConnections() {
        expectError("""
        module top(input a, b, output y);
          sub s1 (a, y, b);
        endmodule
        module sub(input i, output o);
          INVX1 u (.A(i), .Y(o));
        endmodule
        """, "bad.v:2:17: error: too many positional connections to module 'sub' (it has 2 ports)")
    }

    func testRecursiveInstantiation() {
        expectError("""
        module a(input x);
          b ub (.x(x));
        endmodule
        module b(input x);
          c uc (.x(x));
        endmodule
        module c(input x);
          a ua (.x(x));
        endmodule
        """, top: "a", "bad.v:8:3: error: recursive instantiation: a -> b -> c -> a")
        expectError("""
        module self(input x);
          self again (.x(x));
        endmodule
        """, "bad.v:2:3: error: recursive instantiation: self -> self")
    }

    func testDuplicateModule() {
        expectError("""
        module m(input a);
        endmodule
        module m(input b);
        endmodule
        """, "bad.v:3:8: error: module 'm' is already defined at bad.v:1:8")
    }

    func testTopNotFound() {
        expectError("module m(input a);\nendmodule\n", top: "zz", "halo: error: top module 'zz' not found (modules: m)")
    }

    func testDuplicateInstance() {
        expectError("""
        module m(input a, output y);
          wire n;
          INVX1 u1 (.A(a), .Y(n));
          and u1 (y, n, a);
        endmodule
        """, "bad.v:4:7: error: instance 'u1' is already defined at bad.v:3:9")
        let leaf = "module leaf(input a, output y);\n  INVX1 u (.A(a), .Y(y));\nendmodule\n"
        expectError(leaf + """
        module m(input a, output y);
          wire n;
          leaf x (.a(a), .y(n));
          leaf x (.a(n), .y(y));
        endmodule
        """, "bad.v:7:8: error: instance 'x' is already defined at bad.v:6:8")
        // The same name in two modules is fine.
        XCTAssertNoThrow(try VerilogReader.parse(text: leaf + """
        module m(input a, output y);
          wire n;
          leaf u (.a(a), .y(n));
          INVX1 v (.A(n), .Y(y));
        endmodule
        """, path: "ok.v", top: nil))
    }

    func testNoModules() {
        expectError("// nothing here\n", "bad.v:1:1: error: no module definitions found")
    }

    func testUnterminatedComment() {
        expectError("""
        module m(input a);
          /* never closed
        endmodule
        """, "bad.v:2:3: error: unterminated comment")
    }

    func testUnterminatedString() {
        expectError("""
        module m(input a);
          (* src = "oops *)
        endmodule
        """, "bad.v:2:12: error: unterminated string")
    }

    func testUnterminatedModule() {
        expectError("""
        module m(input a, output y);
          INVX1 u1 (.A(a), .Y(y));
        """, "bad.v:2:27: error: unexpected end of file in module 'm' (missing 'endmodule')")
    }

    func testBehavioralConstruct() {
        expectError("""
        module m(input clk, d, output reg q);
          always @(posedge clk) q <= d;
        endmodule
        """, "bad.v:2:3: error: behavioral construct 'always' is not supported in a structural netlist")
        expectError("""
        module m(input clk);
          initial begin end
        endmodule
        """, "bad.v:2:3: error: behavioral construct 'initial' is not supported in a structural netlist")
    }

    func testAssignWidthMismatch() {
        expectError("""
        module m(input [2:0] a, output [3:0] y);
          assign y = a;
        endmodule
        """, "bad.v:2:10: error: assign width mismatch: left 4 bits, right 3 bits")
    }

    func testPrimitiveConnectionMustBeOneBit() {
        expectError("""
        module m(input [1:0] a, output y);
          and g1 (y, a, a[0]);
        endmodule
        """, "bad.v:2:14: error: connection of gate primitive 'and' must be 1 bit, found 2 bits")
    }

    func testSeveralOrNoTopCandidates() {
        expectError("module a;\nendmodule\nmodule b;\nendmodule\n",
                    "halo: error: several candidates for the top module: a, b (name one as top)")
        expectError("""
        module a; b u(); endmodule
        module b; a u(); endmodule
        """, "halo: error: cannot determine the top module: every module is instantiated by another (a, b)")
    }

    func testNestingTooDeep() {
        let deep = String(repeating: "{", count: 300) + "a" + String(repeating: "}", count: 300)
        expectError("module m(input a);\n  X u (.A(\(deep)));\nendmodule\n",
                    "bad.v:2:212: error: expression nested too deeply (more than 200 levels)")
    }

    func testHierarchyTooDeep() {
        var text = ""
        for i in 0..<1100 { text += "module m\(i)(input a); m\(i + 1) u (.a(a)); endmodule\n" }
        text += "module m1100(input a); endmodule\n"
        expectError(text, "bad.v:101:8: error: module hierarchy below 'm100' is deeper than 1000 levels")
    }

    func testInvalidDigit() {
        expectError("""
        module m(output [3:0] y);
          assign y = 4'b1020;
        endmodule
        """, "bad.v:2:14: error: invalid digit '2' in binary constant '4'b1020'")
    }

    func testPositionalConnectionsToLibraryCell() {
        expectError("""
        module m(input a, output y);
          INVX1 u1 (a, y);
        endmodule
        """, "bad.v:2:3: error: positional connections to cell 'INVX1' are not supported (its pin order is unknown); use named connections")
    }

    func testPortWithoutDirection() {
        expectError("""
        module m(a, y);
          input a;
        endmodule
        """, "bad.v:1:13: error: port 'y' of module 'm' has no input, output or inout declaration")
    }

    func testDeclaredPortNotInList() {
        expectError("""
        module m(a);
          input a;
          output y;
        endmodule
        """, "bad.v:3:10: error: 'y' is declared as output but is not in the port list of module 'm'")
    }

    func testMixedNamedAndPositional() {
        expectError("""
        module m(input a, output y);
          INVX1 u1 (.A(a), y);
        endmodule
        """, "bad.v:2:20: error: expected '.' in named connection list (named and positional connections cannot be mixed), found 'y'")
    }

    func testDefineIsRejected() {
        expectError("`define W 8\nmodule m(input a);\nendmodule\n",
                    "bad.v:1:1: error: compiler directive '`define' is not supported (preprocess the netlist first)")
    }

    func testDefaultNettypeNone() {
        expectError("""
        `default_nettype none
        module m(input a);
          INVX1 u (.A(a), .Y(floating));
        endmodule
        """, "bad.v:3:22: error: undefined net 'floating' (`default_nettype none is in effect)")
    }

    func testParameterInRange() {
        expectError("""
        module m(a);
          parameter W = 8;
          input [W-1:0] a;
        endmodule
        """, "bad.v:3:10: error: identifier 'W' in a constant expression is not supported (parameters are not evaluated)")
    }

    func testGarbageAndEOF() {
        expectError("module m(input a);\n  INVX1 u (.A(a)", "bad.v:2:17: error: expected ',' or ')' in connection list, found end of file")
        expectError("wire x;\n", "bad.v:1:1: error: expected 'module', found 'wire'")
        expectError("module m(input a);\n  INVX1 u (.A(a & a));\nendmodule\n",
                    "bad.v:2:17: error: operator '&' is not supported in a structural netlist")
        expectError("module m(output y);\n  assign y = ~y;\nendmodule\n",
                    "bad.v:2:14: error: operator '~' is not supported in a structural netlist")
        expectError("module m(input a);\n  INVX1 u (.A(a)) ;\n  ] \nendmodule\n", "bad.v:3:3: error: unexpected ']' in module body")
        expectError("module m(input a);\n  INVX1 u (.A(a));\n  \u{00e9}\nendmodule\n", "bad.v:3:3: error: unexpected '\u{00e9}' in module body")
    }

    func testNoFile() {
        XCTAssertThrowsError(try VerilogReader.read(paths: [], top: nil)) { e in
            XCTAssertEqual(HaloError(wrapping: e).line(tool: "halo"), "halo: error: no Verilog files given")
        }
    }

    /// Arbitrary byte soup must produce an error or a design, never a crash or a hang.
    func testRandomInputsNeverCrash() {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["module", "m", "(", ")", ";", "endmodule", "input", "[", "]", "7", ":", "0", "'", "b", "{", "}",
                      ",", ".", "a", "\\x ", "assign", "=", "and", "not", "#", "1", "(*", "*)", "/*", "*/", "//", "\n",
                      "\"", "wire", "4'hf", "'bx", "`timescale 1ns/1ps\n", "specify", "endspecify", "2", "+:", "-:"]
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...40, using: &rng) {
                text += pieces.randomElement(using: &rng) ?? ""
                text += " "
            }
            _ = try? VerilogReader.parse(text: text, path: "fuzz.v", top: nil)
        }
    }
}
