import XCTest
import HaloCore
@testable import HaloNetlist

/// Inline fixtures for each construct the structural reader handles.
final class VerilogFeatureTests: XCTestCase {
    private func parse(_ text: String, top: String? = nil, isLeafCell: ((String) -> Bool)? = nil,
                       sink: DiagnosticSink? = nil) throws -> FlatDesign {
        try VerilogReader.parse(text: text, path: "t.v", top: top, isLeafCell: isLeafCell, diagnostics: sink)
    }

    private func inst(_ d: FlatDesign, _ name: String) throws -> FlatInstance {
        try XCTUnwrap(d.instances.first { $0.name == name }, "no instance \(name)")
    }

    /// Pin → net name ("-" for unconnected), in connection order.
    private func pins(_ d: FlatDesign, _ i: FlatInstance) -> [String] {
        i.connections.map { "\($0.pin)=\($0.net.map { d.nets[$0] } ?? "-")" }
    }

    // MARK: Hierarchy

    static let hierarchy = """
    // A 4-bit ripple adder in three levels, buses crossing every level.
    module top(a, b, y, co);
      input [3:0] a;
      input [3:0] b;
      output [3:0] y;
      output co;
      wire [3:0] t;
      add4 u1 (.x(a), .y(b), .s(t), .c(co));
      inv4 u2 (t, y);
    endmodule

    module add4(input [3:0] x, input [3:0] y, output [3:0] s, output c);
      wire [4:0] carry;
      assign carry[0] = 1'b0;
      fa f0 (.a(x[0]), .b(y[0]), .ci(carry[0]), .s(s[0]), .co(carry[1]));
      fa f1 (.a(x[1]), .b(y[1]), .ci(carry[1]), .s(s[1]), .co(carry[2]));
      fa f2 (.a(x[2]), .b(y[2]), .ci(carry[2]), .s(s[2]), .co(carry[3]));
      fa f3 (.a(x[3]), .b(y[3]), .ci(carry[3]), .s(s[3]), .co(carry[4]));
      assign c = carry[4];
    endmodule

    module fa(input a, b, ci, output s, co);
      XOR3X1 x1 (.A(a), .B(b), .C(ci), .Y(s));
      MAJ3X1 m1 (.A(a), .B(b), .C(ci), .Y(co));
    endmodule

    module inv4(i, o);
      input [3:0] i;
      output [3:0] o;
      INVX1 g0 (.A(i[0]), .Y(o[0]));
      INVX1 g1 (.A(i[1]), .Y(o[1]));
      INVX1 g2 (.A(i[2]), .Y(o[2]));
      INVX1 g3 (.A(i[3]), .Y(o[3]));
    endmodule
    """

    func testHierarchyFlattening() throws {
        let d = try parse(VerilogFeatureTests.hierarchy)
        XCTAssertEqual(d.topName, "top")
        XCTAssertEqual(d.sourcePath, "t.v")
        XCTAssertEqual(d.instances.map(\.name),
                       ["u1/f0/x1", "u1/f0/m1", "u1/f1/x1", "u1/f1/m1", "u1/f2/x1", "u1/f2/m1", "u1/f3/x1", "u1/f3/m1",
                        "u2/g0", "u2/g1", "u2/g2", "u2/g3"])
        XCTAssertEqual(pins(d, try inst(d, "u1/f0/x1")), ["A=a[0]", "B=b[0]", "C=u1/carry[0]", "Y=t[0]"])
        XCTAssertEqual(pins(d, try inst(d, "u1/f2/m1")), ["A=a[2]", "B=b[2]", "C=u1/carry[2]", "Y=u1/carry[3]"])
        // carry[4] is assigned to c, which is the top port co: the port name survives.
        XCTAssertEqual(pins(d, try inst(d, "u1/f3/m1")), ["A=a[3]", "B=b[3]", "C=u1/carry[3]", "Y=co"])
        XCTAssertEqual(d.netAliases["u1/carry[4]"], d.net(named: "co"))
        XCTAssertEqual(pins(d, try inst(d, "u2/g3")), ["A=t[3]", "Y=y[3]"])
        // carry[0] is tied low.
        let c0 = try XCTUnwrap(d.net(named: "u1/carry[0]"))
        XCTAssertEqual(d.constantNets, [c0: false])
        // Ports of submodules are not separate nets.
        XCTAssertNil(d.net(named: "u1/x[0]"))
        XCTAssertNil(d.net(named: "u2/i[0]"))
        XCTAssertNil(d.net(named: "u1/f0/a"))
        XCTAssertEqual(d.nets.count, 4 + 4 + 4 + 1 + 4 + 4) // ports, t, carry[0..3]
        XCTAssertEqual(d.ports.map(\.name), ["a[0]", "a[1]", "a[2]", "a[3]", "b[0]", "b[1]", "b[2]", "b[3]",
                                             "y[0]", "y[1]", "y[2]", "y[3]", "co"])
        XCTAssertEqual(d.ports.last?.bit, nil)
        XCTAssertEqual(d.ports.last?.direction, .output)
        let loc = try XCTUnwrap(try inst(d, "u2/g1").location)
        XCTAssertEqual("\(loc)", "t.v:31:9")
    }

