// Query Quick Start routes (DESIGN 3.4): GET and PUT /query-quick-start?project_id, and
// GET /api/v1/topics?project_id (the shape the demo app and SDKs read). Handlers run on
// the worker pool; the object must outlive the router.
#pragma once

#include "api/common.h"
#include "http/router.h"
#include "storage/store.h"

namespace autoql::api {

class QuickStartApi {
 public:
  QuickStartApi(storage::Store& store, ApiLimits limits);

  void registerRoutes(http::Router& router);

 private:
  http::Response get(const http::Request& request, bool items_shape);
  http::Response put(const http::Request& request);

  storage::Store& store_;
  ApiLimits limits_;
};

}  // namespace autoql::api
