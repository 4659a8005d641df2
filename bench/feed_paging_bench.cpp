// Feed paging benchmark for the SQLite store (DESIGN 3.3 and 5): does reading one user's
// feed stay as cheap when the notification table grows?
//
// For each size N it creates a database on disk under the temp dir, migrates it, and
// stores N notifications of one project spread over 1,000 users, each notification with
// 2 recipients (so each user has 2N/1000). Then, for one user, it times the queries the
// feed routes run, each repeated many times, and prints median and p99 microseconds:
//   first page       listFeed, newest first
//   deep page        listFeed with a cursor from the middle of the user's feed
//   state page       listFeed filtered to ACKNOWLEDGED (every other of the user's)
//   count            countFeed (GET /notifications/summary)
// and the ratio of the largest size to the smallest for each. Each time is given as wall
// clock and as the thread's CPU time (the latter leaves out time spent preempted by other
// processes on a busy machine).
//
// Rows are stored through the public Store interface from several threads (group commit
// batches them), or, with --insert sql (the default above 200,000), written with one bulk
// INSERT transaction on a direct SQLite connection, matching the schema of
// src/storage/sqlite/sqlite_migrations.cpp. The output says which.
//
// Usage: feed_paging_bench [--sizes 10000,1000000] [--reps 2000] [--page 10]
//                          [--insert auto|store|sql] [--threads 16] [--keep]
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "storage/open_store.h"

namespace {

// mkdtemp() replaces these six characters with a unique name.
const std::string kMkdtempSuffix(6, 'X');

using autoql::domain::FeedQuery;
using autoql::domain::Notification;
using autoql::domain::NotificationState;
using autoql::storage::Store;
using SteadyClock = std::chrono::steady_clock;

constexpr int kUsers = 1000;
constexpr std::string_view kProject = "bench-project";
// The user whose feed is measured.
constexpr int kMeasuredUser = 7;
// Above this size, --insert auto writes the rows with SQL directly.
constexpr std::int64_t kStoreInsertLimit = 200'000;
constexpr std::int64_t kBaseCreatedMs = 1'700'000'000'000;
constexpr int kWarmup = 50;

struct Options {
  std::vector<std::int64_t> sizes{10'000, 1'000'000};
  int reps = 2000;
  std::size_t page = 10;
  std::string insert = "auto";
  int threads = 16;
  bool keep = false;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "feed_paging_bench: " << problem << "\n"
            << "usage: feed_paging_bench [--sizes 10000,1000000] [--reps 2000] [--page 10]\n"
            << "                         [--insert auto|store|sql] [--threads 16] [--keep]\n";
  std::exit(2);
}

std::int64_t parseCount(const std::string& text, const std::string& option) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value <= 0) {
    usage(option + ": '" + text + "' is not a positive integer");
  }
  return value;
}

Options parseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage(arg + " needs a value");
      }
      return argv[++i];
    };
    if (arg == "--sizes") {
      options.sizes.clear();
      const std::string list = value();
      for (std::size_t start = 0; start <= list.size();) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        options.sizes.push_back(parseCount(list.substr(start, comma - start), arg));
        start = comma + 1;
      }
    } else if (arg == "--reps") {
      options.reps = static_cast<int>(parseCount(value(), arg));
    } else if (arg == "--page") {
      options.page = static_cast<std::size_t>(parseCount(value(), arg));
    } else if (arg == "--insert") {
      options.insert = value();
      if (options.insert != "auto" && options.insert != "store" && options.insert != "sql") {
        usage("--insert: auto, store or sql");
      }
    } else if (arg == "--threads") {
      options.threads = static_cast<int>(parseCount(value(), arg));
    } else if (arg == "--keep") {
      options.keep = true;
    } else {
      usage("unknown argument " + arg);
    }
  }
  return options;
}

std::string userName(int index) {
  char name[16];
  std::snprintf(name, sizeof name, "user-%04d", index);
  return name;
}

