// outcomesd's own --help and --version, answered before absl parses the
// command line (absl's --help lists only flags defined in main's file and
// exits 1; ours lists every flag of daemon/flags.cc and exits 0).
//
// The --help text is also the configuration reference: docs/configuration.md
// holds a copy that a test compares with the binary's output.
#ifndef OUTCOMESD_DAEMON_FLAG_REFERENCE_H_
#define OUTCOMESD_DAEMON_FLAG_REFERENCE_H_

#include <string>

namespace outcomes {

// "outcomesd 0.1.0", the CMake project version (daemon/build_info.h).
std::string VersionLine();

// Usage line, then every flag in dotted form ("--kafka.brokers"), sorted,
// with its default and help text.
std::string FlagReference();

// If argv holds --help (-h, -help, --helpfull) or --version (the version
// line with the git revision and compiler), returns the text to print on
// stdout (the caller exits 0); otherwise "".
std::string InfoRequested(int argc, char** argv);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_FLAG_REFERENCE_H_
