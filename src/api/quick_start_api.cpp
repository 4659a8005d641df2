#include "api/quick_start_api.h"

#include "domain/quick_start.h"

namespace autoql::api {
QuickStartApi::QuickStartApi(storage::Store& store, const Authenticator& auth, ApiLimits limits)
    : store_(store), auth_(auth), limits_(limits) {}

void QuickStartApi::registerRoutes(http::Router& router) {
  using http::Method;
  router.add(
      Method::kGet, "/query-quick-start", [this](const auto& r) { return get(r, false); },
      http::Execution::kRead);
  router.add(Method::kPut, "/query-quick-start", [this](const auto& r) { return put(r); });
  router.add(
      Method::kGet, "/api/v1/topics", [this](const auto& r) { return get(r, true); },
      http::Execution::kRead);
}

http::Response QuickStartApi::get(const http::Request& request, bool items_shape) {
  auto caller = auth_.authenticate(request);
  if (!caller) {
    return caller.error();
  }
  auto project = resolveProject(*caller, queryString(request, "project_id"));
  if (!project) {
    return project.error();
  }
  auto topics = store_.getQuickStartTopics(*project);
  if (!topics) {
    return storeFailure(topics.error(), request);
  }
  return http::jsonResponse(200, (items_shape ? "{\"items\":" : "{\"topics\":") + *topics + "}");
}

http::Response QuickStartApi::put(const http::Request& request) {
  auto caller = auth_.authenticate(request);
  if (!caller) {
    return caller.error();
  }
  if (auth_.adminRequiredForProjectWrites() && caller->kind != Caller::Kind::kAdmin) {
    return forbidden("Replacing Query Quick Start topics needs the admin token.");
  }
  auto project = resolveProject(*caller, queryString(request, "project_id"));
  if (!project) {
    return project.error();
  }
  auto body = readJsonBody(request, limits_);
  if (!body) {
    return body.error();
  }
  // A project_id in the body is tolerated (the shape of the file `topics import` reads)
  // but must name the same project as the query.
  if (const boost::json::object* object = body->if_object()) {
    if (const boost::json::value* named = object->if_contains("project_id");
        named != nullptr && (!named->is_string() || named->get_string() != *project)) {
      return validationFailed({{"project_id", "must match the project_id of the query"}});
    }
  }
  auto topics = domain::parseTopics(*body);
  if (!topics) {
    return validationFailed(topics.error());
  }
  if (auto stored = store_.putQuickStartTopics(*project, *topics); !stored) {
    return storeFailure(stored.error(), request);
  }
  return http::jsonResponse(200, "{\"topics\":" + *topics + "}");
}

}  // namespace autoql::api
