import XCTest
import HaloCore
@testable import HaloLiberty

/// Small libraries written inline, each exercising one feature.
final class SyntheticLibraryTests: XCTestCase {
    func parse(_ text: String, diagnostics: DiagnosticSink? = nil) throws -> LibertyLibrary {
        try LibertyReader.parse(text: text, path: "test.lib", diagnostics: diagnostics)
    }

    func pin(_ library: LibertyLibrary, _ cellName: String, _ pinName: String,
             file: StaticString = #filePath, line: UInt = #line) throws -> LibertyPin {
        let cell = try XCTUnwrap(library.cell(named: cellName), "cell \(cellName)", file: file, line: line)
        let index = try XCTUnwrap(cell.pinIndex(pinName), "pin \(cellName).\(pinName)", file: file, line: line)
        return cell.pins[index]
    }

    func assertValues(_ got: [Double]?, _ want: [Double], file: StaticString = #filePath, line: UInt = #line) {
        guard let got else { return XCTFail("no values", file: file, line: line) }
        XCTAssertEqual(got.count, want.count, "count", file: file, line: line)
        for (g, w) in zip(got, want) {
            XCTAssertEqual(g, w, accuracy: 1e-12 * max(1, abs(w)), file: file, line: line)
        }
    }

    // MARK: Units

    static let picosecondLibrary = """
    library (ps_ff) {
      time_unit : "1ps" ;
      capacitive_load_unit (1, ff) ;
      voltage_unit : "1mV" ;
      nom_voltage : 1100 ;
      lu_table_template (t2) {
        variable_1 : input_net_transition ;
        variable_2 : total_output_net_capacitance ;
        index_1 ("10, 100") ;
        index_2 ("1, 4, 16") ;
      }
      cell (INV) {
        area : 1.5 ;
        pin (A) { direction : input ; capacitance : 2.5 ; rise_capacitance : 2.4 ; }
        pin (Y) {
          direction : output ;
          function : "!A" ;
          timing () {
            related_pin : "A" ;
            timing_sense : negative_unate ;
            cell_rise (t2) { values ("10, 20, 30", "40, 50, 60") ; }
            cell_fall (t2) { index_1 ("5, 50") ; values ("1, 2, 3", "4, 5, 6") ; }
          }
        }
      }
    }
    """

    func testPicosecondsAndFemtofarads() throws {
        let library = try parse(SyntheticLibraryTests.picosecondLibrary)
        XCTAssertEqual(library.timeUnitNs, 0.001)
        XCTAssertEqual(library.capacitiveLoadUnitFF, 1)
        XCTAssertEqual(try XCTUnwrap(library.nominalVoltage), 1.1, accuracy: 1e-12)
        XCTAssertEqual(library.cell(named: "INV")?.area, 1.5)
        let a = try pin(library, "INV", "A")
        XCTAssertEqual(a.capacitanceFF, 2.5)
        XCTAssertEqual(a.riseCapacitanceFF, 2.4)
        XCTAssertEqual(a.fallCapacitanceFF, 2.5)   // falls back to capacitance
        let arc = try XCTUnwrap(try pin(library, "INV", "Y").timings.first)
        XCTAssertEqual(arc.sense, .negativeUnate)
        let rise = try XCTUnwrap(arc.cellRise)
        XCTAssertEqual(rise.variables, [.inputNetTransition, .totalOutputNetCapacitance])
        assertValues(rise.axes[0], [0.01, 0.1])           // ps → ns
        assertValues(rise.axes[1], [1, 4, 16])            // fF as is
        assertValues(rise.values, [0.01, 0.02, 0.03, 0.04, 0.05, 0.06])
        // index_1 overridden by the table itself.
        let fall = try XCTUnwrap(arc.cellFall)
        assertValues(fall.axes[0], [0.005, 0.05])
        assertValues(fall.axes[1], [1, 4, 16])
        assertValues(fall.values, [0.001, 0.002, 0.003, 0.004, 0.005, 0.006])
    }

