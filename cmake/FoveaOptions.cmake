# Compiler flags shared by every fovea target: warnings as errors, optional sanitizers and fuzzing.
add_library(fovea_flags INTERFACE)
target_compile_options(fovea_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Werror -Wno-missing-field-initializers>)
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
