// A history of ServiceEvents read from a file of proto3-JSON lines, one
// event per line, in any order (what `outcomes-simulate --out` writes):
// the input of `outcomesctl backtest` (backtest.h).
//
// Every line is decoded and validated by the daemon's own decoder
// (EventDecoder::DecodeAtOccurrence: each event known from its
// occurred_at) and deduplicated by event_id with the daemon's DedupeIndex
// (the first line of an id wins). Events are kept serialized (binary
// protobuf, ~150 bytes each) and ordered by occurred_at, file order
// breaking ties.
//
// Thread safety: const methods may be called concurrently.
#ifndef OUTCOMESD_DAEMON_CTL_EVENT_HISTORY_H_
#define OUTCOMESD_DAEMON_CTL_EVENT_HISTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/base/day.h"
#include "daemon/ingest/event_decoder.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes {

class DedupeIndex;

class EventHistory {
 public:
  // Reads `path`. Blank lines are skipped. The first bad line fails the
  // whole read with InvalidArgument "PATH:LINE: why" (e.g. "h.jsonl:3:
  // missing_field: client_key is required"); NotFound or Unavailable when
  // the file cannot be opened or read.
  static absl::StatusOr<EventHistory> Read(const std::string& path,
                                           const ValidationSettings& settings);

  size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  // The day of the i-th event in time order. REQUIRES: i < size().
  DayNumber day(size_t i) const { return index_[i].day; }
  // Parses the i-th event in time order into *out. REQUIRES: i < size().
  void Get(size_t i, v1::ServiceEvent* out) const;

  int64_t lines() const { return lines_; }  // non-blank lines read
  int64_t duplicates() const { return duplicates_; }

 private:
  struct Entry {
    int64_t occurred_ns;
    uint64_t offset;  // into events_
    uint32_t size;
    DayNumber day;
  };
  // Decodes one line (1-based `line_no`) and appends it.
  absl::Status Add(std::string_view line, int64_t line_no,
                   const std::string& path, EventDecoder& decoder,
                   DedupeIndex& seen);

  std::string events_;  // serialized events, back to back
  std::vector<Entry> index_;
  int64_t lines_ = 0;
  int64_t duplicates_ = 0;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_CTL_EVENT_HISTORY_H_
