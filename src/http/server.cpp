#include "http/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/body_budget.h"
#include "http/event_stream.h"
#include "http/problem.h"
#include "http/wire_request.h"
#include "util/log.h"

namespace autoql::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// After an error response the connection is closed. What the client is still sending is
// read and dropped for this long (and this much, or --max-body if that is more) first:
// closing a socket with unread data resets the connection, and a client that writes its
// whole body before it reads (most HTTP libraries) would lose the answer, such as a 503
// and its Retry-After for a body the server had no room for.
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr std::size_t kMaxLingerBytes = 8 * 1024 * 1024;
// An idle connection closed by a graceful stop lingers this long: a request the client was
// sending just then finds the connection ended (FIN) rather than reset, and the stop is
// not held up by clients that neither send nor close.
constexpr std::chrono::milliseconds kStopLingerTimeout{500};
constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kMaxLoggedTarget = 200;
// How long accepting pauses after accept() fails (typically: out of file descriptors).
constexpr std::chrono::milliseconds kAcceptBackoff{100};

// The raw target for the access log: its path only (the query may carry a secret, such as
// the stream's ?access_token=), cut short, and with every byte that is not printable ASCII
// percent-encoded, so a log line stays one valid line (and valid JSON).
std::string printableTarget(std::string_view target) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const std::string_view path = target.substr(0, target.find('?'));
  std::string out;
  for (char c : path.substr(0, kMaxLoggedTarget)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || c == '"' || c == '\\') {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

// One io_context for each I/O thread, run by that thread alone. A connection is given to
// one of them when it is accepted and stays there, so its handlers never need a strand and
// the threads share no queue: with one shared io_context every handler went through its
// lock and through the connection's strand, which cost more than parsing the request.
std::vector<std::unique_ptr<net::io_context>> makeContexts(std::size_t threads) {
  std::vector<std::unique_ptr<net::io_context>> contexts;
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    contexts.push_back(std::make_unique<net::io_context>(1));
  }
  return contexts;
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions opts, Dispatcher& disp)
      : options(std::move(opts)),
        dispatcher(disp),
        log(componentLogger("server")),
        contexts(makeContexts(options.threads)),
        acceptor(control),
        signals(control, SIGINT, SIGTERM),
        shutdown_timer(control),
        accept_backoff(control) {
    for (const auto& context : contexts) {
      keep_running.push_back(net::make_work_guard(*context));
    }
  }

  void doAccept();
  void onAccept(beast::error_code ec, tcp::socket socket, net::io_context& context);
  void beginShutdown();
  void finishShutdown();
  void sessionEnded(Session* session);

  ServerOptions options;
  Dispatcher& dispatcher;
  BodyBudget bodies{options.max_body_memory};
  std::shared_ptr<spdlog::logger> log;
  AccessLog access;

  // Declared before the contexts so that they outlive them: destroying a context destroys
  // the sessions still queued in it, and each tells sessionEnded().
  std::mutex sessions_mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  std::atomic<bool> draining{false};
  std::atomic<bool> destroying{false};

  std::vector<std::unique_ptr<net::io_context>> contexts;
  // Keep each context's run() going while it has no connection; released by the stop.
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  // The acceptor, the signals and the timers have a context of their own, run by the
  // thread that called run(), which also runs beginShutdown(): they need no other
  // serialisation, and a connection is accepted at once however busy the I/O threads are.
  net::io_context control{1};
  std::size_t next_context = 0;  // round robin over the contexts, on the control thread
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer shutdown_timer;
  net::steady_timer accept_backoff;
};

// The sink handed to an EventSource: posts each event onto the session's I/O thread.
class SessionSink final : public EventSink {
 public:
  explicit SessionSink(std::weak_ptr<Session> session) : session_(std::move(session)) {}

  bool send(std::string text) override;
  void finish() override;

  // Called by the session when the stream ends; later sends are refused.
  void end() { ended_ = true; }

 private:
  std::weak_ptr<Session> session_;
  std::atomic<bool> ended_{false};
};

