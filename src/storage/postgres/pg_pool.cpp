#include "storage/postgres/pg_pool.h"

namespace autoql::storage::postgres {

Pool::Pool(std::string url, std::size_t size, std::chrono::milliseconds wait)
    : url_(std::move(url)), size_(size), wait_(wait) {}

std::unique_ptr<Connection> Pool::lease() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + wait_;
  for (;;) {
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    if (open_ < size_) {
      ++open_;
      lock.unlock();
      try {
        return std::make_unique<Connection>(url_);
      } catch (...) {
        std::lock_guard relock(mutex_);
        --open_;
        returned_.notify_one();
        throw;
      }
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= size_) {
      throw PgError(Errc::kOverloaded, "no database connection came free in time");
    }
  }
}

void Pool::giveBack(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mutex_);
    if (connection && connection->healthy() && !connection->carriedLargeMessage()) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;
    }
  }
  returned_.notify_one();
}

void Pool::closeIdle() {
  std::vector<std::unique_ptr<Connection>> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(idle_);
    open_ -= closing.size();
  }
  returned_.notify_all();  // room for new connections
}

std::size_t Pool::inUse() const {
  std::lock_guard lock(mutex_);
  return open_ - idle_.size();
}

}  // namespace autoql::storage::postgres
