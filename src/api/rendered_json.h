// JSON the read routes have written, kept to be written again, each under the id and
// version of the row it was made from.
//
// Writing a row out as JSON, after reading it, was most of the cost of the busiest reads.
// What these rows become changes only with their version (a dashboard's every change
// makes a new one; a notification's content never changes), and ids are never reused, so
// the JSON held for the version a read finds is that row's JSON: only the rows not held
// are read whole and written out. Users: GET /dashboards (pages, see
// Store::visitDashboards) and GET /notifications/{id} (the content, see
// Store::findNotification).
//
// Bounded in memory. When a new row would not fit, a sweep drops every row no read has
// been written from since it was held or since the sweep before (so one long walk through
// many rows does not push out the rows read all the time); if the rows in use still fill
// more than three quarters of the room, some of them go too. Safe to use from many
// threads at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace autoql::api {

class RenderedJson {
 public:
  struct Key {
    std::int64_t id = 0;
    std::int64_t version = 0;
  };

  explicit RenderedJson(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends the JSON held for this version of the row to `out`; false, leaving `out` as
  // it was, when that version is not held.
  bool appendTo(std::string& out, Key key) const;

  // Holds `json` as the JSON of this version, in place of an older version's. A version
  // older than the one held is ignored: a slower read may bring it after a newer one. A
  // row larger than a sixteenth of the room is not held.
  void hold(Key key, std::string_view json);

  // The memory the held rows take (their JSON and a share for bookkeeping), and how many
  // rows are held.
  std::size_t bytes() const;
  std::size_t size() const;

 private:
  struct Entry {
    Entry(std::int64_t v, std::string_view text) : version(v), json(text) {}
    std::int64_t version;
    std::string json;
    // Set by every read written from the entry, cleared by each sweep.
    mutable std::atomic<bool> used{false};
  };

  // Frees room for `needed` more bytes. Requires the exclusive lock.
  void sweep(std::size_t needed);

  const std::size_t max_bytes_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::int64_t, Entry> entries_;
  std::size_t bytes_ = 0;
};

}  // namespace autoql::api
