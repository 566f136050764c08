# Compiler flags shared by every fovea target: warnings as errors, optional sanitizers and fuzzing.
add_library(fovea_flags INTERFACE)
target_compile_options(fovea_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Werror -Wno-missing-field-initializers>)

# Debug information. Every test executable links the whole library stack, so full -g made one build 3-7 GB and
# filled the CI machine's disk; line tables (-g1) keep file:line in backtraces and sanitizer reports at a third
# of the size. FOVEA_DEBUG_INFO=full restores gdb's locals and types. GCC and clang take the last -g level, and
# target options come after CMAKE_CXX_FLAGS_<CONFIG>, so this overrides the build type's -g.
set(FOVEA_DEBUG_INFO "lines" CACHE STRING "Debug information: lines (-g1, the default) or full (-g)")
set_property(CACHE FOVEA_DEBUG_INFO PROPERTY STRINGS lines full)
if(FOVEA_DEBUG_INFO STREQUAL "lines")
  target_compile_options(fovea_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:$<$<CONFIG:RelWithDebInfo,Debug>:-g1>>)
elseif(NOT FOVEA_DEBUG_INFO STREQUAL "full")
  message(FATAL_ERROR "FOVEA_DEBUG_INFO is '${FOVEA_DEBUG_INFO}': use lines or full")
endif()
if(FOVEA_SANITIZE)
  target_compile_options(fovea_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined>)
  target_link_options(fovea_flags INTERFACE -fsanitize=address,undefined)
endif()
if(FOVEA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FOVEA_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  target_compile_options(fovea_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer>)
  target_link_options(fovea_flags INTERFACE -fsanitize=address,undefined)
endif()
