import XCTest
import HaloCore
@testable import HaloLiberty

/// Checks that `expression` computes `truth` on every assignment of `variables`.
func assertTruthTable(_ text: String, _ variables: [String], _ truth: ([Bool]) -> Bool,
                      file: StaticString = #filePath, line: UInt = #line) {
    let expression: BooleanExpression
    do {
        expression = try BooleanExpression.parse(text)
    } catch {
        XCTFail("parse of '\(text)' failed: \(error)", file: file, line: line)
        return
    }
    assertTruthTable(expression, variables, truth, label: text, file: file, line: line)
}

func assertTruthTable(_ expression: BooleanExpression, _ variables: [String], _ truth: ([Bool]) -> Bool,
                      label: String, file: StaticString = #filePath, line: UInt = #line) {
    for v in expression.variables where !variables.contains(v) {
        XCTFail("'\(label)' mentions unexpected variable '\(v)'", file: file, line: line)
    }
    let n = variables.count
    for row in 0..<(1 << n) {
        let values = (0..<n).map { (row >> (n - 1 - $0)) & 1 == 1 }
        let got = expression.evaluate { name in
            guard let i = variables.firstIndex(of: name) else { return false }
            return values[i]
        }
        let want = truth(values)
        if got != want {
            let assignment = zip(variables, values).map { "\($0)=\($1 ? 1 : 0)" }.joined(separator: " ")
            XCTFail("'\(label)' at \(assignment): got \(got ? 1 : 0), expected \(want ? 1 : 0)", file: file, line: line)
            return
        }
    }
}

final class BooleanExpressionParserTests: XCTestCase {
    func testSingleOperators() {
        assertTruthTable("A", ["A"]) { $0[0] }
        assertTruthTable("!A", ["A"]) { !$0[0] }
        assertTruthTable("A'", ["A"]) { !$0[0] }
        assertTruthTable("A & B", ["A", "B"]) { $0[0] && $0[1] }
        assertTruthTable("A * B", ["A", "B"]) { $0[0] && $0[1] }
        assertTruthTable("A B", ["A", "B"]) { $0[0] && $0[1] }
        assertTruthTable("A | B", ["A", "B"]) { $0[0] || $0[1] }
        assertTruthTable("A + B", ["A", "B"]) { $0[0] || $0[1] }
        assertTruthTable("A ^ B", ["A", "B"]) { $0[0] != $0[1] }
        assertTruthTable("(A)", ["A"]) { $0[0] }
        assertTruthTable("A&B|C", ["A", "B", "C"]) { ($0[0] && $0[1]) || $0[2] }
    }

    func testConstants() throws {
        XCTAssertEqual(try BooleanExpression.parse("0"), .constant(false))
        XCTAssertEqual(try BooleanExpression.parse("1"), .constant(true))
        assertTruthTable("A & 1", ["A"]) { $0[0] }
        assertTruthTable("A | 1", ["A"]) { _ in true }
        assertTruthTable("A & 0", ["A"]) { _ in false }
        assertTruthTable("!0", []) { _ in true }
        assertTruthTable("1'", []) { _ in false }
        assertTruthTable("A 1", ["A"]) { $0[0] }
    }

    func testPrecedenceOrBelowAnd() {
        // a | (b & c), not (a | b) & c
        assertTruthTable("A | B & C", ["A", "B", "C"]) { $0[0] || ($0[1] && $0[2]) }
        assertTruthTable("A + B * C", ["A", "B", "C"]) { $0[0] || ($0[1] && $0[2]) }
        assertTruthTable("A & B + C", ["A", "B", "C"]) { ($0[0] && $0[1]) || $0[2] }
        assertTruthTable("A B + C D", ["A", "B", "C", "D"]) { ($0[0] && $0[1]) || ($0[2] && $0[3]) }
    }

