// Turns a parsed request into a response: routes it, answers 404/405 itself, runs the
// handler inline or on the bounded worker pool (503 with Retry-After when the pool is
// full), and catches whatever a handler throws (500, one log line). Called by the server
// on its I/O threads; `done` runs on whichever thread finished the handler.
#pragma once

#include <functional>
#include <memory>

#include "http/message.h"
#include "http/router.h"
#include "util/worker_pool.h"

namespace spdlog {
class logger;
}

namespace autoql::http {

class Dispatcher {
 public:
  // Both must outlive the dispatcher.
  Dispatcher(const Router& router, WorkerPool& workers);

  // Calls `done` exactly once with the response to `request`.
  void dispatch(Request request, std::function<void(Response)> done);

 private:
  Response runHandler(const Route& route, const Request& request) const;
  Response callHandler(const Route& route, const Request& request) const;

  const Router& router_;
  WorkerPool& workers_;
  std::shared_ptr<spdlog::logger> log_;
};

// Seconds a client is told to wait when the server is saturated.
constexpr int kRetryAfterSeconds = 1;

}  // namespace autoql::http