    func testOtherUnits() throws {
        for (timeUnit, ns) in [("1ns", 1.0), ("100ps", 0.1), ("10ps", 0.01), ("1ps", 0.001)] {
            for (capUnit, fF) in [("(1,pf)", 1000.0), ("(1,ff)", 1.0), ("(0.1,ff)", 0.1), ("(10, fF)", 10.0), ("(0.001, pf)", 1.0)] {
                let text = """
                library (u) {
                  time_unit : "\(timeUnit)";
                  capacitive_load_unit \(capUnit);
                  lu_table_template (t) { variable_1 : total_output_net_capacitance; variable_2 : input_net_transition;
                                          index_1 ("2"); index_2 ("3"); }
                  cell (C) {
                    pin (A) { direction : input; capacitance : 2; }
                    pin (Y) { direction : output; function : "A";
                      timing () { related_pin : "A"; cell_rise (t) { values ("5"); } } }
                  }
                }
                """
                let library = try parse(text)
                XCTAssertEqual(library.timeUnitNs, ns, accuracy: 1e-15)
                XCTAssertEqual(library.capacitiveLoadUnitFF, fF, accuracy: 1e-12)
                XCTAssertEqual(try pin(library, "C", "A").capacitanceFF, 2 * fF, accuracy: 1e-12)
                let table = try XCTUnwrap(try pin(library, "C", "Y").timings.first?.cellRise)
                XCTAssertEqual(table.axes[0][0], 2 * fF, accuracy: 1e-12)
                XCTAssertEqual(table.axes[1][0], 3 * ns, accuracy: 1e-15)
                XCTAssertEqual(table.values[0], 5 * ns, accuracy: 1e-15)
            }
        }
        // Without unit attributes: 1ns and 1pF, as Liberty specifies.
        let bare = try parse("library (x) { cell (C) { pin (A) { direction : input; capacitance : 0.002; } } }")
        XCTAssertEqual(bare.timeUnitNs, 1)
        XCTAssertEqual(bare.capacitiveLoadUnitFF, 1000)
        XCTAssertEqual(try pin(bare, "C", "A").capacitanceFF, 2, accuracy: 1e-12)
        XCTAssertNil(bare.nominalVoltage)
    }

    // MARK: Templates and tables

