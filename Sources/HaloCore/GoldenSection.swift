/// Golden-section search: narrows a bracket `[a, b]` around a minimum of a function that is unimodal
/// there, one evaluation per step (the interior probes divide the bracket in the golden ratio, so one
/// of them is reused each step).
public enum GoldenSection {
    /// A probe of the search: the argument and what `evaluate` returned there.
    public typealias Probe<Value> = (x: Double, value: Value)

    /// Runs `iterations` steps on `[a, b]` and returns the two final interior probes, the lower
    /// argument first. `evaluate` computes a value at an argument and `cost` orders values (the lower
    /// probe is kept when its cost is strictly lower). The caller picks between the two probes (and
    /// decides ties), so a search may carry a whole solution as its value, not only a cost.
    public static func search<Value>(from a: Double, to b: Double, iterations: Int, evaluate: (Double) -> Value,
                                     cost: (Value) -> Double) -> (lower: Probe<Value>, upper: Probe<Value>) {
        let phi = (5.0.squareRoot() - 1) / 2
        var a = a, b = b
        var x1 = b - phi * (b - a), x2 = a + phi * (b - a)
        var v1 = evaluate(x1), v2 = evaluate(x2)
        for _ in 0 ..< iterations {
            if cost(v1) < cost(v2) {
                b = x2; x2 = x1; v2 = v1; x1 = b - phi * (b - a); v1 = evaluate(x1)
            } else {
                a = x1; x1 = x2; v1 = v2; x2 = a + phi * (b - a); v2 = evaluate(x2)
            }
        }
        return ((x1, v1), (x2, v2))
    }
}
