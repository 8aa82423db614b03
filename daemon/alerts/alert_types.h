// Values passed between the goal evaluator, the alert lifecycle and the
// notifiers. Plain data; no client key ever appears in them.
#ifndef OUTCOMESD_DAEMON_ALERTS_ALERT_TYPES_H_
#define OUTCOMESD_DAEMON_ALERTS_ALERT_TYPES_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/time.h"

namespace outcomes {

// Sorted, so that a label set has one canonical key.
using AlertLabels = std::map<std::string, std::string>;
using AlertAnnotations = std::map<std::string, std::string>;

// An encoding of `labels` whose byte order (std::string's, unsigned) is the
// order of the label maps themselves (lexicographic over (name, value)
// pairs): sorting by it is sorting by labels, one memcmp per comparison
// instead of a walk over two trees.
std::string LabelOrderKey(const AlertLabels& labels);

// An immutable map shared by its copies: copying one copies a pointer. The
// labels and annotations of an alert are built once and then shared by its
// cached input, its instance and every notification of it (a re-send of
// every firing alert copies no string). Reads like a const std::map and
// converts to one; to change it, assign a new map. With kOrdered, it also
// holds LabelOrderKey of the map, computed once.
//
// Thread safety: like a const std::map; copies may be made and destroyed on
// any thread.
template <typename M, bool kOrdered>
class SharedMap {
 public:
  using key_type = typename M::key_type;
  using mapped_type = typename M::mapped_type;
  using value_type = typename M::value_type;
  using const_iterator = typename M::const_iterator;
  using iterator = const_iterator;
  using size_type = typename M::size_type;

  SharedMap() = default;
  SharedMap(M map)  // NOLINT(google-explicit-constructor): reads as a map
      : data_(map.empty() ? nullptr : Make(std::move(map))) {}
  SharedMap(std::initializer_list<value_type> items)  // NOLINT: as a map
      : SharedMap(M(items)) {}
  template <typename It>
  SharedMap(It first, It last) : SharedMap(M(first, last)) {}

  const M& get() const { return data_ == nullptr ? Empty() : data_->map; }
  operator const M&() const { return get(); }  // NOLINT: reads as a map
  const M& operator*() const { return get(); }
  const M* operator->() const { return &get(); }

  const_iterator begin() const { return get().begin(); }
  const_iterator end() const { return get().end(); }
  const_iterator find(const key_type& key) const { return get().find(key); }
  const mapped_type& at(const key_type& key) const { return get().at(key); }
  size_type count(const key_type& key) const { return get().count(key); }
  bool contains(const key_type& key) const { return get().contains(key); }
  size_type size() const { return get().size(); }
  bool empty() const { return data_ == nullptr; }

  // LabelOrderKey of the map ("" when empty).
  const std::string& order_key() const requires kOrdered {
    return data_ == nullptr ? EmptyKey() : data_->order_key;
  }
  // True when both are copies of one map (then they are equal).
  bool SharesWith(const SharedMap& other) const { return data_ == other.data_; }

  friend bool operator==(const SharedMap& a, const SharedMap& b) {
    return a.data_ == b.data_ || a.get() == b.get();
  }
  friend bool operator==(const SharedMap& a, const M& b) {
    return a.get() == b;
  }
  friend bool operator<(const SharedMap& a, const SharedMap& b) {
    return a.get() < b.get();
  }

 private:
  struct Data {
    M map;
    std::string order_key;  // kOrdered only
  };
  static std::shared_ptr<const Data> Make(M map) {
    auto data = std::make_shared<Data>();
    if constexpr (kOrdered) data->order_key = LabelOrderKey(map);
    data->map = std::move(map);
    return data;
  }
  static const M& Empty() {
    static const M* const empty = new M();
    return *empty;
  }
  static const std::string& EmptyKey() {
    static const std::string* const empty = new std::string();
    return *empty;
  }

  std::shared_ptr<const Data> data_;  // null when empty
};

// Labels (with their order key) and annotations as held by inputs,
// instances and notifications.
using AlertLabelSet = SharedMap<AlertLabels, true>;
using AlertAnnotationSet = SharedMap<AlertAnnotations, false>;

// One alert instance whose condition holds in this evaluation.
struct AlertInput {
  AlertLabelSet labels;  // identity of the instance
  // LabelKey(labels) (alert_lifecycle.h), or empty: then the lifecycle
  // computes it.
  std::string key;
  // Non-zero: names these annotations (a process-wide counter of
  // ShortfallInputCache): an instance holding the same number holds the
  // same annotations, which are then neither compared nor copied.
  uint64_t annotations_id = 0;
  AlertAnnotationSet annotations;
  double value = 0;
  double target = 0;
  int64_t sample_size = 0;
  std::string window;  // "30d" or ""
  absl::Duration for_duration;
  absl::Duration keep_firing_for;
};

// One notification to send (Alertmanager, Kafka). Its labels and
// annotations are shared with the instance (copying one is cheap).
struct AlertNotification {
  AlertLabelSet labels;
  AlertAnnotationSet annotations;
  bool resolved = false;
  absl::Time starts_at;  // when it started firing
  // Firing: now + 4 x resend interval; resolved: the resolve time.
  absl::Time ends_at;
  double value = 0;
  double target = 0;
  int64_t sample_size = 0;
  std::string window;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERT_TYPES_H_
