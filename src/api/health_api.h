// Liveness, readiness and metrics (DESIGN 3.5): GET /healthz answers while the process
// serves HTTP; GET /readyz also needs the database to answer (503 when it does not);
// GET /metrics is the Prometheus text format.
#pragma once

#include <string>

#include "http/metrics.h"
#include "http/router.h"
#include "storage/store.h"

namespace autoql::api {

class HealthApi {
 public:
  // `metrics` is rendered at GET /metrics; `version` goes into autoql_build_info.
  HealthApi(storage::Store& store, const http::Metrics& metrics, std::string version);

  void registerRoutes(http::Router& router);

 private:
  http::Response ready(const http::Request& request);

  storage::Store& store_;
  const http::Metrics& metrics_;
  std::string version_;
};

}  // namespace autoql::api