    func testExplicitTopSelectsSubtree() throws {
        let d = try parse(VerilogFeatureTests.hierarchy, top: "fa")
        XCTAssertEqual(d.topName, "fa")
        XCTAssertEqual(d.instances.map(\.name), ["x1", "m1"])
        XCTAssertEqual(d.ports.map(\.name), ["a", "b", "ci", "s", "co"])
        XCTAssertEqual(d.ports.map(\.direction), [.input, .input, .input, .output, .output])
    }

    func testPositionalAndNamedModuleConnections() throws {
        let d = try parse("""
        module top(input p, q, output r, s);
          sub a (p, q, r);
          sub b (.o(s), .i1(q), .i0(p));
          sub c (.i0(p), .i1(), .o());
          sub d (q, , );
        endmodule
        module sub(i0, i1, o);
          input i0, i1;
          output o;
          NAND2X1 n (.A(i0), .B(i1), .Y(o));
        endmodule
        """)
        XCTAssertEqual(pins(d, try inst(d, "a/n")), ["A=p", "B=q", "Y=r"])
        XCTAssertEqual(pins(d, try inst(d, "b/n")), ["A=p", "B=q", "Y=s"])
        // Unconnected ports of a submodule get nets of their own, named inside the instance.
        XCTAssertEqual(pins(d, try inst(d, "c/n")), ["A=p", "B=c/i1", "Y=c/o"])
        XCTAssertEqual(pins(d, try inst(d, "d/n")), ["A=q", "B=d/i1", "Y=d/o"])
    }

    func testSeveralInstancesPerStatementAndParameterOverride() throws {
        let d = try parse("""
        module top(input a, output y, z);
          buf2 #(.W(8), .D(1)) u1 (.i(a), .o(y)), u2 (.i(a), .o(z));
          INVX1 #(2) i3 (.A(a), .Y());
        endmodule
        module buf2(input i, output o);
          parameter W = 4;
          localparam D2 = W * 2;
          BUFX2 b (.A(i), .Y(o));
        endmodule
        """)
        XCTAssertEqual(d.instances.map(\.name), ["u1/b", "u2/b", "i3"])
        XCTAssertEqual(pins(d, try inst(d, "u2/b")), ["A=a", "Y=z"])
        XCTAssertEqual(pins(d, try inst(d, "i3")), ["A=a", "Y=-"])
    }

    // MARK: Names

    func testEscapedIdentifiers() throws {
        let d = try parse("""
        module \\top$1 (\\a[3] , a, \\out.y );
          input \\a[3] ;
          input [3:0] a;
          output \\out.y ;
          wire \\n/1 ;
          \\$_AND_  \\g/0  (.A(\\a[3] ), .B(a[2]), .Y(\\n/1 ));
          \\$_NOT_ _1_ (.\\A (\\n/1 ), .Y(\\out.y ));
        endmodule
        """)
        XCTAssertEqual(d.topName, "top$1")
        XCTAssertEqual(d.ports.map(\.name), ["a[3]", "a[0]", "a[1]", "a[2]", "a[3]", "out.y"])
        XCTAssertEqual(d.ports[0].bit, nil)
        XCTAssertEqual(d.ports[0].busName, "a[3]")
        XCTAssertEqual(d.ports[4].bit, 3)
        XCTAssertEqual(d.ports[4].busName, "a")
        // The escaped scalar and bit 3 of the bus are different nets with the same printed name.
        XCTAssertNotEqual(d.ports[0].net, d.ports[4].net)
        let g = try inst(d, "g/0")
        XCTAssertEqual(g.cellName, "$_AND_")
        XCTAssertEqual(g.connections.map(\.net), [d.ports[0].net, d.ports[3].net, d.nets.firstIndex(of: "n/1")])
        XCTAssertEqual(pins(d, try inst(d, "_1_")), ["A=n/1", "Y=out.y"])
    }

