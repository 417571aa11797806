# ingot_add_model: compile an ONNX model at build time into a library target.
#
#   include(path/to/ingot/cmake/IngotModel.cmake)
#   ingot_add_model(dit models/dit/model.onnx
#                   [NAME dit]                 # C name prefix (default: the target name)
#                   [ISA native]               # --target: native | x86-64-avx512 | x86-64-avx2
#                   [BATCH 2]                  # --batch
#                   [BUCKETS "x=1x4x32x32" "x=1x4x64x64"]   # --bucket, one per entry
#                   [EMBED_WEIGHTS]            # weights compiled in: no .weights file
#                   [OPTIONS -O2 ...])         # anything else for `ingot compile`
#   target_link_libraries(app PRIVATE dit)    # gives dit.h (include path) and the libraries
#
# Produces ${CMAKE_CURRENT_BINARY_DIR}/ingot/<NAME>/ with NAME.h, libNAME.a,
# NAME.weights, ingot_rt.h and libingot_rt.a, and sets <target>_WEIGHTS to the
# weights file's path.  The ingot program is the `ingot` target when this is
# used inside the ingot project, else INGOT_EXECUTABLE or `ingot` on PATH.
include_guard(GLOBAL)
find_package(Threads REQUIRED)

function(ingot_add_model target model)
  cmake_parse_arguments(ARG "EMBED_WEIGHTS" "NAME;ISA;BATCH" "BUCKETS;OPTIONS" ${ARGN})
  if(NOT ARG_NAME)
    set(ARG_NAME ${target})
  endif()
  if(NOT ARG_ISA)
    set(ARG_ISA native)
  endif()
  get_filename_component(model_abs ${model} ABSOLUTE)
  if(TARGET ingot)
    set(ingot_exe $<TARGET_FILE:ingot>)
    set(ingot_dep ingot ingot_rt)
  else()
    if(NOT INGOT_EXECUTABLE)
      find_program(INGOT_EXECUTABLE ingot REQUIRED)
    endif()
    set(ingot_exe ${INGOT_EXECUTABLE})
    set(ingot_dep)
  endif()
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/ingot/${ARG_NAME})
  set(args ${model_abs} -o ${dir}/${ARG_NAME} --target ${ARG_ISA})
  if(ARG_BATCH)
    list(APPEND args --batch ${ARG_BATCH})
  endif()
  foreach(b ${ARG_BUCKETS})
    list(APPEND args --bucket ${b})
  endforeach()
  set(outputs ${dir}/${ARG_NAME}.h ${dir}/lib${ARG_NAME}.a ${dir}/libingot_rt.a ${dir}/ingot_rt.h)
  if(ARG_EMBED_WEIGHTS)
    list(APPEND args --embed-weights)
  else()
    list(APPEND outputs ${dir}/${ARG_NAME}.weights)
  endif()
  list(APPEND args ${ARG_OPTIONS})
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${ingot_exe} compile ${args}
    DEPENDS ${model_abs} ${ingot_dep}
    COMMENT "ingot: compiling ${model} -> ${ARG_NAME}"
    VERBATIM)
  add_custom_target(${target}_compile DEPENDS ${outputs})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_compile)
  target_include_directories(${target} INTERFACE ${dir})
  target_link_libraries(${target} INTERFACE ${dir}/lib${ARG_NAME}.a ${dir}/libingot_rt.a m Threads::Threads)
  set(${target}_WEIGHTS ${dir}/${ARG_NAME}.weights PARENT_SCOPE)
endfunction()
