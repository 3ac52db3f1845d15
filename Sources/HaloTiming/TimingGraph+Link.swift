import HaloCore
import HaloLiberty
import HaloNetlist

/// The link step's result: the cells the instances use, and every pin an integer.
struct LinkedDesign {
    var cellModels: [CellModel] = []
    /// Per instance: index into `cellModels`, first pin index.
    var instanceCell: [Int] = []
    var instancePinBase: [Int] = []
    /// Per pin: owning instance (-1 for a port), pin index within the cell (port index for ports), net (-1 unconnected).
    var pinInstance: [Int] = []
    var pinCellPin: [Int] = []
    var pinNet: [Int] = []
    /// First pin index of the ports.
    var portPinBase = 0
    var pinCount: Int { pinInstance.count }
}

/// The nets' drivers, loads (CSR) and netlist ties.
struct NetConnectivity {
    var driver: [Int]
    var tie: [UInt8]
    var loadStart: [Int]
    var loads: [Int]
    var count: Int { driver.count }
}

extension TimingGraph {
    /// Links every instance to a cell of `libraries` (first match wins; the embedded generic library serves
    /// gate primitives and Yosys internal cells) and numbers the pins: instance by instance, all pins of a
    /// cell, then the ports. Throws for an unknown cell or pin; warns about unconnected inputs.
    static func link(design: FlatDesign, libraries: [LibertyLibrary], warnings: inout LimitedWarnings) throws -> LinkedDesign {
        var d = LinkedDesign()
        var cellIndexByKey: [String: Int] = [:]
        d.instanceCell.reserveCapacity(design.instances.count)
        for (i, inst) in design.instances.enumerated() {
            let key = inst.primitiveInputCount > 0 ? "\(inst.cellName)#\(inst.primitiveInputCount)" : inst.cellName
            let ci: Int
            if let found = cellIndexByKey[key] {
                ci = found
            } else {
                var libertyCell: LibertyCell?
                var libraryName = ""
                if inst.primitiveInputCount == 0 {
                    for (k, lib) in libraries.enumerated() {
                        if let c = lib.cell(named: inst.cellName) {
                            libertyCell = c
                            libraryName = lib.name
                            try checkThresholds(of: lib, against: libraries[0], cell: c.name, at: inst.location, used: k)
                            break
                        }
                    }
                }
                if libertyCell == nil, let c = GenericLibrary.cell(named: inst.cellName, inputCount: max(1, inst.primitiveInputCount)) {
                    libertyCell = c
                    libraryName = GenericLibrary.library.name
                }
                guard let cell = libertyCell else {
                    throw HaloError("unknown cell '\(inst.cellName)' (instance '\(inst.name)'); it is in none of the libraries read",
                                    at: inst.location)
                }
                ci = d.cellModels.count
                d.cellModels.append(try CellModel(cell, library: libraryName))
                cellIndexByKey[key] = ci
            }
            let model = d.cellModels[ci]
            d.instanceCell.append(ci)
            let base = d.pinInstance.count
            d.instancePinBase.append(base)
            for k in 0..<model.pinNames.count {
                d.pinInstance.append(i)
                d.pinCellPin.append(k)
                d.pinNet.append(-1)
            }
            for conn in inst.connections {
                guard let k = model.pinNames.firstIndex(of: conn.pin) else {
                    throw HaloError("cell '\(model.name)' has no pin '\(conn.pin)' (instance '\(inst.name)')", at: inst.location)
                }
                d.pinNet[base + k] = conn.net ?? -1
            }
            for k in 0..<model.pinNames.count where model.pinDirections[k] == .input && d.pinNet[base + k] < 0 {
                warnings.warn(kind: "unconnected input pins",
                              "input pin '\(model.pinNames[k])' of instance '\(inst.name)' (\(model.name)) is not connected",
                              at: inst.location)
            }
        }
        d.portPinBase = d.pinInstance.count
        for (k, port) in design.ports.enumerated() {
            d.pinInstance.append(-1)
            d.pinCellPin.append(k)
            d.pinNet.append(port.net)
        }
        return d
    }