    func testYosysInternalCellsWithBusPins() throws {
        let d = try parse("""
        module top(input [3:0] a, input s, output [1:0] y, output q);
          wire [1:0] m;
          \\$_MUX_ _0_ (.A(a[0]), .B(a[1]), .S(s), .Y(m[0]));
          \\$_DFF_P_ _1_ (.C(s), .D(m[0]), .Q(q));
          CUSTOM _2_ (.D(a[3:1]), .Q({y, m[1]}), .E(a));
        endmodule
        """)
        XCTAssertEqual(pins(d, try inst(d, "_0_")), ["A=a[0]", "B=a[1]", "S=s", "Y=m[0]"])
        XCTAssertEqual(try inst(d, "_1_").cellName, "$_DFF_P_")
        XCTAssertEqual(pins(d, try inst(d, "_2_")),
                       ["D[2]=a[3]", "D[1]=a[2]", "D[0]=a[1]",
                        "Q[2]=y[1]", "Q[1]=y[0]", "Q[0]=m[1]",
                        "E[3]=a[3]", "E[2]=a[2]", "E[1]=a[1]", "E[0]=a[0]"])
    }

    // MARK: Expressions and constants

    func testConcatenationReplicationAndConstants() throws {
        let sink = DiagnosticSink()
        let d = try parse("""
        module top(input [3:0] a, output y);
          C5 u0 (.D({a[1:0], 1'b0, {2{1'b1}}}), .Y(y));
          C8 u1 (.D(8'hA5));
          C4 u2 (.D(4'd9), .E('b1), .F(0), .G(20'sh0_1), .H(3'o7));
          C2 u3 (.D(2'bx1), .E(1'bz), .F(4'b?01_0));
          C3 u4 (.D({3{a[0]}}), .E({ {2{a[3], 1'b0}}, a[2] }));
          C3 u5 (.D(3'b111), .E('0), .F({a[3], '1}));
        endmodule
        """, sink: sink)
        let zero = try XCTUnwrap(d.net(named: "1'b0"))
        let one = try XCTUnwrap(d.net(named: "1'b1"))
        XCTAssertEqual(d.constantNets, [zero: false, one: true])
        XCTAssertEqual(pins(d, try inst(d, "u0")), ["D[4]=a[1]", "D[3]=a[0]", "D[2]=1'b0", "D[1]=1'b1", "D[0]=1'b1", "Y=y"])
        XCTAssertEqual(pins(d, try inst(d, "u1")).map { $0.hasSuffix("1'b1") ? "1" : "0" }.joined(), "10100101")
        let u2 = pins(d, try inst(d, "u2"))
        XCTAssertEqual(u2.filter { $0.hasPrefix("D[") }, ["D[3]=1'b1", "D[2]=1'b0", "D[1]=1'b0", "D[0]=1'b1"])
        XCTAssertTrue(u2.contains("E=1'b1"))
        XCTAssertTrue(u2.contains("F=1'b0"))
        XCTAssertEqual(u2.filter { $0.hasPrefix("G[") }.count, 20)
        XCTAssertTrue(u2.contains("G[0]=1'b1"))
        XCTAssertTrue(u2.contains("G[4]=1'b0"))
        XCTAssertEqual(u2.filter { $0.hasPrefix("H[") }, ["H[2]=1'b1", "H[1]=1'b1", "H[0]=1'b1"])
        // x and z bits are unconnected, with one warning per constant.
        XCTAssertEqual(pins(d, try inst(d, "u3")),
                       ["D[1]=-", "D[0]=1'b1", "E=-", "F[3]=-", "F[2]=1'b0", "F[1]=1'b1", "F[0]=1'b0"])
        XCTAssertEqual(sink.warnings.map(\.description), [
            "t.v:5:13: warning: x/z constant bit treated as unconnected",
            "t.v:5:24: warning: x/z constant bit treated as unconnected",
            "t.v:5:34: warning: x/z constant bit treated as unconnected",
        ])
        XCTAssertEqual(pins(d, try inst(d, "u5")), ["D[2]=1'b1", "D[1]=1'b1", "D[0]=1'b1", "E=1'b0", "F[1]=a[3]", "F[0]=1'b1"])
        XCTAssertEqual(pins(d, try inst(d, "u4")),
                       ["D[2]=a[0]", "D[1]=a[0]", "D[0]=a[0]", "E[4]=a[3]", "E[3]=1'b0", "E[2]=a[3]", "E[1]=1'b0",
                        "E[0]=a[2]"])
    }

