import LookoutModel

/// Binary operators over scalars and vectors, with Prometheus' vector matching.
struct BinaryEvaluation {
    let op: Operator
    let returnBool: Bool
    let matching: VectorMatching?
    let steps: Int
    /// The label names `signature` keeps (`on`) or drops (`ignoring`, plus the metric name).
    private let listed: Set<String>

    init(op: Operator, returnBool: Bool, matching: VectorMatching?, steps: Int) {
        self.op = op
        self.returnBool = returnBool
        self.matching = matching
        self.steps = steps
        if let matching, matching.on {
            listed = Set(matching.labels)
        } else {
            listed = Set((matching?.labels ?? []) + [Labels.metricName])
        }
    }

    func apply(_ left: StepValue, _ right: StepValue) throws -> StepValue {
        switch (left, right) {
        case (.scalar(let a), .scalar(let b)):
            return .scalar((0..<steps).map { step in
                let (value, keep) = compute(a[step], b[step])
                return op.isComparison ? (keep ? 1 : 0) : value
            })
        case (.vector(let series), .scalar(let scalars)):
            return .vector(scalarSide(series, scalars, vectorOnLeft: true))
        case (.scalar(let scalars), .vector(let series)):
            return .vector(scalarSide(series, scalars, vectorOnLeft: false))
        case (.vector(let lhs), .vector(let rhs)):
            if op.isSetOperator { return .vector(setOperation(lhs, rhs)) }
            return .vector(try vectorMatch(lhs, rhs))
        default:
            throw PromQLError(.execution, "binary expression must contain only scalar and instant vector types")
        }
    }

    /// The result of `lhs op rhs` and, for comparisons, whether it holds.
    func compute(_ lhs: Double, _ rhs: Double) -> (Double, Bool) {
        switch op {
        case .add: return (lhs + rhs, true)
        case .sub: return (lhs - rhs, true)
        case .mul: return (lhs * rhs, true)
        case .div: return (lhs / rhs, true)
        case .pow: return (pow(lhs, rhs), true)
        case .mod: return (fmod(lhs, rhs), true)
        case .atan2: return (atan2(lhs, rhs), true)
        case .eql: return (lhs, lhs == rhs)
        case .neq: return (lhs, lhs != rhs)
        case .gtr: return (lhs, lhs > rhs)
        case .lss: return (lhs, lhs < rhs)
        case .gte: return (lhs, lhs >= rhs)
        case .lte: return (lhs, lhs <= rhs)
        default: return (.nan, false)
        }
    }

    private func scalarSide(_ series: [StepSeries], _ scalars: [Double], vectorOnLeft: Bool) -> [StepSeries] {
        let dropName = !op.isComparison || returnBool
        var result: [StepSeries] = []
        for entry in series {
            var values = [Double?](repeating: nil, count: steps)
            for step in 0..<steps {
                guard let value = entry.values[step] else { continue }
                let (computed, keep) = vectorOnLeft ? compute(value, scalars[step]) : compute(scalars[step], value)
                if op.isComparison {
                    if returnBool { values[step] = keep ? 1 : 0 } else if keep { values[step] = value }
                } else {
                    values[step] = computed
                }
            }
            if values.contains(where: { $0 != nil }) {
                result.append(StepSeries(labels: entry.labels, values: values, dropName: entry.dropName || dropName))
            }
        }
        return result
    }

    /// The labels two series are matched on.
    private func signature(_ labels: Labels) -> Labels {
        if let matching, matching.on {
            return Labels(sorted: labels.pairs.filter { listed.contains($0.name) })
        }
        return Labels(sorted: labels.pairs.filter { !listed.contains($0.name) })
    }

    private func setOperation(_ lhs: [StepSeries], _ rhs: [StepSeries]) -> [StepSeries] {
        var rightPresent: [Labels: [Bool]] = [:]
        for entry in rhs {
            let key = signature(entry.labels)
            var present = rightPresent[key] ?? [Bool](repeating: false, count: steps)
            for step in 0..<steps where entry.values[step] != nil { present[step] = true }
            rightPresent[key] = present
        }
        switch op {
        case .and, .unless:
            let wantPresent = op == .and
            return lhs.compactMap { entry in
                let present = rightPresent[signature(entry.labels)]
                var values = entry.values
                for step in 0..<steps where values[step] != nil {
                    if (present?[step] ?? false) != wantPresent { values[step] = nil }
                }
                return values.contains(where: { $0 != nil }) ? StepSeries(labels: entry.labels, values: values, dropName: entry.dropName) : nil
            }
        default:  // or
            var leftPresent: [Labels: [Bool]] = [:]
            for entry in lhs {
                let key = signature(entry.labels)
                var present = leftPresent[key] ?? [Bool](repeating: false, count: steps)
                for step in 0..<steps where entry.values[step] != nil { present[step] = true }
                leftPresent[key] = present
            }
            var result = lhs
            for entry in rhs {
                let present = leftPresent[signature(entry.labels)]
                var values = entry.values
                for step in 0..<steps where values[step] != nil && (present?[step] ?? false) { values[step] = nil }
                if values.contains(where: { $0 != nil }) { result.append(StepSeries(labels: entry.labels, values: values, dropName: entry.dropName)) }
            }
            return result
        }
    }

