import HaloCore

/// Direction of a module port.
public enum PortDirection: String, Sendable {
    case input, output, `inout`
}

/// The Verilog gate primitives and Yosys internal gate cells, all of which Halo times with its
/// embedded generic library when no Liberty cell of that name exists.
///
/// Primitive instances in a flattened design use the cell names below with pins named
/// `Y` (output) and `A`, `B`, `C`, … (inputs in the order written). Yosys cells keep Yosys's own
/// pin names (`A`, `B`, `C`, `D`, `S`, `Y`).
public enum GatePrimitive: String, CaseIterable, Sendable {
    case and, or, nand, nor, xor, xnor, not, buf
}

/// One bit-level connection of a flattened instance.
public struct PinConnection: Sendable, Equatable {
    /// The cell's pin name (`A`, `Y`, `D[3]` for a bus pin of a cell).
    public var pin: String
    /// Index into `FlatDesign.nets`, or nil when the pin is left unconnected.
    public var net: Int?

    /// A connection of `pin` to net index `net` (nil: unconnected).
    public init(pin: String, net: Int?) {
        self.pin = pin
        self.net = net
    }
}

/// A leaf instance of a flattened design.
public struct FlatInstance: Sendable {
    /// Hierarchical name, parts joined by `/` (OpenSTA's divider), e.g. `u_mult/_123_`.
    public var name: String
    /// The cell it instantiates: a Liberty cell name, a Yosys `$_AND_`-style cell, or a `GatePrimitive` raw value.
    public var cellName: String
    /// Input count for a gate primitive (its arity); 0 otherwise.
    public var primitiveInputCount: Int
    /// The instance's bit-level pin connections.
    public var connections: [PinConnection]
    /// Where the instance is written.
    public var location: SourceLocation?

    /// An instance; `primitiveInputCount` is 0 unless it is a gate primitive.
    public init(name: String, cellName: String, primitiveInputCount: Int = 0, connections: [PinConnection],
                location: SourceLocation? = nil) {
        self.name = name
        self.cellName = cellName
        self.primitiveInputCount = primitiveInputCount
        self.connections = connections
        self.location = location
    }
}

/// A bit-level port of the top module.
public struct FlatPort: Sendable {
    /// Bit name: `A[3]` for a bit of a bus, `clk` for a scalar.
    public var name: String
    /// The bus (or scalar) name without the index: `A`.
    public var busName: String
    /// The bit index within the bus, nil for a scalar port.
    public var bit: Int?
    /// The port's direction.
    public var direction: PortDirection
    /// Index into `FlatDesign.nets`.
    public var net: Int

    /// A port bit on net index `net`; `bit` is nil for a scalar port.
    public init(name: String, busName: String, bit: Int?, direction: PortDirection, net: Int) {
        self.name = name
        self.busName = busName
        self.bit = bit
        self.direction = direction
        self.net = net
    }
}

/// A flattened, bit-level netlist: every net is one bit, every instance a leaf cell.
///
/// Nets joined by `assign a = b;` are merged into one net (its name is the first one kept,
/// preferring a top-level port's name). Nets tied to constants by `assign n = 1'b0;` or by a
/// constant in a connection are listed in `constantNets`.
public struct FlatDesign: Sendable {
    /// The top module's name.
    public var topName: String
    /// Net names (bit-level, hierarchical with `/`, e.g. `W[3]`, `u1/carry[2]`).
    public var nets: [String]
    /// Every other name the net had before merging by `assign` (for look-up by name).
    public var netAliases: [String: Int]
    /// The top module's ports, bit by bit.
    public var ports: [FlatPort]
    /// Every leaf instance of the hierarchy.
    public var instances: [FlatInstance]
    /// Nets held at a logic constant by the netlist itself (net index → value).
    public var constantNets: [Int: Bool]
    /// The file the top module came from.
    public var sourcePath: String
    /// Per net: where it is declared, as an index into `declarationLocations` (-1 when unknown, e.g. for
    /// the constant nets). Empty when the design was not read from Verilog. A module's declarations are
    /// listed once however often it is instantiated, so this costs 4 bytes a net.
    public var netDeclarations: [Int32]
    /// The declarations' places (an implicit net's is its first use).
    public var declarationLocations: [SourceLocation]

    /// Creates a design; `netDeclarations` and `declarationLocations` may be left empty (no net locations).
    public init(topName: String, nets: [String], netAliases: [String: Int], ports: [FlatPort],
                instances: [FlatInstance], constantNets: [Int: Bool], sourcePath: String,
                netDeclarations: [Int32] = [], declarationLocations: [SourceLocation] = []) {
        self.topName = topName
        self.nets = nets
        self.netAliases = netAliases
        self.ports = ports
        self.instances = instances
        self.constantNets = constantNets
        self.sourcePath = sourcePath
        self.netDeclarations = netDeclarations
        self.declarationLocations = declarationLocations
    }

    /// Where net `n` is declared (or first used, for an implicit net), when known.
    public func netLocation(_ n: Int) -> SourceLocation? {
        guard n >= 0, n < netDeclarations.count else { return nil }
        let d = Int(netDeclarations[n])
        return d >= 0 && d < declarationLocations.count ? declarationLocations[d] : nil
    }

    /// The net named `name` (its own name or a merged alias).
    public func net(named name: String) -> Int? {
        if let i = netAliases[name] { return i }
        return nets.firstIndex(of: name)
    }
}