// Notification i: recipients i mod 1000 and (i + 500) mod 1000, one second apart.
Notification makeNotification(std::int64_t i) {
  Notification n;
  char id[32];
  std::snprintf(id, sizeof id, "nt-%010lld", static_cast<long long>(i));
  n.notification_id = id;
  n.data_alert_id = "da-" + std::to_string(i % 37);
  n.project_id = std::string(kProject);
  n.event = "data_alert.true";
  n.title = "Sales above target #" + std::to_string(i);
  n.message = "Total sales exceeded the alert threshold for the period.";
  n.users = {userName(static_cast<int>(i % kUsers)),
             userName(static_cast<int>((i + kUsers / 2) % kUsers))};
  n.created_at_ms = kBaseCreatedMs + i * 1000;
  n.data_return_query = "total sales by month";
  n.query_result_json = R"({"data":{"rows":[[)" + std::to_string(i) + R"(,2.5]]}})";
  n.received_at_ms = n.created_at_ms + 250;
  n.body_sha256 = std::string(64, 'a');
  return n;
}

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "feed_paging_bench: " << what << "\n";
    std::exit(1);
  }
}

std::unique_ptr<Store> openStore(const std::string& path) {
  autoql::storage::StoreOptions options;
  options.read_connections = 2;
  auto store = autoql::storage::openStore("sqlite:" + path, options);
  check(store.ok(), "cannot open " + path + (store.ok() ? "" : ": " + store.error().detail));
  return std::move(store).value();
}

// Stores notifications [0, n) through the Store interface from `threads` threads.
void insertThroughStore(Store& store, std::int64_t n, int threads) {
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (std::int64_t i = next++; i < n && !failed; i = next++) {
        auto result = store.insertNotification(makeNotification(i));
        if (!result.ok() || result->outcome != autoql::storage::InsertOutcome::kInserted) {
          failed = true;
        }
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  check(!failed, "an insert through the store failed");
}

// Writes notifications [0, n) in one transaction on a direct connection, as the store's
// insertNotification would (columns of migration 1, one recipient row per user).
void insertWithSql(const std::string& path, std::int64_t n) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db) == SQLITE_OK, "cannot open " + path);
  auto exec = [db](const char* sql) {
    char* error = nullptr;
    check(sqlite3_exec(db, sql, nullptr, nullptr, &error) == SQLITE_OK,
          std::string(sql) + ": " + (error ? error : "?"));
  };
  exec("PRAGMA foreign_keys = ON");
  exec("BEGIN IMMEDIATE");
  sqlite3_stmt* notification = nullptr;
  sqlite3_stmt* recipient = nullptr;
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO notifications (notification_id, data_alert_id, "
                           "project_id, event, title, message, users, created_at, "
                           "data_return_query, query_result, received_at, body_sha256) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &notification, nullptr) == SQLITE_OK,
        sqlite3_errmsg(db));
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO notification_recipients (notification_seq, project_id, "
                           "user_id, state, updated_at) VALUES (?, ?, ?, 'UNACKNOWLEDGED', ?)",
                           -1, &recipient, nullptr) == SQLITE_OK,
        sqlite3_errmsg(db));
  auto text = [](sqlite3_stmt* statement, int index, const std::string& value) {
    sqlite3_bind_text(statement, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
  };
  for (std::int64_t i = 0; i < n; ++i) {
    const Notification note = makeNotification(i);
    const std::string users = "[\"" + note.users[0] + "\",\"" + note.users[1] + "\"]";
    text(notification, 1, note.notification_id);
    text(notification, 2, note.data_alert_id);
    text(notification, 3, note.project_id);
    text(notification, 4, note.event);
    text(notification, 5, note.title);
    text(notification, 6, note.message);
    text(notification, 7, users);
    sqlite3_bind_int64(notification, 8, note.created_at_ms);
    text(notification, 9, note.data_return_query);
    text(notification, 10, note.query_result_json);
    sqlite3_bind_int64(notification, 11, note.received_at_ms);
    text(notification, 12, note.body_sha256);
    check(sqlite3_step(notification) == SQLITE_DONE, sqlite3_errmsg(db));
    sqlite3_reset(notification);
    const sqlite3_int64 seq = sqlite3_last_insert_rowid(db);
    for (const std::string& user : note.users) {
      sqlite3_bind_int64(recipient, 1, seq);
      text(recipient, 2, note.project_id);
      text(recipient, 3, user);
      sqlite3_bind_int64(recipient, 4, note.received_at_ms);
      check(sqlite3_step(recipient) == SQLITE_DONE, sqlite3_errmsg(db));
      sqlite3_reset(recipient);
    }
  }
  sqlite3_finalize(notification);
  sqlite3_finalize(recipient);
  exec("COMMIT");
  sqlite3_close(db);
}

