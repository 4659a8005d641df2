// The dispatcher: 404 and 405 problems, handler exceptions turned into a 500 that says
// nothing internal, 503 with Retry-After when the worker pool is full, and where reads run.
#include "http/dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace autoql::http {
namespace {

Response dispatchAndWait(Dispatcher& dispatcher, Method method, std::vector<std::string> path) {
  std::promise<Response> done;
  Request request;
  request.method = method;
  request.segments = std::move(path);
  dispatcher.dispatch(std::move(request), [&done](Response r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

TEST(Dispatcher, AnswersNotFoundAndMethodNotAllowed) {
  Router router;
  router.add(Method::kGet, "/things", [](const Request&) { return jsonResponse(200, "[]"); });
  WorkerPool workers(1, 4);
  Dispatcher dispatcher(router, workers);

  const auto missing = dispatchAndWait(dispatcher, Method::kGet, {"other"});
  EXPECT_EQ(missing.status, 404U);
  EXPECT_EQ(missing.content_type, "application/problem+json");

  const auto wrong = dispatchAndWait(dispatcher, Method::kPut, {"things"});
  EXPECT_EQ(wrong.status, 405U);
  ASSERT_EQ(wrong.headers.size(), 1U);
  EXPECT_EQ(wrong.headers[0].name, "Allow");
  EXPECT_EQ(wrong.headers[0].value, "GET, HEAD");
}

TEST(Dispatcher, TurnsExceptionsIntoOpaque500) {
  Router router;
  router.add(Method::kGet, "/boom",
             [](const Request&) -> Response { throw std::runtime_error("SELECT secret"); });
  WorkerPool workers(1, 4);
  Dispatcher dispatcher(router, workers);

  const auto response = dispatchAndWait(dispatcher, Method::kGet, {"boom"});
  EXPECT_EQ(response.status, 500U);
  EXPECT_EQ(response.body.find("SELECT"), std::string::npos);
  EXPECT_EQ(response.route, "/boom");
}

// kRead routes run on the calling thread only when the dispatcher is told reads are
// local; otherwise, like kWorker routes, on a worker.
TEST(Dispatcher, RunsReadsInlineOnlyWhenReadsAreLocal) {
  Router router;
  std::thread::id ran_on;
  router.add(
      Method::kGet, "/read",
      [&ran_on](const Request&) {
        ran_on = std::this_thread::get_id();
        return jsonResponse(200, "{}");
      },
      Execution::kRead);
  WorkerPool workers(1, 4);

  Dispatcher remote(router, workers);
  EXPECT_EQ(dispatchAndWait(remote, Method::kGet, {"read"}).status, 200U);
  EXPECT_NE(ran_on, std::this_thread::get_id());

  Dispatcher local(router, workers, {}, /*inline_reads=*/true);
  EXPECT_EQ(dispatchAndWait(local, Method::kGet, {"read"}).status, 200U);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

// An asynchronous handler may answer after it returned, from another thread (here the
// test's own); a small kWrite body is handled inline with a local store, a large one on
// a worker.
TEST(Dispatcher, AsynchronousWritesAnswerLaterAndLargeBodiesGoToAWorker) {
  std::mutex mutex;
  std::thread::id ran_on;
  std::optional<Responder> parked;
  std::size_t parked_size = 0;
  Router router;
  router.addAsync(
      Method::kPost, "/write",
      [&](const Request& request, Responder respond) {
        std::lock_guard lock(mutex);
        ran_on = std::this_thread::get_id();
        parked_size = request.body.size();
        parked = std::move(respond);
      },
      Execution::kWrite);
  WorkerPool workers(1, 4);
  Dispatcher local(router, workers, {}, /*local_store=*/true);

  auto post = [&](std::size_t bytes) {
    std::promise<Response> done;
    Request request;
    request.method = Method::kPost;
    request.segments = {"write"};
    request.body.assign(bytes, 'x');
    local.dispatch(std::move(request), [&done](Response r) { done.set_value(std::move(r)); });
    // Answer once the handler has returned, as a store's writer thread would.
    for (;;) {
      std::lock_guard lock(mutex);
      if (parked) {
        (*parked)(jsonResponse(201, std::to_string(parked_size)));
        parked.reset();
        break;
      }
    }
    return done.get_future().get();
  };
  const Response small = post(10);
  EXPECT_EQ(small.status, 201U);
  EXPECT_EQ(small.body, "10");
  EXPECT_EQ(small.route, "/write");
  EXPECT_EQ(ran_on, std::this_thread::get_id());

  const Response large = post(kInlineBodyLimit + 1);
  EXPECT_EQ(large.body, std::to_string(kInlineBodyLimit + 1));
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(Dispatcher, AnswersServiceUnavailableWhenThePoolIsFull) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0};
  Router router;
  router.add(Method::kGet, "/slow", [&started, released](const Request&) {
    ++started;
    released.wait();
    return jsonResponse(200, "{}");
  });
  WorkerPool workers(1, 1);
  Dispatcher dispatcher(router, workers);

  // The first request occupies the only worker, the second the only queue slot; the third
  // finds no room.
  std::promise<Response> first;
  std::promise<Response> second;
  auto slow = [] {
    Request r;
    r.segments = {"slow"};
    return r;
  };
  dispatcher.dispatch(slow(), [&](Response r) { first.set_value(std::move(r)); });
  while (started == 0) {
    std::this_thread::yield();
  }
  dispatcher.dispatch(slow(), [&](Response r) { second.set_value(std::move(r)); });

  const auto refused = dispatchAndWait(dispatcher, Method::kGet, {"slow"});
  EXPECT_EQ(refused.status, 503U);
  ASSERT_EQ(refused.headers.size(), 1U);
  EXPECT_EQ(refused.headers[0].name, "Retry-After");

  release.set_value();
  EXPECT_EQ(first.get_future().get().status, 200U);
  EXPECT_EQ(second.get_future().get().status, 200U);
}

}  // namespace
}  // namespace autoql::http
