# Writes a C++ source that defines `std::string_view NAME()` in NAMESPACE, returning the
# bytes of INPUT. Run as a script at build time:
#   cmake -DINPUT=file -DOUTPUT=file.cpp -DHEADER=dir/name.h -DNAMESPACE=ns -DNAME=fn
#         -P EmbedFile.cmake
# The bytes become a char array rather than a string literal: compilers cap the length of
# a literal (MSVC at 16 KiB of pieces, and C++ only promises 65536 characters), not of an
# array.
foreach(variable INPUT OUTPUT HEADER NAMESPACE NAME)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "EmbedFile.cmake: -D${variable}=... is required")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
file(SIZE "${INPUT}" size)
# Sixteen bytes a line keeps the generated file readable in a debugger.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
# (CMake's regular expressions have no {n}: the group is written out sixteen times.)
string(REPEAT "'[^']+'," 16 line)
string(REGEX REPLACE "(${line})" "\\1\n    " bytes "${bytes}")

file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/EmbedFile.cmake; do not edit.\n"
  "#include \"${HEADER}\"\n\n"
  "namespace ${NAMESPACE} {\n"
  "namespace {\n\n"
  "constexpr char kBytes[] = {\n    ${bytes}'\\0'};\n\n"
  "}  // namespace\n\n"
  "std::string_view ${NAME}() {\n"
  "  return std::string_view(kBytes, ${size});\n"
  "}\n\n"
  "}  // namespace ${NAMESPACE}\n")
# Replaced only when different, so that an unchanged input does not recompile.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
