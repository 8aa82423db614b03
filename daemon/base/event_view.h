// EventView: the fields of one ServiceEvent as views into bytes someone else
// owns. It is how events travel from the decoder to the state: the ingest
// path parses binary events straight into a view (no protobuf message, no
// string copies; daemon/ingest/event_wire.h), and any v1::ServiceEvent (JSON
// input, tests, backtests) can be viewed in place. Accessors are named like
// the protobuf message's, so code reads the same either way.
//
// Attributes have map semantics: keys are distinct (a view built by a parser
// keeps the last value of a repeated key, as protobuf does).
//
// Ownership: a view does not own the bytes its fields point into; they must
// outlive it (a decoder's view lives until its next decode). Thread safety:
// const methods are safe to call concurrently; mutation is single-threaded.
#ifndef OUTCOMESD_DAEMON_BASE_EVENT_VIEW_H_
#define OUTCOMESD_DAEMON_BASE_EVENT_VIEW_H_

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "outcomes/v1/event.pb.h"

namespace outcomes {

class EventView {
 public:
  using Attribute = std::pair<std::string_view, std::string_view>;

  EventView() = default;
  // Views `event`'s fields. REQUIRES: `event` outlives the view (and is not
  // modified while viewed).
  explicit EventView(const v1::ServiceEvent& event) { Assign(event); }
  void Assign(const v1::ServiceEvent& event);
  // Empties every field; keeps the vectors' capacity for reuse.
  void Clear();

  std::string_view event_id() const { return event_id_; }
  v1::EventType type() const { return static_cast<v1::EventType>(type_); }
  bool has_occurred_at() const { return has_occurred_at_; }
  int64_t occurred_seconds() const { return seconds_; }
  int32_t occurred_nanos() const { return nanos_; }
  std::string_view provider_id() const { return provider_id_; }
  std::string_view program_id() const { return program_id_; }
  std::string_view contract_id() const { return contract_id_; }
  std::string_view client_key() const { return client_key_; }
  const std::vector<std::string_view>& priority_groups() const {
    return groups_;
  }
  int priority_groups_size() const { return static_cast<int>(groups_.size()); }
  const std::vector<Attribute>& attributes() const { return attributes_; }
  int attributes_size() const { return static_cast<int>(attributes_.size()); }
  // The value of attribute `key`, or null when absent.
  const std::string_view* FindAttribute(std::string_view key) const;
  std::string_view outcome_code() const { return outcome_code_; }
  double outcome_value() const { return outcome_value_; }

  // A protobuf copy of the viewed fields (for callers that keep events).
  v1::ServiceEvent ToProto() const;

  // Setters for parsers. The views must outlive this object.
  void set_event_id(std::string_view v) { event_id_ = v; }
  void set_type(int32_t v) { type_ = v; }
  void set_occurred_at(int64_t seconds, int32_t nanos) {
    has_occurred_at_ = true;
    seconds_ = seconds;
    nanos_ = nanos;
  }
  void set_provider_id(std::string_view v) { provider_id_ = v; }
  void set_program_id(std::string_view v) { program_id_ = v; }
  void set_contract_id(std::string_view v) { contract_id_ = v; }
  void set_client_key(std::string_view v) { client_key_ = v; }
  void add_priority_group(std::string_view v) { groups_.push_back(v); }
  // REQUIRES: no attribute `key` yet (FindAttribute(key) == nullptr).
  void add_attribute(std::string_view key, std::string_view value) {
    attributes_.emplace_back(key, value);
  }
  void set_outcome_code(std::string_view v) { outcome_code_ = v; }
  void set_outcome_value(double v) { outcome_value_ = v; }

 private:
  std::string_view event_id_;
  int32_t type_ = 0;
  bool has_occurred_at_ = false;
  int64_t seconds_ = 0;
  int32_t nanos_ = 0;
  std::string_view provider_id_;
  std::string_view program_id_;
  std::string_view contract_id_;
  std::string_view client_key_;
  std::vector<std::string_view> groups_;
  std::vector<Attribute> attributes_;
  std::string_view outcome_code_;
  double outcome_value_ = 0;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_EVENT_VIEW_H_
