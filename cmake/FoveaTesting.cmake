# Test helpers: GoogleTest executables and fuzz targets.
# FOVEA_SHARED_ASSETS points tests at ../shared/assets (tests may read it; the product never does).
include(GoogleTest)
set(FOVEA_SHARED_ASSETS_DIR "${PROJECT_SOURCE_DIR}/../shared/assets" CACHE PATH "Shared test assets")

# `make test-sanitize` runs only the unit and fuzz labels: this target builds just what they need, so the
# sanitizer build skips the golden, GPU and benchmark executables (time and disk on the 2-core CI machine).
if(NOT TARGET fovea_unit_and_fuzz_tests)
  add_custom_target(fovea_unit_and_fuzz_tests)
endif()

function(fovea_test_definitions target)
  target_compile_definitions(${target} PRIVATE
    FOVEA_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    FOVEA_SHARED_ASSETS="${FOVEA_SHARED_ASSETS_DIR}"
    FOVEA_BINARY_DIR="${PROJECT_BINARY_DIR}")
endfunction()

# fovea_add_gtest(NAME <name> LABEL <unit|golden|ops> SOURCES ... LIBS ...)
function(fovea_add_gtest)
  cmake_parse_arguments(T "" "NAME;LABEL" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock fovea_flags)
  fovea_test_definitions(${T_NAME})
  gtest_discover_tests(${T_NAME} PROPERTIES LABELS ${T_LABEL} DISCOVERY_TIMEOUT 60)
  if(T_LABEL STREQUAL "unit")
    add_dependencies(fovea_unit_and_fuzz_tests ${T_NAME})
  endif()
endfunction()

# fovea_add_fuzzer(NAME <name> SOURCES ... LIBS ... CORPUS <dir>)
# With FOVEA_FUZZ: a libFuzzer binary. Otherwise: the same entry point linked with a replay driver that runs
# every file of the corpus (seeds and named regression inputs) once, registered as a ctest labelled "fuzz".
function(fovea_add_fuzzer)
  cmake_parse_arguments(F "" "NAME;CORPUS" "SOURCES;LIBS" ${ARGN})
  add_executable(${F_NAME} ${F_SOURCES})
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS} fovea_flags)
  fovea_test_definitions(${F_NAME})
  add_dependencies(fovea_unit_and_fuzz_tests ${F_NAME})
  if(FOVEA_FUZZ)
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    # scripts/run-fuzzers.sh reads the list of fuzzers and their seed corpora from fuzzers.txt.
    set_property(GLOBAL APPEND PROPERTY FOVEA_FUZZERS "$<TARGET_FILE:${F_NAME}> ${F_CORPUS}")
  else()
    target_sources(${F_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
    add_test(NAME ${F_NAME}_replay COMMAND ${F_NAME} ${F_CORPUS})
    set_tests_properties(${F_NAME}_replay PROPERTIES LABELS fuzz)
  endif()
endfunction()

# Adds every child folder of the current source dir that has a CMakeLists.txt.
function(fovea_add_child_dirs)
  file(GLOB children LIST_DIRECTORIES true CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*)
  foreach(child IN LISTS children)
    if(IS_DIRECTORY ${child} AND EXISTS ${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()

# Writes build/fuzzers.txt: one "<fuzzer binary> <seed corpus dir>" line per fuzz target (FOVEA_FUZZ builds).
function(fovea_write_fuzzer_list)
  get_property(fuzzers GLOBAL PROPERTY FOVEA_FUZZERS)
  list(JOIN fuzzers "\n" lines)
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/fuzzers.txt CONTENT "${lines}\n")
endfunction()
