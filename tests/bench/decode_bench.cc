// Google Benchmarks of the per-event CPU cost of ingest (issues 2 and 3):
//
//   BM_DecodeBinary     decode + validate, binary protobuf values
//   BM_DecodeBinaryColdInput  the same over 200k events (inputs not cached)
//   BM_DecodeJson       decode + validate, proto3 JSON values
//   BM_DecodeDedupeCount decode + validate + dedupe (one DedupeIndex per
//                       partition, 64 partitions) + a flat_hash_map counter
//                       update keyed by provider_id (1,000 providers)
//   BM_IngestPipeline   IngestPipeline::Process as the daemon runs it: the
//                       above plus partition lookup and the Prometheus
//                       counters, with a sink that drops accepted events
//   BM_IngestPipelineWithState  the same feeding the real StateStore (as
//                       outcomesd does), in batches of 512 through
//                       BeginBatch/ProcessBatch/EndBatch like the consumer
//                       loop (one iteration = one batch; items/s = events/s):
//                       decode + validate + dedupe + funnel state update,
//                       1,000 providers, >= 1 M live funnels and growing
//                       (issue 3 target: 2 M events/s per core)
//   BM_DedupeInsert     DedupeIndex::Insert alone (ids pre-decoded)
//   BM_PrometheusCounterIncrement / BM_PlainCounterIncrement
//                       what one outcomes_events_total increment costs
//
// The dedupe benchmarks fill the indexes up to 1 M distinct ids, as the
// ingest benchmark does (64 partitions, ~15,600 ids each, ~35 MB of index:
// out of cache), then start again with empty indexes: the corpus is 200k
// events, and each pass over it rewrites the event ids' prefix (untimed,
// same length: "sim-1-" -> "sim-b-", "sim-c-", ...) so every id is new.
// BM_IngestPipelineWithState instead keeps one pipeline and store for the
// whole process (filled untimed to >= 1 M live funnels first) and rewrites
// client keys too, so every pass brings new clients; its funnels and dedupe
// ids keep growing while it runs (live_funnels reports the count at the end).
//
// Events come from the same simulation as outcomes-simulate (1,000
// providers, 120 days), so sizes, field mix and event types match what the
// ingest benchmark (ingest_bench.py) feeds the daemon. Every benchmark
// reports items/s (= events/s on one core) and bytes/s.
//
//   build/tests/bench/bench_decode --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (or: scripts/bench)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "daemon/base/clock.h"
#include "daemon/ingest/dedupe.h"
#include "daemon/ingest/event_decoder.h"
#include "daemon/ingest/ingest_metrics.h"
#include "daemon/ingest/pipeline.h"
#include "daemon/ingest/state_sink.h"
#include "daemon/kafka/kafka_boundary.h"
#include "daemon/state/state_store.h"
#include "daemon/tools/simulation.h"
#include "google/protobuf/util/json_util.h"
#include "outcomes/v1/event.pb.h"
#include "prometheus/registry.h"

