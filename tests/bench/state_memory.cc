// Memory benchmark of the partition state (issue 3): RSS growth per live
// funnel, up to 10 M funnels (target <= 64 bytes at 10 M), and per
// provider+program. Prints a report; exits 1 when the funnel target is
// missed.
//
// Funnels: 1,000 providers (programs "workforce" / "behavioral-health"
// alternating, as outcomes-simulate), 64 partitions (provider mod 64), one
// PartitionState each (the StateStore adds a fixed ~100 bytes per
// partition). Each client gets a referral on a day spread over the 120-day
// horizon; 75 % enroll 0-14 days later; 3 % get a second referral and
// 0.5 % a third (the third spills the client to the side table). Every
// event carries race_ethnicity (6 values) and ~30 % a priority group, as
// outcomes-simulate's. RSS (/proc/self/statm) and malloc's bytes in use
// (mallinfo2) are read before the first funnel and after each step.
//
// Sparse providers, in another child process: 20,000 providers with one
// referral each (issue 11).
//
// Providers, measured first in a child process (so that the funnel
// measurement cannot reuse memory it freed): 10,000 providers (10 x the
// target deployment, for resolution), each with events on all 120 days of
// the horizon — every day slot used, completions and disenrollments in all
// 6 race groups (the group rings) — i.e. a provider's fixed cost at its
// largest; its funnels come on top at the per-funnel cost.
//
//   build/tests/bench/state_memory [--funnels=N]   (or: scripts/bench)
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "daemon/base/day.h"
#include "daemon/state/partition_state.h"
#include "daemon/state/state_settings.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes {
namespace {

constexpr int kPartitions = 64;
constexpr int kProviders = 1000;
constexpr DayNumber kToday = 20454;  // 2026-01-01
constexpr const char* kRaces[] = {"black", "white",  "hispanic",
                                  "asian", "native", "other"};

struct Usage {
  int64_t rss = 0;   // bytes resident
  int64_t heap = 0;  // bytes malloc'd and not freed
};

Usage Measure() {
  Usage u;
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  u.rss = static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
  const struct mallinfo2 mi = mallinfo2();
  u.heap = static_cast<int64_t>(mi.uordblks + mi.hblkhd);
  return u;
}

// xorshift64*: reproducible, fast.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1DULL;
  }
  // Uniform in [0, n).
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>(((Next() >> 32) * n) >> 32);
  }

 private:
  uint64_t s_;
};

std::string ProviderId(int i) { return absl::StrFormat("prov-%05d", i + 1); }
std::string ProgramId(int i) {
  return i % 2 == 0 ? "workforce" : "behavioral-health";
}

// Builds events in one reused message and applies them.
class Feeder {
 public:
  explicit Feeder(int providers, const StateSettings& settings)
      : settings_(settings) {
    for (int p = 0; p < kPartitions; ++p) states_.emplace_back(settings);
    for (int i = 0; i < providers; ++i) {
      providers_.push_back(ProviderId(i));
      programs_.push_back(ProgramId(i));
    }
    event_.set_contract_id("ctr-benchmark");
  }

  void Apply(v1::EventType type, int provider, uint64_t client, DayNumber day,
             int race, bool priority) {
    event_.set_event_id("id");  // not used by the state
    event_.set_type(type);
    event_.set_provider_id(providers_[provider]);
    event_.set_program_id(programs_[provider]);
    char key[24];
    std::snprintf(key, sizeof(key), "c-%016" PRIx64, client);
    event_.set_client_key(key);
    event_.clear_priority_groups();
    if (priority) event_.add_priority_groups("justice_involved");
    (*event_.mutable_attributes())["race_ethnicity"] = kRaces[race];
    states_[provider % kPartitions].Apply(event_, day);
  }

  size_t funnels() const {
    size_t n = 0;
    for (const PartitionState& s : states_) n += s.num_funnels();
    return n;
  }
  size_t programs() const {
    size_t n = 0;
    for (const PartitionState& s : states_) n += s.num_programs();
    return n;
  }
  uint64_t dropped() const {
    uint64_t n = 0;
    for (const PartitionState& s : states_) n += s.dropped_events();
    return n;
  }

 private:
  StateSettings settings_;
  std::vector<PartitionState> states_;
  std::vector<std::string> providers_, programs_;
  v1::ServiceEvent event_;
};

// One client: referral(s), maybe an enrollment. Returns events applied.
int AddClient(Feeder& feeder, Rng& rng, int provider, uint64_t client,
              const StateSettings& s) {
  const int horizon = s.horizon_days;
  const DayNumber day = kToday - static_cast<DayNumber>(rng.Below(horizon));
  const int race = static_cast<int>(rng.Below(6));
  const bool priority = rng.Below(100) < 30;
  feeder.Apply(v1::EVENT_TYPE_REFERRAL, provider, client, day, race, priority);
  int events = 1;
  const uint32_t extra = rng.Below(1000);
  const int referrals = extra < 5 ? 3 : extra < 30 ? 2 : 1;
  for (int r = 1; r < referrals; ++r) {
    const DayNumber again = std::min<DayNumber>(
        kToday, day + static_cast<DayNumber>(rng.Below(30)));
    feeder.Apply(v1::EVENT_TYPE_REFERRAL, provider, client, again, race,
                 priority);
    ++events;
  }
  if (rng.Below(100) < 75) {
    const DayNumber enrolled = std::min<DayNumber>(
        kToday,
        day + static_cast<DayNumber>(rng.Below(s.enroll_within_days + 1)));
    feeder.Apply(v1::EVENT_TYPE_ENROLLMENT, provider, client, enrolled, race,
                 priority);
    ++events;
  }
  return events;
}

