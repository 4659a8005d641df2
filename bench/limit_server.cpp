// The limit server of the HTTP benchmark: the smallest Boost.Beast program that answers
// every request with a fixed JSON body of a chosen size, on a chosen number of threads,
// with keep-alive. It does no routing, parsing or storage: what it reaches is what this
// machine's loopback, kernel and Beast can do, and bench/run-http reports the service's
// figures as a ratio to it. Its threads are arranged as the service's are (one io_context
// per thread, connections handed to them in turn), so the ratio measures what the service
// does per request, not a difference in how the two use their threads.
//
// usage: limit_server PORT BODY_BYTES THREADS
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::string& body) : stream_(std::move(socket)), body_(body) {}

  void doRead() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     beast::bind_front_handler(&Session::onRead, shared_from_this()));
  }

 private:
  void onRead(beast::error_code ec, std::size_t) {
    if (ec) {
      return;
    }
    response_ = {http::status::ok, request_.version()};
    response_.set(http::field::content_type, "application/json; charset=utf-8");
    response_.body() = body_;
    response_.prepare_payload();
    response_.keep_alive(request_.keep_alive());
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::onWrite, shared_from_this()));
  }

  void onWrite(beast::error_code ec, std::size_t) {
    if (!ec && response_.keep_alive()) {
      doRead();
    }
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  const std::string& body_;
};

using Contexts = std::vector<std::unique_ptr<net::io_context>>;

void accept(tcp::acceptor& acceptor, Contexts& contexts, std::size_t next,
            const std::string& body) {
  net::io_context& context = *contexts[next % contexts.size()];
  acceptor.async_accept(context, [&, next](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      std::make_shared<Session>(std::move(socket), body)->doRead();
    }
    accept(acceptor, contexts, next + 1, body);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: limit_server PORT BODY_BYTES THREADS\n");
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const auto size = static_cast<std::size_t>(std::atol(argv[2]));
  const int threads = std::max(1, std::atoi(argv[3]));

  // A JSON string of the requested size, so the response is shaped like the service's.
  std::string body = "{\"pad\":\"" + std::string(size > 11 ? size - 11 : 0, 'x') + "\"}";

  Contexts contexts;
  for (int i = 0; i < threads; ++i) {
    contexts.push_back(std::make_unique<net::io_context>(1));
  }
  tcp::acceptor acceptor(*contexts.front(), {net::ip::make_address("127.0.0.1"), port});
  accept(acceptor, contexts, 0, body);
  // The other contexts have nothing to do until a connection arrives.
  std::vector<net::executor_work_guard<net::io_context::executor_type>> idle;
  for (auto& context : contexts) {
    idle.push_back(net::make_work_guard(*context));
  }
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) {
    pool.emplace_back([&context = *contexts[i]] { context.run(); });
  }
  contexts.front()->run();
  for (auto& thread : pool) {
    thread.join();
  }
  return 0;
}
