#include "daemon/alerts/alert_sink.h"

#include "google/protobuf/util/time_util.h"

namespace outcomes {
namespace {

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return;
  const int64_t nanos = absl::ToUnixNanos(t);
  *ts = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(nanos);
}

}  // namespace

v1::ShortfallAlert ToShortfallAlert(const AlertNotification& n) {
  v1::ShortfallAlert m;
  m.set_state(n.resolved ? v1::ALERT_STATE_RESOLVED : v1::ALERT_STATE_FIRING);
  m.mutable_labels()->insert(n.labels.begin(), n.labels.end());
  m.mutable_annotations()->insert(n.annotations.begin(), n.annotations.end());
  SetTime(n.starts_at, m.mutable_starts_at());
  if (n.resolved) SetTime(n.ends_at, m.mutable_resolved_at());
  m.set_value(n.value);
  m.set_target(n.target);
  m.set_sample_size(n.sample_size);
  m.set_window(n.window);
  return m;
}

}  // namespace outcomes