    /// Each net's driver (the first; several, or a driven constant, are warned about), its loads and the
    /// constant the netlist ties it to; undriven nets with loads are warned about.
    static func connectNets(design: FlatDesign, linked d: LinkedDesign, warnings: inout LimitedWarnings) -> NetConnectivity {
        let netCount = design.nets.count
        var netDriver = [Int](repeating: -1, count: netCount)
        var loadCount = [Int](repeating: 0, count: netCount + 1)
        var netTie = [UInt8](repeating: LogicValue.unknown.rawValue, count: netCount)
        for (n, v) in design.constantNets where n >= 0 && n < netCount { netTie[n] = v ? 1 : 0 }
        func isDriver(_ p: Int) -> Bool {
            let inst = d.pinInstance[p]
            if inst < 0 { return design.ports[d.pinCellPin[p]].direction == .input }
            let dir = d.cellModels[d.instanceCell[inst]].pinDirections[d.pinCellPin[p]]
            return dir == .output || dir == .inout
        }
        for p in 0..<d.pinCount {
            let n = d.pinNet[p]
            guard n >= 0 else { continue }
            if isDriver(p) {
                if netDriver[n] >= 0 {
                    warnings.warnOnce(kind: "nets with several drivers", net: n,
                                      "net '\(design.nets[n])' has several drivers; timing uses the first",
                                      at: design.netLocation(n))
                } else if netTie[n] != LogicValue.unknown.rawValue {
                    warnings.warnOnce(kind: "nets tied to a constant and also driven", net: n,
                                      "net '\(design.nets[n])' is tied to a constant and also driven", at: design.netLocation(n))
                } else {
                    netDriver[n] = p
                }
            } else {
                loadCount[n + 1] += 1
            }
        }
        for n in 0..<netCount { loadCount[n + 1] += loadCount[n] }
        var fill = loadCount
        var netLoads = [Int](repeating: 0, count: loadCount[netCount])
        for p in 0..<d.pinCount {
            let n = d.pinNet[p]
            guard n >= 0, !isDriver(p) else { continue }
            netLoads[fill[n]] = p
            fill[n] += 1
        }
        for n in 0..<netCount where netDriver[n] < 0 && netTie[n] == LogicValue.unknown.rawValue
            && loadCount[n + 1] > loadCount[n] {
            warnings.warn(kind: "undriven nets", "net '\(design.nets[n])' has no driver", at: design.netLocation(n))
        }
        return NetConnectivity(driver: netDriver, tie: netTie, loadStart: loadCount, loads: netLoads)
    }

    /// Load capacitance per driver pin and transition (pin*2+rf): every pin on the net, by `caps` (the max
    /// capacitances for paths; the min for a propagated clock's capture side), plus the output port load.
    static func loadCapacitance(design: FlatDesign, linked d: LinkedDesign, nets: NetConnectivity,
                                conditions: TimingConditions, _ caps: (CellModel) -> [[Double]]) -> [Double] {
        var loadCap = [Double](repeating: 0, count: d.pinCount * 2)
        var netCap = [Double](repeating: 0, count: nets.count * 2)
        for p in 0..<d.pinCount {
            let n = d.pinNet[p]
            guard n >= 0 else { continue }
            let inst = d.pinInstance[p]
            if inst >= 0 {
                let c = caps(d.cellModels[d.instanceCell[inst]])[d.pinCellPin[p]]
                netCap[n * 2] += c[0]
                netCap[n * 2 + 1] += c[1]
            } else if design.ports[d.pinCellPin[p]].direction != .input {
                netCap[n * 2] += conditions.outputLoadFF
                netCap[n * 2 + 1] += conditions.outputLoadFF
            }
        }
        for n in 0..<nets.count where nets.driver[n] >= 0 {
            loadCap[nets.driver[n] * 2] = netCap[n * 2]
            loadCap[nets.driver[n] * 2 + 1] = netCap[n * 2 + 1]
        }
        return loadCap
    }
}
