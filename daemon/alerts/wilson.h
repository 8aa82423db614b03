// The Wilson score interval for a proportion: the statistical mode of goals
// (`confidence:`), so that a provider with five clients cannot trigger a
// page. The interval is two-sided: confidence 0.95 uses z = 1.959964.
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_ALERTS_WILSON_H_
#define OUTCOMESD_DAEMON_ALERTS_WILSON_H_

#include <cstdint>

namespace outcomes {

struct Interval {
  double lower = 0;
  double upper = 1;
};

// z such that a standard normal variable lies in [-z, z] with probability
// `confidence`. REQUIRES: 0 < confidence < 1.
double TwoSidedZ(double confidence);

// Wilson score interval of `successes` out of `trials` at `confidence`.
// [0, 1] when trials == 0. REQUIRES: 0 <= successes <= trials,
// 0 < confidence < 1.
Interval WilsonInterval(int64_t successes, int64_t trials, double confidence);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_WILSON_H_
