// The series of one Prometheus gauge family that an exporter owns, swept
// after every update: Set() marks a series as present; Sweep() removes
// those not Set since the last Sweep (revoked partitions, figures that
// became absent, rules that changed).
//
// Thread safety: none; the owning exporter serializes its calls. The
// registry may be collected concurrently (prometheus-cpp locks families).
// Ownership: the family is registered on, and owned by, the registry.
#ifndef OUTCOMESD_DAEMON_STATE_GAUGE_SERIES_H_
#define OUTCOMESD_DAEMON_STATE_GAUGE_SERIES_H_

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace outcomes {

class GaugeSeries {
 public:
  // Registers the family `name` on `registry`, which must outlive this.
  GaugeSeries(prometheus::Registry& registry, const char* name,
              const char* help)
      : family_(
            prometheus::BuildGauge().Name(name).Help(help).Register(registry)) {
  }

  void Set(const prometheus::Labels& labels, double value) {
    std::string key;
    for (const auto& [k, v] : labels)
      absl::StrAppend(&key, k, "\x1f", v, "\x1e");
    auto [it, inserted] = series_.try_emplace(std::move(key));
    if (inserted) it->second.gauge = &family_.Add(labels);
    it->second.gauge->Set(value);
    it->second.seen = true;
  }

  void Sweep() {
    for (auto it = series_.begin(); it != series_.end();) {
      if (!it->second.seen) {
        family_.Remove(it->second.gauge);
        series_.erase(it++);
        continue;
      }
      it->second.seen = false;
      ++it;
    }
  }

 private:
  struct Entry {
    prometheus::Gauge* gauge = nullptr;
    bool seen = false;
  };
  prometheus::Family<prometheus::Gauge>& family_;
  absl::flat_hash_map<std::string, Entry> series_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_GAUGE_SERIES_H_