struct Timing {
  std::string query;
  std::size_t rows = 0;
  double median_us = 0;  // wall clock
  double p99_us = 0;
  double cpu_median_us = 0;  // this thread's CPU time: without time spent preempted
  double cpu_p99_us = 0;
};

double threadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

// The median and p99 of `samples` (sorted in place).
std::pair<double, double> medianAndP99(std::vector<double>& samples) {
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2],
          samples[std::min(samples.size() - 1, samples.size() * 99 / 100)]};
}

// Runs `query` kWarmup + reps times and returns the median and p99 of the timed runs.
Timing measure(const std::string& name, int reps, const std::function<std::size_t()>& query) {
  Timing timing{name};
  for (int i = 0; i < kWarmup; ++i) {
    timing.rows = query();
  }
  std::vector<double> wall;
  std::vector<double> cpu;
  wall.reserve(static_cast<std::size_t>(reps));
  cpu.reserve(static_cast<std::size_t>(reps));
  for (int i = 0; i < reps; ++i) {
    const double cpu_start = threadCpuMicros();
    const auto start = SteadyClock::now();
    timing.rows = query();
    wall.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - start).count());
    cpu.push_back(threadCpuMicros() - cpu_start);
  }
  std::tie(timing.median_us, timing.p99_us) = medianAndP99(wall);
  std::tie(timing.cpu_median_us, timing.cpu_p99_us) = medianAndP99(cpu);
  return timing;
}

struct Run {
  std::int64_t size = 0;
  std::string insert_mode;
  double insert_seconds = 0;
  std::uintmax_t db_bytes = 0;
  std::vector<Timing> timings;
};

Run runSize(std::int64_t n, const Options& options) {
  Run run;
  run.size = n;
  std::string dir_template =
      (std::filesystem::temp_directory_path() / ("feed-bench-" + kMkdtempSuffix)).string();
  check(mkdtemp(dir_template.data()) != nullptr, "cannot create a temporary directory");
  const std::string dir = dir_template;
  const std::string path = dir + "/bench.db";

  run.insert_mode =
      options.insert == "auto" ? (n > kStoreInsertLimit ? "sql" : "store") : options.insert;
  const auto insert_start = SteadyClock::now();
  {
    auto store = openStore(path);
    auto migrated = store->migrate();
    check(migrated.ok(), "migrate failed");
    if (run.insert_mode == "store") {
      insertThroughStore(*store, n, options.threads);
    }
  }
  if (run.insert_mode == "sql") {
    insertWithSql(path, n);
  }
  run.insert_seconds = std::chrono::duration<double>(SteadyClock::now() - insert_start).count();

  auto store = openStore(path);
  const std::string user = userName(kMeasuredUser);
  const std::string project(kProject);

  // The user's notifications, oldest first; every other one becomes ACKNOWLEDGED.
  auto all = store->feedSince(project, user, 0, static_cast<std::size_t>(n));
  check(all.ok() && !all->empty(), "the measured user has no notifications");
  for (std::size_t i = 0; i < all->size(); i += 2) {
    auto changed = store->setNotificationState((*all)[i].notification.notification_id, project,
                                               user, NotificationState::kAcknowledged);
    check(changed.ok(), "setNotificationState failed");
  }
  const std::int64_t middle_seq = (*all)[all->size() / 2].notification.seq;

  // As GET /notifications asks: one row more than the page, to know if there is a next.
  const std::size_t limit = options.page + 1;
  auto page = [&](std::optional<NotificationState> state, std::optional<std::int64_t> before) {
    auto rows = store->listFeed(FeedQuery{project, user, state, before, limit});
    check(rows.ok(), "listFeed failed");
    return rows->size();
  };
  run.timings.push_back(
      measure("first page", options.reps, [&] { return page(std::nullopt, std::nullopt); }));
  run.timings.push_back(measure("deep page (middle cursor)", options.reps,
                                [&] { return page(std::nullopt, middle_seq); }));
  run.timings.push_back(measure("state=ACKNOWLEDGED page", options.reps, [&] {
    return page(NotificationState::kAcknowledged, std::nullopt);
  }));
  run.timings.push_back(measure("countFeed", options.reps, [&] {
    auto counts = store->countFeed(project, user);
    check(counts.ok(), "countFeed failed");
    return static_cast<std::size_t>(counts->unacknowledged + counts->acknowledged +
                                    counts->dismissed);
  }));

  store.reset();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    run.db_bytes += entry.file_size(ec);
  }
  if (options.keep) {
    std::cout << "kept " << path << "\n";
  } else {
    std::filesystem::remove_all(dir, ec);
  }
  return run;
}