    func testAscendingRangesAndPartSelects() throws {
        let d = try parse("""
        module top(d, q);
          input [0:7] d;
          output [3:0] q;
          wire [0:3] w;
          assign w = d[2:5];
          X4 u (.A(w[1:2]), .B(d[0]), .C(d[6 +: 2]), .D(q[3 -: 2]), .E(d[7 -: 2]), .F(q[0 +: 2]));
        endmodule
        """)
        XCTAssertEqual(d.ports.map(\.name), (0..<8).map { "d[\($0)]" } + (0..<4).map { "q[\($0)]" })
        XCTAssertEqual(d.ports.map(\.bit), Array(0..<8) + Array(0..<4))
        XCTAssertEqual(pins(d, try inst(d, "u")),
                       ["A[1]=d[3]", "A[0]=d[4]", "B=d[0]", "C[1]=d[6]", "C[0]=d[7]", "D[1]=q[3]", "D[0]=q[2]",
                        "E[1]=d[6]", "E[0]=d[7]", "F[1]=q[1]", "F[0]=q[0]"])
        XCTAssertEqual(d.netAliases["w[0]"], d.net(named: "d[2]"))
        XCTAssertEqual(d.netAliases["w[3]"], d.net(named: "d[5]"))
    }

    // MARK: Declarations

    func testNonAnsiAndAnsiDeclarations() throws {
        let d = try parse("""
        `timescale 1ns / 1ps
        (* top = 1 *)
        module top (A, B, Y, Z, IO);
          input signed [7:0] A;
          input B;
          output reg [1:0] Y;
          output Z;
          inout IO;
          wire [7:0] A;
          tri t1, t2;
          reg r;
          wire w = B;
          supply0 gnd;
          supply1 vdd;
          sub s (.A(A), .Y(Y), .Z(Z), .IO(IO), .G(gnd), .V(vdd), .W(w), .R(r), .T(t2));
        endmodule
        module sub (input wire signed [7:0] A, output reg [1:0] Y, output Z, inout IO, input G, V, W, R, T);
          assign Y = A[1:0];
          assign Z = A[7];
        endmodule
        """)
        XCTAssertEqual(d.ports.map(\.name), (0..<8).map { "A[\($0)]" } + ["B", "Y[0]", "Y[1]", "Z", "IO"])
        XCTAssertEqual(d.ports.map(\.direction), Array(repeating: .input, count: 9) + [.output, .output, .output, .inout])
        // Outputs merged with inputs by the submodule's assigns; port names survive.
        XCTAssertEqual(d.ports[9].net, d.ports[0].net) // Y[0] = A[0]
        XCTAssertEqual(d.ports[10].net, d.ports[1].net) // Y[1] = A[1]
        XCTAssertEqual(d.ports[11].net, d.ports[7].net) // Z = A[7]
        XCTAssertEqual(d.nets[d.ports[9].net], "A[0]") // both ports, same length: the earlier
        XCTAssertEqual(d.netAliases["Y[0]"], d.ports[9].net)
        XCTAssertEqual(d.nets[d.ports[7].net], "Z") // the shorter name
        XCTAssertEqual(d.netAliases["A[7]"], d.ports[7].net)
        // wire w = B merges w into B; supply nets are constant.
        XCTAssertEqual(d.netAliases["w"], d.net(named: "B"))
        let gnd = try XCTUnwrap(d.net(named: "gnd")), vdd = try XCTUnwrap(d.net(named: "vdd"))
        XCTAssertEqual(d.constantNets, [gnd: false, vdd: true])
        XCTAssertNotNil(d.net(named: "t1"))
        XCTAssertNotNil(d.net(named: "r"))
    }

