# cmake -P script: writes OUTPUT, a C++ file defining NAMESPACE::SYMBOL as a
# std::string_view over the bytes of INPUT.
file(READ ${INPUT} content HEX)
string(LENGTH "${content}" hex_len)
math(EXPR byte_count "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
file(WRITE ${OUTPUT}
"// Generated from ${INPUT}; do not edit.\n#include <string_view>\n\nnamespace ${NAMESPACE} {\nnamespace {\nconstexpr char DATA[] = {${bytes} '\\0'};\n}\nextern const std::string_view ${SYMBOL};\nconst std::string_view ${SYMBOL}{DATA, ${byte_count}};\n}\n")
