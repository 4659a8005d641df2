#include "api/rendered_json.h"

#include <mutex>

namespace autoql::api {
namespace {

// What holding a row costs beyond its JSON: the map's node and the string's header,
// roughly, so that the bound is on memory rather than on text alone.
constexpr std::size_t kEntryOverhead = 96;

// A row is held only if it takes at most this share of the room.
constexpr std::size_t kLargestShare = 16;

}  // namespace

bool RenderedJson::appendTo(std::string& out, Key key) const {
  std::shared_lock lock(mutex_);
  const auto found = entries_.find(key.id);
  if (found == entries_.end() || found->second.version != key.version) {
    return false;
  }
  const Entry& entry = found->second;
  // Read first: a write to the flag on every read would bounce its cache line between
  // the threads that read the same rows.
  if (!entry.used.load(std::memory_order_relaxed)) {
    entry.used.store(true, std::memory_order_relaxed);
  }
  out += entry.json;
  return true;
}

void RenderedJson::hold(Key key, std::string_view json) {
  const std::size_t cost = json.size() + kEntryOverhead;
  std::unique_lock lock(mutex_);
  auto found = entries_.find(key.id);
  if (found != entries_.end()) {
    if (found->second.version >= key.version) {
      return;
    }
    bytes_ -= found->second.json.size() + kEntryOverhead;
    entries_.erase(found);
  }

  // One row that took much of the room would push out the many small rows the busiest
  // reads are made of, and save little: writing out megabytes costs more than making
  // them. Such rows are written out anew each time.
  if (cost > max_bytes_ / kLargestShare) {
    return;
  }
  if (bytes_ + cost > max_bytes_) {
    sweep(cost);
  }
  entries_.try_emplace(key.id, key.version, json);
  bytes_ += cost;
}

void RenderedJson::sweep(std::size_t needed) {
  // Sweeping down to three quarters spreads its cost over the rows that fill the room
  // again, instead of paying it for every new row once the room is full.
  const std::size_t target = max_bytes_ - max_bytes_ / 4;
  const std::size_t keep = needed >= target ? 0 : target - needed;
  // Every row no read was written from since it was held or since the last sweep goes;
  // the others are marked unused for the next sweep.
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.used.exchange(false, std::memory_order_relaxed)) {
      ++it;
      continue;
    }
    bytes_ -= it->second.json.size() + kEntryOverhead;
    it = entries_.erase(it);
  }
  // When the rows in use fill the room, some of them go too.
  for (auto it = entries_.begin(); it != entries_.end() && bytes_ > keep;) {
    bytes_ -= it->second.json.size() + kEntryOverhead;
    it = entries_.erase(it);
  }
}

std::size_t RenderedJson::bytes() const {
  std::shared_lock lock(mutex_);
  return bytes_;
}

std::size_t RenderedJson::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

}  // namespace autoql::api
