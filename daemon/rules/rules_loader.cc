#include "daemon/rules/rules_loader.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/rules/goal_validator.h"
#include "daemon/rules/payment_validator.h"

namespace outcomes {
namespace {

namespace fs = std::filesystem;

bool IsYamlName(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

absl::Status AddDirectory(const std::string& dir,
                          std::vector<std::string>* out) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec) && IsYamlName(entry.path())) {
      out->push_back(entry.path().string());
    }
  }
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": cannot list directory: ", ec.message()));
  }
  return absl::OkStatus();
}

void ValidateContract(const v1::Contract& contract, const std::string& path,
                      const LineIndex& lines, const RuleSettings& settings,
                      std::vector<std::string>* errors, ContractSpec* spec) {
  auto fail = [&](absl::string_view field, absl::string_view why) {
    errors->push_back(lines.Error(absl::StrCat(path, ".", field), why));
  };
  spec->id = contract.id();
  spec->program = contract.program();
  spec->providers.assign(contract.providers().begin(),
                         contract.providers().end());
  spec->source = absl::StrCat(lines.file(), ":", lines.Line(path));
  if (contract.id().empty()) fail("id", "required");
  if (contract.program().empty()) fail("program", "required");
  if (contract.goals().empty() && !contract.has_payments()) {
    fail("goals", "a contract needs at least one goal or a payments block");
  }
  if (contract.has_payments()) {
    spec->payments =
        ValidatePayments(contract.payments(), absl::StrCat(path, ".payments"),
                         lines, settings, errors);
  }
  absl::flat_hash_set<std::string> providers;
  for (int i = 0; i < contract.providers_size(); ++i) {
    const std::string& p = contract.providers(i);
    const std::string field = absl::StrCat("providers[", i, "]");
    if (p.empty()) fail(field, "empty provider id");
    if (!providers.insert(p).second) {
      fail(field, absl::StrCat("duplicate provider \"", p, "\""));
    }
  }
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < contract.goals_size(); ++i) {
    const std::string goal_path = absl::StrCat(path, ".goals[", i, "]");
    GoalSpec goal = ValidateGoal(contract.goals(i), contract, goal_path, lines,
                                 settings, errors);
    if (!goal.name.empty() && !names.insert(goal.name).second) {
      errors->push_back(
          lines.Error(absl::StrCat(goal_path, ".name"),
                      absl::StrCat("duplicate goal name \"", goal.name,
                                   "\" in contract \"", contract.id(), "\"")));
    }
    spec->goals.push_back(std::move(goal));
  }
}

}  // namespace

absl::StatusOr<std::vector<std::string>> CollectRuleFiles(
    const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      return absl::NotFoundError(
          absl::StrCat(path, ": no such file or directory"));
    }
    if (fs::is_directory(st)) {
      if (absl::Status s = AddDirectory(path, &files); !s.ok()) return s;
    } else {
      files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  if (files.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no rule files (*.yaml, *.yml) in ", absl::StrJoin(paths, ", ")));
  }
  return files;
}

std::vector<std::string> ValidateRuleFile(const v1::RuleFile& file,
                                          const LineIndex& lines,
                                          const RuleSettings& settings,
                                          std::vector<ContractSpec>* out) {
  std::vector<std::string> errors;
  for (int i = 0; i < file.contracts_size(); ++i) {
    ContractSpec spec;
    ValidateContract(file.contracts(i), absl::StrCat("contracts[", i, "]"),
                     lines, settings, &errors, &spec);
    out->push_back(std::move(spec));
  }
  return errors;
}

absl::StatusOr<RuleSet> LoadRules(const std::vector<std::string>& paths,
                                  const RuleSettings& settings) {
  auto files = CollectRuleFiles(paths);
  if (!files.ok()) return files.status();
  RuleSet rules;
  rules.files = *files;
  std::vector<std::string> errors;
  for (const std::string& path : *files) {
    v1::RuleFile file;
    auto lines = LoadYamlFile(path, &file);
    if (!lines.ok()) {
      errors.push_back(std::string(lines.status().message()));
      continue;
    }
    std::vector<std::string> file_errors =
        ValidateRuleFile(file, *lines, settings, &rules.contracts);
    errors.insert(errors.end(), file_errors.begin(), file_errors.end());
  }
  absl::flat_hash_map<std::string, std::string> first_seen;  // id -> source
  for (const ContractSpec& c : rules.contracts) {
    if (c.id.empty()) continue;
    auto [it, inserted] = first_seen.emplace(c.id, c.source);
    if (!inserted) {
      errors.push_back(absl::StrCat(c.source, ": id: duplicate contract id \"",
                                    c.id, "\" (first defined at ", it->second,
                                    ")"));
    }
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  return rules;
}

}  // namespace outcomes
