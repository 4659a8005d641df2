#include "api/dashboards_api.h"

#include <algorithm>
#include <optional>

#include "api/json_writer.h"
#include "http/problem.h"
#include "util/time_format.h"

namespace autoql::api {
namespace {

using domain::Dashboard;

std::string etag(const Dashboard& dashboard) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a known false positive) on the
  // equivalent chain of operator+ in optimised builds.
  std::string tag = "\"";
  tag += std::to_string(dashboard.version);
  tag += '"';
  return tag;
}

http::Response dashboardResponse(unsigned status, const Dashboard& dashboard) {
  http::Response response = http::jsonResponse(status, dashboardJson(dashboard));
  response.setHeader("ETag", etag(dashboard));
  return response;
}

// 412 for a conditional write whose version is stale; says which version is current.
http::Response versionMismatch(const Dashboard& current) {
  http::Problem problem{412,
                        "version_mismatch",
                        "Version mismatch",
                        "The dashboard is at version " + std::to_string(current.version) +
                            "; read it again and reapply the change.",
                        {},
                        {{"current_version", std::to_string(current.version)}}};
  http::Response response = http::problemResponse(problem);
  response.setHeader("ETag", etag(current));
  return response;
}

http::Response writeResponse(const Result<storage::DashboardWrite>& write,
                             const http::Request& request) {
  if (!write) {
    return storeFailure(write.error(), request, "dashboard");
  }
  if (!write->applied) {
    return versionMismatch(write->dashboard);
  }
  return dashboardResponse(200, write->dashboard);
}

// The most a dashboard page's body reserves ahead, whatever its first row suggests: the
// page size is a limit, most pages are shorter, and a reservation of 1 MiB or more is
// mapped and unmapped for each request (see keepLargeBlocksMapped in main.cpp).
constexpr std::size_t kListReserveLimit = 64 * 1024;

// Joins serialized items as a JSON array, wrapped as {"items": [...]} when asked.
std::string listBody(const std::vector<std::string>& items, bool wrap) {
  std::string body = wrap ? "{\"items\":[" : "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      body += ',';
    }
    body += items[i];
  }
  body += wrap ? "]}" : "]";
  return body;
}

std::string versionInfoJson(const domain::DashboardVersionInfo& info) {
  return "{\"version\":" + std::to_string(info.version) + ",\"name\":" + jsonString(info.name) +
         ",\"updated_at\":\"" + formatIsoMillis(info.updated_at_ms) +
         "\",\"updated_by\":" + jsonString(info.updated_by) + "}";
}

// The body of GET /dashboards, written row by row as the store visits the page. Rows held
// in `rendered` are copied from it; rows the store reads are written out, and held for
// the pages after when the store asked about them first (when it did not, it reads every
// row, and no page would use them).
class DashboardPage {
 public:
  DashboardPage(RenderedJson& rendered, std::size_t page, bool wrap)
      : rendered_(rendered), page_(page), wrap_(wrap), body_(wrap ? "{\"items\":[" : "[") {}

  // For Store::DashboardHeld: true when the row is written from memory, or is the row past
  // the page, which only tells that a next page exists and need not be read either.
  bool writeHeld(domain::DashboardKey key) {
    if (full()) {
      more_ = true;
      return true;
    }
    const std::size_t before = body_.size();
    if (written_ > 0) {
      body_ += ',';
    }
    if (!rendered_.appendTo(body_, {key.id, key.version})) {
      body_.resize(before);
      asked_ = key.id;
      return false;
    }
    rowWritten();
    return true;
  }

  void writeRead(const domain::DashboardView& dashboard) {
    if (full()) {
      more_ = true;
      return;
    }
    if (written_ > 0) {
      body_ += ',';
    }
    const std::size_t start = body_.size();
    appendDashboardJson(body_, dashboard);
    if (asked_ == dashboard.id) {
      rendered_.hold({dashboard.id, dashboard.version}, std::string_view(body_).substr(start));
    }
    rowWritten();
  }

  bool more() const { return more_; }
  std::size_t written() const { return written_; }

  std::string finish() && {
    body_ += wrap_ ? "]}" : "]";
    return std::move(body_);
  }

