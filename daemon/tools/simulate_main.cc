// outcomes-simulate: a reproducible, realistic stream of ServiceEvents for an
// agency (model: simulation.h).
//
// 1. Backfill: --days of history ending at --now (events with
//    occurred_at <= now only; ~1 % arrive up to 2 days late).
// 2. Live (--rate > 0): about --rate events/s stamped with the current time,
//    until SIGTERM/SIGINT or --max_events.
// --max_events caps the total of both phases (0 = no cap), so e.g.
//   --providers=1000 --days=120 --max_events=1000000
// emits exactly 1,000,000 events whenever the backfill has that many.
// Same flags + same --seed + same --now => byte-identical --out file.
//
// Output: --brokers (Kafka, key = provider_id, value per --format) and/or
// --out=FILE (one proto3 JSON event per line, "-" = stdout). Given both, they
// carry the identical event sequence. A summary goes to stderr at the end;
// the exit status is non-zero if any event could not be delivered.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon/tools/emitter.h"
#include "daemon/tools/simulation.h"
#include "daemon/tools/sinks.h"

ABSL_FLAG(uint64_t, seed, 1, "PRNG seed; same seed and flags, same events");
ABSL_FLAG(int32_t, providers, 20, "number of providers (prov-001, ...)");
ABSL_FLAG(int32_t, programs, 2,
          "number of programs (workforce, behavioral-health, program-3, ...)");
ABSL_FLAG(int32_t, shortfall_providers, 2,
          "the first K providers deliberately fall short of their goals");
ABSL_FLAG(double, referrals_per_day, 5.0, "mean referrals/day per provider");
ABSL_FLAG(int32_t, days, 60, "days of history to backfill, ending at --now");
ABSL_FLAG(std::string, now, "",
          "end of the backfill, RFC3339 (default: the current time)");
ABSL_FLAG(double, rate, 0,
          "after the backfill, live events/s (0 = exit after the backfill)");
ABSL_FLAG(int64_t, max_events, 0,
          "stop after this many events in total, backfill included (0 = no "
          "limit)");
ABSL_FLAG(std::string, brokers, "", "Kafka bootstrap HOST:PORT[,...]");
ABSL_FLAG(std::string, topic, "outcomes.events", "Kafka topic");
ABSL_FLAG(std::string, format, "binary",
          "Kafka value format: binary (protobuf) or json (proto3 JSON)");
ABSL_FLAG(std::string, out, "",
          "also write one JSON event per line to this file (- = stdout)");

