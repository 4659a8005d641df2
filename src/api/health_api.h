// Liveness and readiness (DESIGN 3.5): GET /healthz answers while the process serves
// HTTP; GET /readyz also needs the database to answer (503 when it does not).
#pragma once

#include "http/router.h"
#include "storage/store.h"

namespace autoql::api {

class HealthApi {
 public:
  explicit HealthApi(storage::Store& store);

  void registerRoutes(http::Router& router);

 private:
  http::Response ready(const http::Request& request);

  storage::Store& store_;
};

}  // namespace autoql::api
