#include "app/api_modules.h"

namespace autoql::app {

ApiModules::ApiModules(const ApiServices& services)
    : dashboards_(services.store, services.auth, services.limits),
      webhook_(services.store, services.verifier, services.metrics, services.limits,
               services.clock),
      notifications_(services.store, services.hub, services.auth, services.limits),
      quick_start_(services.store, services.auth, services.limits),
      health_(services.store, services.metrics, services.version) {}

void ApiModules::registerRoutes(http::Router& router) {
  dashboards_.registerRoutes(router);
  webhook_.registerRoutes(router);
  notifications_.registerRoutes(router);
  quick_start_.registerRoutes(router);
  health_.registerRoutes(router);
  openapi_.registerRoutes(router);
}

}  // namespace autoql::app
