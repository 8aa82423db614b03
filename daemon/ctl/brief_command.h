// outcomesctl brief: fetches a provider's meeting brief from a running
// outcomesd (GET /api/v1/briefs/{provider}) and writes it as JSON, or
// renders it as HTML or Markdown with the daemon's own renderer
// (daemon/brief/brief_render.h).
//
//   outcomesctl brief --url=URL --provider=ID [--program=P]
//       [--period=month|quarter] [--format=html|markdown|json] [--out=FILE]
//
// Exit status: 0 written; 1 the daemon answered an error (its reason is
// printed), could not be reached, or FILE could not be written; 2 usage.
#ifndef OUTCOMESD_DAEMON_CTL_BRIEF_COMMAND_H_
#define OUTCOMESD_DAEMON_CTL_BRIEF_COMMAND_H_

#include <string>
#include <vector>

namespace outcomes {

// `args` are the words after "brief".
int RunBriefCommand(const std::vector<std::string>& args);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_CTL_BRIEF_COMMAND_H_
