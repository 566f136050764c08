# fovea_module(NAME <module> [DEPS ...] [PUBLIC_LIBS ...]): one static library per module of src/.
# Sources are the module folder's *.cpp (CUDA sources live only in src/backend/cuda and are added there).
# DEPS are other fovea modules; only those may be included, which enforces design.md's arrows.
function(fovea_module)
  cmake_parse_arguments(M "" "NAME" "DEPS;PUBLIC_LIBS;PRIVATE_LIBS;EXCLUDE_DIRS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  foreach(dir IN LISTS M_EXCLUDE_DIRS)
    list(FILTER sources EXCLUDE REGEX "${CMAKE_CURRENT_SOURCE_DIR}/${dir}/")
  endforeach()
  set(deps)
  foreach(dep IN LISTS M_DEPS)
    list(APPEND deps fovea_${dep})
  endforeach()
  if(NOT sources)
    # A module whose first sources have not landed yet: keep its place in the graph.
    add_library(fovea_${M_NAME} INTERFACE)
    target_include_directories(fovea_${M_NAME} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(fovea_${M_NAME} INTERFACE ${deps} ${M_PUBLIC_LIBS})
    return()
  endif()
  add_library(fovea_${M_NAME} STATIC ${sources})
  target_include_directories(fovea_${M_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(fovea_${M_NAME} PUBLIC ${deps} ${M_PUBLIC_LIBS} PRIVATE fovea_flags ${M_PRIVATE_LIBS})
endfunction()