    func testSkippedConstructs() throws {
        let d = try parse("""
        /* header comment
           over lines */
        `celldefine
        `default_nettype wire
        module top(input a, output y); // trailing
          (* keep *) wire n;
          parameter P = 3, Q = "str;ing";
          localparam [3:0] L = 4'b1010;
          defparam u1.X = 2;
          specify
            (a => y) = (1.0, 2.0);
            specparam tRise = 0.1;
          endspecify
          (* src = "x.v:3" *) INVX1 u1 (.A(a), .Y(n)) /* inline */ ;
          INVX1 u2 (.A(n), (* attr *) .Y(y));
        endmodule
        `endcelldefine
        """)
        XCTAssertEqual(d.instances.map(\.name), ["u1", "u2"])
        XCTAssertEqual(pins(d, try inst(d, "u2")), ["A=n", "Y=y"])
    }

    func testMiscellaneousSyntax() throws {
        let sink = DiagnosticSink()
        let d = try parse("""
        `resetall
        primitive udp_mux (o, a, b, s);
          output o; input a, b, s;
          table 0 ? 0 : 0; endtable
        endprimitive
        module top #(parameter W = 4, parameter [1:0] K = 2'b01) (input a, input [1:0] s, output y);
          logic [1:0] l;
          logic m;
          wire (strong0, strong1) w;
          uwire u;
          assign (strong0, strong1) #1.5 w = a, u = w;
          assign #(1, 2) l = s;
          assign m = l[1];
          INVX1 #(.d(1.5)) i1 (.A(m), .Y(y));
          integer k;
          genvar g;
          reg r = 1'b0;
        endmodule : top
        """, sink: sink)
        XCTAssertEqual(sink.warnings.map(\.description), ["t.v:2:1: warning: user-defined primitive 'udp_mux' skipped",
                                                          "t.v:17:7: warning: initial value of variable 'r' ignored"])
        XCTAssertTrue(d.constantNets.isEmpty)
        XCTAssertEqual(pins(d, try inst(d, "i1")), ["A=s[1]", "Y=y"])
        XCTAssertEqual(d.netAliases["u"], d.net(named: "a"))
        XCTAssertEqual(d.netAliases["l[0]"], d.net(named: "s[0]"))
    }

    // MARK: Gate primitives

    func testGatePrimitives() throws {
        let d = try parse("""
        module top(input a, b, c, d, output y, z, w, n1, n2, o1, o2, o3, k);
          and g1 (y, a, b, c);
          or #1 g2 (z, a, b), g3 (w, c, d);
          not (n1, n2, a);
          buf #(1, 2) b1 (o1, o2, o3, d);
          nand (strong0, strong1) #(1:2:3) (k, a, b);
          xor (x1, a, b);
        endmodule
        """, sink: nil)
        let g1 = try inst(d, "g1")
        XCTAssertEqual(g1.cellName, "and")
        XCTAssertEqual(g1.primitiveInputCount, 3)
        XCTAssertEqual(pins(d, g1), ["Y=y", "A=a", "B=b", "C=c"])
        XCTAssertEqual(pins(d, try inst(d, "g3")), ["Y=w", "A=c", "B=d"])
        XCTAssertEqual(try inst(d, "g2").cellName, "or")
        XCTAssertEqual(d.instances.map(\.name),
                       ["g1", "g2", "g3", "_prim_0", "_prim_0_1", "b1", "b1_1", "b1_2", "_prim_1", "_prim_2"])
        XCTAssertEqual(pins(d, try inst(d, "_prim_0")), ["Y=n1", "A=a"])
        XCTAssertEqual(pins(d, try inst(d, "_prim_0_1")), ["Y=n2", "A=a"])
        XCTAssertEqual(try inst(d, "_prim_0_1").primitiveInputCount, 1)
        XCTAssertEqual(try inst(d, "_prim_0").cellName, "not")
        XCTAssertEqual(pins(d, try inst(d, "b1_2")), ["Y=o3", "A=d"])
        XCTAssertEqual(try inst(d, "b1").cellName, "buf")
        XCTAssertEqual(pins(d, try inst(d, "_prim_1")), ["Y=k", "A=a", "B=b"])
        XCTAssertEqual(try inst(d, "_prim_1").cellName, "nand")
        XCTAssertEqual(try inst(d, "_prim_2").cellName, "xor")
    }

    func testPrimitiveNamesInsideHierarchy() throws {
        let d = try parse("""
        module top(input a, output y);
          wire m;
          half h (.i(a), .o(m));
          half h2 (.i(m), .o(y));
        endmodule
        module half(input i, output o);
          wire t;
          not (t, i);
          buf bb (o, t);
        endmodule
        """)
        XCTAssertEqual(d.instances.map(\.name), ["h/_prim_0", "h/bb", "h2/_prim_0", "h2/bb"])
        XCTAssertEqual(pins(d, try inst(d, "h2/_prim_0")), ["Y=h2/t", "A=m"])
    }

