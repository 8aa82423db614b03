#include "daemon/evaluation_loop.h"

#include <algorithm>

#include "daemon/base/day.h"

namespace outcomes {

EvaluationLoop::EvaluationLoop(StateStore& store, FiguresExporter& exporter,
                               const Clock& clock, absl::TimeZone timezone,
                               absl::Duration interval,
                               prometheus::Registry& registry)
    : store_(store),
      exporter_(exporter),
      clock_(clock),
      timezone_(timezone),
      interval_(interval),
      last_evaluation_family_(
          prometheus::BuildGauge()
              .Name("outcomes_last_evaluation_timestamp_seconds")
              .Help("Unix time at which the last completed evaluation of "
                    "figures and goals started.")
              .Register(registry)),
      latest_(std::make_shared<StoreSnapshot>()) {}

EvaluationLoop::~EvaluationLoop() { Stop(); }

void EvaluationLoop::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void EvaluationLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void EvaluationLoop::RunOnce() {
  const absl::Time started = clock_.Now();
  const DayNumber today = DayOf(started, timezone_);
  auto snapshot = std::make_shared<const StoreSnapshot>(store_.Snapshot(today));
  exporter_.Update(snapshot);
  for (const Listener& listener : listeners_) listener(*snapshot);
  absl::MutexLock lock(&mu_);
  latest_ = std::move(snapshot);
  if (last_evaluation_ == nullptr) {
    last_evaluation_ = &last_evaluation_family_.Add({});
  }
  last_evaluation_->Set(absl::ToDoubleSeconds(started - absl::UnixEpoch()));
}

std::shared_ptr<const StoreSnapshot> EvaluationLoop::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

absl::Duration EvaluationLoop::NextWait(absl::Time now) const {
  const absl::CivilDay tomorrow = absl::ToCivilDay(now, timezone_) + 1;
  const absl::Time rollover = absl::FromCivil(tomorrow, timezone_);
  // A millisecond past midnight, so the new day is surely "today".
  return std::min(interval_, rollover - now + absl::Milliseconds(1));
}

void EvaluationLoop::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void EvaluationLoop::Loop() {
  const auto stop_or_wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || woken_;
  };
  while (true) {
    RunOnce();
    const absl::Duration wait = NextWait(clock_.Now());
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_or_wake), wait);
    if (stopping_) return;
    woken_ = false;
  }
}

}  // namespace outcomes
