// The dashboard routes of DESIGN 3.2 at the root (the Flask sample's paths):
// POST/GET /dashboards and GET/PUT/DELETE /dashboards/{id}. Handlers run on the worker
// pool; the object must outlive the router it registers with.
#pragma once

#include "api/common.h"
#include "http/router.h"
#include "storage/store.h"

namespace autoql::api {

// Largest page of GET /dashboards, and its size when no limit is given.
constexpr std::size_t kMaxDashboardPage = 1000;

class DashboardsApi {
 public:
  DashboardsApi(storage::Store& store, ApiLimits limits);

  void registerRoutes(http::Router& router);

 private:
  http::Response create(const http::Request& request);
  http::Response list(const http::Request& request);
  http::Response get(const http::Request& request);
  http::Response update(const http::Request& request);
  http::Response remove(const http::Request& request);

  storage::Store& store_;
  ApiLimits limits_;
};

// Serializes a dashboard as the API returns it; `data` is spliced in as stored.
std::string dashboardJson(const domain::Dashboard& dashboard);

}  // namespace autoql::api