// One connection. Every member function runs on the thread of the connection's io_context.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server, net::io_context& context)
      : stream_(std::move(socket)), server_(&server), context_(&context) {}

  ~Session() {
    giveBodyRoom();
    server_->sessionEnded(this);
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->waitForRequest(self->server_->options.header_timeout);
    });
  }

  // Closes the connection if it is between requests; otherwise the request in flight
  // finishes and its response carries Connection: close. Posted even from the session's
  // own thread, so that it runs after the completions already queued for the session.
  void closeIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->streaming_) {
        self->endStream();
      } else if (self->idle_) {
        // Cancelled, not closed: a request that has already arrived is still answered
        // (onFirstBytes decides).
        self->stream_.cancel();
      }
    });
  }

  // Ends the open stream once its queue is written (on its thread).
  void postFinish() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->finishing_ = true;
      if (!self->writing_ && self->outbox_.empty()) {
        self->endStream();
      }
    });
  }

  // Hands an event to the session's thread, which queues it for the open stream.
  void postEvent(std::string text) {
    net::post(stream_.get_executor(),
              [self = shared_from_this(), text = std::move(text)]() mutable {
                self->queueEvent(std::move(text));
              });
  }

 private:
  const ServerOptions& options() const { return server_->options; }

  // Waits for the first byte of the next request (up to `timeout`) unless the buffer
  // already holds one (pipelining).
  void waitForRequest(std::chrono::milliseconds timeout) {
    if (buffer_.size() > 0) {
      return doReadHeader();
    }
    if (server_->draining) {
      return closeUnlessRequestWaiting();
    }
    idle_ = true;
    stream_.expires_after(timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            beast::bind_front_handler(&Session::onFirstBytes, shared_from_this()));
  }

  void onFirstBytes(beast::error_code ec, std::size_t bytes) {
    idle_ = false;
    if (ec == net::error::operation_aborted && server_->draining) {
      return closeUnlessRequestWaiting();  // cancelled by closeIfIdle()
    }
    if (ec) {
      return;  // closed or timed out while idle: nothing to answer
    }
    buffer_.commit(bytes);
    doReadHeader();
  }

  // A graceful stop found the connection between requests. A request the client had sent
  // before is served (its response says Connection: close); otherwise the connection ends.
  void closeUnlessRequestWaiting() {
    beast::error_code ec;
    if (stream_.socket().available(ec) > 0 && !ec) {
      return doReadHeader();
    }
    doClose(kStopLingerTimeout);
  }

  void doReadHeader() {
    started_ = Clock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
    parser_->body_limit(options().max_body_bytes);

    // A request usually arrives whole with its first bytes: its header is parsed here
    // rather than by a read that would complete at once, on another pass of the loop.
    beast::error_code ec;
    if (parseBufferedHeader(ec)) {
      return onReadHeader(ec, 0);
    }
    stream_.expires_after(options().header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::onReadHeader, shared_from_this()));
  }

  // Feeds the parser what the buffer holds. True when that ended the header, or the
  // request (`ec` then says why, as a read would have); false when more must be read.
  bool parseBufferedHeader(beast::error_code& ec) {
    while (buffer_.size() > 0 && !parser_->is_header_done()) {
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        return false;
      }
      if (ec) {
        return true;
      }
    }
    return parser_->is_header_done();
  }

  void onReadHeader(beast::error_code ec, std::size_t) {
    if (ec) {
      return failRead(ec);
    }
    if (!hasClearFraming(parser_->get())) {
      return answerAndClose(
          problemResponse(400, "bad_request", "Bad request",
                          "Transfer-Encoding must be exactly \"chunked\" when present."));
    }
    stream_.expires_at(started_ + options().request_timeout);
    // A body announced larger than the room left now is refused before it is sent.
    if (!parser_->is_done() && !server_->bodies.fits(parser_->content_length().value_or(1))) {
      return refuseBody();
    }
    if (equalsIgnoreCase(parser_->get()[bhttp::field::expect], "100-continue")) {
      // The client waits for this before sending a large body (curl does from 1 KiB).
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return net::async_write(
          stream_, net::buffer(kContinue.data(), kContinue.size()),
          beast::bind_front_handler(&Session::onContinueSent, shared_from_this()));
    }
    if (parser_->is_done()) {
      return onRequestRead();  // no body (most GETs): nothing more to read
    }
    doReadBody();
  }

  void refuseBody() {
    auto refused = problemResponse(503, "overloaded", "Overloaded",
                                   "The server holds as many request bodies as it may; "
                                   "send this one again shortly.");
    refused.setHeader("Retry-After", "1");
    answerAndClose(std::move(refused));
  }

  // Takes room in the server's body budget for the body read so far, as it arrives, so
  // that a client holds room only for bytes it has sent: one that announces a large body
  // and stalls holds none. Given back when the request is answered (respond) or the
  // connection ends.
  bool takeBodyRoom() {
    const std::uint64_t read = parser_->get().body().size();
    if (read <= body_room_) {
      return true;
    }
    if (!server_->bodies.take(read - body_room_)) {
      return false;
    }
    body_room_ = read;
    return true;
  }

  void giveBodyRoom() {
    server_->bodies.give(body_room_);
    body_room_ = 0;
  }

  void onContinueSent(beast::error_code ec, std::size_t) {
    if (ec) {
      return closeNow();
    }
    doReadBody();
  }

  void doReadBody() {
    bhttp::async_read_some(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::onBodyBytes, shared_from_this()));
  }

  void onBodyBytes(beast::error_code ec, std::size_t) {
    if (ec) {
      return failRead(ec);
    }
    if (!takeBodyRoom()) {
      return refuseBody();
    }
    if (!parser_->is_done()) {
      return doReadBody();
    }
    onRequestRead();
  }

  // The whole request has arrived.
  void onRequestRead() {
    stream_.expires_never();  // the handler's time is bounded by the database, not here
    handleRequest(parser_->release());
  }

  void handleRequest(bhttp::request<bhttp::string_body> message) {
    Request request;
    const bool readable = readRequest(message, request);
    keep_alive_ = message.keep_alive();
    method_ = request.method;
    method_text_ = request.method_text;
    request_id_ = request.request_id;
    target_ = request.target;

    if (!readable) {
      keep_alive_ = false;
      return respond(problemResponse(400, "bad_request", "Bad request",
                                     "The request target is not a valid path and query."));
    }

    // The guard keeps run() from returning while a worker holds this request.
    auto work = net::make_work_guard(*context_);
    server_->dispatcher.dispatch(std::move(request), [self = shared_from_this(),
                                                      work](Response response) mutable {
      // Dispatched, not posted: an answer given on this connection's thread (an inline
      // handler) is written at once; one from a worker or the writer is posted to it.
      net::dispatch(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->respond(std::move(response));
      });
    });
  }

  // Answers a request that could not be read, then closes, or closes silently when
  // there is nobody to answer.
  void failRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec == net::error::eof || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset) {
      return closeNow();
    }
    if (ec == beast::error::timeout) {
      // The stream has already closed the socket; there is no way to answer.
      server_->log->debug("closed a connection that did not send its request in time");
      return;
    }
    if (ec == bhttp::error::body_limit) {
      return answerAndClose(problemResponse(
          413, "payload_too_large", "Payload too large",
          "The body exceeds the limit of " + std::to_string(options().max_body_bytes) + " bytes."));
    }
    if (ec == bhttp::error::header_limit) {
      return answerAndClose(problemResponse(
          431, "headers_too_large", "Request header fields too large",
          "The header block exceeds " + std::to_string(options().max_header_bytes) + " bytes."));
    }
    answerAndClose(problemResponse(400, "bad_request", "Bad request",
                                   "The request is not valid HTTP/1.1: " + ec.message() + "."));
  }

  // Answers a request that cannot be read further, then closes the connection: whatever
  // follows on it cannot be told apart from this request's body.
  void answerAndClose(Response response) {
    keep_alive_ = false;
    method_ = Method::kOther;
    method_text_ = "-";
    target_ = "-";
    request_id_ = newRequestId();
    respond(std::move(response));
  }

  void queueEvent(std::string text) {
    if (ended_) {
      return;
    }
    outbox_bytes_ += text.size();
    outbox_.push_back(std::move(text));
    // One event of any size is written; the limit is on what waits behind it.
    if (outbox_.size() > 1 && outbox_bytes_ > options().max_stream_backlog) {
      server_->log->warn("closing an event stream whose client reads too slowly (request {})",
                         request_id_);
      return endStream();
    }
    if (!writing_) {
      doWriteEvent();
    }
  }

  void respond(Response response) {
    giveBodyRoom();  // the handler is done with the body
    if (response.events) {
      if (method_ != Method::kHead && response.status == 200 && !server_->draining) {
        return startStream(std::move(response));
      }
      response.events->detach();
      response.events.reset();
      if (server_->draining && response.status == 200) {
        // A stream asked for before the stop, answered after it began: an open stream
        // would hold the stop until its timeout; the client reconnects elsewhere.
        std::string route = std::move(response.route);
        response = problemResponse(503, "shutting_down", "Shutting down",
                                   "The server is stopping; open the stream again.");
        response.setHeader("Retry-After", "1");
        response.route = std::move(route);
      }
    }
    const bool head = method_ == Method::kHead;
    const bool keep_alive = keep_alive_ && !server_->draining;
    response_ = {};
    response_.version(11);
    response_.result(response.status);
    if (response.status != 204) {
      response_.set(bhttp::field::content_type, response.content_type);
    }
    for (const Header& header : response.headers) {
      response_.set(header.name, header.value);
    }
    response_.set("X-Request-Id", request_id_);
    if (head) {
      response_.content_length(response.body.size());
    } else if (response.status == 204 || response.status == 304) {
      response_.body().clear();  // RFC 9110 8.6: no Content-Length on these
    } else {
      response_.body() = std::move(response.body);
      response_.prepare_payload();
    }
    response_.keep_alive(keep_alive);
    route_ = response.route.empty() ? "-" : std::move(response.route);

    stream_.expires_after(options().request_timeout);
    bhttp::async_write(stream_, response_,
                       beast::bind_front_handler(&Session::onWrite, shared_from_this()));
  }

  // Counts the request in the metrics under its route template and its method's name: a
  // method no route knows counts as OTHER, so that clients cannot add label values by
  // inventing methods.
  void countRequest(unsigned status, std::chrono::duration<double> elapsed) {
    if (options().metrics != nullptr) {
      options().metrics->observeRequest(route_ == "-" ? std::string_view() : route_,
                                        methodName(method_), status, elapsed);
    }
  }

  void onWrite(beast::error_code ec, std::size_t bytes) {
    const auto elapsed = std::chrono::duration<double, std::milli>(Clock::now() - started_);
    countRequest(response_.result_int(), elapsed);
    // Unrouted requests log their path, cut short: the template is not known.
    const std::string target = route_ == "-" ? printableTarget(target_) : std::string();
    server_->access.write({.method = method_text_,
                           .route = route_ == "-" ? std::string_view(target) : route_,
                           .status = response_.result_int(),
                           .bytes = bytes,
                           .duration_ms = elapsed.count(),
                           .request_id = request_id_});
    if (ec) {
      return closeNow();
    }
    if (!response_.keep_alive()) {
      return doClose();
    }
    waitForRequest(options().idle_timeout);
  }

  // Writes the header of an event stream (chunked, never cached), then attaches the source.
  void startStream(Response response) {
    streaming_ = true;
    source_ = std::move(response.events);
    route_ = response.route.empty() ? "-" : std::move(response.route);
    stream_header_.emplace(bhttp::status::ok, 11);
    stream_header_->set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
    stream_header_->set(bhttp::field::cache_control, "no-cache");
    stream_header_->set("X-Accel-Buffering", "no");  // tells nginx not to buffer the stream
    stream_header_->set("X-Request-Id", request_id_);
    for (const Header& header : response.headers) {
      stream_header_->set(header.name, header.value);
    }
    stream_header_->chunked(true);
    stream_header_->keep_alive(false);
    header_serializer_.emplace(*stream_header_);

    stream_.expires_after(options().request_timeout);
    bhttp::async_write_header(
        stream_, *header_serializer_,
        beast::bind_front_handler(&Session::onStreamHeader, shared_from_this()));
  }

  void onStreamHeader(beast::error_code ec, std::size_t bytes) {
    stream_.expires_never();
    const auto elapsed = std::chrono::duration<double, std::milli>(Clock::now() - started_);
    countRequest(200, elapsed);
    server_->access.write({.method = method_text_,
                           .route = route_,
                           .status = 200,
                           .bytes = bytes,
                           .duration_ms = elapsed.count(),
                           .request_id = request_id_,
                           .stream_opened = true});
    // A graceful stop may have ended the stream while its header was being written.
    if (ec || ended_) {
      return endStream();
    }
    sink_ = std::make_shared<SessionSink>(weak_from_this());
    source_->attach(sink_);
    watchForClose();
    scheduleHeartbeat();
  }

  // The client sends nothing on a stream; a read that completes means it closed (or
  // misbehaves), either way the stream ends. It reads the socket directly so that the
  // write timeouts of the stream do not apply to it.
  void watchForClose() {
    stream_.socket().async_read_some(
        net::buffer(discard_),
        net::bind_executor(
            stream_.get_executor(),
            [self = shared_from_this()](beast::error_code, std::size_t) { self->endStream(); }));
  }

  void scheduleHeartbeat() {
    heartbeat_.expires_after(options().stream_heartbeat);
    heartbeat_.async_wait(net::bind_executor(stream_.get_executor(),
                                             [self = shared_from_this()](beast::error_code ec) {
                                               if (ec || self->ended_) {
                                                 return;
                                               }
                                               if (!self->writing_) {
                                                 self->queueEvent(": heartbeat\n\n");
                                               }
                                               self->scheduleHeartbeat();
                                             }));
  }

  void doWriteEvent() {
    writing_ = true;
    stream_.expires_after(options().request_timeout);
    net::async_write(stream_, bhttp::make_chunk(net::buffer(outbox_.front())),
                     beast::bind_front_handler(&Session::onEventWritten, shared_from_this()));
  }

  void onEventWritten(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ended_) {
      return;
    }
    stream_.expires_never();
    if (ec) {
      return endStream();
    }
    outbox_bytes_ -= outbox_.front().size();
    outbox_.pop_front();
    if (!outbox_.empty()) {
      doWriteEvent();
    } else if (finishing_) {
      endStream();
    }
  }

  void endStream() {
    if (ended_) {
      return;
    }
    ended_ = true;
    if (sink_) {
      sink_->end();
    }
    if (source_) {
      source_->detach();
      source_.reset();
    }
    outbox_.clear();
    heartbeat_.cancel();
    closeNow();
  }

  // Half-closes, then drains what the client still sends for up to `linger`, then closes
  // (see kLingerTimeout).
  void doClose(std::chrono::milliseconds linger = kLingerTimeout) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(linger);
    buffer_.consume(buffer_.size());
    drain(0);
  }

  void drain(std::size_t drained) {
    if (drained > std::max<std::uint64_t>(kMaxLingerBytes, options().max_body_bytes)) {
      return closeNow();
    }
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = shared_from_this(), drained](beast::error_code ec, std::size_t bytes) {
          if (ec) {
            return self->closeNow();
          }
          self->drain(drained + bytes);
        });
  }

  void closeNow() {
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
  Server::Impl* server_;      // owns the io_context this session runs in, so outlives it
  net::io_context* context_;  // the one this connection's handlers run on

  // The request being answered, for the response and the access log.
  Clock::time_point started_ = Clock::now();
  Method method_ = Method::kGet;
  std::string method_text_ = "-";
  std::string target_;
  std::string route_;
  std::string request_id_;
  bool keep_alive_ = false;
  bool idle_ = false;
  std::uint64_t body_room_ = 0;  // taken from the server's BodyBudget for this request

  // An open event stream (startStream).
  bool streaming_ = false;
  bool ended_ = false;
  bool finishing_ = false;  // end once the queue is written
  bool writing_ = false;
  std::shared_ptr<EventSource> source_;
  std::shared_ptr<SessionSink> sink_;
  std::optional<bhttp::response<bhttp::empty_body>> stream_header_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> header_serializer_;
  std::deque<std::string> outbox_;
  std::size_t outbox_bytes_ = 0;
  std::array<char, 256> discard_{};
  net::steady_timer heartbeat_{stream_.get_executor()};
};

