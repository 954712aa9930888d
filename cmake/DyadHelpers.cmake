# One helper per kind of target, so every library and test is declared the same way.
include_guard(GLOBAL)

# Warnings as an INTERFACE target: every dyad target links it privately.
add_library(dyad_warnings INTERFACE)
target_compile_options(dyad_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  # Designated initializers that leave members to their default initializers are the point.
  -Wno-missing-field-initializers
  $<$<BOOL:${DYAD_WERROR}>:-Werror>)

# dyad_cc_library(<name> SRCS ... DEPS ... PRIVATE_DEPS ...)
#   Defines dyad_<name> and its alias dyad::<name>; public headers in include/dyad/<name>/.
function(dyad_cc_library name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(dyad_${name} ${A_SRCS})
  add_library(dyad::${name} ALIAS dyad_${name})
  target_include_directories(dyad_${name} PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/include")
  target_link_libraries(dyad_${name} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS} dyad_warnings)
  target_compile_features(dyad_${name} PUBLIC cxx_std_20)
endfunction()

# dyad_test(<name> SRCS ... DEPS ... LABELS unit|integration|kafka|e2e [TIMEOUT s])
#   A GoogleTest executable whose tests are registered with CTest under the given labels.
# dyad_test(name SRCS ... DEPS ... LABELS ... [TIMEOUT s] [ONE_PROCESS]): a GoogleTest binary,
# each test case its own ctest test; with ONE_PROCESS the whole binary is one ctest test (for
# table-driven suites whose shared fixture, e.g. a loaded coder, costs more than the cases).
function(dyad_test name)
  cmake_parse_arguments(A "ONE_PROCESS" "TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  add_executable(${name} ${A_SRCS})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest_main GTest::gmock dyad_warnings)
  target_compile_definitions(${name} PRIVATE
    DYAD_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    DYAD_BINARY_DIR="${PROJECT_BINARY_DIR}"
    DYAD_SHARED_DIR="${DYAD_SHARED_DIR}")
  if(A_ONE_PROCESS)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT})
    return()
  endif()
  gtest_discover_tests(${name}
    # Index, not printed value, in parameterised test names: values may hold pointers.
    NO_PRETTY_VALUES
    PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