namespace outcomes {
namespace {

constexpr int kProviders = 1000;
constexpr int kPartitions = 64;
constexpr int kHistoryDays = 120;
// Fixed "now" (2026-01-01T00:00:00Z) so runs are comparable; the simulated
// history ends at it and the decoder validates against it.
const absl::Time kNow = absl::FromUnixSeconds(1767225600);

// One pre-serialized event as the consumer would see it.
struct Message {
  std::string value;
  int32_t partition = 0;  // provider index mod kPartitions (stands in for
                          // Kafka's key partitioner)
  std::string key;        // provider_id, as producers key events
};

struct Corpus {
  std::vector<Message> binary;
  std::vector<Message> json;
  double mean_binary_bytes = 0;
  double mean_json_bytes = 0;
};

// Generates `count` distinct events spread evenly over the simulated
// backfill (so the type mix is the steady-state one, not the first days'
// referral-only mix). Event ids are "sim-1-<n>" as outcomes-simulate emits.
Corpus MakeCorpus(size_t count) {
  tools::SimConfig config;
  config.seed = 1;
  config.providers = kProviders;
  const int64_t now_ms = absl::ToUnixMillis(kNow);
  // Stay a day inside the horizon: an event exactly 120 days old is too_old.
  config.start_ms = now_ms - (kHistoryDays - 1) * tools::kMsPerDay;
  tools::Simulation sim(config);
  tools::BackfillStream stream(&sim, config.seed, now_ms);

  // ~12,800 events/day with 1,000 providers: keep every `stride`-th.
  const size_t expected_total =
      static_cast<size_t>(12'800) * (kHistoryDays - 1);
  const size_t stride = std::max<size_t>(1, expected_total / count);

  Corpus corpus;
  corpus.binary.reserve(count);
  corpus.json.reserve(count);
  v1::ServiceEvent event;
  tools::SimEvent sim_event;
  size_t n = 0;
  size_t binary_bytes = 0, json_bytes = 0;
  while (corpus.binary.size() < count && stream.Next(&sim_event)) {
    ++n;
    if (n % stride != 0) continue;
    sim.ToProto(sim_event, absl::StrCat("sim-1-", n), sim_event.at_ms, &event);
    const int32_t partition = sim_event.provider % kPartitions;
    Message binary{event.SerializeAsString(), partition, event.provider_id()};
    Message json{"", partition, event.provider_id()};
    if (!google::protobuf::util::MessageToJsonString(event, &json.value).ok()) {
      std::fprintf(stderr, "cannot print JSON\n");
      std::abort();
    }
    binary_bytes += binary.value.size();
    json_bytes += json.value.size();
    corpus.binary.push_back(std::move(binary));
    corpus.json.push_back(std::move(json));
  }
  if (corpus.binary.size() < count) {
    std::fprintf(stderr, "simulation produced only %zu of %zu events\n",
                 corpus.binary.size(), count);
    std::abort();
  }
  corpus.mean_binary_bytes = static_cast<double>(binary_bytes) / count;
  corpus.mean_json_bytes = static_cast<double>(json_bytes) / count;
  return corpus;
}

// 10k distinct events for the decode-only benchmarks (~1.4 MB binary).
const Corpus& SmallCorpus() {
  static const Corpus* corpus = new Corpus(MakeCorpus(10'000));
  return *corpus;
}

// 200k distinct events for the benchmarks that dedupe (see Rotation).
constexpr size_t kLargeCorpusSize = 200'000;
Corpus& LargeCorpus() {
  static Corpus* corpus = new Corpus(MakeCorpus(kLargeCorpusSize));
  return *corpus;
}

// Live ids per dedupe run before the indexes start empty again.
constexpr size_t kDedupeIds = 1'000'000;

// Makes each pass over the large corpus carry new event ids: rewrites the
// one-character seed in "sim-1-<n>" in place (binary values begin with the
// event_id field: tag 0x0a, length, "sim-1-..."). Returns true when the
// caller should reset its dedupe indexes (kDedupeIds ids inserted).
class Rotation {
 public:
  explicit Rotation(std::vector<Message>* messages) : messages_(messages) {
    Apply('1');
  }
  ~Rotation() { Apply('1'); }

  bool Next() {
    pass_ = (pass_ + 1) % (kDedupeIds / messages_->size());
    Apply(pass_ == 0 ? '1' : static_cast<char>('a' + pass_));
    return pass_ == 0;
  }

 private:
  void Apply(char c) {
    for (Message& m : *messages_) {
      if (m.value.size() < 8 || m.value[0] != 0x0a ||
          m.value.compare(2, 4, "sim-") != 0 || m.value[7] != '-') {
        std::fprintf(stderr, "unexpected event layout\n");
        std::abort();
      }
      m.value[6] = c;
    }
  }

  std::vector<Message>* messages_;
  size_t pass_ = 0;
};

void Decode(benchmark::State& state, const std::vector<Message>& messages,
            double mean_bytes) {
  EventDecoder decoder{ValidationSettings{}};
  size_t i = 0;
  int64_t rejected = 0;
  for (auto _ : state) {
    const DecodeResult result = decoder.Decode(messages[i].value, kNow);
    benchmark::DoNotOptimize(result.day);
    rejected += !result.ok;
    if (++i == messages.size()) i = 0;
  }
  if (rejected != 0) state.SkipWithError("some events were rejected");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(
      static_cast<double>(state.iterations()) * mean_bytes));
  state.counters["event_bytes"] = mean_bytes;
}

void BM_DecodeBinary(benchmark::State& state) {
  const Corpus& corpus = SmallCorpus();
  Decode(state, corpus.binary, corpus.mean_binary_bytes);
}
BENCHMARK(BM_DecodeBinary);

// The same over the 200k-event corpus (27 MB): inputs come from memory,
// not cache, as Kafka fetch buffers do in the daemon.
void BM_DecodeBinaryColdInput(benchmark::State& state) {
  const Corpus& corpus = LargeCorpus();
  Decode(state, corpus.binary, corpus.mean_binary_bytes);
}
BENCHMARK(BM_DecodeBinaryColdInput);

void BM_DecodeJson(benchmark::State& state) {
  const Corpus& corpus = SmallCorpus();
  Decode(state, corpus.json, corpus.mean_json_bytes);
}
BENCHMARK(BM_DecodeJson);

// Per-provider counters of the kind partition state keeps (one per type).
struct ProviderCounters {
  std::array<int64_t, 6> by_type{};
};

void BM_DecodeDedupeCount(benchmark::State& state) {
  Corpus& corpus = LargeCorpus();
  const std::vector<Message>& messages = corpus.binary;
  Rotation rotation(&corpus.binary);
  EventDecoder decoder{ValidationSettings{}};
  std::vector<DedupeIndex> dedupe(kPartitions);
  absl::flat_hash_map<std::string, ProviderCounters> counters;
  size_t i = 0;
  int64_t rejected = 0, duplicates = 0;
  for (auto _ : state) {
    const Message& m = messages[i];
    const DecodeResult result = decoder.Decode(m.value, kNow);
    if (!result.ok) {
      ++rejected;
    } else {
      const EventView& event = decoder.event();
      if (!dedupe[m.partition].Insert(event.event_id(), result.day)) {
        ++duplicates;
      } else {
        const absl::string_view provider(event.provider_id().data(),
                                         event.provider_id().size());
        auto it = counters.find(provider);
        if (it == counters.end()) {
          it = counters.try_emplace(std::string(provider)).first;
        }
        ++it->second.by_type[event.type()];
      }
    }
    if (++i == messages.size()) {
      i = 0;
      state.PauseTiming();
      if (rotation.Next()) {
        for (DedupeIndex& d : dedupe) d = DedupeIndex();
      }
      state.ResumeTiming();
    }
  }
  if (rejected != 0) state.SkipWithError("some events were rejected");
  if (duplicates != 0) state.SkipWithError("unexpected duplicates");
  if (state.iterations() >= static_cast<int64_t>(messages.size()) &&
      counters.size() != kProviders) {
    state.SkipWithError("expected events of every provider");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(
      static_cast<double>(state.iterations()) * corpus.mean_binary_bytes));
  state.counters["providers"] = static_cast<double>(counters.size());
}
BENCHMARK(BM_DecodeDedupeCount);

class DroppingSink : public AcceptedEventSink {
 public:
  void AssignPartition(const PartitionId&) override {}
  void RevokePartition(const PartitionId&) override {}
  void Apply(const PartitionId&, const EventView& event,
             DayNumber day) override {
    benchmark::DoNotOptimize(day);
    ++applied;
  }
  int64_t applied = 0;
};

class CountingDeadLetters : public DeadLetterSink {
 public:
  void Send(const KafkaMessage&, std::string_view, std::string_view) override {
    ++sent;
  }
  absl::Status Flush(absl::Duration) override { return absl::OkStatus(); }
  int64_t sent = 0;
};

// The daemon's own per-message path (minus librdkafka): 64 partitions of
// one topic assigned, BeginBatch every 4,096 messages as the consumer loop
// does with its batch size. Arg 1: with the provider gate (--providers.max
// default, no file), as the daemon runs it.
void BM_IngestPipeline(benchmark::State& state) {
  Corpus& corpus = LargeCorpus();
  const std::vector<Message>& messages = corpus.binary;
  Rotation rotation(&corpus.binary);
  const std::string topic = "outcomes.events";
  FakeClock clock(kNow);
  prometheus::Registry registry;
  IngestMetrics metrics(registry);
  DroppingSink sink;
  CountingDeadLetters dead_letters;
  std::unique_ptr<ProviderGate> gate =
      state.range(0) == 0 ? nullptr
                          : *ProviderGate::Create({}, clock, registry);
  auto make_pipeline = [&] {
    auto p = std::make_unique<IngestPipeline>(
        ValidationSettings{}, clock, metrics, sink, dead_letters, gate.get());
    for (int32_t part = 0; part < kPartitions; ++part) {
      p->Assign({PartitionId{topic, part}, 0});
    }
    return p;
  };
  std::unique_ptr<IngestPipeline> pipeline = make_pipeline();
  std::vector<int64_t> offsets(kPartitions, 0);
  size_t i = 0;
  for (auto _ : state) {
    if ((i & 4095) == 0) pipeline->BeginBatch();
    const Message& m = messages[i];
    pipeline->Process(KafkaMessage{topic, m.partition, offsets[m.partition]++,
                                   m.key, m.value});
    if (++i == messages.size()) {
      i = 0;
      state.PauseTiming();
      if (rotation.Next()) {
        pipeline = make_pipeline();
        std::fill(offsets.begin(), offsets.end(), 0);
      }
      state.ResumeTiming();
    }
  }
  if (dead_letters.sent != 0) state.SkipWithError("some events were rejected");
  if (metrics.duplicates().Value() != 0) {
    state.SkipWithError("unexpected duplicates");
  }
  if (sink.applied != state.iterations()) {
    state.SkipWithError("not every event reached the sink");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(
      static_cast<double>(state.iterations()) * corpus.mean_binary_bytes));
}
BENCHMARK(BM_IngestPipeline)->Arg(0)->Arg(1);

// Rewrites, in place and keeping lengths, the event id's seed character
// ("sim-1-<n>") and the client key's first character ("c-<hex>") of every
// binary value, so that pass k over the corpus carries new events of new
// clients: 62 passes of distinct events.
class ClientRotation {
 public:
  static constexpr std::string_view kChars =
      "1023456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

  explicit ClientRotation(std::vector<Message>* messages)
      : messages_(messages) {
    // client_key is field 7 (tag 0x3a), 18 bytes "c-%016x" (simulation.cc).
    static constexpr std::string_view kClientField(
        "\x3a\x12"
        "c-",
        4);
    for (const Message& m : *messages_) {
      const size_t at = m.value.find(kClientField);
      if (m.value.compare(2, 4, "sim-") != 0 || at == std::string::npos) {
        std::fprintf(stderr, "unexpected event layout\n");
        std::abort();
      }
      client_at_.push_back(at + 2);
    }
  }
  ~ClientRotation() { Apply(0); }

  // Moves to the next pass; false when all 62 are used.
  bool Next() {
    if (pass_ + 1 >= kChars.size()) return false;
    Apply(++pass_);
    return true;
  }

 private:
  void Apply(size_t pass) {
    for (size_t i = 0; i < messages_->size(); ++i) {
      std::string& v = (*messages_)[i].value;
      v[6] = kChars[pass];
      v[client_at_[i]] = pass == 0 ? 'c' : kChars[pass];
    }
  }

  std::vector<Message>* messages_;
  std::vector<size_t> client_at_;
  size_t pass_ = 0;
};

// outcomesd's ingest path with partition state, in steady state: built once
// per process and filled (untimed) until it holds >= 1 M live funnels; each
// run then continues with new events of new clients.
struct StatefulIngest {
  static constexpr size_t kMinFunnels = 1'000'000;

  StatefulIngest()
      : corpus(LargeCorpus()),
        rotation(&corpus.binary),
        clock(kNow),
        metrics(registry),
        store(StateStoreSettings()),
        sink(store),
        pipeline(ValidationSettings{}, clock, metrics, sink, dead_letters),
        offsets(kPartitions, 0) {
    for (int32_t part = 0; part < kPartitions; ++part) {
      pipeline.Assign({PartitionId{std::string(kTopic), part}, 0});
    }
    while (LiveFunnels() < kMinFunnels) {
      for (size_t n = 0; n < corpus.binary.size(); n += kBatch) Step();
    }
  }

  static StateSettings StateStoreSettings() { return StateSettings{}; }

  // Processes the next batch of kBatch messages as the consumer loop does
  // (BeginBatch, ProcessBatch, EndBatch); returns false when out of
  // distinct events.
  bool Step() {
    batch.clear();
    for (size_t n = 0; n < kBatch && i + n < corpus.binary.size(); ++n) {
      const Message& m = corpus.binary[i + n];
      batch.push_back(KafkaMessage{kTopic, m.partition, offsets[m.partition]++,
                                   m.key, m.value});
    }
    pipeline.BeginBatch();
    pipeline.ProcessBatch(batch);
    pipeline.EndBatch();
    i += batch.size();
    if (i == corpus.binary.size()) {
      i = 0;
      return rotation.Next();
    }
    return true;
  }
  static constexpr size_t kBatch = 512;
  std::vector<KafkaMessage> batch;

  size_t LiveFunnels() {
    pipeline.EndBatch();  // the snapshot takes the partitions' locks
    size_t funnels = 0;
    const StoreSnapshot snapshot =
        store.Snapshot(DayOf(kNow, absl::UTCTimeZone()));
    for (const PartitionFigures& p : snapshot.partitions) {
      funnels += p.live_funnels;
    }
    return funnels;
  }

  static constexpr std::string_view kTopic = "outcomes.events";
  Corpus& corpus;
  ClientRotation rotation;
  FakeClock clock;
  prometheus::Registry registry;
  IngestMetrics metrics;
  StateStore store;
  StateSink sink;
  CountingDeadLetters dead_letters;
  IngestPipeline pipeline;
  std::vector<int64_t> offsets;
  size_t i = 0;
};

void BM_IngestPipelineWithState(benchmark::State& state) {
  static StatefulIngest* ingest = new StatefulIngest();
  const int64_t rejected_before = ingest->dead_letters.sent;
  const double duplicates_before = ingest->metrics.duplicates().Value();
  bool more = true;
  size_t events = 0;
  for (auto _ : state) {
    if (!more) break;
    const size_t before = ingest->i;
    more = ingest->Step();
    events +=
        (ingest->i == 0 ? ingest->corpus.binary.size() : ingest->i) - before;
  }
  if (!more) state.SkipWithError("ran out of distinct events");
  if (ingest->dead_letters.sent != rejected_before) {
    state.SkipWithError("some events were rejected");
  }
  if (ingest->metrics.duplicates().Value() != duplicates_before) {
    state.SkipWithError("unexpected duplicates");
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.SetBytesProcessed(static_cast<int64_t>(
      static_cast<double>(events) * ingest->corpus.mean_binary_bytes));
  state.counters["live_funnels"] = static_cast<double>(ingest->LiveFunnels());
}
BENCHMARK(BM_IngestPipelineWithState);

// Dedupe alone, ids already decoded: isolates the index's cache misses.
void BM_DedupeInsert(benchmark::State& state) {
  Corpus& corpus = LargeCorpus();
  std::vector<std::string> ids;
  std::vector<int32_t> partitions;
  std::vector<DayNumber> days;
  {
    EventDecoder decoder{ValidationSettings{}};
    for (const Message& m : corpus.binary) {
      const DecodeResult result = decoder.Decode(m.value, kNow);
      ids.emplace_back(decoder.event().event_id());
      partitions.push_back(m.partition);
      days.push_back(result.day);
    }
  }
  std::vector<DedupeIndex> dedupe(kPartitions);
  size_t i = 0, pass = 0;
  int64_t duplicates = 0;
  for (auto _ : state) {
    duplicates += !dedupe[partitions[i]].Insert(ids[i], days[i]);
    if (++i == ids.size()) {
      i = 0;
      state.PauseTiming();
      pass = (pass + 1) % (kDedupeIds / ids.size());
      if (pass == 0) {
        for (DedupeIndex& d : dedupe) d = DedupeIndex();
      }
      for (std::string& id : ids) id[4] = static_cast<char>('a' + pass);
      state.ResumeTiming();
    }
  }
  if (duplicates != 0) state.SkipWithError("unexpected duplicates");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DedupeInsert);

// One outcomes_events_total increment per event, as IngestPipeline::Process
// does: prometheus-cpp counters are an atomic<double> CAS loop.
void BM_PrometheusCounterIncrement(benchmark::State& state) {
  prometheus::Registry registry;
  IngestMetrics metrics(registry);
  int type = 1;
  for (auto _ : state) {
    metrics.accepted(static_cast<v1::EventType>(type)).Increment();
    type = type == 5 ? 1 : type + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PrometheusCounterIncrement);

// The alternative: plain per-type integers, added to the Prometheus counters
// once per consumed batch.
void BM_PlainCounterIncrement(benchmark::State& state) {
  std::array<int64_t, 6> counts{};
  int type = 1;
  for (auto _ : state) {
    ++counts[type];
    benchmark::ClobberMemory();
    type = type == 5 ? 1 : type + 1;
  }
  benchmark::DoNotOptimize(counts);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlainCounterIncrement);

}  // namespace
}  // namespace outcomes

BENCHMARK_MAIN();