    func testTemplatesInAnyOrderAndIndexOverride() throws {
        let text = """
        library (t) {
          /* variable_2 written before variable_1, and index_1 before both */
          lu_table_template (swapped) {
            index_1 ("0.1, 0.2") ;
            variable_2 : input_net_transition ;
            variable_1 : total_output_net_capacitance ;
            index_2 ("0.5, 1.5, 2.5") ;
          }
          lu_table_template (normal) {
            variable_1 : input_net_transition ;
            variable_2 : total_output_net_capacitance ;
            index_1 ("0.5, 1.5, 2.5") ;
            index_2 ("0.1, 0.2") ;
          }
          lu_table_template (three) {
            variable_1 : input_net_transition ;
            variable_2 : total_output_net_capacitance ;
            variable_3 : related_out_total_output_net_capacitance ;
            index_1 ("1, 2") ; index_2 ("3, 4") ; index_3 ("5, 6, 7") ;
          }
          lu_table_template (odd) { variable_1 : some_future_variable ; index_1 ("1, 2") ; }
          lu_table_template (noindex) { variable_1 : constrained_pin_transition ; }
          cell (C) {
            pin (A) { direction : input ; }
            pin (Y) {
              direction : output ; function : "A" ;
              timing () {
                related_pin : "A" ;
                cell_rise (swapped) { values ("1, 2, 3", "4, 5, 6") ; }
                cell_fall (normal) { values ("1, 4", "2, 5", "3, 6") ; }
                rise_transition (three) { index_2 ("30, 40, 50") ; values ("1,2,3,4,5,6,7,8,9", "10,11,12,13,14,15,16,17,18") ; }
                fall_transition (odd) { values ("7, 8") ; }
              }
              timing () {
                related_pin : "A" ; timing_type : min_pulse_width ;
                rise_constraint (noindex) { index_1 ("0.25") ; values ("0.5") ; }
              }
            }
          }
        }
        """
        let library = try parse(text)
        let y = try pin(library, "C", "Y")
        let rise = try XCTUnwrap(y.timings[0].cellRise)
        XCTAssertEqual(rise.variables, [.totalOutputNetCapacitance, .inputNetTransition])
        assertValues(rise.axes[0], [100, 200])        // pF → fF
        assertValues(rise.axes[1], [0.5, 1.5, 2.5])   // ns
        XCTAssertEqual(rise.values, [1, 2, 3, 4, 5, 6])
        let fall = try XCTUnwrap(y.timings[0].cellFall)
        XCTAssertEqual(fall.variables, [.inputNetTransition, .totalOutputNetCapacitance])
        assertValues(fall.axes[0], [0.5, 1.5, 2.5])
        assertValues(fall.axes[1], [100, 200])
        XCTAssertEqual(fall.values, [1, 4, 2, 5, 3, 6])
        let cube = try XCTUnwrap(y.timings[0].riseTransition)
        XCTAssertEqual(cube.order, 3)
        XCTAssertEqual(cube.variables, [.inputNetTransition, .totalOutputNetCapacitance, .relatedOutTotalOutputNetCapacitance])
        XCTAssertEqual(cube.axes[0], [1, 2])
        assertValues(cube.axes[1], [30_000, 40_000, 50_000])   // overridden, then pF → fF
        assertValues(cube.axes[2], [5000, 6000, 7000])
        // index (i1 * 3 + i2) * 3 + i3
        XCTAssertEqual(cube.values[(1 * 3 + 2) * 3 + 0], 16)
        XCTAssertEqual(cube.values.count, 18)
        let odd = try XCTUnwrap(y.timings[0].fallTransition)
        XCTAssertEqual(odd.variables, [.unknown])
        XCTAssertEqual(odd.axes, [[1, 2]])   // unknown variables are not scaled
        let mpw = try XCTUnwrap(y.timings[1].riseConstraint)
        XCTAssertEqual(y.timings[1].type, .minPulseWidth)
        XCTAssertEqual(mpw.variables, [.constrainedPinTransition])
        XCTAssertEqual(mpw.axes, [[0.25]])
        XCTAssertEqual(mpw.values, [0.5])
    }

    func testScalarTables() throws {
        let text = """
        library (s) {
          time_unit : "10ps" ;
          cell (C) {
            pin (A) { direction : input ; }
            pin (Y) {
              direction : output ; function : "A" ;
              timing () {
                related_pin : "A" ;
                cell_rise (scalar) { values ("3") ; }
                cell_fall () { values ("4") ; }
                rise_transition (scalar) { values (5) ; }
                fall_transition () { values ( " 6 " ) }
              }
            }
          }
        }
        """
        let arc = try XCTUnwrap(try pin(try parse(text), "C", "Y").timings.first)
        XCTAssertEqual(arc.cellRise?.order, 0)
        assertValues(arc.cellRise?.values, [0.03])
        XCTAssertEqual(arc.cellRise?.axes, [])
        XCTAssertEqual(arc.cellRise?.variables, [])
        assertValues(arc.cellFall?.values, [0.04])
        assertValues(arc.riseTransition?.values, [0.05])
        assertValues(arc.fallTransition?.values, [0.06])
        XCTAssertEqual(LibertyTable.scalar(1).order, 0)
    }

    // MARK: Pins

