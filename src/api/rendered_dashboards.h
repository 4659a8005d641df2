// Dashboards as GET /dashboards last wrote them, each under its id and version.
//
// A page of dashboards is the largest answer of a read, and reading each row and writing it
// out as JSON was most of its cost. A dashboard's JSON changes only with its version (every
// write makes a new one, and ids are never reused), so the JSON held for the version a
// page lists is that row's JSON: the page is written from here, and only the rows not held
// are read (Store::visitDashboards asks first).
//
// Bounded in memory. When a new row would not fit, a sweep drops every row no page has
// been written from since it was held or since the sweep before (so one long walk through
// many pages does not push out the rows read all the time); if the rows in use still fill
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

#include "domain/dashboard.h"

namespace autoql::api {

class RenderedDashboards {
 public:
  explicit RenderedDashboards(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends the JSON held for this version of the dashboard to `out`; false, leaving
  // `out` as it was, when that version is not held.
  bool appendTo(std::string& out, domain::DashboardKey key) const;

  // Holds `json` as the JSON of this version, in place of an older version's. A version
  // older than the one held is ignored: a slower read may bring it after a newer one.
  void hold(domain::DashboardKey key, std::string_view json);

  // The memory the held rows take (their JSON and a share for bookkeeping), and how many
  // dashboards are held.
  std::size_t bytes() const;
  std::size_t size() const;

 private:
  struct Entry {
    Entry(std::int64_t v, std::string_view text) : version(v), json(text) {}
    std::int64_t version;
    std::string json;
    // Set by every page written from the entry, cleared by each sweep.
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
