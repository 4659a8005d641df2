#include "api/quick_start_api.h"

#include "domain/json_text.h"
#include "domain/quick_start.h"

namespace autoql::api {
namespace {

// The project a request is about: ?project_id, required.
Result<std::string, http::Response> projectOf(const http::Request& request) {
  auto project_id = queryString(request, "project_id");
  domain::FieldErrors errors;
  if (!project_id) {
    errors.push_back({"project_id", "is required"});
  } else if (std::string problem = domain::checkText(*project_id, domain::kMaxProjectIdChars);
             !problem.empty()) {
    errors.push_back({"project_id", std::move(problem)});
  }
  if (!errors.empty()) {
    return validationFailed(errors);
  }
  return std::move(*project_id);
}

}  // namespace

QuickStartApi::QuickStartApi(storage::Store& store, ApiLimits limits)
    : store_(store), limits_(limits) {}

void QuickStartApi::registerRoutes(http::Router& router) {
  using http::Method;
  router.add(Method::kGet, "/query-quick-start", [this](const auto& r) { return get(r, false); });
  router.add(Method::kPut, "/query-quick-start", [this](const auto& r) { return put(r); });
  router.add(Method::kGet, "/api/v1/topics", [this](const auto& r) { return get(r, true); });
}

http::Response QuickStartApi::get(const http::Request& request, bool items_shape) {
  auto project = projectOf(request);
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
  auto project = projectOf(request);
  if (!project) {
    return project.error();
  }
  auto body = readJsonBody(request, limits_);
  if (!body) {
    return body.error();
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