    func testPinGroupWithSeveralNames() throws {
        let text = """
        library (p) {
          capacitive_load_unit (1, ff) ;
          cell (AND3) {
            pin (A, B, C) { direction : input ; capacitance : 1.25 ; fall_capacitance : 1.5 ; }
            pin (Y) { direction : output ; function : "A B C" ;
              timing () { related_pin : "A B  C" ; timing_sense : positive_unate ;
                cell_rise (scalar) { values ("0.1") ; } }
            }
          }
        }
        """
        let library = try parse(text)
        let cell = try XCTUnwrap(library.cell(named: "AND3"))
        XCTAssertEqual(cell.pins.map(\.name), ["A", "B", "C", "Y"])
        for name in ["A", "B", "C"] {
            let p = try pin(library, "AND3", name)
            XCTAssertEqual(p.direction, .input)
            XCTAssertEqual(p.capacitanceFF, 1.25)
            XCTAssertEqual(p.riseCapacitanceFF, 1.25)
            XCTAssertEqual(p.fallCapacitanceFF, 1.5)
        }
        let y = try pin(library, "AND3", "Y")
        XCTAssertEqual(y.timings.count, 1)
        XCTAssertEqual(y.timings[0].relatedPins, ["A", "B", "C"])
        XCTAssertEqual(y.timings[0].sense, .positiveUnate)
        assertTruthTable(try XCTUnwrap(y.function), ["A", "B", "C"], { $0[0] && $0[1] && $0[2] }, label: "AND3")
    }

    static let busLibrary = """
    library (buses) {
      capacitive_load_unit (1, ff) ;
      type (bus4) { base_type : array ; data_type : bit ; bit_width : 4 ; bit_from : 3 ; bit_to : 0 ; downto : true ; }
      type (bus2up) { base_type : array ; data_type : bit ; bit_width : 2 ; bit_from : 0 ; bit_to : 1 ; }
      cell (REG4) {
        type (local3) { bit_width : 3 ; downto : true ; }
        bus (D) {
          bus_type : bus4 ;
          direction : input ;
          capacitance : 2 ;
          pin (D[0]) { capacitance : 3 ; }
          pin (D[2:1]) { rise_capacitance : 4 ; }
        }
        bus (Q) {
          bus_type : bus4 ;
          direction : output ;
          function : "D & EN" ;
          timing () { related_pin : "D" ; cell_rise (scalar) { values ("0.5") ; } }
          timing () { related_pin : "EN" ; cell_rise (scalar) { values ("0.7") ; } }
          timing () { related_bus_pins : "S" ; cell_rise (scalar) { values ("0.9") ; } }
        }
        bus (S) { bus_type : bus2up ; direction : input ; }
        bus (T) { bus_type : local3 ; direction : input ; }
        pin (EN) { direction : input ; capacitance : 1 ; }
        pin (ANY) { direction : output ; function : "D[3] | S[1]" ;
          timing () { related_pin : "D[1:0] S" ; cell_rise (scalar) { values ("0.1") ; } }
        }
        bundle (B) {
          members (B0, B1) ;
          direction : output ;
          function : "Q" ;
          pin (B1) { function : "!EN" ; }
        }
      }
    }
    """

