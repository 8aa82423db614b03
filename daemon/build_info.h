// What was built: the project version (CMake's project(VERSION)) and the
// git revision the build was configured from ("unknown" outside a git
// checkout). Both are fixed at configure time, so a build is reproducible
// from the same tree and configuration.
//
// Exported as the conventional info gauge
//   outcomes_build_info{version,revision,compiler} = 1
#ifndef OUTCOMESD_DAEMON_BUILD_INFO_H_
#define OUTCOMESD_DAEMON_BUILD_INFO_H_

#include "prometheus/registry.h"

namespace outcomes {

// e.g. "0.1.0".
const char* BuildVersion();
// The git commit (12 hex digits) HEAD was at when CMake configured the
// build, or "unknown". Re-running CMake refreshes it.
const char* BuildRevision();
// The compiler and its version, e.g. "gcc 12.2.0".
const char* BuildCompiler();

// Registers outcomes_build_info on `registry` (which must outlive every
// scrape). Call once per registry.
void RegisterBuildInfo(prometheus::Registry& registry);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BUILD_INFO_H_
