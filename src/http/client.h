// A small blocking HTTP/1.1 client over one keep-alive connection, for `webhook send`
// and the end-to-end tests. Each call has a time limit. Not thread-safe: one client per
// thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "util/result.h"

namespace autoql::http {

struct ClientResponse {
  unsigned status = 0;
  std::vector<Header> headers;
  std::string body;

  std::optional<std::string_view> header(std::string_view name) const;
};

class Client {
 public:
  Client(std::string host, std::uint16_t port,
         std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request (connecting first if needed) and reads the response. Returns what
  // went wrong (connect, write, read, time-out) as text. `head` must be true for HEAD.
  Result<ClientResponse, std::string> send(std::string_view method, std::string_view target,
                                           const std::vector<Header>& headers = {},
                                           std::string_view body = {});

  // Writes `bytes` as they are, then reads one response. For tests of malformed input.
  Result<ClientResponse, std::string> sendRaw(std::string_view bytes);

  // Writes `bytes` as they are and reads nothing.
  Result<void, std::string> writeRaw(std::string_view bytes);

  // Reads one response (after writeRaw), or reports that the server closed.
  Result<ClientResponse, std::string> readResponse(bool head = false);

  // True when the server has closed the connection (reads end-of-stream within `wait`).
  bool serverClosed(std::chrono::milliseconds wait);

  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autoql::http