    func testBusAndBundleExpansion() throws {
        let library = try parse(SyntheticLibraryTests.busLibrary)
        let cell = try XCTUnwrap(library.cell(named: "REG4"))
        XCTAssertEqual(cell.pins.map(\.name),
                       ["D[3]", "D[2]", "D[1]", "D[0]", "Q[3]", "Q[2]", "Q[1]", "Q[0]", "S[0]", "S[1]",
                        "T[2]", "T[1]", "T[0]", "EN", "ANY", "B0", "B1"])
        XCTAssertEqual(try pin(library, "REG4", "D[3]").capacitanceFF, 2)
        XCTAssertEqual(try pin(library, "REG4", "D[0]").capacitanceFF, 3)      // nested pin overrides
        XCTAssertEqual(try pin(library, "REG4", "D[0]").riseCapacitanceFF, 3)
        XCTAssertEqual(try pin(library, "REG4", "D[2]").riseCapacitanceFF, 4)  // pin (D[2:1])
        XCTAssertEqual(try pin(library, "REG4", "D[1]").riseCapacitanceFF, 4)
        XCTAssertEqual(try pin(library, "REG4", "D[1]").fallCapacitanceFF, 2)
        XCTAssertEqual(try pin(library, "REG4", "D[2]").direction, .input)
        XCTAssertEqual(try pin(library, "REG4", "T[0]").direction, .input)

        // Bus-level function: bit k uses bit k of the bus operands.
        for bit in 0..<4 {
            let q = try pin(library, "REG4", "Q[\(bit)]")
            XCTAssertEqual(q.direction, .output)
            assertTruthTable(try XCTUnwrap(q.function), ["D[\(bit)]", "EN"], { $0[0] && $0[1] }, label: "Q[\(bit)]")
            // related_pin bus → bit to bit; single pin → itself; related_bus_pins → every bit.
            XCTAssertEqual(q.timings.map(\.relatedPins), [["D[\(bit)]"], ["EN"], ["S[0]", "S[1]"]])
            XCTAssertEqual(q.timings[0].cellRise?.values, [0.5])
        }
        let any = try pin(library, "REG4", "ANY")
        XCTAssertEqual(any.timings.first?.relatedPins, ["D[1]", "D[0]", "S[0]", "S[1]"])
        assertTruthTable(try XCTUnwrap(any.function), ["D[3]", "S[1]"], { $0[0] || $0[1] }, label: "ANY")

        let b0 = try pin(library, "REG4", "B0")
        XCTAssertEqual(b0.direction, .output)
        XCTAssertEqual(b0.function, .variable("Q[1]"))   // aligned with the end of the bus, as OpenSTA: B0-Q[1], B1-Q[0]
        XCTAssertEqual(try pin(library, "REG4", "B1").function, .not(.variable("EN")))
    }

    func testSequentialGroups() throws {
        let text = """
        library (seq) {
          cell (DFFRS) {
            ff ("IQ", "IQN") { next_state : "D" ; clocked_on : "CK'" ; clear : "!RN" ; preset : "!SN" ;
                               clear_preset_var1 : L ; }
            pin (D) { direction : input ; }
            pin (CK) { direction : input ; clock : true ; }
            pin (RN) { direction : input ; }
            pin (SN) { direction : input ; }
            pin (Q) { direction : output ; function : "IQ" ; }
            pin (QN) { direction : output ; function : "IQN" ; }
          }
          cell (DLAT) {
            latch (IQ, IQN) { enable : "G" ; data_in : "D" ; }
            statetable ("D G", "IQ") { table : "H H : - : H, L H : - : L" ; }
            pin (D) { direction : input ; }
            pin (G) { direction : input ; }
            pin (Q) { direction : output ; function : "IQ" ; }
          }
        }
        """
        let sink = DiagnosticSink()
        let library = try parse(text, diagnostics: sink)
        XCTAssertEqual(sink.warnings, [])
        let dff = try XCTUnwrap(library.cell(named: "DFFRS"))
        let ff = try XCTUnwrap(dff.sequentials.first)
        XCTAssertEqual(ff.kind, .flipFlop)
        XCTAssertEqual(ff.stateVariable, "IQ")
        XCTAssertEqual(ff.invertedStateVariable, "IQN")
        XCTAssertEqual(ff.nextState, .variable("D"))
        XCTAssertEqual(ff.clockedOn, .not(.variable("CK")))
        XCTAssertEqual(ff.clear, .not(.variable("RN")))
        XCTAssertEqual(ff.preset, .not(.variable("SN")))
        XCTAssertTrue(try pin(library, "DFFRS", "CK").isClock)
        XCTAssertEqual(try pin(library, "DFFRS", "QN").function, .variable("IQN"))
        let latch = try XCTUnwrap(library.cell(named: "DLAT")?.sequentials.first)
        XCTAssertEqual(latch.kind, .latch)
        XCTAssertEqual(latch.clockedOn, .variable("G"))
        XCTAssertEqual(latch.nextState, .variable("D"))
    }