 private:
  bool full() const { return written_ == page_ || body_.size() >= kMaxDashboardPageBytes; }

  void rowWritten() {
    if (++written_ == 1) {
      // Room for a page of rows like the first, so that the body is not copied again and
      // again as it grows; past kListReserveLimit it grows as it must.
      body_.reserve(std::min(body_.size() * page_, kListReserveLimit) + 16);
    }
  }

  RenderedJson& rendered_;
  const std::size_t page_;
  const bool wrap_;
  std::string body_;
  std::size_t written_ = 0;
  bool more_ = false;
  std::optional<std::int64_t> asked_;  // the last row the store asked about and will read
};

// The user a write is attributed to: the token's, else ?user_id, else (empty) the owner.
Result<std::string, http::Response> writerOf(const Caller& caller, const http::Request& request) {
  if (caller.kind == Caller::Kind::kUser) {
    return caller.user_id;
  }
  return callerUserId(request);
}

}  // namespace

void appendDashboardJson(std::string& out, const domain::DashboardView& d) {
  JsonObjectWriter(out)
      .integer("id", d.id)
      .string("project_id", d.project_id)
      .string("user_id", d.user_id)
      .string("name", d.name)
      .raw("data", d.data_json)
      .integer("version", d.version)
      .time("created_at", d.created_at_ms)
      .time("updated_at", d.updated_at_ms)
      .string("updated_by", d.updated_by)
      .close();
}

std::string dashboardJson(const Dashboard& d) {
  std::string out;
  out.reserve(d.data_json.size() + d.name.size() + 256);
  appendDashboardJson(out, domain::viewOf(d));
  return out;
}

DashboardsApi::DashboardsApi(storage::Store& store, const Authenticator& auth, ApiLimits limits)
    : store_(store), auth_(auth), limits_(limits), rendered_(kRenderedDashboardBytes) {}

Result<Caller, http::Response> DashboardsApi::authorize(const http::Request& request,
                                                        std::int64_t id, bool write) {
  auto caller = auth_.authenticate(request);
  if (!caller || caller->kind == Caller::Kind::kAnonymous) {
    return caller;  // without authentication, anyone may use any id (the Flask sample)
  }
  if (auto refused = checkNamedIdentity(*caller, request)) {
    return std::move(*refused);
  }
  // A dashboard's owner never changes and ids are never reused, so checking before the
  // write cannot be overtaken by another write.
  auto dashboard = store_.getDashboard(id);
  if (!dashboard) {
    return storeFailure(dashboard.error(), request, "dashboard");
  }
  if (!mayRead(*caller, dashboard->project_id, dashboard->user_id)) {
    return notFound("dashboard");
  }
  if (write && !mayWrite(*caller, dashboard->project_id, dashboard->user_id)) {
    return forbidden("The admin token reads users' dashboards but does not change them.");
  }
  return caller;
}

void DashboardsApi::registerRoutes(http::Router& router) {
  registerFlavor(router, root_);
  registerFlavor(router, v1_);
}

void DashboardsApi::registerFlavor(http::Router& router, const Flavor& flavor) {
  using http::Execution;
  using http::Method;
  const std::string base = flavor.prefix + "/dashboards";
  const std::string one = base + "/{id}";
  const Flavor* f = &flavor;
  router.addAsync(
      Method::kPost, base,
      [this, f](const auto& r, http::Responder respond) { create(*f, r, std::move(respond)); },
      Execution::kWrite);
  router.add(
      Method::kGet, base, [this, f](const auto& r) { return list(*f, r); }, Execution::kRead);
  router.add(
      Method::kGet, one, [this](const auto& r) { return get(r); }, Execution::kRead);
  router.add(Method::kPut, one, [this](const auto& r) { return update(r); });
  router.add(Method::kDelete, one, [this](const auto& r) { return remove(r); });
  // On a worker: the history list grows with every update of the dashboard.
  router.add(Method::kGet, one + "/versions", [this, f](const auto& r) { return versions(*f, r); });
  router.add(
      Method::kGet, one + "/versions/{version}", [this](const auto& r) { return version(r); },
      Execution::kRead);
  router.add(Method::kPost, one + "/restore", [this](const auto& r) { return restore(r); });
}