void SessionSink::finish() {
  if (auto session = session_.lock()) {
    session->postFinish();
  }
}

bool SessionSink::send(std::string text) {
  if (ended_) {
    return false;
  }
  auto session = session_.lock();
  if (!session) {
    return false;
  }
  session->postEvent(std::move(text));
  return true;
}

void Server::Impl::doAccept() {
  net::io_context& context = *contexts[next_context++ % contexts.size()];
  acceptor.async_accept(context, [this, &context](beast::error_code ec, tcp::socket socket) {
    onAccept(ec, std::move(socket), context);
  });
}

void Server::Impl::onAccept(beast::error_code ec, tcp::socket socket, net::io_context& context) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) {
    return;  // shutting down
  }
  if (ec) {
    // Out of descriptors (or another transient failure): pause before accepting again,
    // or the loop would spin on the same error. Connections that close meanwhile free
    // descriptors; the pending ones wait in the listen backlog.
    log->warn("accept failed: {}; pausing new connections for {} ms", ec.message(),
              kAcceptBackoff.count());
    accept_backoff.expires_after(kAcceptBackoff);
    accept_backoff.async_wait([this](beast::error_code wait_error) {
      if (!wait_error && acceptor.is_open()) {
        doAccept();
      }
    });
    return;
  }

  auto session = std::make_shared<Session>(std::move(socket), *this, context);
  {
    std::lock_guard lock(sessions_mutex);
    sessions.emplace(session.get(), session);
  }
  session->start();
  doAccept();
}

