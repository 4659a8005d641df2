// The routing table: method + path template ("/dashboards/{id}") -> handler. Built once
// at start-up, then only read, so matching is safe from any thread without locks.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace autoql::http {

// A handler reads the request (its path parameters already bound) and returns the
// response. It may throw; the dispatcher turns an escaped exception into a 500.
using Handler = std::function<Response(const Request&)>;

// Where a handler runs: inline on the I/O thread (only for work that never blocks, such
// as /healthz); kRead for a bounded database read, which runs inline when the store reads
// from a local file (SQLite: microseconds, and a hand-off to a worker and back costs more
// than the read) and on the worker pool otherwise (a network round trip); or on the
// worker pool (writes, which wait for a commit, and everything that parses a body).
enum class Execution { kInline, kRead, kWorker };

struct Route {
  Method method;
  std::string pattern;
  std::vector<std::string> parts;  // pattern segments; "{name}" binds one path segment
  Handler handler;
  Execution execution;
  bool cors;  // false: never answers browsers of other origins (the webhook)
};

struct RouteMatch {
  const Route* route = nullptr;  // null when no route matched path and method
  std::vector<std::pair<std::string, std::string>> params;
  // When the path matched but the method did not: the methods it allows, for 405.
  std::vector<Method> allowed;
  // False when a route on this path refuses CORS.
  bool cors = true;
};

class Router {
 public:
  // Precondition: `pattern` starts with "/" and has no query.
  void add(Method method, std::string_view pattern, Handler handler,
           Execution execution = Execution::kWorker, bool cors = true);

  // Finds the route for `method` on the decoded path `segments`. HEAD matches GET routes.
  // When several templates match, the one with more literal segments wins.
  RouteMatch match(Method method, const std::vector<std::string>& segments) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace autoql::http
