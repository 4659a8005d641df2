#include "http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace autoql::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

// Responses larger than this are not what the tests or `webhook send` expect.
constexpr std::uint64_t kMaxResponseBody = 256 * 1024 * 1024;

}  // namespace

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (equalsIgnoreCase(h.name, name)) {
      return h.value;
    }
  }
  return std::nullopt;
}

struct Client::Impl {
  std::string host;
  std::uint16_t port;
  std::chrono::milliseconds timeout;
  net::io_context ioc;
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;

  // Runs the asynchronous operation started by `start` until it completes or the time
  // limit passes (then the socket is closed and the operation fails).
  template <class Start>
  beast::error_code runWithTimeout(Start&& start) {
    beast::error_code result = net::error::timed_out;
    bool finished = false;
    ioc.restart();
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      finished = true;
    });
    ioc.run_for(timeout);
    if (!finished) {
      beast::error_code ignored;
      socket.close(ignored);
      ioc.restart();
      ioc.run();
      return net::error::timed_out;
    }
    return result;
  }

  std::string connect() {
    if (socket.is_open()) {
      return {};
    }
    beast::error_code ec;
    const auto address = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) {
      return "not an IP address: " + host;
    }
    ec = runWithTimeout([&](auto handler) { socket.async_connect({address, port}, handler); });
    if (ec) {
      beast::error_code ignored;
      socket.close(ignored);
      return "cannot connect to " + host + ":" + std::to_string(port) + ": " + ec.message();
    }
    buffer.clear();
    return {};
  }

  Result<ClientResponse, std::string> read(bool head) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    parser.skip(head);
    auto ec =
        runWithTimeout([&](auto handler) { bhttp::async_read(socket, buffer, parser, handler); });
    if (ec) {
      beast::error_code ignored;
      socket.close(ignored);
      return std::string("reading the response failed: ") + ec.message();
    }
    auto message = parser.release();
    ClientResponse response;
    response.status = message.result_int();
    for (const auto& field : message) {
      response.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    response.body = std::move(message.body());
    if (!message.keep_alive()) {
      socket.close(ec);
    }
    return response;
  }
};

Client::Client(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->timeout = timeout;
}

Client::~Client() = default;

Result<ClientResponse, std::string> Client::send(std::string_view method, std::string_view target,
                                                 const std::vector<Header>& headers,
                                                 std::string_view body) {
  if (std::string error = impl_->connect(); !error.empty()) {
    return error;
  }
  bhttp::request<bhttp::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(bhttp::field::host, impl_->host + ":" + std::to_string(impl_->port));
  for (const Header& header : headers) {
    request.set(header.name, header.value);
  }
  request.body() = std::string(body);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    request.prepare_payload();
  }

  auto ec = impl_->runWithTimeout(
      [&](auto handler) { bhttp::async_write(impl_->socket, request, handler); });
  if (ec) {
    beast::error_code ignored;
    impl_->socket.close(ignored);
    return std::string("writing the request failed: ") + ec.message();
  }
  return impl_->read(method == "HEAD");
}

Result<void, std::string> Client::writeRaw(std::string_view bytes) {
  if (std::string error = impl_->connect(); !error.empty()) {
    return error;
  }
  auto ec = impl_->runWithTimeout([&](auto handler) {
    net::async_write(impl_->socket, net::buffer(bytes.data(), bytes.size()), handler);
  });
  if (ec) {
    return std::string("writing failed: ") + ec.message();
  }
  return Ok{};
}

Result<ClientResponse, std::string> Client::sendRaw(std::string_view bytes) {
  auto written = writeRaw(bytes);
  if (!written) {
    return written.error();
  }
  return impl_->read(false);
}

Result<ClientResponse, std::string> Client::readResponse(bool head) {
  return impl_->read(head);
}

bool Client::serverClosed(std::chrono::milliseconds wait) {
  if (!impl_->socket.is_open()) {
    return true;
  }
  const auto saved = impl_->timeout;
  impl_->timeout = wait;
  char byte = 0;
  auto ec = impl_->runWithTimeout(
      [&](auto handler) { impl_->socket.async_read_some(net::buffer(&byte, 1), handler); });
  impl_->timeout = saved;
  return ec == net::error::eof || ec == net::error::connection_reset;
}

void Client::close() {
  beast::error_code ignored;
  impl_->socket.close(ignored);
}

}  // namespace autoql::http