double PerUnit(int64_t bytes, size_t n) {
  return n == 0 ? 0 : static_cast<double>(bytes) / static_cast<double>(n);
}

// Returns the bytes of RSS growth per funnel at the end.
double FunnelGrowth(size_t target) {
  const StateSettings settings;
  Feeder feeder(kProviders, settings);
  Rng rng(42);
  // Create every provider+program first (one completion each), so the
  // growth below is the funnels' alone.
  for (int p = 0; p < kProviders; ++p) {
    feeder.Apply(v1::EVENT_TYPE_COMPLETION, p, 0, kToday, 0, false);
  }
  const Usage base = Measure();
  std::printf(
      "funnels: %d providers, %d partitions, horizon %d days; RSS at start "
      "%.1f MiB\n",
      kProviders, kPartitions, settings.horizon_days, base.rss / 1048576.0);
  std::printf("  %12s %12s %14s %12s %14s\n", "live funnels", "events",
              "RSS growth MiB", "RSS B/funnel", "heap B/funnel");
  std::vector<size_t> steps;
  for (size_t s = 1'000'000; s < target; s *= 2) steps.push_back(s);
  steps.push_back(target);
  uint64_t client = 1;
  size_t events = 0;
  double last = 0;
  for (size_t step : steps) {
    while (client <= step) {
      events += AddClient(feeder, rng, static_cast<int>(rng.Below(kProviders)),
                          client * 0x9E3779B97F4A7C15ULL, settings);
      ++client;
    }
    const Usage now = Measure();
    const size_t funnels = feeder.funnels();
    last = PerUnit(now.rss - base.rss, funnels);
    std::printf("  %12zu %12zu %14.1f %12.1f %14.1f\n", funnels, events,
                (now.rss - base.rss) / 1048576.0, last,
                PerUnit(now.heap - base.heap, funnels));
  }
  if (feeder.dropped() != 0) {
    std::printf("  unexpected: %" PRIu64 " events dropped\n", feeder.dropped());
  }
  std::fflush(stdout);
  return last;
}

// Fixed cost per provider+program with every ring slot and group ring in
// use (funnels are measured above: a provider's own cost does not depend
// on them).
void ProviderGrowth(int providers) {
  const StateSettings settings;
  const Usage base = Measure();
  Feeder feeder(providers, settings);
  for (int p = 0; p < providers; ++p) {
    for (int d = 0; d < settings.horizon_days; ++d) {
      const DayNumber day = kToday - d;
      for (int race = 0; race < 6; ++race) {
        feeder.Apply(v1::EVENT_TYPE_COMPLETION, p, 0, day, race, false);
        feeder.Apply(v1::EVENT_TYPE_DISENROLLMENT, p, 0, day, race, false);
      }
      feeder.Apply(v1::EVENT_TYPE_OUTCOME, p, 0, day, 0, false);
    }
  }
  const Usage now = Measure();
  std::printf(
      "providers: %d providers (%zu provider+programs), all %d day slots "
      "and 6 race groups in use, no funnels\n",
      providers, feeder.programs(), settings.horizon_days);
  std::printf(
      "  RSS growth %.1f MiB: %.0f bytes per provider+program (heap: %.0f)\n",
      (now.rss - base.rss) / 1048576.0,
      PerUnit(now.rss - base.rss, feeder.programs()),
      PerUnit(now.heap - base.heap, feeder.programs()));
  std::fflush(stdout);
}

// Sparse providers (issue 11): `providers` providers with one referral
// each (one day in use, one funnel), the agency with many small providers.
void SparseProviderGrowth(int providers) {
  const StateSettings settings;
  const Usage base = Measure();
  Feeder feeder(providers, settings);
  for (int p = 0; p < providers; ++p) {
    feeder.Apply(v1::EVENT_TYPE_REFERRAL, p, 0x9E3779B97F4A7C15ULL * (p + 1),
                 kToday - 1, p % 6, p % 3 == 0);
  }
  const Usage now = Measure();
  std::printf(
      "sparse providers: %d providers (%zu provider+programs), one referral "
      "each\n",
      providers, feeder.programs());
  std::printf(
      "  RSS growth %.1f MiB: %.0f bytes per sparse provider+program "
      "(heap: %.0f)\n",
      (now.rss - base.rss) / 1048576.0,
      PerUnit(now.rss - base.rss, feeder.programs()),
      PerUnit(now.heap - base.heap, feeder.programs()));
  std::fflush(stdout);
}

}  // namespace
}  // namespace outcomes

int main(int argc, char** argv) {
  size_t funnels = 10'000'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--funnels=", 10) == 0) {
      funnels = std::strtoull(argv[i] + 10, nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: state_memory [--funnels=N]\n");
      return 2;
    }
  }
  // Providers first, in a child process: it starts from this process's
  // small heap and frees nothing the funnel measurement could reuse.
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    outcomes::ProviderGrowth(10'000);
    std::_Exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  const pid_t sparse = fork();
  if (sparse == 0) {
    outcomes::SparseProviderGrowth(20'000);
    std::_Exit(0);
  }
  waitpid(sparse, &status, 0);
  const double per_funnel = outcomes::FunnelGrowth(funnels);
  const bool met = per_funnel <= 64.0;
  std::printf(
      "RSS growth per live funnel at %zu funnels: %.1f bytes "
      "(target <= 64: %s)\n",
      funnels, per_funnel, met ? "met" : "NOT met");
  return met ? 0 : 1;
}
