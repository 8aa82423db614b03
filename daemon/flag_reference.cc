#include "daemon/flag_reference.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "daemon/build_info.h"

namespace outcomes {
namespace {

struct Entry {
  std::string name;  // dotted, with the leading "--"
  std::string default_value;
  std::string help;
};

// Our flags' help texts start with their dotted name: "--kafka.brokers: ...".
Entry EntryOf(const absl::CommandLineFlag& flag) {
  Entry e{absl::StrCat("--", flag.Name()), flag.DefaultValue(), flag.Help()};
  const size_t colon = e.help.find(": ");
  if (absl::StartsWith(e.help, "--") && colon != std::string::npos) {
    e.name = e.help.substr(0, colon);
    e.help = e.help.substr(colon + 2);
  }
  return e;
}

std::vector<Entry> OurFlags() {
  std::vector<Entry> out;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), "daemon/flags.cc")) {
      out.push_back(EntryOf(*flag));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return out;
}

}  // namespace

std::string VersionLine() { return absl::StrCat("outcomesd ", BuildVersion()); }

std::string FlagReference() {
  std::string out = absl::StrCat(
      VersionLine(),
      "\n\nUsage: outcomesd --kafka.brokers=HOST:PORT[,...] "
      "--kafka.topics=TOPIC[,...] --rules=PATH[,...] [flags]\n\n"
      "Flags (dotted names; --name_with_underscores is accepted too):\n");
  for (const Entry& e : OurFlags()) {
    absl::StrAppend(&out, "\n  ", e.name, "  (default: \"", e.default_value,
                    "\")\n      ",
                    absl::StrReplaceAll(e.help, {{"\n", "\n      "}}), "\n");
  }
  absl::StrAppend(&out,
                  "\n  --help      this text\n  --version   the version\n");
  return out;
}

std::string InfoRequested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h" || arg == "-help" ||
        arg == "--helpfull") {
      return FlagReference();
    }
    if (arg == "--version") {
      return absl::StrCat(VersionLine(), " (revision ", BuildRevision(), ", ",
                          BuildCompiler(), ")\n");
    }
  }
  return "";
}

}  // namespace outcomes
