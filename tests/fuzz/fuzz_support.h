// Helpers shared by the libFuzzer targets of tests/fuzz.
//
// FUZZ_CHECK(cond) aborts with the failed condition when an invariant does
// not hold: libFuzzer then reports a crash and keeps the input, exactly as
// for a sanitizer finding. Unlike assert() it is never compiled out.
#ifndef OUTCOMESD_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define OUTCOMESD_TESTS_FUZZ_FUZZ_SUPPORT_H_

namespace outcomes::fuzz {

// Prints "invariant failed: <what> at <file>:<line>" to stderr and aborts.
[[noreturn]] void InvariantFailed(const char* what, const char* file, int line);

// Drops libprotobuf's log output (it prints "[libprotobuf ERROR ...]" for
// every invalid UTF-8 string, which would flood the fuzzer's output). Call
// once, from LLVMFuzzerInitialize.
void SilenceProtobufLogging();

}  // namespace outcomes::fuzz

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) ::outcomes::fuzz::InvariantFailed(#cond, __FILE__, __LINE__); \
  } while (false)

#endif  // OUTCOMESD_TESTS_FUZZ_FUZZ_SUPPORT_H_
