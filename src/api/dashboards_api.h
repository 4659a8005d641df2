// The dashboard routes of DESIGN 3.2, twice: at the root (the Flask sample's paths,
// lists as JSON arrays) and under /api/v1 (the official demo app and mobile SDKs, lists
// wrapped as {"items": [...]}, `username` accepted for user_id):
//   POST/GET /dashboards, GET/PUT/DELETE /dashboards/{id},
//   GET /dashboards/{id}/versions[/{version}], POST /dashboards/{id}/restore.
// PUT and restore are conditional when the request carries If-Match or a body `version`.
// Handlers run on the worker pool; the object must outlive the router it registers with.
#pragma once

#include <string>

#include "api/auth.h"
#include "api/common.h"
#include "api/rendered_json.h"
#include "http/router.h"
#include "storage/store.h"

namespace autoql::api {

// Largest page of GET /dashboards, and its size when no limit is given.
constexpr std::size_t kMaxDashboardPage = 1000;

// A page of GET /dashboards ends after the dashboard that takes its body past this size
// (one dashboard, up to the body limit, always fits): a thousand large dashboards would
// otherwise make one answer of gigabytes. Its Link header points at the rest.
constexpr std::size_t kMaxDashboardPageBytes = 16 * 1024 * 1024;

// The memory GET /dashboards may keep of rows it has written (see RenderedJson):
// about 6,000 dashboards of 2 KB.
constexpr std::size_t kRenderedDashboardBytes = 16 * 1024 * 1024;

class DashboardsApi {
 public:
  DashboardsApi(storage::Store& store, const Authenticator& auth, ApiLimits limits);

  void registerRoutes(http::Router& router);

 private:
  // The two shapes of the same routes.
  struct Flavor {
    std::string prefix;   // "" or "/api/v1"
    bool wrap_lists;      // {"items": [...]} instead of [...]
    bool username_alias;  // `username` may stand for user_id
  };

  void registerFlavor(http::Router& router, const Flavor& flavor);

  // Answers once the new dashboard is committed (see Execution::kWrite).
  void create(const Flavor& flavor, const http::Request& request, http::Responder respond);
  // The dashboard a create request asks for, or the response that refuses it.
  Result<domain::NewDashboard, http::Response> newDashboard(const Flavor& flavor,
                                                            const http::Request& request);
  http::Response list(const Flavor& flavor, const http::Request& request);
  http::Response get(const http::Request& request);
  http::Response update(const http::Request& request);
  http::Response remove(const http::Request& request);
  http::Response versions(const Flavor& flavor, const http::Request& request);
  http::Response version(const http::Request& request);
  http::Response restore(const http::Request& request);

  // What every edit of one dashboard (PUT, restore) starts from: the id from the path,
  // the user the write is attributed to, and the parsed body, after authorisation.
  struct Edit {
    std::int64_t id;
    std::string writer;
    boost::json::value body;
  };
  Result<Edit, http::Response> beginEdit(const http::Request& request);

  // Authenticates the request and checks that the caller may read (or write) dashboard
  // `id`: 404 when the dashboard is absent or someone else's, 403 for an admin write.
  // Returns the caller.
  Result<Caller, http::Response> authorize(const http::Request& request, std::int64_t id,
                                           bool write);

  storage::Store& store_;
  const Authenticator& auth_;
  ApiLimits limits_;
  RenderedJson rendered_;
  Flavor root_{"", false, false};
  Flavor v1_{"/api/v1", true, true};
};

// Serializes a dashboard as the API returns it; `data` is spliced in as stored.
std::string dashboardJson(const domain::Dashboard& dashboard);
void appendDashboardJson(std::string& out, const domain::DashboardView& dashboard);

}  // namespace autoql::api
