// The routing table: method + path template ("/dashboards/{id}") -> handler. Built once
// at start-up, then only read, so matching is safe from any thread without locks.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace autoql::http {

// A handler reads the request (its path parameters already bound) and returns the
// response. It may throw; the dispatcher turns an escaped exception into a 500.
using Handler = std::function<Response(const Request&)>;

// A handler that answers later: it calls `respond` exactly once, from any thread, maybe
// after it has returned (when the commit holding its write is on disk). The request it
// was given stays alive until then. Throwing before `respond` is called answers 500.
using AsyncHandler = std::function<void(const Request&, Responder respond)>;

// Where a handler runs:
// - kInline: on the I/O thread, for work that never blocks (/healthz).
// - kRead: a bounded database read. Inline when the store reads from a local file
//   (SQLite: microseconds, and a hand-off to a worker and back costs more than the
//   read); on the worker pool otherwise (a network round trip).
// - kWrite: an asynchronous handler that validates and queues a write. Inline too when
//   the store is local, whose writer thread then commits it and answers, unless the body
//   is larger than kInlineBodyLimit (parsing it would hold up the I/O thread); on the
//   worker pool otherwise.
// - kWorker: on the worker pool (other writes, which wait for their commit there).
enum class Execution { kInline, kRead, kWrite, kWorker };

// The largest body a kWrite handler parses on an I/O thread.
constexpr std::size_t kInlineBodyLimit = 64 * 1024;

struct Route {
  Method method;
  std::string pattern;
  std::vector<std::string> parts;  // pattern segments; "{name}" binds one path segment
  AsyncHandler handler;
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
  void addAsync(Method method, std::string_view pattern, AsyncHandler handler, Execution execution,
                bool cors = true);

  // Finds the route for `method` on the decoded path `segments`. HEAD matches GET routes.
  // When several templates match, the one with more literal segments wins.
  RouteMatch match(Method method, const std::vector<std::string>& segments) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace autoql::http
