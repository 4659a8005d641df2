// The OpenAPI 3.1 description of the HTTP API: api/openapi.json, compiled into the
// binary at build time (cmake/EmbedFile.cmake) so that what GET /openapi.json serves is
// always the checked-in file. Safe from any thread.
#pragma once

#include <string_view>

namespace autoql::api {

// The bytes of api/openapi.json, exactly as checked in. Valid for the whole program.
std::string_view openApiDocument();

}  // namespace autoql::api
