// HTTP requests as they arrive on a connection: the bytes go through Boost.Beast's
// request parser with the server's limits, the server's own reading of the method,
// framing and target (path segments, query parameters), then the real router,
// dispatcher and handlers on an in-memory database. An input may hold several
// pipelined requests, so that one can create a dashboard and the next read or change it.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "fuzz_service.h"
#include "http/server.h"
#include "http/wire_request.h"

namespace {

namespace bhttp = boost::beast::http;
using autoql::http::WireRequest;

// Requests read from one input at the most; later ones are ignored, which keeps the time
// an input can cost bounded.
constexpr int kMaxRequestsPerInput = 8;

// Parses the next request off `bytes` and consumes it. Nullopt when the bytes hold no
// complete, valid request: the server would answer 400/413/431 and close, or wait.
std::optional<WireRequest> readWireRequest(std::string_view& bytes) {
  const autoql::http::ServerOptions limits;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);

  while (!parser.is_done()) {
    boost::beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec == bhttp::error::need_more && used > 0) {
      continue;
    }
    if (ec || used == 0) {
      return std::nullopt;
    }
  }
  return parser.release();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  autoql::fuzz::silenceLogs();

  autoql::fuzz::FuzzService service;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < kMaxRequestsPerInput && !bytes.empty(); ++i) {
    auto message = readWireRequest(bytes);
    if (!message) {
      break;
    }
    // Where the server answers 400 itself, it also closes the connection.
    const bool keep_alive = message->keep_alive();
    autoql::http::Request request;
    if (!autoql::http::hasClearFraming(*message) || !autoql::http::readRequest(*message, request)) {
      break;
    }
    autoql::fuzz::checkResponse(service.serve(std::move(request)));
    if (!keep_alive) {
      break;
    }
  }
  return 0;
}
