#include "daemon/build_info.h"

#include "daemon/build_version.h"  // generated: OUTCOMES_VERSION, _REVISION
#include "prometheus/family.h"
#include "prometheus/gauge.h"

namespace outcomes {

const char* BuildVersion() { return OUTCOMES_VERSION; }

const char* BuildRevision() { return OUTCOMES_REVISION; }

const char* BuildCompiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

void RegisterBuildInfo(prometheus::Registry& registry) {
  prometheus::BuildGauge()
      .Name("outcomes_build_info")
      .Help("Always 1; the labels say which build of outcomesd this is.")
      .Register(registry)
      .Add({{"version", BuildVersion()},
            {"revision", BuildRevision()},
            {"compiler", BuildCompiler()}})
      .Set(1);
}

}  // namespace outcomes
