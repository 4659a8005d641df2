// The HTTP/1.1 server (DESIGN 6): Boost.Beast on `threads` I/O threads, each running its
// own io_context; a connection stays on the thread it was accepted onto. Keep-alive and
// pipelining (answered in order), and every limit and timeout from ServerOptions. It
// parses requests, enforces the limits, hands each request to the Dispatcher and writes
// the response with X-Request-Id, then logs one access line.
//
// Lifecycle: construct, listen(), run() on the main thread; run() returns after SIGTERM
// or SIGINT (or stop()) once the requests in flight have finished, or after the shutdown
// timeout. Beast stays inside server.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/dispatcher.h"
#include "http/metrics.h"

namespace autoql::http {

class Session;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5000;  // 0 picks a free port; see Server::port()
  std::size_t threads = 1;
  std::size_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 16 * 1024 * 1024;
  // Request bodies held in memory at once, across all connections (see BodyBudget); at
  // least max_body_bytes.
  std::uint64_t max_body_memory = 64 * 1024 * 1024;
  // From a connection's first byte of a request to the end of its header block.
  std::chrono::milliseconds header_timeout{10'000};
  // From a request's first byte to the end of its body, and for writing the response.
  std::chrono::milliseconds request_timeout{30'000};
  // An open keep-alive connection with no request in progress.
  std::chrono::milliseconds idle_timeout{60'000};
  // An event stream with nothing to send writes a comment this often, so that proxies
  // and clients can tell a quiet stream from a dead one.
  std::chrono::milliseconds stream_heartbeat{15'000};
  // A stream whose client reads slower than events arrive is closed once this much is
  // waiting to be written.
  std::size_t max_stream_backlog = 4 * 1024 * 1024;
  // Where each answered request is counted (optional; must outlive the server).
  Metrics* metrics = nullptr;
  // How long a graceful stop waits for requests in flight.
  std::chrono::milliseconds shutdown_timeout{10'000};
};

class Server {
 public:
  // `dispatcher` must outlive the server.
  Server(ServerOptions options, Dispatcher& dispatcher);
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Returns an empty string, or what went wrong (for the start-up line).
  std::string listen();

  // The bound port (after listen()).
  std::uint16_t port() const;

  // Serves until stopped; see the header comment. Call once, from one thread.
  void run();

  // Starts a graceful stop. Safe from any thread.
  void stop();

 private:
  friend class Session;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autoql::http
