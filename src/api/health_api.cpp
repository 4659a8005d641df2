#include "api/health_api.h"

#include "api/common.h"
#include "http/problem.h"

namespace autoql::api {

HealthApi::HealthApi(storage::Store& store, const http::Metrics& metrics, std::string version)
    : store_(store), metrics_(metrics), version_(std::move(version)) {}

void HealthApi::registerRoutes(http::Router& router) {
  // Liveness touches nothing that can block, so it runs on the I/O thread and still
  // answers when the worker pool is saturated.
  router.add(
      http::Method::kGet, "/healthz",
      [](const http::Request&) { return http::jsonResponse(200, "{\"status\":\"ok\"}"); },
      http::Execution::kInline);
  router.add(http::Method::kGet, "/readyz", [this](const auto& r) { return ready(r); });
  router.add(
      http::Method::kGet, "/metrics",
      [this](const http::Request&) {
        http::Response response = http::jsonResponse(200, metrics_.render(version_));
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        return response;
      },
      http::Execution::kInline);
}

http::Response HealthApi::ready(const http::Request& request) {
  auto ping = store_.ping();
  if (!ping) {
    http::Response response = storeFailure(ping.error(), request);
    response.status = 503;
    return response;
  }
  return http::jsonResponse(200, "{\"status\":\"ready\"}");
}

}  // namespace autoql::api
