#include "daemon/rules/yaml_proto.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "daemon/base/json.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace outcomes {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

// True when `s` is well-formed UTF-8 (RFC 3629: shortest form, no
// surrogates, at most U+10FFFF). protobuf's JSON parser rejects anything
// else with a message that quotes the raw bytes over several lines, so the
// walker reports it first, without the bytes.
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int extra = c < 0x80         ? 0
                      : (c >> 5) == 6  ? 1
                      : (c >> 4) == 14 ? 2
                      : (c >> 3) == 30 ? 3
                                       : -1;
    if (extra < 0 || s.size() - i <= static_cast<size_t>(extra)) return false;
    uint32_t cp = extra == 0 ? c : c & (0x3f >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += 1 + extra;
  }
  return true;
}

std::string Join(absl::string_view parent, absl::string_view name) {
  return parent.empty() ? std::string(name) : absl::StrCat(parent, ".", name);
}

// The field a YAML key names: its proto name, unless the field has an
// explicit json_name (then only that).
const FieldDescriptor* FieldForKey(const Descriptor* d,
                                   const std::string& key) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string& spelling =
        f->has_json_name() ? f->json_name() : f->name();
    if (spelling == key) return f;
  }
  return nullptr;
}

// "min, max": the YAML keys of the oneof `f` belongs to.
std::string OneofFields(const FieldDescriptor* f) {
  std::string out;
  const google::protobuf::OneofDescriptor* o = f->real_containing_oneof();
  for (int i = 0; o != nullptr && i < o->field_count(); ++i) {
    const FieldDescriptor* g = o->field(i);
    absl::StrAppend(&out, i == 0 ? "" : ", ",
                    g->has_json_name() ? g->json_name() : g->name());
  }
  return out;
}

// The key of another set field of `f`'s oneof that comes before `f` in
// `node`, or "" (also when `f` is in no oneof).
std::string OneofSibling(const FieldDescriptor* f, const YAML::Node& node) {
  const google::protobuf::OneofDescriptor* o = f->real_containing_oneof();
  if (o == nullptr) return "";
  const Descriptor* d = f->containing_type();
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const FieldDescriptor* g = FieldForKey(d, key);
    if (g == f) return "";
    if (g != nullptr && g->real_containing_oneof() == o &&
        !kv.second.IsNull()) {
      return key;
    }
  }
  return "";
}

// Walks YAML and builds the JSON value of the message, collecting errors.
// Parts with errors become null or empty: the value is only used when there
// are none.
class Walker {
 public:
  explicit Walker(LineIndex* lines) : lines_(lines) {}

  Json Message(const YAML::Node& node, const Descriptor* d,
               const std::string& path);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  void Fail(const std::string& path, int line, absl::string_view why) {
    lines_->Set(path, line);
    errors_.push_back(lines_->Error(path, why));
  }
  // The key of a mapping entry, or nullopt (after Fail) when it is not
  // valid UTF-8.
  std::optional<std::string> Key(const YAML::Node& key,
                                 const std::string& path);
  Json Field(const YAML::Node& node, const FieldDescriptor* f,
             const std::string& path);
  Json Map(const YAML::Node& node, const FieldDescriptor* f,
           const std::string& path);
  Json Value(const YAML::Node& node, const FieldDescriptor* f,
             const std::string& path);
  Json Scalar(const YAML::Node& node, const FieldDescriptor* f,
              const std::string& path);
  Json Number(const std::string& text, const FieldDescriptor* f,
              const std::string& path, int line);

  LineIndex* lines_;
  std::vector<std::string> errors_;
};

std::optional<std::string> Walker::Key(const YAML::Node& key,
                                       const std::string& path) {
  std::string text = key.Scalar();
  if (!IsValidUtf8(text)) {
    Fail(path, LineOf(key), "key is not valid UTF-8");
    return std::nullopt;
  }
  return text;
}

Json Walker::Message(const YAML::Node& node, const Descriptor* d,
                     const std::string& path) {
  Json json = Json::object();
  if (!node.IsMap()) {
    Fail(path, LineOf(node), "expected a mapping of fields");
    return json;
  }
  absl::flat_hash_set<std::string> seen;
  for (const auto& kv : node) {
    const std::optional<std::string> key = Key(kv.first, path);
    if (!key) continue;
    const std::string field_path = Join(path, *key);
    const FieldDescriptor* f = FieldForKey(d, *key);
    if (f == nullptr) {
      Fail(field_path, LineOf(kv.first), "unknown field");
      continue;
    }
    if (!seen.insert(*key).second) {
      Fail(field_path, LineOf(kv.first), "duplicate key");
      continue;
    }
    if (const std::string other = OneofSibling(f, node); !other.empty()) {
      Fail(field_path, LineOf(kv.first),
           absl::StrCat("only one of ", OneofFields(f), " may be set (", other,
                        " is set too)"));
      continue;
    }
    lines_->Set(field_path, LineOf(kv.first));
    if (kv.second.IsNull()) continue;  // "key:" or "key: ~" = not set
    json[f->name()] = Field(kv.second, f, field_path);
  }
  return json;
}

