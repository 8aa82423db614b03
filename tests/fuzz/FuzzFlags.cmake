# Compiler flags of the fuzz build (-DOUTCOMES_FUZZ=ON, clang only): every
# library is built with coverage instrumentation for libFuzzer and with
# AddressSanitizer + UndefinedBehaviorSanitizer; the targets add the libFuzzer
# runtime at link time (tests/fuzz/CMakeLists.txt). Tests and benchmarks are
# not built: only what the targets link.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "OUTCOMES_FUZZ needs clang (CXX=clang++-14), not "
                      "${CMAKE_CXX_COMPILER_ID}")
endif()
set(OUTCOMES_BUILD_TESTS OFF)
set(OUTCOMES_BUILD_BENCH OFF)
# Any UB report is a crash (libFuzzer keeps the input), not a warning.
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                    -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