void DashboardsApi::create(const Flavor& flavor, const http::Request& request,
                           http::Responder respond) {
  auto input = newDashboard(flavor, request);
  if (!input) {
    return respond(input.error());
  }
  // `flavor` belongs to this object and `request` lives until the answer (AsyncHandler).
  store_.createDashboardAsync(*input, [&flavor, &request,
                                       respond = std::move(respond)](Result<Dashboard> created) {
    if (!created) {
      return respond(storeFailure(created.error(), request));
    }
    http::Response response = dashboardResponse(201, *created);
    response.setHeader("Location", flavor.prefix + "/dashboards/" + std::to_string(created->id));
    respond(std::move(response));
  });
}

Result<domain::NewDashboard, http::Response> DashboardsApi::newDashboard(
    const Flavor& flavor, const http::Request& request) {
  auto caller = auth_.authenticate(request);
  if (!caller) {
    return caller.error();
  }
  auto body = readJsonBody(request, limits_);
  if (!body) {
    return body.error();
  }

  // The owner comes from the body, checked against the caller (or from the token), and
  // is written back so that validation sees the resolved values.
  if (boost::json::object* object = body->if_object()) {
    auto user_id = bodyString(*object, "user_id");
    if (!user_id && flavor.username_alias) {
      user_id = bodyString(*object, "username");
    }
    auto owner = resolveOwner(*caller, bodyString(*object, "project_id"), user_id);
    if (!owner) {
      return owner.error();
    }
    if (!mayWrite(*caller, owner->project_id, owner->user_id)) {
      return forbidden("The admin token reads users' dashboards but does not create them.");
    }
    (*object)["project_id"] = owner->project_id;
    (*object)["user_id"] = owner->user_id;
  }
  auto input = domain::parseNewDashboard(*body);
  if (!input) {
    return validationFailed(input.error());
  }
  return std::move(input).value();
}

http::Response DashboardsApi::list(const Flavor& flavor, const http::Request& request) {
  auto caller = auth_.authenticate(request);
  if (!caller) {
    return caller.error();
  }
  auto user_id = queryString(request, "user_id");
  if (!user_id && flavor.username_alias) {
    user_id = queryString(request, "username");
  }
  auto owner = resolveOwner(*caller, queryString(request, "project_id"), user_id);
  if (!owner) {
    return owner.error();
  }
  const std::string& project = owner->project_id;
  const std::string& user = owner->user_id;

  domain::FieldErrors errors;
  const auto limit = pagingParam(request, "limit", 1, kMaxDashboardPage, errors);
  const auto offset = pagingParam(request, "offset", 0, kMaxOffset, errors);
  if (!errors.empty()) {
    return validationFailed(errors);
  }

  // One row more than the page tells whether a next page exists.
  const std::size_t page = limit.value_or(kMaxDashboardPage);
  const std::size_t skip = offset.value_or(0);
  DashboardPage body(rendered_, page, flavor.wrap_lists);
  auto visited = store_.visitDashboards(
      project, user, page + 1, skip,
      [&body](domain::DashboardKey key) { return body.writeHeld(key); },
      [&body](const domain::DashboardView& dashboard) { body.writeRead(dashboard); });
  if (!visited) {
    return storeFailure(visited.error(), request);
  }
  // The next page starts after the rows written, fewer than the limit when the page
  // reached kMaxDashboardPageBytes first.
  const bool more = body.more();
  const std::size_t next = skip + body.written();
  http::Response response = http::jsonResponse(200, std::move(body).finish());
  if (more) {
    response.setHeader("Link",
                       nextLink(flavor.prefix + "/dashboards", {{"project_id", project},
                                                                {"user_id", user},
                                                                {"limit", std::to_string(page)},
                                                                {"offset", std::to_string(next)}}));
  }
  return response;
}