    func testPrecedenceAndBelowXor() {
        // ^ binds tighter than & (and juxtaposition): a & (b ^ c)
        assertTruthTable("A & B ^ C", ["A", "B", "C"]) { $0[0] && ($0[1] != $0[2]) }
        assertTruthTable("A ^ B & C", ["A", "B", "C"]) { ($0[0] != $0[1]) && $0[2] }
        assertTruthTable("A B ^ C", ["A", "B", "C"]) { $0[0] && ($0[1] != $0[2]) }
        assertTruthTable("A ^ B C", ["A", "B", "C"]) { ($0[0] != $0[1]) && $0[2] }
        assertTruthTable("A | B ^ C", ["A", "B", "C"]) { $0[0] || ($0[1] != $0[2]) }
        assertTruthTable("A ^ B | C", ["A", "B", "C"]) { ($0[0] != $0[1]) || $0[2] }
    }

    func testPrecedenceOfNegation() {
        // ! binds tighter than every binary operator.
        assertTruthTable("!A & B", ["A", "B"]) { !$0[0] && $0[1] }
        assertTruthTable("!A B", ["A", "B"]) { !$0[0] && $0[1] }
        assertTruthTable("!A | B", ["A", "B"]) { !$0[0] || $0[1] }
        assertTruthTable("!A ^ B & C", ["A", "B", "C"]) { (!$0[0] != $0[1]) && $0[2] }
        assertTruthTable("A !B", ["A", "B"]) { $0[0] && !$0[1] }
        assertTruthTable("!(A & B)", ["A", "B"]) { !($0[0] && $0[1]) }
        assertTruthTable("!!A", ["A"]) { $0[0] }
        assertTruthTable("!!!A", ["A"]) { !$0[0] }
    }

    func testPostfixNegation() {
        assertTruthTable("A' B", ["A", "B"]) { !$0[0] && $0[1] }
        assertTruthTable("A B'", ["A", "B"]) { $0[0] && !$0[1] }
        assertTruthTable("A' + B'", ["A", "B"]) { !$0[0] || !$0[1] }
        assertTruthTable("(A B)'", ["A", "B"]) { !($0[0] && $0[1]) }
        assertTruthTable("(A + B)' C", ["A", "B", "C"]) { !($0[0] || $0[1]) && $0[2] }
        assertTruthTable("A ^ B'", ["A", "B"]) { $0[0] != !$0[1] }
        assertTruthTable("A''", ["A"]) { $0[0] }
        // postfix binds tighter than prefix: !(A') = A
        assertTruthTable("!A'", ["A"]) { $0[0] }
    }

    func testJuxtaposition() {
        assertTruthTable("A B C", ["A", "B", "C"]) { $0[0] && $0[1] && $0[2] }
        assertTruthTable("(A)(B)", ["A", "B"]) { $0[0] && $0[1] }
        assertTruthTable("A(B+C)", ["A", "B", "C"]) { $0[0] && ($0[1] || $0[2]) }
        assertTruthTable("(A+B)(C+D)", ["A", "B", "C", "D"]) { ($0[0] || $0[1]) && ($0[2] || $0[3]) }
        assertTruthTable("A\tB\n C", ["A", "B", "C"]) { $0[0] && $0[1] && $0[2] }
    }

    func testNamesAndQuotes() throws {
        XCTAssertEqual(try BooleanExpression.parse("D[0]"), .variable("D[0]"))
        XCTAssertEqual(try BooleanExpression.parse("\"A\""), .variable("A"))
        XCTAssertEqual(try BooleanExpression.parse("\\\"A\\\""), .variable("A"))
        XCTAssertEqual(try BooleanExpression.parse("IQN"), .variable("IQN"))
        XCTAssertEqual(try BooleanExpression.parse("a_1.b"), .variable("a_1.b"))
        assertTruthTable("D[0] & !D[1]", ["D[0]", "D[1]"]) { $0[0] && !$0[1] }
        assertTruthTable("\"A\" + \\\"B\\\"", ["A", "B"]) { $0[0] || $0[1] }
        assertTruthTable("A & B;", ["A", "B"]) { $0[0] && $0[1] }
        assertTruthTable("A & \\\n B", ["A", "B"]) { $0[0] && $0[1] }
    }

