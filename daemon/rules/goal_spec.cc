#include "daemon/rules/goal_spec.h"

#include <algorithm>

namespace outcomes {

bool ContractSpec::AppliesTo(const std::string& provider,
                             const std::string& program_id) const {
  if (program_id != program) return false;
  return providers.empty() || std::find(providers.begin(), providers.end(),
                                        provider) != providers.end();
}

int RuleSet::num_goals() const {
  int n = 0;
  for (const ContractSpec& c : contracts) n += static_cast<int>(c.goals.size());
  return n;
}

}  // namespace outcomes