http::Response DashboardsApi::get(const http::Request& request) {
  const auto id = parseId(request.pathParam("id"));
  if (!id) {
    return notFound("dashboard");
  }
  // Not authorize(): that would read the dashboard once more.
  auto caller = auth_.authenticate(request);
  if (!caller) {
    return caller.error();
  }
  if (auto refused = checkNamedIdentity(*caller, request)) {
    return std::move(*refused);
  }
  auto dashboard = store_.getDashboard(*id);
  if (!dashboard) {
    return storeFailure(dashboard.error(), request, "dashboard");
  }
  if (!mayRead(*caller, dashboard->project_id, dashboard->user_id)) {
    return notFound("dashboard");
  }
  return dashboardResponse(200, *dashboard);
}

Result<DashboardsApi::Edit, http::Response> DashboardsApi::beginEdit(const http::Request& request) {
  const auto id = parseId(request.pathParam("id"));
  if (!id) {
    return notFound("dashboard");
  }
  auto caller = authorize(request, *id, /*write=*/true);
  if (!caller) {
    return caller.error();
  }
  auto body = readJsonBody(request, limits_);
  if (!body) {
    return body.error();
  }
  auto writer = writerOf(*caller, request);
  if (!writer) {
    return writer.error();
  }
  return Edit{*id, std::move(*writer), std::move(*body)};
}

http::Response DashboardsApi::update(const http::Request& request) {
  auto edit = beginEdit(request);
  if (!edit) {
    return edit.error();
  }
  auto changes = domain::parseDashboardChanges(edit->body);
  if (!changes) {
    return validationFailed(changes.error());
  }
  domain::VersionCondition condition = ifMatchCondition(request);
  if (changes->version) {
    condition.require(*changes->version);
  }
  return writeResponse(store_.updateDashboard(edit->id, *changes, condition, edit->writer),
                       request);
}

http::Response DashboardsApi::remove(const http::Request& request) {
  const auto id = parseId(request.pathParam("id"));
  if (!id) {
    return notFound("dashboard");
  }
  if (auto caller = authorize(request, *id, /*write=*/true); !caller) {
    return caller.error();
  }
  auto removed = store_.deleteDashboard(*id, ifMatchCondition(request));
  if (!removed) {
    return storeFailure(removed.error(), request, "dashboard");
  }
  if (!removed->applied) {
    return versionMismatch(removed->dashboard);
  }
  http::Response response;
  response.status = 204;
  return response;
}

http::Response DashboardsApi::versions(const Flavor& flavor, const http::Request& request) {
  const auto id = parseId(request.pathParam("id"));
  if (!id) {
    return notFound("dashboard");
  }
  if (auto caller = authorize(request, *id, /*write=*/false); !caller) {
    return caller.error();
  }
  auto history = store_.listDashboardVersions(*id);
  if (!history) {
    return storeFailure(history.error(), request, "dashboard");
  }
  std::vector<std::string> items;
  items.reserve(history->size());
  for (const auto& info : *history) {
    items.push_back(versionInfoJson(info));
  }
  return http::jsonResponse(200, listBody(items, flavor.wrap_lists));
}

http::Response DashboardsApi::version(const http::Request& request) {
  const auto id = parseId(request.pathParam("id"));
  const auto number = parseId(request.pathParam("version"));
  if (!id || !number) {
    return notFound("dashboard version");
  }
  if (auto caller = authorize(request, *id, /*write=*/false); !caller) {
    return caller.error();
  }
  auto dashboard = store_.getDashboardVersion(*id, *number);
  if (!dashboard) {
    return storeFailure(dashboard.error(), request, "dashboard version");
  }
  return dashboardResponse(200, *dashboard);
}

http::Response DashboardsApi::restore(const http::Request& request) {
  auto edit = beginEdit(request);
  if (!edit) {
    return edit.error();
  }
  auto target = domain::parseRestore(edit->body);
  if (!target) {
    return validationFailed(target.error());
  }
  auto restored =
      store_.restoreDashboardVersion(edit->id, *target, ifMatchCondition(request), edit->writer);
  if (!restored && restored.error().code == Errc::kNotFound) {
    return notFound("version " + std::to_string(*target) + " of this dashboard");
  }
  return writeResponse(restored, request);
}

}  // namespace autoql::api