    func testLongChainsDoNotRecurseDeeply() {
        let names = (0..<5000).map { "x\($0)" }
        let e = try? BooleanExpression.parse(names.joined(separator: " & "))
        XCTAssertNotNil(e)
        XCTAssertEqual(e?.variables.count, 5000)
        XCTAssertEqual(e?.evaluate { _ in true }, true)
        XCTAssertEqual(e?.evaluate { $0 != "x4999" }, false)
        let ors = try? BooleanExpression.parse(names.joined(separator: " + "))
        XCTAssertEqual(ors?.evaluate { $0 == "x17" }, true)
        XCTAssertEqual(ors?.evaluate { _ in false }, false)
        let nots = try? BooleanExpression.parse(String(repeating: "!", count: 10001) + "A")
        XCTAssertEqual(nots, .not(.variable("A")))
    }

    func testLibraryFunctions() {
        assertTruthTable("(!((S A) + (!S B)))", ["S", "A", "B"]) { v in !(v[0] ? v[1] : v[2]) }
        assertTruthTable("(((A B)+(B C))+(C A))", ["A", "B", "C"]) { v in [v[0], v[1], v[2]].filter { $0 }.count >= 2 }
        assertTruthTable("((A^B)^C)", ["A", "B", "C"]) { v in (v[0] != v[1]) != v[2] }
        assertTruthTable("(!((A B)+(C D)))", ["A", "B", "C", "D"]) { v in !((v[0] && v[1]) || (v[2] && v[3])) }
        assertTruthTable("(!((A+B) (C+D)))", ["A", "B", "C", "D"]) { v in !((v[0] || v[1]) && (v[2] || v[3])) }
    }

    func testErrors() {
        func message(_ text: String, _ location: SourceLocation? = nil) -> String {
            do {
                _ = try BooleanExpression.parse(text, location: location)
                return "no error"
            } catch {
                return HaloError(wrapping: error).line(tool: "halo")
            }
        }
        let at = SourceLocation(file: "f.lib", line: 3, column: 10)
        XCTAssertEqual(message("A + ", at), "f.lib:3:14: error: unexpected end of expression in Boolean expression 'A + '")
        XCTAssertEqual(message("(A B", at), "f.lib:3:14: error: expected ')' in Boolean expression '(A B', found end of expression")
        XCTAssertEqual(message("A B)", at), "f.lib:3:13: error: unexpected ')' in Boolean expression 'A B)'")
        XCTAssertEqual(message("A # B", at), "f.lib:3:12: error: unexpected character '#' in Boolean expression 'A # B'")
        XCTAssertEqual(message("", at), "f.lib:3:10: error: empty Boolean expression")
        XCTAssertEqual(message("A & ()", at), "f.lib:3:15: error: empty parentheses in Boolean expression 'A & ()'")
        XCTAssertEqual(message("A & 10", at), "f.lib:3:14: error: invalid name '10' in Boolean expression 'A & 10'")
        XCTAssertEqual(message("\"A & B", at), "f.lib:3:10: error: unterminated quoted name in Boolean expression '\"A & B'")
        XCTAssertEqual(message("A &\n & B", at), "f.lib:4:2: error: unexpected '&' in Boolean expression 'A & & B'")
        XCTAssertEqual(message("A | | B"), "halo: error: unexpected '|' in Boolean expression 'A | | B' (column 5)")
        XCTAssertEqual(message(String(repeating: "(", count: 300) + "A" + String(repeating: ")", count: 300)),
                       "halo: error: Boolean expression nested more than 200 parentheses deep (column 201)")
        XCTAssertEqual(message("A ^ ^ B"), "halo: error: unexpected '^' in Boolean expression 'A ^ ^ B' (column 5)")
        XCTAssertEqual(message("' A"), "halo: error: unexpected ''' in Boolean expression '' A' (column 1)")
    }
}