    // MARK: Assigns and constants

    func testAssignMergingAliasesAndConstants() throws {
        let d = try parse("""
        module top(input i, output o, output p, output [1:0] k);
          wire long_internal_name, n, c0;
          wire [1:0] bus;
          assign o = i;
          assign n = long_internal_name;
          assign p = n;
          assign c0 = 1'b0;
          assign bus = {c0, 1'b1};
          assign k = 2'b10;
          INVX1 u (.A(long_internal_name), .Y(c0));
        endmodule
        """)
        // o and i are both top ports: the earlier (shorter-or-equal) name survives; both ports see the merged net.
        XCTAssertEqual(d.ports[0].net, d.ports[1].net)
        XCTAssertEqual(d.nets[d.ports[0].net], "i")
        XCTAssertEqual(d.netAliases["o"], d.ports[0].net)
        // p (a port) absorbs n and long_internal_name.
        let p = d.ports[2].net
        XCTAssertEqual(d.nets[p], "p")
        XCTAssertEqual(d.netAliases["n"], p)
        XCTAssertEqual(d.netAliases["long_internal_name"], p)
        XCTAssertEqual(d.net(named: "long_internal_name"), p)
        XCTAssertEqual(pins(d, try inst(d, "u")), ["A=p", "Y=c0"])
        let c0 = try XCTUnwrap(d.net(named: "c0"))
        XCTAssertEqual(d.nets[c0], "c0")
        XCTAssertEqual(d.netAliases["bus[1]"], c0)
        let b0 = try XCTUnwrap(d.net(named: "bus[0]"))
        XCTAssertEqual(d.constantNets[c0], false)
        XCTAssertEqual(d.constantNets[b0], true)
        XCTAssertEqual(d.constantNets[d.ports[3].net], false) // k[0]
        XCTAssertEqual(d.constantNets[d.ports[4].net], true) // k[1]
        XCTAssertEqual(d.constantNets.count, 4)
        XCTAssertEqual(Set(d.nets).count, d.nets.count)
    }

    func testConstantsIntoSubmodulePorts() throws {
        let d = try parse("""
        module top(input a, output y, z);
          g u1 (.a(a), .b(1'b1), .y(y));
          g u2 (.a(1'b0), .b(1), .y(z));
        endmodule
        module g(input a, b, output y);
          AND2X1 x (.A(a), .B(b), .Y(y));
        endmodule
        """)
        let one = try XCTUnwrap(d.net(named: "1'b1"))
        let zero = try XCTUnwrap(d.net(named: "1'b0"))
        XCTAssertEqual(d.constantNets, [one: true, zero: false])
        XCTAssertEqual(pins(d, try inst(d, "u1/x")), ["A=a", "B=1'b1", "Y=y"])
        XCTAssertEqual(pins(d, try inst(d, "u2/x")), ["A=1'b0", "B=1'b1", "Y=z"])
    }

    func testConstantIsExtendedToPortWidth() throws {
        let sink = DiagnosticSink()
        let d = try parse("""
        module top(output [3:0] y);
          s u (.i(2'b11), .o(y));
          s v (.i('1), .o());
        endmodule
        module s(input [3:0] i, output [3:0] o);
          B4 b (.A(i), .Y(o));
        endmodule
        """, sink: sink)
        XCTAssertEqual(pins(d, try inst(d, "u/b")).prefix(4), ["A[3]=1'b0", "A[2]=1'b0", "A[1]=1'b1", "A[0]=1'b1"])
        XCTAssertEqual(pins(d, try inst(d, "v/b")),
                       ["A[3]=1'b1", "A[2]=1'b1", "A[1]=1'b1", "A[0]=1'b1", "Y[3]=v/o[3]", "Y[2]=v/o[2]", "Y[1]=v/o[1]", "Y[0]=v/o[0]"])
        XCTAssertEqual(sink.warnings.map(\.description),
                       ["t.v:2:11: warning: connection to port 'i' of instance 'u' is 2 bits, the port is 4 bits"])
    }

