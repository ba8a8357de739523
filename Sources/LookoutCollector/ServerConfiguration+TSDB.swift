import LookoutServer
import LookoutTSDB

extension ServerConfiguration {
    /// The engine settings the configuration file chose.
    var tsdbOptions: TSDBOptions {
        var options = TSDBOptions()
        options.retentionMillis = Self.millis(metricRetention)
        options.outOfOrderWindowMillis = Self.millis(outOfOrderWindow)
        options.maxSeries = maxSeries
        options.maxSeriesPerMetric = maxSeriesPerMetric
        options.maxLabelsPerSeries = maxLabelsPerSeries
        options.maxLabelNameLength = maxLabelNameLength
        options.maxLabelValueLength = maxLabelValueLength
        return options
    }

    static func millis(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
