// Strict YAML -> JSON -> proto loading for config files (docs/design.md, "Parts
// and layers").
//
// The YAML tree is walked together with the message descriptor: a key that
// is not a field (its proto name, or its explicit json_name such as `for`),
// a duplicate key, or a value of the wrong shape is an error naming the
// file, the line and the field path, e.g.
//   rules/workforce.yaml:14: contracts[0].goals[2].windw: unknown field
// The YAML is then written as JSON and parsed with
// google::protobuf::util::JsonStringToMessage (unknown fields rejected).
// yaml-cpp exceptions never leave this file.
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_RULES_YAML_PROTO_H_
#define OUTCOMESD_DAEMON_RULES_YAML_PROTO_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace outcomes {

// Where each field of a loaded file was written: field path (as in error
// messages, e.g. "contracts[0].goals[1].min") -> 1-based line.
class LineIndex {
 public:
  explicit LineIndex(std::string file = "") : file_(std::move(file)) {}
  void Set(const std::string& path, int line) { lines_[path] = line; }
  // Line of `path`, else of its closest recorded parent, else 1.
  int Line(absl::string_view path) const;
  // "file:line: path: why" — the format of every config error.
  std::string Error(absl::string_view path, absl::string_view why) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  absl::flat_hash_map<std::string, int> lines_;
};

// Parses `yaml` (the contents of `file`, used in messages) into `*out`.
// All shape errors are reported, one per line of the InvalidArgument
// message. An empty document yields an empty message. REQUIRES: out != null.
absl::StatusOr<LineIndex> YamlToProto(absl::string_view yaml,
                                      const std::string& file,
                                      google::protobuf::Message* out);

// Reads `path` and calls YamlToProto. NotFound/InvalidArgument on errors.
absl::StatusOr<LineIndex> LoadYamlFile(const std::string& path,
                                       google::protobuf::Message* out);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_YAML_PROTO_H_