    func testTimingAttributes() throws {
        let text = """
        library (w) {
          cell (MUX) {
            pin (A) { direction : input ; }
            pin (B) { direction : input ; }
            pin (S) { direction : input ; }
            pin (Y) {
              direction : output ;
              function : "(A !S) + (B S)" ;
              timing () {
                related_pin : "A" ;
                when : "!S" ;
                sdf_cond : "S == 1'b0" ;
                timing_sense : positive_unate ;
                timing_type : combinational ;
                cell_rise (scalar) { values ("1") ; }
              }
              timing () {
                related_pin : "S" ;
                when : "A & !B" ;
                timing_type : combinational_rise ;
                timing_sense : non_unate ;
                cell_rise (scalar) { values ("2") ; }
              }
              timing () {
                related_pin : "S" ;
                timing_type : some_vendor_type ;
                cell_rise (scalar) { values ("3") ; }
              }
              timing () {
                related_pin : "B" ;
                timing_sense : sideways_unate ;
                cell_rise (scalar) { values ("4") ; }
              }
            }
          }
        }
        """
        let sink = DiagnosticSink()
        let y = try pin(try parse(text, diagnostics: sink), "MUX", "Y")
        XCTAssertEqual(y.timings.count, 3)   // the unknown timing_type group is skipped
        XCTAssertEqual(y.timings[0].when, .not(.variable("S")))
        XCTAssertEqual(y.timings[0].type, .combinational)
        XCTAssertEqual(y.timings[0].location, SourceLocation(file: "test.lib", line: 9, column: 7))
        XCTAssertEqual(y.timings[1].type, .combinationalRise)
        assertTruthTable(try XCTUnwrap(y.timings[1].when), ["A", "B"], { $0[0] && !$0[1] }, label: "when")
        XCTAssertEqual(y.timings[2].relatedPins, ["B"])
        XCTAssertNil(y.timings[2].sense)
        XCTAssertEqual(sink.warnings.map(\.description), [
            "test.lib:26:23: warning: unknown timing_type 'some_vendor_type'; skipping timing groups of this type",
            "test.lib:31:24: warning: unknown timing_sense 'sideways_unate' ignored",
        ])
    }

    func testEveryTimingTypeIsAccepted() throws {
        let types = ["combinational", "combinational_rise", "combinational_fall", "three_state_enable",
                     "three_state_disable", "rising_edge", "falling_edge", "preset", "clear", "setup_rising",
                     "setup_falling", "hold_rising", "hold_falling", "recovery_rising", "recovery_falling",
                     "removal_rising", "removal_falling", "skew_rising", "skew_falling", "min_pulse_width",
                     "minimum_period", "nochange_high_high", "nochange_high_low", "nochange_low_high",
                     "nochange_low_low", "non_seq_setup_rising", "non_seq_setup_falling", "non_seq_hold_rising",
                     "non_seq_hold_falling"]
        let timings = types.map { "timing () { related_pin : \"A\" ; timing_type : \($0) ; }" }.joined(separator: "\n")
        let text = "library (x) { cell (C) { pin (A) { direction : input ; } pin (Y) { direction : output ;\n\(timings)\n} } }"
        let sink = DiagnosticSink()
        let y = try pin(try parse(text, diagnostics: sink), "C", "Y")
        XCTAssertEqual(y.timings.map(\.type.rawValue), types)
        XCTAssertEqual(sink.warnings, [])
    }

    // MARK: Syntax

