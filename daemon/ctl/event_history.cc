#include "daemon/ctl/event_history.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/ingest/dedupe.h"

namespace outcomes {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

std::string Why(const DecodeResult& r) {
  if (r.reason == RejectReason::kMalformed) {
    return "malformed: not a JSON outcomes.v1.ServiceEvent (broken JSON, an "
           "unknown field or a value of the wrong type)";
  }
  return absl::StrCat(RejectReasonName(r.reason), ": ", r.detail);
}

}  // namespace

absl::Status EventHistory::Add(std::string_view line, int64_t line_no,
                               const std::string& path, EventDecoder& decoder,
                               DedupeIndex& seen) {
  const absl::string_view stripped =
      absl::StripAsciiWhitespace(absl::string_view(line.data(), line.size()));
  const std::string_view text(stripped.data(), stripped.size());
  if (text.empty()) return absl::OkStatus();
  ++lines_;
  const std::string where = absl::StrCat(path, ":", line_no, ": ");
  if (text.front() != '{') {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "not a JSON object (expected one ServiceEvent per line)"));
  }
  const DecodeResult r = decoder.DecodeAtOccurrence(text);
  if (!r.ok) return absl::InvalidArgumentError(where + Why(r));
  const EventView& e = decoder.event();
  if (!seen.Insert(e.event_id(), r.day)) {
    ++duplicates_;
    return absl::OkStatus();
  }
  const uint64_t offset = events_.size();
  e.ToProto().AppendToString(&events_);
  index_.push_back({e.occurred_seconds() * 1'000'000'000 + e.occurred_nanos(),
                    offset, static_cast<uint32_t>(events_.size() - offset),
                    r.day});
  return absl::OkStatus();
}

absl::StatusOr<EventHistory> EventHistory::Read(
    const std::string& path, const ValidationSettings& settings) {
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "r"));
  if (file == nullptr) {
    const std::string why = std::strerror(errno);
    return errno == ENOENT
               ? absl::NotFoundError(absl::StrCat(path, ": ", why))
               : absl::UnavailableError(absl::StrCat(path, ": ", why));
  }
  EventHistory history;
  EventDecoder decoder(settings);
  DedupeIndex seen;
  char* buf = nullptr;
  size_t cap = 0;
  int64_t line_no = 0;
  absl::Status status;
  for (ssize_t n; status.ok() && (n = getline(&buf, &cap, file.get())) >= 0;) {
    status = history.Add(std::string_view(buf, static_cast<size_t>(n)),
                         ++line_no, path, decoder, seen);
  }
  std::free(buf);
  if (!status.ok()) return status;
  if (std::ferror(file.get())) {
    return absl::UnavailableError(absl::StrCat(path, ": read error"));
  }
  absl::c_stable_sort(history.index_, [](const Entry& a, const Entry& b) {
    return a.occurred_ns < b.occurred_ns;
  });
  return history;
}

void EventHistory::Get(size_t i, v1::ServiceEvent* out) const {
  const Entry& e = index_[i];
  out->ParseFromArray(events_.data() + e.offset, static_cast<int>(e.size));
}

}  // namespace outcomes
