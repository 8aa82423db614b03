#include "daemon/http/metrics_text.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "prometheus/text_serializer.h"

namespace outcomes {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// A label value, escaped as the serializer does.
void AppendEscaped(const std::string& s, std::string& out) {
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
}

double ValueOf(const MetricFamily& f, const ClientMetric& m) {
  return f.type == MetricType::Counter ? m.counter.value : m.gauge.value;
}

// Families this file writes itself: gauges and counters with finite values
// and no timestamps.
bool Plain(const MetricFamily& f) {
  if (f.type != MetricType::Gauge && f.type != MetricType::Counter) {
    return false;
  }
  for (const ClientMetric& m : f.metric) {
    if (m.timestamp_ms != 0 || !std::isfinite(ValueOf(f, m))) return false;
  }
  return true;
}

void AppendPlain(const MetricFamily& f, std::string& out) {
  if (!f.help.empty()) {  // written as is, as the serializer does
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += f.help;
    out += '\n';
  }
  out += "# TYPE ";
  out += f.name;
  out += f.type == MetricType::Counter ? " counter\n" : " gauge\n";
  char value[64];
  for (const ClientMetric& m : f.metric) {
    out += f.name;
    if (!m.label.empty()) {
      out += '{';
      const char* separator = "";
      for (const ClientMetric::Label& l : m.label) {
        out += separator;
        out += l.name;
        out += "=\"";
        AppendEscaped(l.value, out);
        out += '"';
        separator = ",";
      }
      out += '}';
    }
    out += ' ';
    const int n = std::snprintf(value, sizeof(value), "%.16g", ValueOf(f, m));
    out.append(value, static_cast<size_t>(n));
    out += '\n';
  }
}

}  // namespace

void AppendMetricsText(const std::vector<MetricFamily>& families,
                       std::string& out) {
  for (const MetricFamily& f : families) {
    if (Plain(f)) {
      AppendPlain(f, out);
      continue;
    }
    std::ostringstream other;
    prometheus::TextSerializer().Serialize(other, {f});
    out += std::move(other).str();
  }
}

}  // namespace outcomes