Json Walker::Field(const YAML::Node& node, const FieldDescriptor* f,
                   const std::string& path) {
  if (f->is_map()) return Map(node, f, path);
  if (!f->is_repeated()) return Value(node, f, path);
  Json json = Json::array();
  if (!node.IsSequence()) {
    Fail(path, LineOf(node), "expected a list");
    return json;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = absl::StrCat(path, "[", i, "]");
    lines_->Set(item_path, LineOf(node[i]));
    json.push_back(Value(node[i], f, item_path));
  }
  return json;
}

Json Walker::Map(const YAML::Node& node, const FieldDescriptor* f,
                 const std::string& path) {
  Json json = Json::object();
  if (!node.IsMap()) {
    Fail(path, LineOf(node), "expected a mapping");
    return json;
  }
  const FieldDescriptor* value_field = f->message_type()->map_value();
  for (const auto& kv : node) {
    const std::optional<std::string> key = Key(kv.first, path);
    if (!key) continue;
    const std::string entry_path = Join(path, *key);
    if (json.contains(*key)) {
      Fail(entry_path, LineOf(kv.first), "duplicate key");
      continue;
    }
    lines_->Set(entry_path, LineOf(kv.first));
    json[*key] = Value(kv.second, value_field, entry_path);
  }
  return json;
}

Json Walker::Value(const YAML::Node& node, const FieldDescriptor* f,
                   const std::string& path) {
  if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
    return Message(node, f->message_type(), path);
  }
  if (!node.IsScalar()) {
    Fail(path, LineOf(node),
         absl::StrCat("expected a ", f->type_name(), " value"));
    return nullptr;
  }
  return Scalar(node, f, path);
}

Json Walker::Scalar(const YAML::Node& node, const FieldDescriptor* f,
                    const std::string& path) {
  const std::string& text = node.Scalar();
  if (!IsValidUtf8(text)) {
    Fail(path, LineOf(node), "not valid UTF-8");
    return nullptr;
  }
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
    case FieldDescriptor::CPPTYPE_ENUM:
      return text;
    case FieldDescriptor::CPPTYPE_BOOL: {
      const std::string lower = absl::AsciiStrToLower(text);
      if (lower != "true" && lower != "false") {
        Fail(path, LineOf(node),
             absl::StrCat("expected true or false, got \"", text, "\""));
      }
      return lower == "true";
    }
    default:
      return Number(text, f, path, LineOf(node));
  }
}

Json Walker::Number(const std::string& text, const FieldDescriptor* f,
                    const std::string& path, int line) {
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE ||
      f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
    double v = 0;
    if (!absl::SimpleAtod(text, &v) || !std::isfinite(v)) {
      Fail(path, line, absl::StrCat("expected a number, got \"", text, "\""));
      return nullptr;
    }
    return v;
  }
  int64_t v = 0;
  const bool is_unsigned = f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ||
                           f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
  if (!absl::SimpleAtoi(text, &v) || (is_unsigned && v < 0)) {
    Fail(path, line, absl::StrCat("expected an integer, got \"", text, "\""));
    return nullptr;
  }
  return v;
}

// `text` (a path or message quoting keys and values of the file) with
// control characters escaped, so that each error stays on one line.
std::string OneLine(absl::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    } else {
      out += c;
    }
  }
  return out;
}

absl::StatusOr<YAML::Node> ParseYaml(absl::string_view yaml,
                                     const std::string& file) {
  try {
    return YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        file, ":", e.mark.line + 1, ": YAML syntax error: ", OneLine(e.msg)));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": YAML error: ", OneLine(e.what())));
  }
}

}  // namespace

int LineIndex::Line(absl::string_view path) const {
  std::string p(path);
  while (!p.empty()) {
    auto it = lines_.find(p);
    if (it != lines_.end()) return it->second;
    const size_t cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p.resize(cut);
  }
  return 1;
}

std::string LineIndex::Error(absl::string_view path,
                             absl::string_view why) const {
  if (path.empty()) {
    return absl::StrCat(file_, ":", Line(path), ": ", OneLine(why));
  }
  return absl::StrCat(file_, ":", Line(path), ": ", OneLine(path), ": ",
                      OneLine(why));
}

absl::StatusOr<LineIndex> YamlToProto(absl::string_view yaml,
                                      const std::string& file,
                                      google::protobuf::Message* out) {
  auto root = ParseYaml(yaml, file);
  if (!root.ok()) return root.status();
  LineIndex lines(file);
  out->Clear();
  if (root->IsNull()) return lines;
  Json json;
  Walker walker(&lines);
  try {
    json = walker.Message(*root, out->GetDescriptor(), "");
  } catch (const std::exception& e) {  // yaml-cpp on malformed trees
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": ", OneLine(e.what())));
  }
  if (!walker.errors().empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(walker.errors(), "\n"));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(DumpJson(json), out, options);
  if (!status.ok()) {
    // Its first line: the rest quotes the JSON, not the file.
    const absl::string_view why(status.message().data(),
                                status.message().size());
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": ", why.substr(0, why.find('\n'))));
  }
  return lines;
}

absl::StatusOr<LineIndex> LoadYamlFile(const std::string& path,
                                       google::protobuf::Message* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return YamlToProto(buffer.str(), path, out);
}

}  // namespace outcomes
