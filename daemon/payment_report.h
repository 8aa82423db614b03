// Outcome payments every evaluation (docs/design.md, "Brief, payments and
// backtest"): for every contract with a payments block, the units and amounts
// of each provider, component and period (daemon/rules/payments.h) as of the
// evaluated day, exported as
//
//   outcomes_payment_units{contract,provider,program,component,period}
//   outcomes_payment_earned{contract,provider,program,component,period}
//
// (period: current | previous; earned in currency units) and kept for
// GET /api/v1/payments. A prometheus-cpp Collectable: the series are
// rendered from the latest result at scrape time (no object per series),
// so those of providers no longer held (revoked partitions, data past the
// horizon) and of components no longer in the rules are gone after the
// next evaluation, like the other figures.
//
// Thread safety: OnSnapshot runs on the evaluation thread; Json and Collect
// from any thread. Ownership: borrows the store; it must outlive this.
#ifndef OUTCOMESD_DAEMON_PAYMENT_REPORT_H_
#define OUTCOMESD_DAEMON_PAYMENT_REPORT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/rules/goal_spec.h"
#include "daemon/rules/payments.h"
#include "daemon/state/state_store.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace outcomes {

class PaymentReport : public prometheus::Collectable {
 public:
  // The rules in force (never null once the daemon has started).
  using RulesSource = std::function<std::shared_ptr<const RuleSet>()>;

  PaymentReport(const StateStore& store, RulesSource rules);

  // The evaluation listener: computes every contract's payments as of
  // snapshot.today and keeps the result for Json and Collect.
  void OnSnapshot(const StoreSnapshot& snapshot) ABSL_LOCKS_EXCLUDED(mu_);

  // GET /api/v1/payments body (payments_json.h) as of the last evaluation:
  // {"day", "contracts": [...]}, all contracts with payments when
  // `contract` is empty, else only that one. NotFound (with the reason)
  // for a contract not in the rules or without a payments block.
  absl::StatusOr<std::string> Json(const std::string& contract) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // The brief's payment lines: those of `provider` on `program`, for every
  // contract with payments that applies to it, from the last evaluation
  // (a binary search per contract, nothing counted). std::nullopt when that
  // evaluation was not of `day` with `rules` (none yet, a day rolled over
  // or the rules reloaded since): the caller counts them itself.
  std::optional<std::vector<PaymentLine>> LinesOf(const std::string& provider,
                                                  const std::string& program,
                                                  DayNumber day,
                                                  const RuleSet* rules) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // The two families of the last evaluation (none before the first, and a
  // family without series is not listed).
  std::vector<prometheus::MetricFamily> Collect() const override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Result {
    std::shared_ptr<const RuleSet> rules;
    DayNumber day = 0;
    // Per contract of rules->contracts with payments, in that order.
    std::vector<std::pair<const ContractSpec*, std::vector<ProviderPayments>>>
        contracts;
  };

  const StateStore& store_;
  const RulesSource rules_;
  std::shared_ptr<const Result> Latest() const ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  std::shared_ptr<const Result> latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_PAYMENT_REPORT_H_
