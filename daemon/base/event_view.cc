#include "daemon/base/event_view.h"

#include <string>

namespace outcomes {

void EventView::Clear() {
  event_id_ = {};
  type_ = 0;
  has_occurred_at_ = false;
  seconds_ = 0;
  nanos_ = 0;
  provider_id_ = program_id_ = contract_id_ = client_key_ = {};
  groups_.clear();
  attributes_.clear();
  outcome_code_ = {};
  outcome_value_ = 0;
}

void EventView::Assign(const v1::ServiceEvent& event) {
  Clear();
  event_id_ = event.event_id();
  type_ = event.type();
  if (event.has_occurred_at()) {
    set_occurred_at(event.occurred_at().seconds(), event.occurred_at().nanos());
  }
  provider_id_ = event.provider_id();
  program_id_ = event.program_id();
  contract_id_ = event.contract_id();
  client_key_ = event.client_key();
  for (const std::string& group : event.priority_groups()) {
    groups_.push_back(group);
  }
  for (const auto& [key, value] : event.attributes()) {
    attributes_.emplace_back(key, value);
  }
  outcome_code_ = event.outcome_code();
  outcome_value_ = event.outcome_value();
}

const std::string_view* EventView::FindAttribute(std::string_view key) const {
  for (const Attribute& a : attributes_) {
    if (a.first == key) return &a.second;
  }
  return nullptr;
}

v1::ServiceEvent EventView::ToProto() const {
  v1::ServiceEvent e;
  e.set_event_id(std::string(event_id_));
  e.set_type(type());
  if (has_occurred_at_) {
    e.mutable_occurred_at()->set_seconds(seconds_);
    e.mutable_occurred_at()->set_nanos(nanos_);
  }
  e.set_provider_id(std::string(provider_id_));
  e.set_program_id(std::string(program_id_));
  e.set_contract_id(std::string(contract_id_));
  e.set_client_key(std::string(client_key_));
  for (std::string_view g : groups_) e.add_priority_groups(std::string(g));
  for (const auto& [key, value] : attributes_) {
    (*e.mutable_attributes())[std::string(key)] = std::string(value);
  }
  e.set_outcome_code(std::string(outcome_code_));
  e.set_outcome_value(outcome_value_);
  return e;
}

}  // namespace outcomes
