// Query Quick Start routes (DESIGN 3.4): GET and PUT /query-quick-start?project_id, and
// GET /api/v1/topics?project_id (the shape the demo app and SDKs read). Replacing a list
// needs the admin token whenever authentication is on or an admin token is configured. Handlers run
// on the worker pool; the object must outlive the router.
#pragma once

#include "api/auth.h"
#include "api/common.h"
#include "http/router.h"
#include "storage/store.h"

namespace autoql::api {

class QuickStartApi {
 public:
  QuickStartApi(storage::Store& store, const Authenticator& auth, ApiLimits limits);

  void registerRoutes(http::Router& router);

 private:
  http::Response get(const http::Request& request, bool items_shape);
  http::Response put(const http::Request& request);

  storage::Store& store_;
  const Authenticator& auth_;
  ApiLimits limits_;
};

}  // namespace autoql::api
