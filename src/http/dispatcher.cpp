#include "http/dispatcher.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <string>

#include "http/problem.h"
#include "util/log.h"

namespace autoql::http {
namespace {

std::string allowHeader(const std::vector<Method>& allowed) {
  std::string value;
  for (Method method : allowed) {
    if (!value.empty()) {
      value += ", ";
    }
    value += methodName(method);
  }
  return value;
}

Response methodNotAllowed(const Request& request, const std::vector<Method>& allowed) {
  Response response = problemResponse(405, "method_not_allowed", "Method not allowed",
                                      std::string(methodName(request.method)) +
                                          " is not allowed here; allowed: " + allowHeader(allowed));
  response.setHeader("Allow", allowHeader(allowed));
  return response;
}

Response overloaded() {
  Response response = problemResponse(503, "overloaded", "Server busy",
                                      "The server is at capacity; retry shortly.");
  response.setHeader("Retry-After", std::to_string(kRetryAfterSeconds));
  return response;
}

}  // namespace

Dispatcher::Dispatcher(const Router& router, WorkerPool& workers)
    : router_(router), workers_(workers), log_(componentLogger("http")) {}

void Dispatcher::dispatch(Request request, std::function<void(Response)> done) {
  RouteMatch match = router_.match(request.method, request.segments);
  if (match.route == nullptr) {
    if (!match.allowed.empty()) {
      done(methodNotAllowed(request, match.allowed));
    } else {
      done(problemResponse(404, "not_found", "Not found", "No route matches this path."));
    }
    return;
  }

  request.route = match.route->pattern;
  request.path_params = std::move(match.params);
  const Route& route = *match.route;
  if (route.execution == Execution::kInline) {
    done(runHandler(route, request));
    return;
  }

  // The job owns the request and the callback; if the pool refuses it, they are still here.
  auto job = std::make_shared<std::pair<Request, std::function<void(Response)>>>(std::move(request),
                                                                                 std::move(done));
  const bool queued =
      workers_.trySubmit([this, &route, job] { job->second(runHandler(route, job->first)); });
  if (!queued) {
    job->second(overloaded());
  }
}

Response Dispatcher::runHandler(const Route& route, const Request& request) const {
  Response response = callHandler(route, request);
  response.route = route.pattern;
  return response;
}

Response Dispatcher::callHandler(const Route& route, const Request& request) const {
  try {
    return route.handler(request);
  } catch (const std::exception& e) {
    log_->error("handler for {} {} failed: {} (request {})", methodName(request.method),
                route.pattern, e.what(), request.request_id);
  } catch (...) {
    log_->error("handler for {} {} failed with an unknown exception (request {})",
                methodName(request.method), route.pattern, request.request_id);
  }
  return problemResponse(500, "internal_error", "Internal error",
                         "The server failed to handle this request; it has been logged.");
}

}  // namespace autoql::http
