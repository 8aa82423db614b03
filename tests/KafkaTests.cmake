# add_kafka_aware_tests(PREFIX LABEL TIMEOUT FILES...)
# Registers each python test file with ctest. A file that talks to Kafka
# (it calls make_broker from tests/integration/harness.py) is registered
# twice, PREFIX.NAME.mock and PREFIX.NAME.real, with OUTCOMES_KAFKA=mock
# (librdkafka's mock cluster) or real (Apache Kafka 4.x, see
# tests/kafka/pom.xml); a file marked requires_real_kafka as PREFIX.NAME.real
# only; other files once, as PREFIX.NAME.
#   ctest -L kafka-real   # only the runs against the real broker
#   ctest -L kafka-mock
# No RESOURCE_LOCK between real-broker tests: with ctest -j2 at most two JVM
# brokers (512 MiB heap each) run at once. Measured on the 2-core machine,
# whole suite: 256 s without a lock, 284 s with RESOURCE_LOCK kafka_real
# (which serializes the real-broker tests into the critical path).
find_program(PYTHON3 python3 REQUIRED)
function(add_kafka_aware_tests prefix label timeout)
  foreach(test_file ${ARGN})
    get_filename_component(test_name ${test_file} NAME_WE)
    file(STRINGS ${test_file} uses_kafka REGEX "make_broker|KafkaBroker")
    file(STRINGS ${test_file} real_only REGEX "^@requires_real_kafka")
    set(env "OUTCOMES_BUILD_DIR=${PROJECT_BINARY_DIR}")
    if(uses_kafka)
      set(backends mock real)
      if(real_only)
        set(backends real)
      endif()
      foreach(backend ${backends})
        set(name ${prefix}.${test_name}.${backend})
        add_test(NAME ${name} COMMAND ${PYTHON3} -u ${test_file}
                 WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
        set_tests_properties(${name} PROPERTIES
          LABELS "${label};kafka-${backend}" TIMEOUT ${timeout}
          ENVIRONMENT "${env};OUTCOMES_KAFKA=${backend}")
      endforeach()
    else()
      add_test(NAME ${prefix}.${test_name} COMMAND ${PYTHON3} -u ${test_file}
               WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
      set_tests_properties(${prefix}.${test_name} PROPERTIES
        LABELS ${label} TIMEOUT ${timeout} ENVIRONMENT "${env}")
    endif()
  endforeach()
endfunction()
