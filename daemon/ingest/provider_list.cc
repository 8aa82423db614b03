#include "daemon/ingest/provider_list.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/base/checked_file.h"
#include "daemon/ingest/event_decoder.h"

namespace outcomes {

absl::StatusOr<ProviderList> ParseProviderList(std::string_view text,
                                               std::string_view name) {
  ProviderList providers;
  const std::string file(name);
  int line_number = 0;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_number;
    line = line.substr(0, line.find('#'));
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (!IsValidIdentifier(std::string_view(line.data(), line.size()))) {
      // Shown at most 64 bytes of the line: the file is the operator's,
      // but a binary file must not flood the log.
      return absl::InvalidArgumentError(absl::StrCat(
          file, ":", line_number, ": '", line.substr(0, 64),
          "' is not a valid provider id (1-64 chars of [A-Za-z0-9._:-])"));
    }
    providers.insert(std::string(line));
  }
  if (providers.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file,
                     ": lists no provider id (one per line expected); an empty "
                     "allowlist would reject every event"));
  }
  return providers;
}

absl::StatusOr<ProviderList> LoadProviderList(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--providers.file: ", text.status().message()));
  }
  return ParseProviderList(*text, path);
}

}  // namespace outcomes
