import LookoutModel

/// Binary operators over scalars and vectors, with Prometheus' vector matching.
struct BinaryEvaluation {
    let op: Operator
    let returnBool: Bool
    let matching: VectorMatching?
    let steps: Int

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
        guard let matching, matching.on else {
            let ignored = Set((matching?.labels ?? []) + [Labels.metricName])
            return Labels(sorted: labels.pairs.filter { !ignored.contains($0.name) })
        }
        let kept = Set(matching.labels)
        return Labels(sorted: labels.pairs.filter { kept.contains($0.name) })
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

    private func vectorMatch(_ lhs: [StepSeries], _ rhs: [StepSeries]) throws -> [StepSeries] {
        let cardinality = matching?.cardinality ?? .oneToOne
        // group_right: the right side is the "many" side; evaluate with sides swapped.
        let swapped = cardinality == .oneToMany
        let many = swapped ? rhs : lhs
        let one = swapped ? lhs : rhs
        let include = matching?.include ?? []
        var output: [Labels: [Double?]] = [:]
        var order: [Labels] = []
        var droppedNames = Set<Labels>()
        let dropName = !op.isComparison || returnBool

        let oneKeys = one.map { signature($0.labels) }
        let manyKeys = many.map { signature($0.labels) }
        for step in 0..<steps {
            var oneBySignature: [Labels: Int] = [:]
            for (index, entry) in one.enumerated() where entry.values[step] != nil {
                if oneBySignature.updateValue(index, forKey: oneKeys[index]) != nil {
                    let side = swapped ? "left" : "right"
                    throw PromQLError(.execution, "found duplicate series for the match group \(oneKeys[index]) on the \(side) hand-side of the operation: many-to-many matching not allowed: matching labels must be unique on one side")
                }
            }
            var matchedMany: [Labels: Labels] = [:]
            for (index, entry) in many.enumerated() {
                guard let manyValue = entry.values[step], let oneIndex = oneBySignature[manyKeys[index]],
                      let oneValue = one[oneIndex].values[step] else { continue }
                if cardinality == .oneToOne {
                    if let previous = matchedMany.updateValue(entry.labels, forKey: manyKeys[index]), previous != entry.labels {
                        throw PromQLError(.execution, "found duplicate series for the match group \(manyKeys[index]) on the left hand-side of the operation: multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                    }
                }
                let (left, right) = swapped ? (oneValue, manyValue) : (manyValue, oneValue)
                let (computed, keep) = compute(left, right)
                let value: Double
                if op.isComparison {
                    if returnBool { value = keep ? 1 : 0 } else if keep { value = left } else { continue }
                } else {
                    value = computed
                }
                var labels = entry.labels
                if cardinality == .oneToOne {
                    if let matching, matching.on {
                        let kept = Set(matching.labels)
                        labels = Labels(sorted: labels.pairs.filter { kept.contains($0.name) })
                    } else if let matching {
                        let dropped = Set(matching.labels)
                        labels = Labels(sorted: labels.pairs.filter { !dropped.contains($0.name) })
                    }
                }
                for name in include {
                    labels = labels.setting(name, one[oneIndex].labels[name] ?? "")
                }
                if output[labels] == nil {
                    output[labels] = [Double?](repeating: nil, count: steps)
                    order.append(labels)
                }
                if entry.dropName || dropName { droppedNames.insert(labels) }
                if output[labels]![step] != nil {
                    throw PromQLError(.execution, "vector cannot contain metrics with the same labelset")
                }
                output[labels]![step] = value
            }
        }
        return order.map { StepSeries(labels: $0, values: output[$0]!, dropName: droppedNames.contains($0)) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
