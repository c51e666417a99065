# Shared build helpers.
#
# The core library is split into one static library per module folder
# (lib/core/src/<module>), so a module's tests and benchmarks build only what they
# use; `anomstream::core` links them all.

# anomstream_core_module(<module> [DEPENDS <module>...])
#   Builds lib/core/src/<module>/*.cpp into anomstream_core_<module>
#   (alias anomstream::core::<module>). A module without .cpp files is header-only.
function(anomstream_core_module module)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  set(target anomstream_core_${module})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/lib/core/src/${module}/*.cpp)
  if(sources)
    add_library(${target} STATIC ${sources})
    set(scope PUBLIC)
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  target_include_directories(${target} ${scope} ${PROJECT_SOURCE_DIR}/lib/core/include)
  target_link_libraries(${target} ${scope} anomstream_core_base)
  foreach(dep IN LISTS ARG_DEPENDS)
    target_link_libraries(${target} ${scope} anomstream_core_${dep})
  endforeach()
  add_library(anomstream::core::${module} ALIAS ${target})
  set_property(GLOBAL APPEND PROPERTY ANOMSTREAM_CORE_MODULES ${target})
endfunction()

# anomstream_unit_test(<name> LIBS <targets...>)
#   Builds tests/unit/<name>/*.cpp plus the shared doctest main into unit_<name>
#   and registers it with ctest under the label `unit`; the target `unit_tests` builds
#   them all.
function(anomstream_unit_test name)
  cmake_parse_arguments(ARG "" "" "LIBS;LABELS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/tests/unit/${name}/*.cpp)
  if(NOT sources)
    return()
  endif()
  add_executable(unit_${name} ${sources})
  if(NOT TARGET unit_tests)
    add_custom_target(unit_tests)
  endif()
  add_dependencies(unit_tests unit_${name})
  target_link_libraries(unit_${name} PRIVATE anomstream_test_main ${ARG_LIBS})
  add_test(NAME unit_${name} COMMAND unit_${name}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(unit_${name} PROPERTIES LABELS "unit;${ARG_LABELS}"
                       ENVIRONMENT "ANOMSTREAM_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# anomstream_bench(<name> LIBS <targets...>)
#   Builds bench/<name>/*.cpp into bench_<name> with Google Benchmark's main.
function(anomstream_bench name)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/bench/${name}/*.cpp)
  if(NOT sources)
    return()
  endif()
  add_executable(bench_${name} ${sources})
  target_link_libraries(bench_${name} PRIVATE benchmark::benchmark benchmark::benchmark_main ${ARG_LIBS})
endfunction()

# anomstream_embed_text(<output.cpp> <input> <namespace> <symbol>)
#   Compiles a text file into a `std::string_view` constant.
function(anomstream_embed_text out input ns symbol)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${out} -DNAMESPACE=${ns} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedText.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/EmbedText.cmake
    COMMENT "Embedding ${input}")
endfunction()
