// Every API module of the server and the one place that registers their routes, so that
// `serve` and the tests that check the routing table (against the OpenAPI document)
// build the same table. Only the wiring knows the concrete modules.
//
// Built once at start-up on the main thread; the handlers it registers run on the I/O
// threads and the worker pool.
#pragma once

#include <string>

#include "api/auth.h"
#include "api/common.h"
#include "api/dashboards_api.h"
#include "api/health_api.h"
#include "api/notification_hub.h"
#include "api/notifications_api.h"
#include "api/openapi_api.h"
#include "api/quick_start_api.h"
#include "api/webhook_api.h"
#include "http/metrics.h"
#include "http/router.h"
#include "security/webhook_signature.h"
#include "storage/store.h"
#include "util/clock.h"

namespace autoql::app {

// What the handlers use. Everything referenced must outlive the modules built on it.
struct ApiServices {
  storage::Store& store;
  api::NotificationHub& hub;
  http::Metrics& metrics;
  const api::Authenticator& auth;
  const security::WebhookVerifier& verifier;
  api::ApiLimits limits;
  Clock clock;
  std::string version;  // reported by autoql_build_info
};

class ApiModules {
 public:
  explicit ApiModules(const ApiServices& services);

  // Adds every route of the API to `router`, which must not outlive this object.
  void registerRoutes(http::Router& router);

 private:
  api::DashboardsApi dashboards_;
  api::WebhookApi webhook_;
  api::NotificationsApi notifications_;
  api::QuickStartApi quick_start_;
  api::HealthApi health_;
  api::OpenApiApi openapi_;
};

}  // namespace autoql::app
