#include "daemon/alerts/alert_types.h"

namespace outcomes {

// Each string is ended by 0x00, with 0x00 and 0x01 inside it written as
// 01 01 and 01 02, so that a shorter string sorts first.
std::string LabelOrderKey(const AlertLabels& labels) {
  size_t size = 0;
  for (const auto& [name, value] : labels) size += name.size() + value.size();
  std::string key;
  key.reserve(size + 2 * labels.size());
  const auto append = [&key](const std::string& s) {
    for (char c : s) {
      if (static_cast<unsigned char>(c) <= 1) {
        key += '\x01';
        key += static_cast<char>(c + 1);
      } else {
        key += c;
      }
    }
    key += '\0';
  };
  for (const auto& [name, value] : labels) {
    append(name);
    append(value);
  }
  return key;
}

}  // namespace outcomes
