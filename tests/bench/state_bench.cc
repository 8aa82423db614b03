// Google Benchmarks of the partition state (issue 3): the per-event cost of
// the funnel state update, and of computing the figures, with 1,000
// providers and ~1.2 M live funnels over a 120-day horizon.
//
//   BM_PartitionStateApply   PartitionState::Apply, one state per partition
//                            (64), no locking
//   BM_StoreApply            StateStore::Apply(PartitionId, event, day): what
//                            outcomesd's sink calls per event today
//   BM_StoreWriterApply      StateStore::PartitionWriter::Apply: a handle
//                            per partition, kept by the consumer
//   BM_StoreWriterBatch      PartitionWriter::Lock() once per run of events
//                            of one partition (~16), then Locked::Apply
//   BM_StoreSnapshot         StateStore::Snapshot (figures of every
//                            partition) at ~1.1 M funnels
//   BM_Pipeline              decode + validate (EventDecoder) + dedupe
//                            (DedupeIndex per partition) + state
//                            (PartitionWriter): the consumer thread's
//                            in-process work per message, minus librdkafka,
//                            offsets and metrics (issue 3 target: 2 M
//                            events/s per core); like ProcessBatch, it
//                            prefetches the next event's dedupe slot
//   BM_PipelineStoreApply    the same with StateStore::Apply(PartitionId, ..)
//   BM_PipelineNoState       the same without the state update: BM_Pipeline
//                            minus this is the state's cost in the pipeline
//   BM_ClientHash            the keyed client_key hash alone (ns/hash), and
//   BM_StableIdHash          the unkeyed hash it replaced
//
// Data: outcomes-simulate's model (daemon/tools/simulation.h) with 1,000
// providers at 9 referrals a day each (every referral is a new client), so
// that 119 days of history hold ~1.1 M live funnels. The history is applied
// once, untimed, and checkpointed; every benchmark starts from a restored
// copy of it. The timed events are the next 30 simulated days (~0.7 M
// events, steady-state mix: ~36 % referrals, 27 % enrollments, 27 %
// completions and disenrollments, 10 % outcomes; ~1 % late by up to 2
// days), in arrival order (partitions interleaved). Each later pass over
// them is shifted 30 days on, with new event ids and new client keys (same
// length), and the state evicts past the horizon whenever the day changes
// (untimed), so the live funnel count stays at its steady state (~1.2 M
// with the enrollments whose referral predates a pass) however long a
// benchmark runs (live_funnels counter). The dedupe indexes of BM_Pipeline*
// likewise hold the ids of the last 120 days (~2.7 M).
//
// Timing. BM_Pipeline* and BM_StoreSnapshot: CPU time, as usual (the
// per-pass rewrite of the inputs and the daily eviction are paused). The
// state benchmarks (Apply, Writer*) parse 64 events at a time into reused
// messages, untimed, then time the 64 state calls with the TSC (manual
// time, see SectionTimer): their items_per_second and Time are those of
// the state calls alone on one core; their CPU column includes the
// parsing.
//
//   build/tests/bench/bench_state --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (or: scripts/bench)
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "daemon/base/day.h"
#include "daemon/base/partition_id.h"
#include "daemon/ingest/dedupe.h"
#include "daemon/ingest/event_decoder.h"
#include "daemon/state/client_hash.h"
#include "daemon/state/partition_state.h"
#include "daemon/state/state_store.h"
#include "daemon/tools/simulation.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes {
namespace {

constexpr int kProviders = 1000;
constexpr double kReferralsPerDay = 9.0;  // per provider
constexpr int kPartitions = 64;
constexpr int kHistoryDays = 119;
constexpr int kCorpusDays = 30;
constexpr int64_t kMsPerDay = tools::kMsPerDay;
constexpr std::string_view kTopic = "outcomes.events";
// Start of the timed corpus: 2026-01-01T00:00:00Z.
constexpr int64_t kT0Ms = int64_t{1767225600} * 1000;
constexpr int64_t kCorpusEndMs = kT0Ms + kCorpusDays * kMsPerDay;

// Characters substituted per pass into the event id ("sim-1-<n>": index 4)
// and the client key ("c-<hex>": index 0). After 62 passes (62 x 30 days,
// far past the horizon) they repeat, which is harmless: the old clients and
// ids are long evicted.
constexpr std::string_view kPassChars =
    "c1023456789abdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
char PassChar(int64_t pass, bool id) {
  const char c = kPassChars[pass % kPassChars.size()];
  if (id && c == 'c') return '1';
  if (id && c == '1') return 'c';
  return c;
}

// Byte positions inside a serialized event, for patching it in place.
struct Layout {
  uint32_t id_char = 0;      // event_id[4]
  uint32_t client_char = 0;  // client_key[0]
  uint32_t seconds_at = 0;   // occurred_at.seconds varint
  uint8_t seconds_len = 0;
  int64_t seconds = 0;  // its value in pass 0
};

bool ReadVarint(std::string_view s, size_t& at, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && at < s.size(); shift += 7) {
    const auto b = static_cast<uint8_t>(s[at++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Finds the fields Layout needs in a binary ServiceEvent.
bool FindLayout(std::string_view s, Layout& out) {
  size_t at = 0;
  bool id = false, client = false, seconds = false;
  while (at < s.size()) {
    uint64_t tag, len;
    if (!ReadVarint(s, at, tag)) return false;
    const int field = static_cast<int>(tag >> 3);
    switch (tag & 7) {
      case 0:
        if (!ReadVarint(s, at, len)) return false;
        break;
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      case 2: {
        if (!ReadVarint(s, at, len) || at + len > s.size()) return false;
        if (field == 1 && len > 4) {
          out.id_char = static_cast<uint32_t>(at + 4);
          id = true;
        } else if (field == 7 && len > 0) {
          out.client_char = static_cast<uint32_t>(at);
          client = true;
        } else if (field == 3) {
          size_t in = at;
          uint64_t itag, v;
          while (in < at + len && ReadVarint(s, in, itag)) {
            const size_t start = in;
            if ((itag & 7) != 0 || !ReadVarint(s, in, v)) return false;
            if ((itag >> 3) == 1) {
              out.seconds_at = static_cast<uint32_t>(start);
              out.seconds_len = static_cast<uint8_t>(in - start);
              out.seconds = static_cast<int64_t>(v);
              seconds = true;
            }
          }
        }
        at += len;
        break;
      }
      default:
        return false;
    }
  }
  return id && client && seconds;
}

// Writes v into exactly `len` varint bytes (v must fit minimally in len).
void PatchVarint(char* p, int len, uint64_t v) {
  for (int i = 0; i < len - 1; ++i) {
    p[i] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  if (v >= 0x80 || (len > 1 && v == 0)) {
    std::fprintf(stderr, "timestamp no longer fits its varint\n");
    std::abort();
  }
  p[len - 1] = static_cast<char>(v);
}

struct World {
  StateSettings settings;  // defaults: 120 days, M = 14, race_ethnicity
  // Checkpoints of the 64 partitions after the history (~1.07 M funnels).
  std::vector<std::string> checkpoints;
  DayNumber history_today = 0;
  // History event ids are "sim-1-<n>" for n in [0, history_days.size()).
  std::vector<DayNumber> history_days;
  std::vector<int32_t> history_partitions;
  // The timed corpus, in arrival order.
  std::vector<std::string> values;  // binary ServiceEvents
  std::vector<Layout> layouts;
  std::vector<DayNumber> days;
  std::vector<int32_t> partitions;
  double mean_bytes = 0;
};

const World& TheWorld() {
  static const World* world = [] {
    auto* w = new World;
    tools::SimConfig config;
    config.seed = 1;
    config.providers = kProviders;
    config.referrals_per_day = kReferralsPerDay;
    config.start_ms = kT0Ms - kHistoryDays * kMsPerDay;
    tools::Simulation sim(config);
    tools::BackfillStream stream(&sim, config.seed, kCorpusEndMs);
    std::vector<PartitionState> states;
    for (int p = 0; p < kPartitions; ++p) states.emplace_back(w->settings);
    v1::ServiceEvent event;
    tools::SimEvent e;
    bool in_corpus = false;
    size_t bytes = 0;
    for (uint64_t n = 0; stream.Next(&e); ++n) {
      in_corpus = in_corpus || e.at_ms >= kT0Ms;
      sim.ToProto(e, absl::StrCat("sim-1-", n), e.at_ms, &event);
      const DayNumber day =
          DayOf(absl::FromUnixMillis(e.at_ms), w->settings.timezone);
      const int32_t partition = e.provider % kPartitions;
      if (!in_corpus) {
        states[partition].Apply(event, day);
        w->history_days.push_back(day);
        w->history_partitions.push_back(partition);
        w->history_today = std::max(w->history_today, day);
        continue;
      }
      std::string value = event.SerializeAsString();
      Layout layout;
      if (!FindLayout(value, layout)) {
        std::fprintf(stderr, "unexpected event layout\n");
        std::abort();
      }
      bytes += value.size();
      w->values.push_back(std::move(value));
      w->layouts.push_back(layout);
      w->days.push_back(day);
      w->partitions.push_back(partition);
    }
    for (PartitionState& s : states) {
      s.Evict(w->history_today);
      w->checkpoints.push_back(s.Serialize());
    }
    w->mean_bytes = static_cast<double>(bytes) / w->values.size();
    return w;
  }();
  return *world;
}

PartitionId Partition(int p) { return PartitionId{std::string(kTopic), p}; }

// Times code sections in TSC ticks (rdtsc between lfences), for the state
// benchmarks: they time only the state calls on a window of 64 parsed
// events, not the parsing (manual time). Ticks are converted with a rate
// calibrated against steady_clock; the cost of an empty section is
// subtracted. A section that a context switch lands in (> 1 ms) is counted
// at the mean. The closing lfence waits for the window's last prefetches:
// that overstates the state's cost by up to one memory latency per window.
class SectionTimer {
 public:
  static uint64_t Now() {
    _mm_lfence();
    const uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
  }
  void Start() { t0_ = Now(); }
  void Stop() {
    const uint64_t t = Now() - t0_;
    ticks_ +=
        t > kPreempted ? Typical() : (t > Overhead() ? t - Overhead() : 0);
    ++sections_;
  }
  // Seconds timed since the last call; resets.
  double TakeSeconds() {
    const double s = static_cast<double>(ticks_) / TicksPerSecond();
    ticks_ = 0;
    return s;
  }

 private:
  static constexpr uint64_t kPreempted = 2'000'000;  // ~1 ms: preempted
  static double TicksPerSecond() {
    static const double rate = [] {
      const auto c0 = std::chrono::steady_clock::now();
      const uint64_t t0 = Now();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      const uint64_t t1 = Now();
      const auto c1 = std::chrono::steady_clock::now();
      return static_cast<double>(t1 - t0) /
             std::chrono::duration<double>(c1 - c0).count();
    }();
    return rate;
  }
  static uint64_t Overhead() {
    static const uint64_t overhead = [] {
      std::vector<uint64_t> v(10'001);
      for (uint64_t& x : v) {
        const uint64_t t0 = Now();
        x = Now() - t0;
      }
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      return v[v.size() / 2];
    }();
    return overhead;
  }
  uint64_t Typical() const { return sections_ == 0 ? 0 : ticks_ / sections_; }
  uint64_t t0_ = 0;
  uint64_t ticks_ = 0;
  uint64_t sections_ = 0;
};

// Walks the corpus pass after pass, in `order` (indexes into the corpus).
// Pass k: days + 30 k, ids and client keys with PassChar(k).
class Cursor {
 public:
  Cursor(const World& w, const std::vector<uint32_t>& order)
      : w_(w), order_(order), today_(w.history_today) {}
  size_t index() const { return order_[i_]; }
  // The event after index() (the first one at the end of a pass).
  size_t next_index() const {
    return order_[i_ + 1 == order_.size() ? 0 : i_ + 1];
  }
  int64_t pass() const { return pass_; }
  DayNumber day() const {
    return w_.days[index()] + static_cast<DayNumber>(pass_ * kCorpusDays);
  }
  DayNumber today() const { return today_; }
  // Moves to the next event; returns true when the day advanced (today()).
  bool Advance() {
    if (++i_ == order_.size()) {
      i_ = 0;
      ++pass_;
    }
    if (day() > today_) {
      today_ = day();
      return true;
    }
    return false;
  }

 private:
  const World& w_;
  const std::vector<uint32_t>& order_;
  size_t i_ = 0;
  int64_t pass_ = 0;
  DayNumber today_;
};

// The corpus in arrival order, and reordered into runs of one partition
// (each 1,024 events stably sorted by partition: ~16 per run), as a
// consumer's fetched batch holds them.
const std::vector<uint32_t>& ArrivalOrder() {
  static const std::vector<uint32_t>* order = [] {
    auto* v = new std::vector<uint32_t>(TheWorld().values.size());
    for (uint32_t i = 0; i < v->size(); ++i) (*v)[i] = i;
    return v;
  }();
  return *order;
}
const std::vector<uint32_t>& PartitionRunOrder() {
  static const std::vector<uint32_t>* order = [] {
    const World& w = TheWorld();
    auto* v = new std::vector<uint32_t>(ArrivalOrder());
    for (size_t at = 0; at < v->size(); at += 1024) {
      const auto end = v->begin() + std::min(v->size(), at + 1024);
      std::stable_sort(v->begin() + at, end, [&](uint32_t a, uint32_t b) {
        return w.partitions[a] < w.partitions[b];
      });
    }
    return v;
  }();
  return *order;
}

// Parses the corpus's events a window at a time into reused messages (a
// window's messages stay in L1/L2, as the consumer's decoded one does).
class Feed {
 public:
  static constexpr size_t kWindow = 64;
  Feed(const World& w, const std::vector<uint32_t>& order)
      : w_(w),
        cursor_(w, order),
        events_(kWindow),
        days_(kWindow),
        partitions_(kWindow) {}

  // Parses the next kWindow events. Returns the day to evict for first
  // when the day advanced since the last call, else nullopt.
  std::optional<DayNumber> Fill() {
    for (size_t k = 0; k < kWindow; ++k) {
      const size_t i = cursor_.index();
      v1::ServiceEvent& e = events_[k];
      if (!e.ParseFromString(w_.values[i])) std::abort();
      (*e.mutable_event_id())[4] = PassChar(cursor_.pass(), true);
      (*e.mutable_client_key())[0] = PassChar(cursor_.pass(), false);
      days_[k] = cursor_.day();
      partitions_[k] = w_.partitions[i];
      cursor_.Advance();
    }
    // Every day before the newest one of the last window is complete.
    const DayNumber complete = last_newest_;
    last_newest_ = *std::max_element(days_.begin(), days_.end());
    if (complete <= evicted_) return std::nullopt;
    evicted_ = complete;
    return complete;
  }
  const v1::ServiceEvent& event(size_t k) const { return events_[k]; }
  DayNumber day(size_t k) const { return days_[k]; }
  int32_t partition(size_t k) const { return partitions_[k]; }

 private:
  const World& w_;
  Cursor cursor_;
  std::vector<v1::ServiceEvent> events_;
  std::vector<DayNumber> days_;
  std::vector<int32_t> partitions_;
  DayNumber last_newest_ = INT32_MIN;
  DayNumber evicted_ = INT32_MIN;
};

std::unique_ptr<StateStore> RestoredStore(const World& w) {
  auto store = std::make_unique<StateStore>(w.settings);
  for (int p = 0; p < kPartitions; ++p) {
    if (!store->Restore(Partition(p), w.checkpoints[p]).ok()) std::abort();
  }
  return store;
}

size_t LiveFunnels(StateStore& store, DayNumber today) {
  size_t n = 0;
  for (const PartitionFigures& p : store.Snapshot(today).partitions) {
    n += p.live_funnels;
  }
  return n;
}

void Report(benchmark::State& state, size_t events_per_iteration,
            double live_funnels) {
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(events_per_iteration));
  state.counters["live_funnels"] = live_funnels;
  state.counters["providers"] = kProviders;
}

// Windows per iteration of the state benchmarks.
constexpr size_t kWindows = 16;
constexpr size_t kEventsPerIteration = kWindows * Feed::kWindow;

// --- PartitionState::Apply -------------------------------------------------

struct PartitionStates {
  explicit PartitionStates(const World& w) : feed(w, ArrivalOrder()) {
    for (int p = 0; p < kPartitions; ++p) {
      auto s = PartitionState::Deserialize(w.checkpoints[p], w.settings);
      if (!s.ok()) std::abort();
      states.push_back(std::move(*s));
    }
  }
  std::vector<PartitionState> states;
  Feed feed;
};

void BM_PartitionStateApply(benchmark::State& state) {
  static PartitionStates* f = new PartitionStates(TheWorld());
  SectionTimer timer;
  for (auto _ : state) {
    for (size_t w = 0; w < kWindows; ++w) {
      if (auto today = f->feed.Fill()) {
        for (PartitionState& s : f->states) s.Evict(*today);
      }
      timer.Start();
      for (size_t k = 0; k < Feed::kWindow; ++k) {
        f->states[f->feed.partition(k)].Apply(f->feed.event(k), f->feed.day(k));
      }
      timer.Stop();
    }
    state.SetIterationTime(timer.TakeSeconds());
  }
  size_t funnels = 0;
  for (const PartitionState& s : f->states) funnels += s.num_funnels();
  Report(state, kEventsPerIteration, static_cast<double>(funnels));
}
BENCHMARK(BM_PartitionStateApply)->UseManualTime();

// --- StateStore ------------------------------------------------------------

struct Store {
  Store(const World& w, const std::vector<uint32_t>& order)
      : store(RestoredStore(w)), feed(w, order) {
    for (int p = 0; p < kPartitions; ++p) {
      ids.push_back(Partition(p));
      writers.push_back(store->Writer(ids.back()));
    }
  }
  // Parses the next window; evicts when the day changed.
  void Fill() {
    if (auto today = feed.Fill()) {
      store->Evict(*today);
      today_ = *today;
    }
  }
  std::unique_ptr<StateStore> store;
  Feed feed;
  std::vector<PartitionId> ids;
  std::vector<StateStore::PartitionWriter> writers;
  DayNumber today_ = 0;
};

Store& TheStore() {
  static Store* s = new Store(TheWorld(), ArrivalOrder());
  return *s;
}

void BM_StoreApply(benchmark::State& state) {
  Store& f = TheStore();
  SectionTimer timer;
  int64_t missing = 0;
  for (auto _ : state) {
    for (size_t w = 0; w < kWindows; ++w) {
      f.Fill();
      timer.Start();
      for (size_t k = 0; k < Feed::kWindow; ++k) {
        missing += !f.store->Apply(f.ids[f.feed.partition(k)], f.feed.event(k),
                                   f.feed.day(k));
      }
      timer.Stop();
    }
    state.SetIterationTime(timer.TakeSeconds());
  }
  if (missing != 0) state.SkipWithError("partition not assigned");
  Report(state, kEventsPerIteration,
         static_cast<double>(LiveFunnels(*f.store, f.today_)));
}
BENCHMARK(BM_StoreApply)->UseManualTime();

void BM_StoreWriterApply(benchmark::State& state) {
  Store& f = TheStore();
  SectionTimer timer;
  int64_t missing = 0;
  for (auto _ : state) {
    for (size_t w = 0; w < kWindows; ++w) {
      f.Fill();
      timer.Start();
      for (size_t k = 0; k < Feed::kWindow; ++k) {
        missing += !f.writers[f.feed.partition(k)].Apply(f.feed.event(k),
                                                         f.feed.day(k));
      }
      timer.Stop();
    }
    state.SetIterationTime(timer.TakeSeconds());
  }
  if (missing != 0) state.SkipWithError("partition not assigned");
  Report(state, kEventsPerIteration,
         static_cast<double>(LiveFunnels(*f.store, f.today_)));
}
BENCHMARK(BM_StoreWriterApply)->UseManualTime();

// A consumed batch holds runs of messages of one partition; with Lock() the
// consumer takes each partition's lock once per run. Events come in runs of
// one partition (PartitionRunOrder, ~16 each); taking and releasing the
// locks is timed with the events.
void BM_StoreWriterBatch(benchmark::State& state) {
  static Store* f = new Store(TheWorld(), PartitionRunOrder());
  SectionTimer timer;
  int64_t missing = 0;
  for (auto _ : state) {
    for (size_t w = 0; w < kWindows; ++w) {
      f->Fill();
      timer.Start();
      for (size_t k = 0; k < Feed::kWindow;) {
        const int32_t p = f->feed.partition(k);
        const StateStore::PartitionWriter::Locked locked = f->writers[p].Lock();
        missing += !locked.ok();
        for (; k < Feed::kWindow && f->feed.partition(k) == p; ++k) {
          locked.Apply(f->feed.event(k), f->feed.day(k));
        }
      }
      timer.Stop();
    }
    state.SetIterationTime(timer.TakeSeconds());
  }
  if (missing != 0) state.SkipWithError("partition not assigned");
  Report(state, kEventsPerIteration,
         static_cast<double>(LiveFunnels(*f->store, f->today_)));
}
BENCHMARK(BM_StoreWriterBatch)->UseManualTime();

void BM_StoreSnapshot(benchmark::State& state) {
  const World& w = TheWorld();
  static StateStore* store = RestoredStore(w).release();
  size_t funnels = 0, programs = 0;
  for (auto _ : state) {
    const StoreSnapshot snap = store->Snapshot(w.history_today);
    funnels = programs = 0;
    for (const PartitionFigures& p : snap.partitions) {
      funnels += p.live_funnels;
      programs += p.programs.size();
    }
  }
  state.counters["live_funnels"] = static_cast<double>(funnels);
  state.counters["programs"] = static_cast<double>(programs);
  state.counters["funnels_per_second"] =
      benchmark::Counter(static_cast<double>(funnels),
                         benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_StoreSnapshot)->Unit(benchmark::kMillisecond);

// --- decode + validate + dedupe + state ------------------------------------

// The consumer thread's work per message, over a private copy of the
// corpus values that it patches in place for each pass.
struct Pipeline {
  explicit Pipeline(const World& w)
      : w(w),
        values(w.values),
        store(RestoredStore(w)),
        decoder(ValidationSettings{w.settings.timezone, w.settings.horizon_days,
                                   absl::Minutes(5)}),
        dedupe(kPartitions),
        cursor(w, ArrivalOrder()) {
    for (int p = 0; p < kPartitions; ++p) {
      ids.push_back(Partition(p));
      writers.push_back(store->Writer(ids.back()));
    }
    for (size_t n = 0; n < w.history_days.size(); ++n) {
      dedupe[w.history_partitions[n]].Insert(absl::StrCat("sim-1-", n),
                                             w.history_days[n]);
    }
    Evict(w.history_today);
  }

  absl::Time Now() const {
    return absl::FromUnixMillis(kCorpusEndMs +
                                cursor.pass() * kCorpusDays * kMsPerDay);
  }

  // Rewrites every value for the cursor's (new) pass.
  void Patch() {
    const int64_t shift = cursor.pass() * kCorpusDays * 86400;
    const char id_char = PassChar(cursor.pass(), true);
    const char client_char = PassChar(cursor.pass(), false);
    for (size_t i = 0; i < values.size(); ++i) {
      const Layout& l = w.layouts[i];
      std::string& v = values[i];
      v[l.id_char] = id_char;
      v[l.client_char] = client_char;
      PatchVarint(&v[l.seconds_at], l.seconds_len,
                  static_cast<uint64_t>(l.seconds + shift));
    }
    now = Now();
  }

  void Evict(DayNumber today) {
    const DayNumber oldest = today - w.settings.horizon_days + 1;
    for (DedupeIndex& d : dedupe) d.EvictBefore(oldest);
    store->Evict(today);
    today_ = today;
  }

  const World& w;
  std::vector<std::string> values;
  std::unique_ptr<StateStore> store;
  EventDecoder decoder;
  std::vector<DedupeIndex> dedupe;
  std::vector<PartitionId> ids;
  std::vector<StateStore::PartitionWriter> writers;
  Cursor cursor;
  absl::Time now = Now();
  DayNumber today_ = 0;
  int64_t rejected = 0, duplicates = 0, missing = 0;
};

// How the pipeline benchmarks hand accepted events to the state.
enum class StateCall { kWriter, kStoreApply, kNone };

template <StateCall kCall>
void RunPipeline(benchmark::State& state) {
  // Without state the store is left alone: its own fixture.
  static Pipeline* with_state = nullptr;
  static Pipeline* without_state = nullptr;
  Pipeline*& fixture = kCall == StateCall::kNone ? without_state : with_state;
  if (fixture == nullptr) fixture = new Pipeline(TheWorld());
  Pipeline& f = *fixture;
  const int64_t rejected = f.rejected, duplicates = f.duplicates;
  // As IngestPipeline::ProcessBatch: the next event's dedupe slot is
  // fetched while this one is processed, and the hash computed for that is
  // used by its insert.
  std::optional<uint64_t> hash;
  for (auto _ : state) {
    const size_t i = f.cursor.index();
    const std::optional<uint64_t> this_hash = std::exchange(hash, {});
    const size_t next = f.cursor.next_index();
    if (const auto id = PeekEventId(f.values[next])) {
      hash = f.dedupe[f.w.partitions[next]].Prefetch(*id);
    }
    const DecodeResult result = f.decoder.Decode(f.values[i], f.now);
    if (!result.ok) {
      ++f.rejected;
    } else {
      const EventView& event = f.decoder.event();
      const int32_t p = f.w.partitions[i];
      if (!(this_hash ? f.dedupe[p].InsertHash(*this_hash, result.day)
                      : f.dedupe[p].Insert(event.event_id(), result.day))) {
        ++f.duplicates;
      } else if (kCall == StateCall::kWriter) {
        f.missing += !f.writers[p].Apply(event, result.day);
      } else if (kCall == StateCall::kStoreApply) {
        f.missing += !f.store->Apply(f.ids[p], event, result.day);
      } else {
        benchmark::DoNotOptimize(event.client_key().data());
      }
    }
    const int64_t pass = f.cursor.pass();
    if (f.cursor.Advance() || f.cursor.pass() != pass) {
      state.PauseTiming();
      if (f.cursor.pass() != pass) {
        f.Patch();
        hash.reset();  // the ids changed
      }
      // Yesterday is complete: evict as the daily evaluation would.
      f.Evict(f.cursor.today() - 1);
      state.ResumeTiming();
    }
  }
  if (f.rejected != rejected) state.SkipWithError("some events were rejected");
  if (f.duplicates != duplicates) state.SkipWithError("unexpected duplicates");
  if (f.missing != 0) state.SkipWithError("partition not assigned");
  Report(state, 1, static_cast<double>(LiveFunnels(*f.store, f.today_)));
  state.SetBytesProcessed(static_cast<int64_t>(
      static_cast<double>(state.iterations()) * f.w.mean_bytes));
}

void BM_Pipeline(benchmark::State& state) {
  RunPipeline<StateCall::kWriter>(state);
}
BENCHMARK(BM_Pipeline);

void BM_PipelineStoreApply(benchmark::State& state) {
  RunPipeline<StateCall::kStoreApply>(state);
}
BENCHMARK(BM_PipelineStoreApply);

// The same without the state update: BM_Pipeline minus this is what the
// state costs inside the pipeline.
void BM_PipelineNoState(benchmark::State& state) {
  RunPipeline<StateCall::kNone>(state);
}
BENCHMARK(BM_PipelineNoState);

// --- Client key hashing ------------------------------------------------------

// Keys shaped like the simulator's ("c-" + 16 hex digits, 18 bytes; Arg 0)
// and like short case numbers (8 digits; Arg 1): the per-event hash of
// referrals and enrollments, alone. BM_ClientHash is what the state uses
// (keyed SipHash-2-4, libsodium); BM_StableIdHash the unkeyed
// MurmurHash64A that hashed client keys before --privacy.key_file (now for
// provider/program ids only).
std::vector<std::string> HashKeys(bool case_numbers) {
  std::vector<std::string> keys;
  for (int i = 0; i < 4096; ++i) {
    keys.push_back(case_numbers
                       ? absl::StrCat(10000000 + i * 7919)
                       : absl::StrCat("c-", absl::Hex(i * 0x9e3779b9ULL,
                                                      absl::kZeroPad16)));
  }
  return keys;
}

template <typename H>
void RunHash(benchmark::State& state, H hash) {
  const std::vector<std::string> keys = HashKeys(state.range(0) != 0);
  uint64_t sink = 0;
  for (auto _ : state) {
    for (const std::string& k : keys) sink += hash(k);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(keys.size()));
}

void BM_ClientHash(benchmark::State& state) {
  const absl::StatusOr<ClientHasher> hasher =
      ClientHasher::FromSecret("bench key: sixteen bytes or more");
  RunHash(state, [&](std::string_view k) { return hasher->Hash(k); });
}
BENCHMARK(BM_ClientHash)->Arg(0)->Arg(1);

void BM_StableIdHash(benchmark::State& state) {
  RunHash(state, [](std::string_view k) { return StableIdHash(k); });
}
BENCHMARK(BM_StableIdHash)->Arg(0)->Arg(1);

}  // namespace
}  // namespace outcomes

BENCHMARK_MAIN();