    /// Vector matching. Signatures, candidate pairs and result labels depend on the series, not
    /// on the step, so they are worked out once; each step then only looks at values.
    private func vectorMatch(_ lhs: [StepSeries], _ rhs: [StepSeries]) throws -> [StepSeries] {
        let cardinality = matching?.cardinality ?? .oneToOne
        // group_right: the right side is the "many" side; evaluate with sides swapped.
        let swapped = cardinality == .oneToMany
        let many = swapped ? rhs : lhs
        let one = swapped ? lhs : rhs
        let include = matching?.include ?? []
        let dropName = !op.isComparison || returnBool

        var oneGroups: [Labels: [Int]] = [:]
        for (index, entry) in one.enumerated() { oneGroups[signature(entry.labels), default: []].append(index) }
        var manyGroups: [Labels: [Int]] = [:]
        let manyKeys = many.map { signature($0.labels) }
        for (index, key) in manyKeys.enumerated() { manyGroups[key, default: []].append(index) }

        // Output slots: one per distinct result label set.
        var slotOf: [Labels: Int] = [:]
        var slotLabels: [Labels] = []
        var slotDropName: [Bool] = []
        var pairs: [(many: Int, one: Int, slot: Int)] = []
        for (index, entry) in many.enumerated() {
            for candidate in oneGroups[manyKeys[index]] ?? [] {
                var labels = entry.labels
                if cardinality == .oneToOne, let matching, matching.on || !matching.labels.isEmpty {
                    let named = Set(matching.labels)
                    labels = Labels(sorted: labels.pairs.filter { matching.on ? named.contains($0.name) : !named.contains($0.name) })
                }
                for name in include { labels = labels.setting(name, one[candidate].labels[name] ?? "") }
                let slot: Int
                if let existing = slotOf[labels] {
                    slot = existing
                } else {
                    slot = slotLabels.count
                    slotOf[labels] = slot
                    slotLabels.append(labels)
                    slotDropName.append(false)
                }
                if entry.dropName || dropName { slotDropName[slot] = true }
                pairs.append((index, candidate, slot))
            }
        }
        let crowdedOne = oneGroups.filter { $0.value.count > 1 }
        let crowdedMany = cardinality == .oneToOne ? manyGroups.filter { $0.value.count > 1 } : [:]
        var output = [[Double?]](repeating: [Double?](repeating: nil, count: steps), count: slotLabels.count)
        for step in 0..<steps {
            try Task.checkCancellation()
            for (key, members) in crowdedOne where members.filter({ one[$0].values[step] != nil }).count > 1 {
                let side = swapped ? "left" : "right"
                throw PromQLError(.execution, "found duplicate series for the match group \(key) on the \(side) hand-side of the operation: many-to-many matching not allowed: matching labels must be unique on one side")
            }
            for (key, members) in crowdedMany {
                let matched = members.filter { index in
                    many[index].values[step] != nil && (oneGroups[key] ?? []).contains { one[$0].values[step] != nil }
                }
                if matched.count > 1 {
                    throw PromQLError(.execution, "found duplicate series for the match group \(key) on the left hand-side of the operation: multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
            }
            for pair in pairs {
                guard let manyValue = many[pair.many].values[step], let oneValue = one[pair.one].values[step] else { continue }
                let (left, right) = swapped ? (oneValue, manyValue) : (manyValue, oneValue)
                let (computed, keep) = compute(left, right)
                let value: Double
                if op.isComparison {
                    if returnBool { value = keep ? 1 : 0 } else if keep { value = left } else { continue }
                } else {
                    value = computed
                }
                guard output[pair.slot][step] == nil else {
                    throw PromQLError(.execution, "vector cannot contain metrics with the same labelset")
                }
                output[pair.slot][step] = value
            }
        }
        return slotLabels.indices.compactMap { slot in
            output[slot].contains { $0 != nil } ? StepSeries(labels: slotLabels[slot], values: output[slot], dropName: slotDropName[slot]) : nil
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
