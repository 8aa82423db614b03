// AppendMetricsText writes exactly what prometheus::TextSerializer writes,
// for the families it writes itself and for those it hands over.
#include "daemon/http/metrics_text.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace outcomes {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(const std::string& name, const std::string& help,
                    MetricType type, const std::vector<double>& values) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  int i = 0;
  for (double v : values) {
    ClientMetric& m = f.metric.emplace_back();
    m.label = {{"a", "x" + std::to_string(i++)},
               {"provider", "prov \"1\"\\\n"}};
    (type == MetricType::Counter ? m.counter.value : m.gauge.value) = v;
  }
  return f;
}

std::string Serialized(const std::vector<MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

std::string Appended(const std::vector<MetricFamily>& families) {
  std::string out = "prefix\n";
  AppendMetricsText(families, out);
  return out.substr(7);
}

TEST(MetricsTextTest, SameTextAsThePrometheusSerializer) {
  const std::vector<double> values = {
      0,         1,         -1,
      0.1,       1.0 / 3,   2.0 / 3,
      0.45,      1e20,      1e-7,
      -0.0,      86400 * 7, 123456789012345678.0,
      0.1 + 0.2, 1.5e300,   4.9e-324,
      1e15,      1e16,      1e17,
      12345.678, 0.6,       99999999999999999.0};
  std::vector<MetricFamily> families = {
      Family("g", "A gauge.", MetricType::Gauge, values),
      Family("c_total", "A counter.", MetricType::Counter, values),
      Family("help_escapes", "back\\slash and\nnewline \"q\"",
             MetricType::Gauge, {1}),
      Family("no_help", "", MetricType::Gauge, {2}),
      Family("empty", "No series.", MetricType::Gauge, {}),
      Family("nan", "Handed over.", MetricType::Gauge,
             {std::nan(""), std::numeric_limits<double>::infinity(),
              -std::numeric_limits<double>::infinity()}),
  };
  MetricFamily unlabeled =
      Family("unlabeled", "No labels.", MetricType::Gauge, {3.25});
  unlabeled.metric[0].label.clear();
  families.push_back(unlabeled);
  MetricFamily stamped =
      Family("stamped", "Timestamps.", MetricType::Gauge, {1});
  stamped.metric[0].timestamp_ms = 1234;
  families.push_back(stamped);
  MetricFamily histogram;
  histogram.name = "h";
  histogram.help = "A histogram.";
  histogram.type = MetricType::Histogram;
  ClientMetric& m = histogram.metric.emplace_back();
  m.histogram.sample_count = 3;
  m.histogram.sample_sum = 0.75;
  m.histogram.bucket = {{1, 0.5}, {3, std::numeric_limits<double>::infinity()}};
  families.push_back(histogram);
  const std::string expected = Serialized(families);
  EXPECT_EQ(Appended(families), expected);
  EXPECT_NE(
      expected.find("g{a=\"x3\",provider=\"prov \\\"1\\\"\\\\\\n\"} 0.1\n"),
      std::string::npos)
      << expected;
}

}  // namespace
}  // namespace outcomes
