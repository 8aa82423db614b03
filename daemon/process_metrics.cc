#include "daemon/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_type.h"

namespace outcomes {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return out.str();
}

std::optional<double> CountEntries(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return std::nullopt;
  double n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    ++n;
  }
  return n;
}

void Add(std::vector<prometheus::MetricFamily>& out, const char* name,
         const char* help, prometheus::MetricType type,
         std::optional<double> value) {
  if (!value.has_value()) return;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = *value;
  } else {
    m.gauge.value = *value;
  }
  out.push_back(prometheus::MetricFamily{name, help, type, {m}});
}

}  // namespace

std::optional<ProcStat> ParseProcPidStat(absl::string_view text,
                                         double ticks_per_second,
                                         double page_size, double boot_time) {
  // "pid (comm) state ppid ...": comm may contain ") ", so split after the
  // last ')'. Field 3 (state) is then the first of `rest`.
  const size_t close = text.rfind(')');
  if (close == absl::string_view::npos || ticks_per_second <= 0) {
    return std::nullopt;
  }
  const std::vector<absl::string_view> f =
      absl::StrSplit(absl::StripAsciiWhitespace(text.substr(close + 1)), ' ',
                     absl::SkipEmpty());
  // proc(5) field N is f[N - 3]: utime 14, stime 15, starttime 22,
  // vsize 23, rss 24.
  auto field = [&f](size_t n) -> std::optional<double> {
    double v = 0;
    if (n - 3 >= f.size() || !absl::SimpleAtod(f[n - 3], &v)) {
      return std::nullopt;
    }
    return v;
  };
  const auto utime = field(14), stime = field(15), start = field(22),
             vsize = field(23), rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  ProcStat s;
  s.cpu_seconds = (*utime + *stime) / ticks_per_second;
  s.start_time_seconds = boot_time + *start / ticks_per_second;
  s.virtual_bytes = *vsize;
  s.resident_bytes = *rss * page_size;
  return s;
}

std::optional<double> ParseBootTime(absl::string_view proc_stat) {
  for (absl::string_view line : absl::StrSplit(proc_stat, '\n')) {
    if (!absl::ConsumePrefix(&line, "btime ")) continue;
    double v = 0;
    if (absl::SimpleAtod(absl::StripAsciiWhitespace(line), &v)) return v;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<double> ParseMaxOpenFiles(absl::string_view limits) {
  // "Max open files            1024                 1048576              files"
  for (absl::string_view line : absl::StrSplit(limits, '\n')) {
    if (!absl::ConsumePrefix(&line, "Max open files")) continue;
    const std::vector<absl::string_view> f =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    double v = 0;
    if (f.empty() || !absl::SimpleAtod(f[0], &v)) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

ProcessCollector::ProcessCollector(std::string proc_dir, std::string proc_root)
    : proc_dir_(std::move(proc_dir)), proc_root_(std::move(proc_root)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::optional<ProcStat> stat;
  const std::optional<std::string> pid_stat = ReadFile(proc_dir_ + "/stat");
  const std::optional<std::string> root_stat = ReadFile(proc_root_ + "/stat");
  std::optional<double> boot =
      root_stat ? ParseBootTime(*root_stat) : std::nullopt;
  if (pid_stat && boot) {
    stat =
        ParseProcPidStat(*pid_stat, static_cast<double>(sysconf(_SC_CLK_TCK)),
                         static_cast<double>(sysconf(_SC_PAGESIZE)), *boot);
  }
  const std::optional<std::string> limits = ReadFile(proc_dir_ + "/limits");
  auto of = [&stat](double ProcStat::*member) -> std::optional<double> {
    if (!stat) return std::nullopt;
    return (*stat).*member;
  };

  std::vector<prometheus::MetricFamily> out;
  Add(out, "process_cpu_seconds_total",
      "Total user and system CPU time spent in seconds.", MetricType::Counter,
      of(&ProcStat::cpu_seconds));
  Add(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
      MetricType::Gauge, of(&ProcStat::resident_bytes));
  Add(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
      MetricType::Gauge, of(&ProcStat::virtual_bytes));
  Add(out, "process_open_fds", "Number of open file descriptors.",
      MetricType::Gauge, CountEntries(proc_dir_ + "/fd"));
  Add(out, "process_max_fds", "Maximum number of open file descriptors.",
      MetricType::Gauge, limits ? ParseMaxOpenFiles(*limits) : std::nullopt);
  Add(out, "process_start_time_seconds",
      "Start time of the process since unix epoch in seconds.",
      MetricType::Gauge, of(&ProcStat::start_time_seconds));
  return out;
}

}  // namespace outcomes
