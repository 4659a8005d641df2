// Turns a parsed request into a response: routes it, answers 404/405 and CORS preflights
// itself, runs the handler inline or on the bounded worker pool (503 with Retry-After
// when the pool is full; reads and small writes of a local store run inline, see
// Execution), catches whatever a
// handler throws (500, one log line), and adds the CORS headers for allowed origins. Called by the
// server on its I/O threads; `done` runs on whichever thread finished the handler.
#pragma once

#include <atomic>
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
  // Both must outlive the dispatcher. `local_store`: the store reads from a local file
  // and commits on its own thread, so kRead and small kWrite routes run on the calling
  // (I/O) thread (see Execution).
  Dispatcher(const Router& router, WorkerPool& workers, CorsPolicy cors = {},
             bool local_store = false);

  // Calls `done` exactly once with the response to `request`: before returning, or later
  // from a worker or the store's thread.
  void dispatch(Request request, Responder done);

 private:
  // A routed request and where its answer goes, until it is answered.
  struct Job {
    Job(Request r, Responder d) : request(std::move(r)), done(std::move(d)) {}
    Request request;
    Responder done;
    std::atomic<bool> answered{false};
  };

  bool runsInline(const Route& route, const Request& request) const;
  void run(const Route& route, const std::shared_ptr<Job>& job) const;
  Response preflight(const Request& request, const RouteMatch& match) const;

  const Router& router_;
  WorkerPool& workers_;
  CorsPolicy cors_;
  bool local_store_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace autoql::http
