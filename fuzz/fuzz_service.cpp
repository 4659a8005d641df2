#include "fuzz_service.h"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>

#include "http/event_stream.h"
#include "storage/open_store.h"

namespace autoql::fuzz {
namespace {

// Tokens are off, as in the default configuration: requests name their project and user.
// An admin token is set so that its comparison runs on every Authorization header.
constexpr std::string_view kAdminToken = "fuzz-admin-token-0123456789abcdef";
constexpr std::chrono::milliseconds kWebhookTolerance{300'000};
constexpr std::size_t kWorkers = 1;
constexpr std::size_t kWorkerQueue = 16;

std::int64_t fixedNow() {
  return kFuzzNowMs;
}

std::unique_ptr<storage::Store> openMemoryStore() {
  storage::StoreOptions options;
  options.clock = &fixedNow;
  options.read_connections = 1;
  auto store = storage::openStore("sqlite::memory:", options);
  if (!store || !(*store)->migrate()) {
    fail("cannot open an in-memory SQLite store");
  }
  return std::move(store).value();
}

// Keeps what an event stream sends, as the server's sink would write it.
class CollectingSink final : public http::EventSink {
 public:
  bool send(std::string text) override {
    const std::lock_guard lock(mutex_);
    text_ += text;
    return true;
  }

  void finish() override {}

  std::string text() {
    const std::lock_guard lock(mutex_);
    return text_;
  }

 private:
  std::mutex mutex_;
  std::string text_;
};

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

void silenceLogs() {
  static const bool kSilenced = (spdlog::set_level(spdlog::level::off), true);
  (void)kSilenced;
}

void fail(std::string_view what) {
  std::fprintf(stderr, "fuzz property failed: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

FuzzService::FuzzService()
    : verifier_({std::string(kFuzzWebhookSecret)}, kWebhookTolerance, &fixedNow),
      auth_(std::nullopt, std::string(kAdminToken)),
      store_(openMemoryStore()),
      dashboards_(*store_, auth_, api::ApiLimits{}),
      webhook_(*store_, verifier_, metrics_, api::ApiLimits{}, &fixedNow),
      notifications_(*store_, hub_, auth_, api::ApiLimits{}),
      quick_start_(*store_, auth_, api::ApiLimits{}),
      health_(*store_, metrics_, "fuzz"),
      workers_(kWorkers, kWorkerQueue),
      dispatcher_(router_, workers_) {
  store_->onNotificationStored([this](const domain::Notification& n) { hub_.publish(n); });
  dashboards_.registerRoutes(router_);
  webhook_.registerRoutes(router_);
  notifications_.registerRoutes(router_);
  quick_start_.registerRoutes(router_);
  health_.registerRoutes(router_);
}

// The workers finish before the store closes, and the store before the hub goes.
FuzzService::~FuzzService() {
  workers_.stop();
  store_.reset();
}

http::Response FuzzService::serve(http::Request request) {
  std::promise<http::Response> answered;
  auto answer = answered.get_future();
  dispatcher_.dispatch(std::move(request),
                       [&answered](http::Response response) { answered.set_value(response); });
  http::Response response = answer.get();

  if (response.events) {
    auto sink = std::make_shared<CollectingSink>();
    response.events->attach(sink);
    response.events->detach();
    response.body = sink->text();
  }
  return response;
}

void checkResponse(const http::Response& response) {
  if (response.status < 100 || response.status > 599) {
    fail("status out of range");
  }
  if (response.status == 500) {
    fail("500: a handler threw");
  }

  const bool json = startsWith(response.content_type, "application/json") ||
                    startsWith(response.content_type, "application/problem+json");
  if (json && !response.body.empty()) {
    boost::json::error_code ec;
    boost::json::parse(response.body, ec);
    if (ec) {
      fail("a JSON response body is not valid JSON");
    }
  }
}

}  // namespace autoql::fuzz
