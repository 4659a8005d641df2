#include "api/dashboards_api.h"

#include <boost/json/serialize.hpp>
#include <boost/url/params_ref.hpp>
#include <boost/url/url.hpp>

#include "http/problem.h"
#include "util/time_format.h"

namespace autoql::api {
namespace {

using domain::Dashboard;
namespace json = boost::json;

std::string quoted(std::string_view text) {
  return json::serialize(json::string_view(text));
}

std::string etag(const Dashboard& dashboard) {
  return "\"" + std::to_string(dashboard.version) + "\"";
}

http::Response dashboardResponse(unsigned status, const Dashboard& dashboard) {
  http::Response response = http::jsonResponse(status, dashboardJson(dashboard));
  response.setHeader("ETag", etag(dashboard));
  return response;
}

// The URL of the next page, keeping the caller's filters.
std::string nextPageLink(std::string_view project_id, std::string_view user_id, std::size_t limit,
                         std::size_t offset) {
  boost::urls::url next("/dashboards");
  next.params().append({"project_id", project_id});
  next.params().append({"user_id", user_id});
  next.params().append({"limit", std::to_string(limit)});
  next.params().append({"offset", std::to_string(offset)});
  return "<" + std::string(next.buffer()) + ">; rel=\"next\"";
}

}  // namespace

std::string dashboardJson(const Dashboard& d) {
  std::string out;
  out.reserve(d.data_json.size() + d.name.size() + 256);
  out += "{\"id\":" + std::to_string(d.id);
  out += ",\"project_id\":" + quoted(d.project_id);
  out += ",\"user_id\":" + quoted(d.user_id);
  out += ",\"name\":" + quoted(d.name);
  out += ",\"data\":";
  out += d.data_json;
  out += ",\"version\":" + std::to_string(d.version);
  out += ",\"created_at\":\"" + formatIsoMillis(d.created_at_ms) + "\"";
  out += ",\"updated_at\":\"" + formatIsoMillis(d.updated_at_ms) + "\"}";
  return out;
}

DashboardsApi::DashboardsApi(storage::Store& store, ApiLimits limits)
    : store_(store), limits_(limits) {}

void DashboardsApi::registerRoutes(http::Router& router) {
  using http::Method;
  router.add(Method::kPost, "/dashboards", [this](const auto& r) { return create(r); });
  router.add(Method::kGet, "/dashboards", [this](const auto& r) { return list(r); });
  router.add(Method::kGet, "/dashboards/{id}", [this](const auto& r) { return get(r); });
  router.add(Method::kPut, "/dashboards/{id}", [this](const auto& r) { return update(r); });
  router.add(Method::kDelete, "/dashboards/{id}", [this](const auto& r) { return remove(r); });
}

http::Response DashboardsApi::create(const http::Request& request) {
  auto body = readJsonBody(request, limits_);
  if (!body) {
    return body.error();
  }
  auto input = domain::parseNewDashboard(*body);
  if (!input) {
    return validationFailed(input.error());
  }

  auto created = store_.createDashboard(*input);
  if (!created) {
    return storeFailure(created.error(), request);
  }
  http::Response response = dashboardResponse(201, *created);
  response.setHeader("Location", "/dashboards/" + std::to_string(created->id));
  return response;
}

http::Response DashboardsApi::list(const http::Request& request) {
  domain::FieldErrors errors;
  const auto project_id = queryString(request, "project_id");
  const auto user_id = queryString(request, "user_id");
  domain::checkOwner(project_id, user_id, errors);
  const auto limit = pagingParam(request, "limit", kMaxDashboardPage, errors);
  const auto offset = pagingParam(request, "offset", SIZE_MAX / 2, errors);
  if (!errors.empty()) {
    return validationFailed(errors);
  }

  // One row more than the page tells whether a next page exists.
  const std::size_t page = limit.value_or(kMaxDashboardPage);
  const std::size_t skip = offset.value_or(0);
  auto dashboards = store_.listDashboards(*project_id, *user_id, page + 1, skip);
  if (!dashboards) {
    return storeFailure(dashboards.error(), request);
  }
  const bool more = dashboards->size() > page;
  if (more) {
    dashboards->pop_back();
  }

  std::string body = "[";
  for (const Dashboard& dashboard : *dashboards) {
    if (body.size() > 1) {
      body += ',';
    }
    body += dashboardJson(dashboard);
  }
  body += ']';
  http::Response response = http::jsonResponse(200, std::move(body));
  if (more) {
    response.setHeader("Link", nextPageLink(*project_id, *user_id, page, skip + page));
  }
  return response;
}

http::Response DashboardsApi::get(const http::Request& request) {
  const auto id = parseId(request.pathParam("id"));
  if (!id) {
    return notFound("dashboard");
  }
  auto dashboard = store_.getDashboard(*id);
  if (!dashboard) {
    return storeFailure(dashboard.error(), request, "dashboard");
  }
  return dashboardResponse(200, *dashboard);
}

http::Response DashboardsApi::update(const http::Request& request) {
  const auto id = parseId(request.pathParam("id"));
  if (!id) {
    return notFound("dashboard");
  }
  auto body = readJsonBody(request, limits_);
  if (!body) {
    return body.error();
  }
  auto changes = domain::parseDashboardChanges(*body);
  if (!changes) {
    return validationFailed(changes.error());
  }

  auto updated = store_.updateDashboard(*id, *changes);
  if (!updated) {
    return storeFailure(updated.error(), request, "dashboard");
  }
  return dashboardResponse(200, *updated);
}

http::Response DashboardsApi::remove(const http::Request& request) {
  const auto id = parseId(request.pathParam("id"));
  if (!id) {
    return notFound("dashboard");
  }
  auto removed = store_.deleteDashboard(*id);
  if (!removed) {
    return storeFailure(removed.error(), request, "dashboard");
  }
  http::Response response;
  response.status = 204;
  return response;
}

}  // namespace autoql::api