    func testLexicalForms() throws {
        let text = """
        /* leading comment */
        library ( "lex" ) { // line comment
          time_unit : 1ns
          capacitive_load_unit ( 1 , pf )
          define (my_attribute, cell, string) ;
          define_group (my_group, cell) ;
          revision : 1.0.17 ;
          bus_naming_style : "%s[%d]" ;
          default_operating_conditions : slow_100_3.00 ;
          date : 2024:01:31 ;
          comment : a, b, c
          lu_table_template (t) {
            variable_1 : input_net_transition
            variable_2 : total_output_net_capacitance
            index_1 ( "1e-1, .5, \\
                       1.0E+0" )
            index_2 ("0.001,0.002")
          }
          cell ( "C1" ) {
            my_attribute : "hello" ;
            my_group (x) { foo : bar ; }
            area : 2.5e1
            pin ( A ) { direction : input ; capacitance : 1.0e-3 ; }
            pin ( Y ) {
              direction : "output" ;
              function : "!A" ;
              timing ( ) {
                related_pin : A ;
                cell_rise ( t ) {
                  values ( \\
                    "1, 2", \\
                    "3, 4", \\
                    "-0.5, +6" \\
                  ) ;
                }
                fall_transition (t) { values ("1, 2", /* inline */ "3, 4" "5, 6") }
              } ;
            } ;
          }
        }
        """
        let sink = DiagnosticSink()
        let library = try parse(text, diagnostics: sink)
        XCTAssertEqual(sink.warnings, [])
        XCTAssertEqual(library.name, "lex")
        let cell = try XCTUnwrap(library.cell(named: "C1"))
        XCTAssertEqual(cell.area, 25)
        XCTAssertEqual(cell.location, SourceLocation(file: "test.lib", line: 19, column: 3))
        XCTAssertEqual(try pin(library, "C1", "A").capacitanceFF, 1, accuracy: 1e-12)
        let y = try pin(library, "C1", "Y")
        XCTAssertEqual(y.direction, .output)
        XCTAssertEqual(y.function, .not(.variable("A")))
        let arc = try XCTUnwrap(y.timings.first)
        XCTAssertEqual(arc.relatedPins, ["A"])
        XCTAssertEqual(arc.cellRise?.axes[0], [0.1, 0.5, 1.0])
        assertValues(arc.cellRise?.axes[1], [1, 2])
        XCTAssertEqual(arc.cellRise?.values, [1, 2, 3, 4, -0.5, 6])
        XCTAssertEqual(arc.fallTransition?.values, [1, 2, 3, 4, 5, 6])
    }

    func testCRLFLineEndingsAndTabs() throws {
        let text = "library (crlf) {\r\n\ttime_unit : \"1ns\"\r\n\tcell (C) {\r\n\t\tpin (A) {\r\n\t\t\tdirection : input\r\n"
            + "\t\t\tcapacitance : 0.5\r\n\t\t}\r\n\t\tpin (Y) { direction : output ; function : \"A\" ;\r\n"
            + "\t\t\ttiming () { related_pin : \"A\" ; cell_rise (scalar) { values ( \\\r\n\"0.25\" ) ; } }\r\n\t\t}\r\n\t}\r\n}\r\n"
        let library = try parse(text)
        XCTAssertEqual(try pin(library, "C", "A").capacitanceFF, 500)
        XCTAssertEqual(try pin(library, "C", "Y").timings.first?.cellRise?.values, [0.25])
    }

    func testUnknownGroupsWarnOncePerKind() throws {
        let text = """
        library (warn) {
          operating_conditions (typ) { voltage : 1.8 ; }
          wire_load ("small") { resistance : 0 ; }
          power_lut_template (p) { variable_1 : input_transition_time ; }
          mystery (one) { }
          cell (C) {
            mystery (two) { }
            leakage_power () { value : 1 ; }
            pg_pin (VDD) { voltage_name : VDD ; }
            pin (A) {
              direction : input ;
              internal_power () { rise_power (p) { values ("1") ; } }
              receiver_capacitance () { }
              enigma () { }
            }
            pin (Y) {
              direction : output ; function : "A" ;
              timing () {
                related_pin : "A" ;
                output_current_rise () { }
                ocv_sigma_cell_rise (x) { }
                enigma () { }
                cell_rise (scalar) { values ("1") ; }
              }
            }
          }
        }
        """
        let sink = DiagnosticSink()
        let library = try parse(text, diagnostics: sink)
        XCTAssertEqual(library.cells.count, 1)
        XCTAssertEqual(sink.warnings.map(\.description), [
            "test.lib:5:3: warning: skipping unknown Liberty group 'mystery'",
            "test.lib:14:7: warning: skipping unknown Liberty group 'enigma'",
        ])
    }

