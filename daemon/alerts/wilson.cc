#include "daemon/alerts/wilson.h"

#include <algorithm>
#include <cmath>

namespace outcomes {
namespace {

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

}  // namespace

double TwoSidedZ(double confidence) {
  const double p = 1 - (1 - confidence) / 2;
  double lo = 0, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
    const double mid = (lo + hi) / 2;
    (NormalCdf(mid) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

Interval WilsonInterval(int64_t successes, int64_t trials, double confidence) {
  if (trials <= 0) return {};
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  // Goals use a few confidence levels: the bisection runs once per level
  // and thread, not once per interval (the same z either way).
  thread_local double last_confidence = -1;
  thread_local double last_z = 0;
  if (confidence != last_confidence) {
    last_z = TwoSidedZ(confidence);
    last_confidence = confidence;
  }
  const double z = last_z;
  const double z2 = z * z;
  const double denom = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom;
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

}  // namespace outcomes
