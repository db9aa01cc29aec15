# Who may include whom, checked before anything compiles (cmake -P, a build step of every room;
# src/CMakeLists.txt). A room may include itself and the rooms below it: its PMD_ROOM_<room>_DEPS
# and theirs, the same table its library links. An include of any other room fails the build,
# and so does a directory under src/ the table does not name (a new room has to say where it
# sits). Includes whose first part is no directory of src/ (generated headers such as
# pmd-glue/, other libraries) are not rooms and are left alone.
#
#   cmake -DPMD_SOURCE_DIR=<src> -DPMD_LAYERS_FILE=<table.cmake> -DPMD_STAMP=<file> -P check_layers.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var PMD_SOURCE_DIR PMD_LAYERS_FILE PMD_STAMP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_layers.cmake: -D${var}=... is missing")
  endif()
endforeach()
include(${PMD_LAYERS_FILE})  # PMD_ROOMS and PMD_ROOM_<room>_DEPS

# A string, not a list: the messages hold semicolons.
set(problems "")

# Every directory of src/ is a room of the table.
file(GLOB children RELATIVE ${PMD_SOURCE_DIR} LIST_DIRECTORIES true ${PMD_SOURCE_DIR}/*)
foreach(child IN LISTS children)
  if(IS_DIRECTORY ${PMD_SOURCE_DIR}/${child} AND NOT child IN_LIST PMD_ROOMS)
    string(APPEND problems "\n  src/${child}/: a directory that is no room of the table; add it to PMD_ROOMS with its PMD_ROOM_${child}_DEPS in src/CMakeLists.txt")
  endif()
endforeach()

# What each room may include: itself and everything below it.
foreach(room IN LISTS PMD_ROOMS)
  set(allowed ${room})
  set(todo ${PMD_ROOM_${room}_DEPS})
  while(todo)
    list(POP_FRONT todo dep)
    if(NOT dep IN_LIST PMD_ROOMS)
      string(APPEND problems "\n  src/CMakeLists.txt: PMD_ROOM_${room}_DEPS names ${dep}, which is no room")
    elseif(NOT dep IN_LIST allowed)
      list(APPEND allowed ${dep})
      list(APPEND todo ${PMD_ROOM_${dep}_DEPS})
    endif()
  endwhile()
  list(SORT allowed)
  set(allowed_${room} ${allowed})
endforeach()

file(GLOB_RECURSE sources RELATIVE ${PMD_SOURCE_DIR} ${PMD_SOURCE_DIR}/*.h ${PMD_SOURCE_DIR}/*.cc ${PMD_SOURCE_DIR}/*.c)
list(SORT sources)
foreach(source IN LISTS sources)
  string(REGEX MATCH "^[^/]+" room "${source}")
  if(room STREQUAL source OR NOT room IN_LIST PMD_ROOMS)
    continue()  # src/ itself, or a directory already reported above
  endif()
  file(STRINGS ${PMD_SOURCE_DIR}/${source} includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"/]+/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" header "${line}")
    string(REGEX MATCH "^[^/]+" target_room "${header}")
    if(NOT IS_DIRECTORY ${PMD_SOURCE_DIR}/${target_room} OR target_room IN_LIST allowed_${room})
      continue()
    endif()
    list(JOIN allowed_${room} " " may)
    string(APPEND problems "\n  src/${source}: ${room} may include only ${may}; it includes ${header}")
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "Rooms include only the rooms below them (docs/architecture.md, \"Who may include whom\"):${problems}\n")
endif()
file(TOUCH ${PMD_STAMP})
