#include "api/openapi_api.h"

#include <boost/json/parse.hpp>

#include "api/openapi_document.h"

namespace autoql::api {

OpenApiApi::OpenApiApi() : page_(renderDocsPage(boost::json::parse(openApiDocument()))) {}

void OpenApiApi::registerRoutes(http::Router& router) {
  // Both answers are ready-made strings: nothing to wait for, so no worker is needed.
  router.add(
      http::Method::kGet, "/openapi.json", [this](const http::Request&) { return document(); },
      http::Execution::kInline);
  router.add(
      http::Method::kGet, "/docs", [this](const http::Request&) { return docs(); },
      http::Execution::kInline);
}

http::Response OpenApiApi::document() const {
  return http::jsonResponse(200, std::string(openApiDocument()));
}

http::Response OpenApiApi::docs() const {
  http::Response response;
  response.content_type = "text/html; charset=utf-8";
  response.body = page_.html;
  response.setHeader("Content-Security-Policy", page_.content_security_policy);
  // Browsers must not guess another type for the page than the one it is sent as.
  response.setHeader("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace autoql::api