namespace outcomes::tools {
namespace {

std::atomic<bool> g_stop{false};

void HandleStopSignal(int /*signo*/) { g_stop.store(true); }

void InstallSignalHandlers() {
  struct sigaction action = {};
  action.sa_handler = &HandleStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

struct Options {
  SimConfig sim;
  int64_t now_ms = 0;
  double rate = 0;
  int64_t max_events = 0;
  KafkaFormat format = KafkaFormat::kBinary;
};

absl::StatusOr<int64_t> ParseNow(const std::string& text) {
  if (text.empty()) return absl::ToUnixMillis(absl::Now());
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--now=", text, " is not RFC3339: ", err));
  }
  return absl::ToUnixMillis(t);
}

absl::Status CheckRanges() {
  if (absl::GetFlag(FLAGS_providers) < 1 || absl::GetFlag(FLAGS_programs) < 1 ||
      absl::GetFlag(FLAGS_shortfall_providers) < 0) {
    return absl::InvalidArgumentError(
        "--providers and --programs must be >= 1, --shortfall_providers >= 0");
  }
  if (!(absl::GetFlag(FLAGS_referrals_per_day) > 0)) {
    return absl::InvalidArgumentError("--referrals_per_day must be > 0");
  }
  if (absl::GetFlag(FLAGS_days) < 0 || !(absl::GetFlag(FLAGS_rate) >= 0) ||
      absl::GetFlag(FLAGS_max_events) < 0) {
    return absl::InvalidArgumentError(
        "--days, --rate and --max_events must be >= 0");
  }
  if (absl::GetFlag(FLAGS_brokers).empty() &&
      absl::GetFlag(FLAGS_out).empty()) {
    return absl::InvalidArgumentError("give --brokers and/or --out");
  }
  return absl::OkStatus();
}

absl::StatusOr<Options> ParseOptions() {
  if (absl::Status s = CheckRanges(); !s.ok()) return s;
  Options o;
  absl::StatusOr<int64_t> now_ms = ParseNow(absl::GetFlag(FLAGS_now));
  if (!now_ms.ok()) return now_ms.status();
  o.now_ms = *now_ms;
  o.sim.seed = absl::GetFlag(FLAGS_seed);
  o.sim.providers = absl::GetFlag(FLAGS_providers);
  o.sim.programs = absl::GetFlag(FLAGS_programs);
  o.sim.shortfall_providers =
      std::min(absl::GetFlag(FLAGS_shortfall_providers), o.sim.providers);
  o.sim.referrals_per_day = absl::GetFlag(FLAGS_referrals_per_day);
  o.sim.start_ms = o.now_ms - absl::GetFlag(FLAGS_days) * kMsPerDay;
  o.rate = absl::GetFlag(FLAGS_rate);
  o.max_events = absl::GetFlag(FLAGS_max_events);
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "json") {
    o.format = KafkaFormat::kJson;
  } else if (format != "binary") {
    return absl::InvalidArgumentError("--format must be binary or json");
  }
  return o;
}

absl::StatusOr<std::unique_ptr<Emitter>> MakeEmitter(const Options& o,
                                                     const Simulation* sim) {
  std::unique_ptr<KafkaSink> kafka;
  if (const std::string brokers = absl::GetFlag(FLAGS_brokers);
      !brokers.empty()) {
    auto sink = KafkaSink::Create(brokers, absl::GetFlag(FLAGS_topic));
    if (!sink.ok()) return sink.status();
    kafka = std::move(*sink);
  }
  std::unique_ptr<LineFileSink> file;
  if (const std::string out = absl::GetFlag(FLAGS_out); !out.empty()) {
    auto sink = LineFileSink::Create(out);
    if (!sink.ok()) return sink.status();
    file = std::move(*sink);
  }
  return std::make_unique<Emitter>(sim, o.sim.seed, std::move(kafka), o.format,
                                   std::move(file));
}

bool Capped(const Options& o, const Emitter& emitter) {
  return o.max_events > 0 && emitter.emitted() >= o.max_events;
}

absl::Status RunBackfill(const Options& o, Simulation* sim, Emitter* emitter) {
  BackfillStream stream(sim, o.sim.seed, o.now_ms);
  SimEvent event;
  while (!g_stop.load(std::memory_order_relaxed) && !Capped(o, *emitter) &&
         stream.Next(&event)) {
    if (absl::Status s = emitter->Emit(event, event.at_ms); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Paces events at o.rate/s against the wall clock; the simulation keeps its
// own (faster) clock, so clients still move referral -> enrollment -> exit.
absl::Status RunLive(const Options& o, Simulation* sim, Emitter* emitter) {
  const absl::Time start = absl::Now();
  int64_t sent = 0;
  while (!g_stop.load(std::memory_order_relaxed) && !Capped(o, *emitter)) {
    const absl::Time due = start + absl::Seconds(sent / o.rate);
    const absl::Time now = absl::Now();
    if (now < due) {
      emitter->Poll();
      absl::SleepFor(std::min(due - now, absl::Milliseconds(100)));
      continue;
    }
    const SimEvent event = sim->Next();
    if (absl::Status s = emitter->Emit(event, absl::ToUnixMillis(now));
        !s.ok()) {
      return s;
    }
    ++sent;
  }
  return absl::OkStatus();
}

absl::Status Run(const Options& o) {
  Simulation sim(o.sim);
  absl::StatusOr<std::unique_ptr<Emitter>> emitter = MakeEmitter(o, &sim);
  if (!emitter.ok()) return emitter.status();
  absl::Status status = RunBackfill(o, &sim, emitter->get());
  if (status.ok() && o.rate > 0) status = RunLive(o, &sim, emitter->get());
  status.Update((*emitter)->Finish());
  std::fprintf(stderr, "outcomes-simulate: %s%s\n",
               (*emitter)->Summary().c_str(),
               g_stop.load() ? " (stopped by signal)" : "");
  return status;
}

}  // namespace
}  // namespace outcomes::tools

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  outcomes::tools::InstallSignalHandlers();
  absl::StatusOr<outcomes::tools::Options> options =
      outcomes::tools::ParseOptions();
  if (!options.ok()) {
    std::fprintf(stderr, "outcomes-simulate: %s\n",
                 options.status().ToString().c_str());
    return 2;
  }
  const absl::Status status = outcomes::tools::Run(*options);
  if (!status.ok()) {
    std::fprintf(stderr, "outcomes-simulate: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