    func testDuplicateCellsAndUnknownRelatedPins() throws {
        let text = """
        library (dup) {
          cell (C) { area : 1 ; pin (A) { direction : input ; } }
          cell (C) { area : 2 ; }
          cell (D) { pin (A) { direction : input ; } pin (Y) { direction : output ; function : "A" ;
            timing () { related_pin : "NOPE" ; cell_rise (scalar) { values ("1") ; } } } }
        }
        """
        let sink = DiagnosticSink()
        let library = try parse(text, diagnostics: sink)
        XCTAssertEqual(library.cells.map(\.name), ["C", "D"])
        XCTAssertEqual(library.cell(named: "C")?.area, 1)
        // An unknown related pin of a timing group is kept for the cell's link to refuse (one error, where
        // the cell is used), not warned about here.
        XCTAssertEqual(sink.warnings.map(\.description), [
            "test.lib:3:3: warning: cell 'C' is defined again; keeping the first definition",
        ])
        XCTAssertEqual(try pin(library, "D", "Y").timings.first?.relatedPins, ["NOPE"])
    }

    func testTimingWithoutRelatedPinIsSkipped() throws {
        let text = """
        library (t) {
          cell (C) { pin (A) { direction : input ; } pin (Y) { direction : output ; function : "A" ;
            timing () { cell_rise (scalar) { values ("1") ; } }
            timing () { related_pin : "A" ; cell_rise (scalar) { values ("2") ; } } } }
        }
        """
        let sink = DiagnosticSink()
        let library = try parse(text, diagnostics: sink)
        XCTAssertEqual(try pin(library, "C", "Y").timings.map(\.relatedPins), [["A"]])
        XCTAssertEqual(sink.warnings.map(\.description), ["test.lib:3:5: warning: timing group without related_pin skipped"])
    }

    func testFunctionsMayNameStateVariables() throws {
        // ff/latch state variables and statetable internal nodes are not pins but may be named.
        let text = """
        library (s) {
          cell (DFF) { ff (IQ, IQN) { next_state : "D" ; clocked_on : "CK" ; }
            pin (D) { direction : input ; } pin (CK) { direction : input ; clock : true ; }
            pin (Q) { direction : output ; function : "IQ" ; } pin (QN) { direction : output ; function : "IQN" ; } }
          cell (ICG) { statetable ("CK E", "M0") { table : "L L : - : L" ; }
            pin (CK) { direction : input ; } pin (E) { direction : input ; }
            pin (GCK) { direction : output ; function : "CK & M0" ; } }
          cell (MUX) { bus (D) { bus_type : b2 ; direction : input ; }
            pin (S) { direction : input ; } pin (Y) { direction : output ; function : "(D[0] & !S) | (D[1] & S)" ; } }
          type (b2) { base_type : array ; data_type : bit ; bit_width : 2 ; bit_from : 1 ; bit_to : 0 ; }
        }
        """
        let library = try parse(text)
        XCTAssertEqual(try pin(library, "DFF", "QN").function, .variable("IQN"))
        XCTAssertEqual(try pin(library, "ICG", "GCK").function, .and(.variable("CK"), .variable("M0")))
        XCTAssertNotNil(try pin(library, "MUX", "Y").function)
    }

    func testDirectionDefaultsAndInternalPins() throws {
        let text = """
        library (d) {
          cell (C) {
            pin (A) { capacitance : 0.001 ; }
            pin (Y) { function : "A" ; }
            pin (Z) { direction : inout ; three_state : "A'" ; function : "1" ; }
            pin (I) { direction : internal ; }
          }
        }
        """
        let library = try parse(text)
        XCTAssertEqual(try pin(library, "C", "A").direction, .input)
        XCTAssertEqual(try pin(library, "C", "Y").direction, .output)
        XCTAssertEqual(try pin(library, "C", "Z").direction, .inout)
        XCTAssertEqual(try pin(library, "C", "Z").threeState, .not(.variable("A")))
        XCTAssertEqual(try pin(library, "C", "Z").function, .constant(true))
        XCTAssertEqual(try pin(library, "C", "I").direction, .internal)
    }
}
