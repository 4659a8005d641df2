// Turns a parsed request into a response: routes it, answers 404/405 and CORS preflights
// itself, runs the handler inline or on the bounded worker pool (503 with Retry-After
// when the pool is full; reads of a local store run inline, see Execution), catches whatever a
// handler throws (500, one log line), and adds the CORS headers for allowed origins. Called by the
// server on its I/O threads; `done` runs on whichever thread finished the handler.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "http/router.h"
#include "util/worker_pool.h"

namespace spdlog {
class logger;
}

namespace autoql::http {

// Which browser origins may call the API (CORS). Empty: none, and no CORS headers at all.
struct CorsPolicy {
  std::vector<std::string> origins;  // exact origins, e.g. "https://app.example.com"

  bool allows(std::string_view origin) const;
};

class Dispatcher {
 public:
  // Both must outlive the dispatcher. `inline_reads`: run kRead routes on the calling
  // (I/O) thread, for a store whose reads never wait on the network.
  Dispatcher(const Router& router, WorkerPool& workers, CorsPolicy cors = {},
             bool inline_reads = false);

  // Calls `done` exactly once with the response to `request`.
  void dispatch(Request request, std::function<void(Response)> done);

 private:
  Response runHandler(const Route& route, const Request& request) const;
  Response preflight(const Request& request, const RouteMatch& match) const;
  Response callHandler(const Route& route, const Request& request) const;

  const Router& router_;
  WorkerPool& workers_;
  CorsPolicy cors_;
  bool inline_reads_;
  std::shared_ptr<spdlog::logger> log_;
};

// Seconds a client is told to wait when the server is saturated.
constexpr int kRetryAfterSeconds = 1;

}  // namespace autoql::http