void Server::Impl::beginShutdown() {
  if (draining.exchange(true)) {
    return;
  }
  beast::error_code ignored;
  acceptor.close(ignored);
  signals.cancel(ignored);
  accept_backoff.cancel();

  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& [raw, weak] : sessions) {
      if (auto session = weak.lock()) {
        open.push_back(std::move(session));
      }
    }
  }
  log->info("shutting down: finishing {} open connection(s)", open.size());
  for (const auto& session : open) {
    session->closeIfIdle();
  }

  // Requests still running when the timeout expires are abandoned.
  shutdown_timer.expires_after(options.shutdown_timeout);
  shutdown_timer.async_wait([this](beast::error_code ec) {
    if (!ec) {
      log->warn("shutdown timeout reached; closing the remaining connections");
      for (const auto& context : contexts) {
        context->stop();
      }
      control.stop();
    }
  });
  if (open.empty()) {
    finishShutdown();
  }
}

// Every connection has ended: each context's run() returns once what is left in it (a
// worker finishing, a timer being cancelled) is done.
void Server::Impl::finishShutdown() {
  shutdown_timer.cancel();
  keep_running.clear();
}

void Server::Impl::sessionEnded(Session* session) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(session);
  if (draining && sessions.empty() && !destroying) {
    net::post(acceptor.get_executor(), [this] { finishShutdown(); });
  }
}

