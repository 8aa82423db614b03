// The standard Prometheus process metrics (as the Go and Python clients
// export them), read from /proc at scrape time:
//
//   process_cpu_seconds_total       (counter) user + system CPU time
//   process_resident_memory_bytes   resident set size
//   process_virtual_memory_bytes    virtual memory size
//   process_open_fds                open file descriptors (entries of
//                                   /proc/self/fd, counting the one used
//                                   to read it, as the Go client does)
//   process_max_fds                 soft limit of open files (absent when
//                                   unlimited)
//   process_start_time_seconds      start time, unix seconds
//
// A value whose /proc file cannot be read or parsed has no series (never a
// made-up 0). prometheus-cpp has no process collector; this is one.
//
// Thread safety: Collect is const and may run concurrently with itself.
#ifndef OUTCOMESD_DAEMON_PROCESS_METRICS_H_
#define OUTCOMESD_DAEMON_PROCESS_METRICS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace outcomes {

// The figures of /proc/<pid>/stat, in Prometheus units.
struct ProcStat {
  double cpu_seconds = 0;         // utime + stime
  double start_time_seconds = 0;  // unix seconds (needs the boot time)
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

// Parses /proc/<pid>/stat (proc(5)); `ticks_per_second` is
// sysconf(_SC_CLK_TCK), `page_size` sysconf(_SC_PAGESIZE), `boot_time` the
// btime of /proc/stat. The command name may hold spaces and parentheses.
std::optional<ProcStat> ParseProcPidStat(absl::string_view text,
                                         double ticks_per_second,
                                         double page_size, double boot_time);
// The "btime" line of /proc/stat: boot time in unix seconds.
std::optional<double> ParseBootTime(absl::string_view proc_stat);
// The soft "Max open files" of /proc/<pid>/limits; nullopt when unlimited
// or absent.
std::optional<double> ParseMaxOpenFiles(absl::string_view limits);

class ProcessCollector : public prometheus::Collectable {
 public:
  // `proc_dir` is the process's /proc directory, `proc_root` the /proc that
  // holds "stat" (tests point both at fixtures).
  explicit ProcessCollector(std::string proc_dir = "/proc/self",
                            std::string proc_root = "/proc");

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string proc_dir_;
  const std::string proc_root_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_PROCESS_METRICS_H_
