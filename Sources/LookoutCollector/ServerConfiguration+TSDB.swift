import LookoutModel
import LookoutServer
import LookoutTSDB

extension ServerConfiguration {
    /// The engine settings the configuration file chose.
    var tsdbOptions: TSDBOptions {
        var options = TSDBOptions()
        options.retentionMillis = metricRetention.wholeMilliseconds
        options.outOfOrderWindowMillis = outOfOrderWindow.wholeMilliseconds
        options.maxSeries = maxSeries
        options.maxSeriesPerMetric = maxSeriesPerMetric
        options.maxLabelsPerSeries = maxLabelsPerSeries
        options.maxLabelNameLength = maxLabelNameLength
        options.maxLabelValueLength = maxLabelValueLength
        return options
    }
}
