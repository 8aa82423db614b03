#include "daemon/rules/payment_validator.h"

#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "daemon/state/event_kind.h"

namespace outcomes {
namespace {

// Collects errors of one payments block, each located by field.
class PaymentChecker {
 public:
  PaymentChecker(const std::string& path, const LineIndex& lines,
                 std::vector<std::string>* errors)
      : path_(path), lines_(lines), errors_(errors) {}
  void Fail(absl::string_view field, absl::string_view why) {
    errors_->push_back(lines_.Error(absl::StrCat(path_, ".", field), why));
  }

 private:
  const std::string& path_;
  const LineIndex& lines_;
  std::vector<std::string>* errors_;
};

void CheckPeriod(const v1::Payments& p, const RuleSettings& settings,
                 PaymentSpec& spec, PaymentChecker& c) {
  if (const std::optional<PeriodKind> kind = ParsePeriodKind(p.period())) {
    spec.period = *kind;
  } else {
    return c.Fail("period", p.period().empty()
                                ? "required (month or quarter)"
                                : absl::StrCat("unknown period \"", p.period(),
                                               "\" (expected month or "
                                               "quarter)"));
  }
  const int need = PaymentHorizonDays(spec.period);
  if (settings.horizon_days < need) {
    c.Fail("period",
           absl::StrCat(p.period(), " payments need --horizon of at least ",
                        need, " days (the current and the previous ",
                        p.period(), " must lie within it); --horizon is ",
                        settings.horizon_days));
  }
}

void CheckCount(const v1::PaymentCount& count, const std::string& at,
                PaymentComponentSpec& spec, PaymentChecker& c) {
  spec.event_kind = -1;
  for (int k = 0; k < kNumEventKinds; ++k) {
    if (count.type() == kEventKindNames[k]) spec.event_kind = k;
  }
  if (spec.event_kind < 0) {
    c.Fail(absl::StrCat(at, ".count.type"),
           count.type().empty()
               ? "required (referral, enrollment, completion, "
                 "disenrollment or outcome)"
               : absl::StrCat("unknown event type \"", count.type(),
                              "\" (expected referral, enrollment, "
                              "completion, disenrollment or outcome)"));
  }
  const bool outcome = spec.event_kind == kOutcome;
  if (!outcome && !count.outcome_code().empty()) {
    c.Fail(absl::StrCat(at, ".count.outcome_code"),
           "only used with type outcome");
  }
  if (count.has_value_above()) {
    if (!outcome) {
      c.Fail(absl::StrCat(at, ".count.value_above"),
             "only used with type outcome");
    } else if (!std::isfinite(count.value_above())) {
      c.Fail(absl::StrCat(at, ".count.value_above"), "must be a number");
    }
    spec.value_above = count.value_above();
  }
  spec.outcome_code = count.outcome_code();
  spec.priority_only = count.priority();
}

// share + target, or price [+ priority_premium] [+ cap].
void CheckAmounts(const v1::PaymentComponent& p, const std::string& at,
                  PaymentComponentSpec& spec, PaymentChecker& c) {
  auto fail = [&](absl::string_view f, absl::string_view why) {
    c.Fail(absl::StrCat(at, f.empty() ? "" : ".", f), why);
  };
  const bool share = p.has_share() || p.has_target();
  spec.rate_card = p.has_price();
  if (share && spec.rate_card) {
    return fail("", "either share and target or price, not both");
  }
  if (!share && !spec.rate_card) {
    return fail("", "needs share and target, or price");
  }
  if (share) {
    if (!p.has_share()) fail("share", "required with target");
    if (!p.has_target()) fail("target", "required with share");
    if (p.has_share() && !(p.share() > 0 && p.share() <= 1)) {
      fail("share", "must be above 0 and at most 1");
    }
    if (p.has_target() && !(p.target() > 0 && std::isfinite(p.target()))) {
      fail("target", "must be > 0");
    }
    if (p.has_priority_premium()) fail("priority_premium", "only with price");
    if (p.has_cap()) fail("cap", "only with price");
    spec.share = p.share();
    spec.target = p.target();
    return;
  }
  if (!(p.price() >= 0 && std::isfinite(p.price()))) {
    fail("price", "must be >= 0");
  }
  if (p.has_priority_premium() &&
      !(p.priority_premium() >= 0 && std::isfinite(p.priority_premium()))) {
    fail("priority_premium", "must be >= 0");
  }
  if (p.has_cap() && !(p.cap() > 0 && std::isfinite(p.cap()))) {
    fail("cap", "must be > 0");
  }
  spec.price = p.price();
  spec.priority_premium = p.priority_premium();
  if (p.has_cap()) spec.cap = p.cap();
}

PaymentComponentSpec CheckComponent(const v1::PaymentComponent& p,
                                    const std::string& at, PaymentChecker& c) {
  PaymentComponentSpec spec;
  spec.name = p.name();
  if (p.name().empty()) c.Fail(absl::StrCat(at, ".name"), "required");
  if (p.unit() == "event") {
    spec.per_client = false;
  } else if (!p.unit().empty() && p.unit() != "client") {
    c.Fail(absl::StrCat(at, ".unit"),
           absl::StrCat("unknown unit \"", p.unit(),
                        "\" (expected client or event)"));
  }
  CheckCount(p.count(), at, spec, c);
  CheckAmounts(p, at, spec, c);
  return spec;
}

}  // namespace

int PaymentHorizonDays(PeriodKind period) {
  return period == PeriodKind::kMonth ? 62 : 184;
}

PaymentSpec ValidatePayments(const v1::Payments& p, const std::string& path,
                             const LineIndex& lines,
                             const RuleSettings& settings,
                             std::vector<std::string>* errors) {
  PaymentChecker c(path, lines, errors);
  PaymentSpec spec;
  CheckPeriod(p, settings, spec, c);
  spec.amount = p.amount();
  if (!(p.amount() >= 0 && std::isfinite(p.amount()))) {
    c.Fail("amount", "must be >= 0");
  }
  if (p.components().empty()) {
    c.Fail("components", "a payments block needs at least one component");
  }
  absl::flat_hash_set<std::string> names;
  double shares = 0;
  for (int i = 0; i < p.components_size(); ++i) {
    const std::string at = absl::StrCat("components[", i, "]");
    PaymentComponentSpec comp = CheckComponent(p.components(i), at, c);
    if (!comp.name.empty() && !names.insert(comp.name).second) {
      c.Fail(absl::StrCat(at, ".name"),
             absl::StrCat("duplicate component name \"", comp.name, "\""));
    }
    if (!comp.rate_card) shares += comp.share;
    spec.components.push_back(std::move(comp));
  }
  if (shares > 0 && p.amount() <= 0) {
    c.Fail("amount", "share components need an amount > 0");
  }
  if (shares > 1 + 1e-9) {
    c.Fail("components",
           absl::StrCat("shares add up to ", shares, ", more than 1"));
  }
  return spec;
}

}  // namespace outcomes
