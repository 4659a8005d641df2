// The API's own description (DESIGN 3.5): GET /openapi.json serves the embedded OpenAPI
// 3.1 document (api/openapi.json) byte for byte, and GET /docs the HTML page rendered
// from it. Neither needs authentication, like /healthz. Both are prepared once at
// construction and served from memory on the I/O thread; the object must outlive the
// router it registers with.
#pragma once

#include "api/openapi_docs.h"
#include "http/router.h"

namespace autoql::api {

class OpenApiApi {
 public:
  // Parses the embedded document and renders the page. Throws boost::system::system_error
  // if the document is not JSON, which the unit tests rule out for every build.
  OpenApiApi();

  void registerRoutes(http::Router& router);

 private:
  http::Response document() const;
  http::Response docs() const;

  DocsPage page_;
};

}  // namespace autoql::api
