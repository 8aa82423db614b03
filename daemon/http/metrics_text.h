// The Prometheus text format 0.0.4 of metric families, written straight
// into one string: byte for byte what prometheus::TextSerializer writes,
// without an std::ostream call per token (at tens of thousands of
// providers a scrape is hundreds of thousands of series, and the stream
// calls were a third of its CPU time).
//
// Gauge and counter families whose values are all finite and carry no
// timestamp are written here (values as "%.16g", which is what the
// serializer's stream writes with its precision of max_digits10 - 1);
// every other family is handed to prometheus::TextSerializer, in place, so
// the order of families is kept. tests/unit/metrics_text_test.cc compares
// both on the same families.
//
// Thread safety: pure function.
#ifndef OUTCOMESD_DAEMON_HTTP_METRICS_TEXT_H_
#define OUTCOMESD_DAEMON_HTTP_METRICS_TEXT_H_

#include <string>
#include <vector>

#include "prometheus/metric_family.h"

namespace outcomes {

// Appends the text of `families` to `out`.
void AppendMetricsText(const std::vector<prometheus::MetricFamily>& families,
                       std::string& out);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_METRICS_TEXT_H_
