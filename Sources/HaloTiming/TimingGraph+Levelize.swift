import HaloCore
import HaloNetlist

/// Instances in level order, and who feeds whom, for the incremental sweep.
struct Fanout {
    /// Per instance: its position in the level order.
    var position: [Int]
    /// Per level-order position: the positions of the instances its outputs feed (CSR; always later).
    var start: [Int]
    var targets: [Int32]
    /// Per input port: the positions of the instances it feeds (CSR).
    var portStart: [Int]
    var portTargets: [Int32]
}

extension TimingGraph {
    /// Instances in topological order: an instance comes after the drivers of its inputs that have an arc or
    /// feed its functions. Throws for a combinational loop, naming the instances on it.
    static func levelize(design: FlatDesign, linked d: LinkedDesign, nets: NetConnectivity) throws -> [Int] {
        let instCount = design.instances.count
        var dependents = [[Int]](repeating: [], count: instCount)
        var indegree = [Int](repeating: 0, count: instCount)
        for i in 0..<instCount {
            let model = d.cellModels[d.instanceCell[i]]
            var inputs = Set<Int>()
            for set in model.arcSets { inputs.insert(set.fromPin) }
            for f in model.functions { if let f { for v in f.variablePins where v >= 0 { inputs.insert(v) } } }
            var preds = Set<Int>()
            for k in inputs {
                let n = d.pinNet[d.instancePinBase[i] + k]
                guard n >= 0 else { continue }
                let driver = nets.driver[n]
                // A cell's arc from one of its own outputs (an output-to-output timing group) is ordered
                // inside the cell (CellModel), not between instances.
                guard driver >= 0, d.pinInstance[driver] >= 0, d.pinInstance[driver] != i else { continue }
                preds.insert(d.pinInstance[driver])
            }
            for p in preds {
                dependents[p].append(i)
                indegree[i] += 1
            }
        }
        var order: [Int] = []
        order.reserveCapacity(instCount)
        var queue = (0..<instCount).filter { indegree[$0] == 0 }
        var head = 0
        while head < queue.count {
            let i = queue[head]
            head += 1
            order.append(i)
            for j in dependents[i] {
                indegree[j] -= 1
                if indegree[j] == 0 { queue.append(j) }
            }
        }
        if order.count < instCount {
            throw loopError(design: design, dependents: dependents, indegree: indegree)
        }
        return order
    }

    /// Per level-order position, the positions its outputs feed; per input port, the positions it feeds.
    static func fanout(design: FlatDesign, linked d: LinkedDesign, nets: NetConnectivity, order: [Int]) -> Fanout {
        var position = [Int](repeating: 0, count: order.count)
        for (o, i) in order.enumerated() { position[i] = o }
        func loadPositions(ofNet n: Int) -> [Int32] {
            guard n >= 0 else { return [] }
            return (nets.loadStart[n]..<nets.loadStart[n + 1]).compactMap { li -> Int32? in
                let inst = d.pinInstance[nets.loads[li]]
                return inst >= 0 ? Int32(position[inst]) : nil
            }
        }
        var start = [0]
        var targets: [Int32] = []
        for i in order {
            let model = d.cellModels[d.instanceCell[i]]
            var fed = Set<Int32>()
            for k in 0..<model.pinNames.count where model.pinDirections[k] != .input {
                for t in loadPositions(ofNet: d.pinNet[d.instancePinBase[i] + k]) { fed.insert(t) }
            }
            targets.append(contentsOf: fed.sorted())
            start.append(targets.count)
        }
        var portStart = [0]
        var portTargets: [Int32] = []
        for port in design.ports {
            if port.direction == .input { portTargets.append(contentsOf: Set(loadPositions(ofNet: port.net)).sorted()) }
            portStart.append(portTargets.count)
        }
        return Fanout(position: position, start: start, targets: targets, portStart: portStart, portTargets: portTargets)
    }

    /// The error of a combinational loop: a cycle among the instances left unordered, named in order.
    static func loopError(design: FlatDesign, dependents: [[Int]], indegree: [Int]) -> HaloError {
        // Find a cycle among the instances left with indegree > 0.
        let remaining = Set(indegree.indices.filter { indegree[$0] > 0 })
        var state = [Int: Int]()  // 1 = on stack, 2 = done
        var stack: [Int] = []
        var cycle: [Int] = []
        func dfs(_ start: Int) -> Bool {
            var work: [(Int, Int)] = [(start, 0)]
            state[start] = 1
            stack.append(start)
            while let (node, next) = work.last {
                let succ = dependents[node].filter { remaining.contains($0) }
                if next < succ.count {
                    work[work.count - 1].1 += 1
                    let s = succ[next]
                    if state[s] == 1 {
                        if let at = stack.firstIndex(of: s) { cycle = Array(stack[at...]) + [s] }
                        return true
                    }
                    if state[s] == nil {
                        state[s] = 1
                        stack.append(s)
                        work.append((s, 0))
                    }
                } else {
                    state[node] = 2
                    stack.removeLast()
                    work.removeLast()
                }
            }
            return false
        }
        for s in remaining.sorted() where state[s] == nil {
            if dfs(s) { break }
        }
        let names = cycle.map { design.instances[$0].name }
        let first = cycle.first.map { design.instances[$0].location } ?? nil
        return HaloError("combinational loop through instances \(names.joined(separator: " -> "))", at: first)
    }
}