std::string label(std::int64_t n) {
  if (n >= 1'000'000 && n % 1'000'000 == 0) {
    return std::to_string(n / 1'000'000) + "M";
  }
  if (n >= 1000 && n % 1000 == 0) {
    return std::to_string(n / 1000) + "k";
  }
  return std::to_string(n);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parseOptions(argc, argv);
  std::printf(
      "feed paging benchmark: %d users, 2 recipients per notification, page of %zu "
      "(listFeed limit %zu), %d repetitions per query after %d warm-up\n",
      kUsers, options.page, options.page + 1, options.reps, kWarmup);

  std::vector<Run> runs;
  for (std::int64_t n : options.sizes) {
    runs.push_back(runSize(n, options));
    const Run& run = runs.back();
    const std::string how =
        run.insert_mode == "store"
            ? "Store::insertNotification from " + std::to_string(options.threads) + " threads"
            : std::string("direct SQL bulk INSERT in one transaction");
    std::printf("\nN=%s: inserted with %s in %.1f s (%.0f notifications/s), database %.1f MiB\n",
                label(n).c_str(), how.c_str(), run.insert_seconds,
                static_cast<double>(n) / run.insert_seconds,
                static_cast<double>(run.db_bytes) / (1024.0 * 1024.0));
    std::printf("  %-26s %5s %10s %10s %14s %11s\n", "query", "rows", "median_us", "p99_us",
                "cpu_median_us", "cpu_p99_us");
    for (const Timing& t : run.timings) {
      std::printf("  %-26s %5zu %10.1f %10.1f %14.1f %11.1f\n", t.query.c_str(), t.rows,
                  t.median_us, t.p99_us, t.cpu_median_us, t.cpu_p99_us);
    }
    std::fflush(stdout);
  }

  if (runs.size() >= 2) {
    const Run& small = runs.front();
    const Run& large = runs.back();
    std::printf("\nratio %s/%s:\n  %-26s %10s %10s %14s %11s\n", label(large.size).c_str(),
                label(small.size).c_str(), "query", "median", "p99", "cpu_median", "cpu_p99");
    for (std::size_t i = 0; i < small.timings.size(); ++i) {
      const Timing& a = small.timings[i];
      const Timing& b = large.timings[i];
      std::printf("  %-26s %9.2fx %9.2fx %13.2fx %10.2fx\n", a.query.c_str(),
                  b.median_us / a.median_us, b.p99_us / a.p99_us, b.cpu_median_us / a.cpu_median_us,
                  b.cpu_p99_us / a.cpu_p99_us);
    }
  }
  return 0;
}