Server::Server(ServerOptions options, Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(options), dispatcher)) {}

Server::~Server() {
  impl_->destroying = true;
}

std::string Server::listen() {
  beast::error_code ec;
  const auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) {
    return "--host: '" + impl_->options.host + "' is not an IP address";
  }
  const tcp::endpoint endpoint{address, impl_->options.port};
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return "cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) +
           ": " + ec.message();
  }
  return {};
}

std::uint16_t Server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void Server::run() {
  Impl& impl = *impl_;
  impl.signals.async_wait([&impl](beast::error_code ec, int signal) {
    if (!ec) {
      impl.log->info("received signal {}", signal);
      net::post(impl.acceptor.get_executor(), [&impl] { impl.beginShutdown(); });
    }
  });
  impl.doAccept();

  const auto endpoint = impl.acceptor.local_endpoint();
  impl.log->info("listening on http://{}:{} with {} I/O thread(s)", endpoint.address().to_string(),
                 endpoint.port(), impl.options.threads);

  std::vector<std::thread> threads;
  for (const auto& context : impl.contexts) {
    threads.emplace_back([&context = *context] { context.run(); });
  }
  impl.control.run();
  for (auto& thread : threads) {
    thread.join();
  }
  impl.log->info("stopped");
}

void Server::stop() {
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] { impl->beginShutdown(); });
}

}  // namespace autoql::http
