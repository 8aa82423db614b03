#include "tests/fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>

#include "google/protobuf/stubs/logging.h"

namespace outcomes::fuzz {

void InvariantFailed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "invariant failed: %s at %s:%d\n", what, file, line);
  std::abort();
}

void SilenceProtobufLogging() { google::protobuf::SetLogHandler(nullptr); }

}  // namespace outcomes::fuzz
