// The OpenAPI document (api/openapi.json, as embedded in the binary) describes exactly
// the routes the server has: every route of the routing table `serve` builds is in the
// document with its method, and every operation of the document is routed.
#include "app/api_modules.h"

#include <gtest/gtest.h>

#include <array>
#include <boost/json/parse.hpp>
#include <set>
#include <string>

#include "api/openapi_document.h"
#include "storage/open_store.h"

namespace autoql::app {
namespace {

namespace json = boost::json;

// "GET /dashboards/{id}": a route as both sides can spell it.
using RouteKey = std::string;

// Lower-case OpenAPI operation names of the methods the router can route.
constexpr std::array<std::pair<http::Method, std::string_view>, 7> kOperationNames{
    {{http::Method::kGet, "get"},
     {http::Method::kHead, "head"},
     {http::Method::kPost, "post"},
     {http::Method::kPut, "put"},
     {http::Method::kPatch, "patch"},
     {http::Method::kDelete, "delete"},
     {http::Method::kOptions, "options"}}};

// The router's path templates already use OpenAPI's {name} syntax; a ":name" segment
// would be turned into it here, should the router ever use that spelling.
std::string openApiPath(std::string_view pattern) {
  std::string out;
  std::size_t start = 0;
  while (start < pattern.size()) {
    const std::size_t slash = std::min(pattern.find('/', start + 1), pattern.size());
    std::string_view segment = pattern.substr(start, slash - start);
    if (segment.size() > 2 && segment[1] == ':') {
      out += "/{" + std::string(segment.substr(2)) + "}";
    } else {
      out += segment;
    }
    start = slash;
  }
  return out;
}

std::set<RouteKey> routedOperations(const http::Router& router) {
  std::set<RouteKey> routes;
  for (const http::Route& route : router.routes()) {
    routes.insert(std::string(http::methodName(route.method)) + " " + openApiPath(route.pattern));
  }
  return routes;
}

std::set<RouteKey> documentedOperations(const json::object& document) {
  std::set<RouteKey> operations;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, name] : kOperationNames) {
      if (item.as_object().contains(name)) {
        operations.insert(std::string(http::methodName(method)) + " " + std::string(path));
      }
    }
  }
  return operations;
}

// The routing table of `serve`, built by the same code over throw-away services.
class ServerRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = storage::openStore("sqlite::memory:", {});
    ASSERT_TRUE(opened) << opened.error().detail;
    store_ = std::move(opened).value();
    modules_ = std::make_unique<ApiModules>(
        ApiServices{*store_, hub_, metrics_, auth_, verifier_, {}, systemClock(), "test"});
    modules_->registerRoutes(router_);
  }

  std::unique_ptr<storage::Store> store_;
  api::NotificationHub hub_;
  http::Metrics metrics_;
  const api::Authenticator auth_{std::nullopt, ""};
  const security::WebhookVerifier verifier_{{}, std::chrono::seconds(300), systemClock()};
  std::unique_ptr<ApiModules> modules_;
  http::Router router_;
};

TEST_F(ServerRoutes, EveryRouteIsInTheOpenApiDocument) {
  const json::value document = json::parse(api::openApiDocument());
  const std::set<RouteKey> documented = documentedOperations(document.as_object());
  const std::set<RouteKey> routed = routedOperations(router_);
  ASSERT_FALSE(routed.empty());

  for (const RouteKey& route : routed) {
    EXPECT_TRUE(documented.count(route)) << route << " is routed but not in api/openapi.json";
  }
  for (const RouteKey& operation : documented) {
    EXPECT_TRUE(routed.count(operation))
        << operation << " is in api/openapi.json but the server does not route it";
  }
}

TEST_F(ServerRoutes, ServesTheDocumentAndItsPage) {
  EXPECT_TRUE(routedOperations(router_).count("GET /openapi.json"));
  EXPECT_TRUE(routedOperations(router_).count("GET /docs"));
}

TEST(OpenApiPath, SpellsParametersWithBraces) {
  EXPECT_EQ(openApiPath("/dashboards/{id}/versions/{version}"),
            "/dashboards/{id}/versions/{version}");
  EXPECT_EQ(openApiPath("/dashboards/:id/versions/:version"),
            "/dashboards/{id}/versions/{version}");
  EXPECT_EQ(openApiPath("/healthz"), "/healthz");
}

}  // namespace
}  // namespace autoql::app
