#include "http/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
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
  const std::string method =
      request.method_text.empty() ? std::string(methodName(request.method)) : request.method_text;
  Response response =
      problemResponse(405, "method_not_allowed", "Method not allowed",
                      method + " is not allowed here; allowed: " + allowHeader(allowed));
  response.setHeader("Allow", allowHeader(allowed));
  return response;
}

// What browsers may send and read across origins (DESIGN 4).
constexpr std::string_view kCorsMethods = "GET, POST, PUT, PATCH, DELETE";
constexpr std::string_view kCorsRequestHeaders =
    "Authorization, Content-Type, Integrator-Domain, If-Match, Last-Event-ID, X-Request-Id";
constexpr std::string_view kCorsExposedHeaders = "ETag, Link, Location, Retry-After, X-Request-Id";
// How long a browser may cache a preflight answer, in seconds.
constexpr std::string_view kCorsMaxAge = "600";

void addCorsHeaders(Response& response, std::string_view origin) {
  response.setHeader("Access-Control-Allow-Origin", std::string(origin));
  response.setHeader("Access-Control-Expose-Headers", std::string(kCorsExposedHeaders));
  response.setHeader("Vary", "Origin");
}

}  // namespace

bool CorsPolicy::allows(std::string_view origin) const {
  return std::find(origins.begin(), origins.end(), origin) != origins.end();
}

Dispatcher::Dispatcher(const Router& router, WorkerPool& workers, CorsPolicy cors, bool local_store)
    : router_(router),
      workers_(workers),
      cors_(std::move(cors)),
      local_store_(local_store),
      log_(componentLogger("http")) {}

Response Dispatcher::preflight(const Request& request, const RouteMatch& match) const {
  Response response;
  response.status = 204;
  std::vector<Method> allowed = match.allowed;
  allowed.push_back(Method::kOptions);
  response.setHeader("Allow", allowHeader(allowed));

  const auto origin = request.header("Origin");
  if (match.cors && origin && cors_.allows(*origin) &&
      request.header("Access-Control-Request-Method")) {
    addCorsHeaders(response, *origin);
    response.setHeader("Access-Control-Allow-Methods", std::string(kCorsMethods));
    response.setHeader("Access-Control-Allow-Headers", std::string(kCorsRequestHeaders));
    response.setHeader("Access-Control-Max-Age", std::string(kCorsMaxAge));
  }
  return response;
}

void Dispatcher::dispatch(Request request, Responder done) {
  RouteMatch match = router_.match(request.method, request.segments);

  // Responses to allowed origins carry the CORS headers, except on routes that refuse
  // browsers altogether.
  const auto origin = request.header("Origin");
  if (origin && match.cors && cors_.allows(*origin)) {
    done = [inner = std::move(done), allowed = std::string(*origin)](Response response) {
      addCorsHeaders(response, allowed);
      inner(std::move(response));
    };
  }

  if (match.route == nullptr && request.method == Method::kOptions && !match.allowed.empty()) {
    done(preflight(request, match));
    return;
  }
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
  auto job = std::make_shared<Job>(std::move(request), std::move(done));
  if (runsInline(route, job->request)) {
    run(route, job);
    return;
  }
  // The job owns the request and the callback; if the pool refuses it, they are still here.
  if (!workers_.trySubmit([this, &route, job] { run(route, job); })) {
    Response refused = overloadedResponse();
    refused.route = route.pattern;  // counted and logged under its route all the same
    job->done(std::move(refused));
  }
}

bool Dispatcher::runsInline(const Route& route, const Request& request) const {
  switch (route.execution) {
    case Execution::kInline:
      return true;
    case Execution::kRead:
      return local_store_;
    case Execution::kWrite:
      return local_store_ && request.body.size() <= kInlineBodyLimit;
    case Execution::kWorker:
      return false;
  }
  return false;
}

void Dispatcher::run(const Route& route, const std::shared_ptr<Job>& job) const {
  // The responder holds the job, so the request lives until the answer; it answers once.
  Responder respond = [&route, job](Response response) {
    if (job->answered.exchange(true)) {
      return;
    }
    response.route = route.pattern;
    job->done(std::move(response));
  };
  const Request& request = job->request;
  try {
    route.handler(request, respond);
    return;
  } catch (const std::exception& e) {
    log_->error("handler for {} {} failed: {} (request {})", methodName(request.method),
                route.pattern, e.what(), request.request_id);
  } catch (...) {
    log_->error("handler for {} {} failed with an unknown exception (request {})",
                methodName(request.method), route.pattern, request.request_id);
  }
  // Ignored if the handler had already answered before it threw.
  respond(problemResponse(500, "internal_error", "Internal error",
                          "The server failed to handle this request; it has been logged."));
}

}  // namespace autoql::http