    func testImplicitNetsWarn() throws {
        let sink = DiagnosticSink()
        let d = try parse("""
        module top(input a, output y);
          INVX1 u1 (.A(a), .Y(mid));
          INVX1 u2 (.A(mid), .Y(y));
          assign other = mid;
        endmodule
        """, sink: sink)
        XCTAssertEqual(sink.warnings.map(\.description),
                       ["t.v:2:23: warning: implicit net 'mid'", "t.v:4:10: warning: implicit net 'other'"])
        XCTAssertEqual(pins(d, try inst(d, "u2")), ["A=mid", "Y=y"])
        XCTAssertEqual(d.netAliases["other"], d.net(named: "mid"))
    }

    func testPortWidthMismatchWarnsAndAlignsLSB() throws {
        let sink = DiagnosticSink()
        let d = try parse("""
        module top(input [1:0] a, output [2:0] y);
          s u (.i(a), .o(y));
        endmodule
        module s(input [3:0] i, output [1:0] o);
          B4 b (.A(i), .Y(o));
        endmodule
        """, sink: sink)
        XCTAssertEqual(sink.warnings.map(\.description), [
            "t.v:2:11: warning: connection to port 'i' of instance 'u' is 2 bits, the port is 4 bits",
            "t.v:2:18: warning: connection to port 'o' of instance 'u' is 3 bits, the port is 2 bits",
        ])
        XCTAssertEqual(pins(d, try inst(d, "u/b")),
                       ["A[3]=u/i[3]", "A[2]=u/i[2]", "A[1]=a[1]", "A[0]=a[0]", "Y[1]=y[1]", "Y[0]=y[0]"])
    }

    func testLeafPredicateAndTopSelection() throws {
        let text = """
        module top(input a, output y);
          INVX1 u (.A(a), .Y(y));
        endmodule
        module spare(input a, output y);
          BUFX2 u (.A(a), .Y(y));
        endmodule
        """
        XCTAssertThrowsError(try parse(text)) { e in
            XCTAssertEqual(HaloError(wrapping: e).line(tool: "halo"), "halo: error: several candidates for the top module: top, spare (name one as top)")
        }
        let d = try parse(text, top: "top", isLeafCell: { $0 == "INVX1" })
        XCTAssertEqual(d.instances.count, 1)
        // spare is never elaborated, so its unknown BUFX2 does not matter.
        XCTAssertThrowsError(try parse(text, top: "spare", isLeafCell: { $0 == "INVX1" })) { e in
            XCTAssertEqual("\(e)", "t.v:5:3: error: unknown cell or module 'BUFX2'")
        }
    }

    func testReadSeveralFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("halo-verilog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f1 = dir.appendingPathComponent("top.v").path
        let f2 = dir.appendingPathComponent("leaf.v").path
        try "module top(input [1:0] a, output [1:0] y);\n  leaf l0 (a[0], y[0]);\n  leaf l1 (a[1], y[1]);\nendmodule\n"
            .write(toFile: f1, atomically: true, encoding: .utf8)
        try "module leaf(input i, output o);\n  not n (o, i);\nendmodule\n".write(toFile: f2, atomically: true, encoding: .utf8)
        let d = try VerilogReader.read(paths: [f2, f1], top: nil)
        XCTAssertEqual(d.topName, "top")
        XCTAssertEqual(d.sourcePath, f1)
        XCTAssertEqual(d.instances.map(\.name), ["l0/n", "l1/n"])
        XCTAssertEqual(d.instances[1].location?.file, f2)
        XCTAssertThrowsError(try VerilogReader.read(paths: [f1, dir.appendingPathComponent("none.v").path], top: nil)) { e in
            XCTAssertEqual("\(e)", "\(dir.appendingPathComponent("none.v").path): error: no such file")
        }
    }

    func testBigFlatNetlistIsFast() throws {
        // 50,000 instances in a chain; checks linear behaviour without slowing the suite down.
        var text = "module chain(input a, output y);\n"
        let n = 50_000
        for i in 0..<n { text += "  wire n\(i);\n" }
        text += "  assign n0 = a;\n"
        for i in 1..<n { text += "  INVX1 _\(i)_ (.A(n\(i - 1)), .Y(n\(i)));\n" }
        text += "  assign y = n\(n - 1);\nendmodule\n"
        let start = Date()
        let d = try parse(text)
        XCTAssertEqual(d.instances.count, n - 1)
        XCTAssertEqual(d.nets.count, n) // a and y absorb n0 and n49999
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }
}
