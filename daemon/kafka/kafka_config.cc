#include "daemon/kafka/kafka_config.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace outcomes {

absl::StatusOr<KafkaProperties> ParseKafkaProperties(absl::string_view text,
                                                     absl::string_view origin) {
  KafkaProperties props;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ":", line_number,
                       ": expected a librdkafka property as key=value"));
    }
    props.emplace_back(
        std::string(absl::StripAsciiWhitespace(line.substr(0, eq))),
        std::string(absl::StripAsciiWhitespace(line.substr(eq + 1))));
  }
  return props;
}

absl::StatusOr<KafkaProperties> LoadKafkaProperties(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read --kafka.config file ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseKafkaProperties(buffer.str(), path);
}

}  // namespace outcomes
