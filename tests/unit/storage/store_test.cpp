// The store contract, run against every engine: SQLite in memory and on a file in WAL
// mode, and PostgreSQL when the test command provides a server (AUTOQL_TEST_POSTGRES_URL,
// see scripts/with-postgres; each test gets a database of its own). Dashboards round
// trip, ids are never reused, notifications are stored exactly once under concurrency,
// concurrent writes all commit, migrations are idempotent.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "storage/open_store.h"
#include "storage/sqlite/sqlite_store.h"

namespace autoql::storage {
namespace {

namespace fs = std::filesystem;

enum class Engine { kMemory, kFile, kPostgres };

// Creates a fresh database on the test server and returns its URL, or "" without one.
std::string freshPostgresDatabase() {
  const char* admin_url = std::getenv("AUTOQL_TEST_POSTGRES_URL");
  if (admin_url == nullptr || *admin_url == '\0') {
    return {};
  }
  static int counter = 0;
  const std::string name =
      "autoql_store_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  PGconn* admin = PQconnectdb(admin_url);
  PGresult* created = PQexec(admin, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(created) == PGRES_COMMAND_OK;
  PQclear(created);
  PQfinish(admin);
  if (!ok) {
    return {};
  }
  // Swap the database name: postgresql://user@host/<name>?params
  std::string url = admin_url;
  const std::size_t query = url.find('?');
  const std::size_t slash = url.rfind('/', query);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

// Runs each test on every engine.
class StoreTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.clock = [] { return std::int64_t{1764763200000}; };
    std::string url = "sqlite::memory:";
    if (GetParam() == Engine::kPostgres) {
      url = freshPostgresDatabase();
      if (url.empty()) {
        GTEST_SKIP() << "no PostgreSQL server (run the tests through scripts/with-postgres)";
      }
    }
    if (GetParam() == Engine::kFile) {
      dir_ = fs::temp_directory_path() /
             ("autoql-store-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
      fs::remove_all(dir_);
      fs::create_directories(dir_);
      url = "sqlite:" + (dir_ / "test.db").string();
    }
    auto opened = openStore(url, options);
    ASSERT_TRUE(opened.ok()) << opened.error().detail;
    store_ = std::move(opened).value();
    auto migrated = store_->migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().detail;
    // SQLite's fifth adds the version to the index of dashboard pages; PostgreSQL reads
    // pages as whole rows (see PgStore::visitDashboards).
    EXPECT_EQ(*migrated, GetParam() == Engine::kPostgres ? 4 : 5);
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
  }

  domain::Dashboard create(const std::string& user, const std::string& name) {
    auto created = store_->createDashboard({"project", user, name, R"([{"i":"a"}])"});
    EXPECT_TRUE(created.ok());
    return created.ok() ? *created : domain::Dashboard{};
  }

  static domain::Notification notification(const std::string& id) {
    domain::Notification n;
    n.notification_id = id;
    n.data_alert_id = "da_1";
    n.project_id = "project";
    n.event = "data_alert.true";
    n.title = "High Sales";
    n.users = {"u1", "u2", "u1"};
    n.created_at_ms = 1605910895000;
    n.query_result_json = R"({"data":{"rows":[[1,2]]}})";
    n.received_at_ms = 1764763200000;
    n.body_sha256 = "hash-of-" + id;
    return n;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, MigratingAgainAppliesNothing) {
  auto again = store_->migrate();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST_P(StoreTest, CreatesAndReadsDashboards) {
  const auto created = create("u1", "Sales");
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.version, 1);
  EXPECT_EQ(created.created_at_ms, 1764763200000);

  auto read = store_->getDashboard(created.id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->name, "Sales");
  EXPECT_EQ(read->data_json, R"([{"i":"a"}])");
  EXPECT_EQ(read->user_id, "u1");
}

TEST_P(StoreTest, ListsNewestFirstPerOwner) {
  const auto first = create("u1", "first");
  const auto second = create("u1", "second");
  create("u2", "someone else's");

  auto page = store_->listDashboards("project", "u1", 10, 0);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2U);
  EXPECT_EQ((*page)[0].id, second.id);
  EXPECT_EQ((*page)[1].id, first.id);

  auto offset = store_->listDashboards("project", "u1", 1, 1);
  ASSERT_TRUE(offset.ok());
  ASSERT_EQ(offset->size(), 1U);
  EXPECT_EQ((*offset)[0].id, first.id);
}

TEST_P(StoreTest, PagesAskWhatTheCallerHoldsBeforeReadingRows) {
  const auto oldest = create("u1", "oldest");
  const auto middle = create("u1", "middle");
  const auto newest = create("u1", "newest");
  ASSERT_TRUE(
      store_->updateDashboard(middle.id, {std::string("middle, renamed"), std::nullopt, {}}, {}, "")
          .ok());

  // The caller holds the middle dashboard at its new version.
  std::vector<std::string> events;
  auto visited = store_->visitDashboards(
      "project", "u1", 10, 0,
      [&](domain::DashboardKey key) {
        events.push_back("held? " + std::to_string(key.id) + "@" + std::to_string(key.version));
        return key.id == middle.id && key.version == 2;
      },
      [&](const domain::DashboardView& row) {
        events.push_back("read " + std::to_string(row.id) + " " + std::string(row.name));
      });
  ASSERT_TRUE(visited.ok());

  const auto at = [](const domain::Dashboard& d, int version) {
    return std::to_string(d.id) + "@" + std::to_string(version);
  };
  const auto read = [](const domain::Dashboard& d, const std::string& name) {
    return "read " + std::to_string(d.id) + " " + name;
  };
  if (GetParam() == Engine::kPostgres) {
    // Whole rows in one round trip: nothing asked, everything read.
    EXPECT_EQ(events,
              (std::vector<std::string>{read(newest, "newest"), read(middle, "middle, renamed"),
                                        read(oldest, "oldest")}));
  } else {
    EXPECT_EQ(events, (std::vector<std::string>{"held? " + at(newest, 1), read(newest, "newest"),
                                                "held? " + at(middle, 2), "held? " + at(oldest, 1),
                                                read(oldest, "oldest")}));
  }

  // Paging applies to the keys as to the rows.
  events.clear();
  visited = store_->visitDashboards(
      "project", "u1", 1, 1, [](domain::DashboardKey) { return false; },
      [&](const domain::DashboardView& row) { events.push_back(std::string(row.name)); });
  ASSERT_TRUE(visited.ok());
  EXPECT_EQ(events, std::vector<std::string>{"middle, renamed"});
}

// An edit journals the pages it overwrites; a journal of megabytes once failed to move
// to disk (see configureLibrary in sqlite_connection.cpp), answering 503 for good.
TEST_P(StoreTest, CommitsEditsOfLargeDashboards) {
  const std::string before = "[\"" + std::string(9 << 20, 'x') + "\"]";
  const std::string after = "[\"" + std::string(9 << 20, 'y') + "\"]";
  auto created = store_->createDashboard({"project", "u1", "large", before});
  ASSERT_TRUE(created.ok()) << created.error().detail;

  auto edited = store_->updateDashboard(created->id, {std::nullopt, after, {}}, {}, "u1");
  ASSERT_TRUE(edited.ok()) << edited.error().detail;
  EXPECT_TRUE(edited->applied);

  auto read = store_->getDashboard(created->id);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->data_json == after);  // not EXPECT_EQ: a failure would print 9 MB
  EXPECT_EQ(read->version, 2);
}

TEST_P(StoreTest, UpdatesBumpTheVersionAndKeepAbsentFields) {
  const auto created = create("u1", "before");
  auto renamed =
      store_->updateDashboard(created.id, {std::string("after"), std::nullopt, {}}, {}, "editor");
  ASSERT_TRUE(renamed.ok());
  EXPECT_TRUE(renamed->applied);
  EXPECT_EQ(renamed->dashboard.version, 2);
  EXPECT_EQ(renamed->dashboard.name, "after");
  EXPECT_EQ(renamed->dashboard.data_json, created.data_json);
  EXPECT_EQ(renamed->dashboard.updated_by, "editor");

  auto missing = store_->updateDashboard(999999, {std::string("x"), std::nullopt, {}}, {}, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

TEST_P(StoreTest, ConditionalUpdateAppliesOnlyToTheExpectedVersion) {
  const auto created = create("u1", "v1");
  domain::VersionCondition at_one;
  at_one.require(1);

  auto first =
      store_->updateDashboard(created.id, {std::string("v2"), std::nullopt, {}}, at_one, "");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->applied);
  EXPECT_EQ(first->dashboard.updated_by, "u1");  // attributed to the owner when unnamed

  auto stale =
      store_->updateDashboard(created.id, {std::string("lost"), std::nullopt, {}}, at_one, "");
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->applied);
  EXPECT_EQ(stale->dashboard.version, 2);
  EXPECT_EQ(store_->getDashboard(created.id)->name, "v2");
}

TEST_P(StoreTest, KeepsEveryEarlierVersion) {
  const auto created = create("u1", "v1");
  for (const char* name : {"v2", "v3"}) {
    ASSERT_TRUE(
        store_->updateDashboard(created.id, {std::string(name), std::nullopt, {}}, {}, "").ok());
  }

  auto history = store_->listDashboardVersions(created.id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2U);
  EXPECT_EQ((*history)[0].version, 2);
  EXPECT_EQ((*history)[0].name, "v2");
  EXPECT_EQ((*history)[1].version, 1);

  auto first = store_->getDashboardVersion(created.id, 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->name, "v1");
  EXPECT_EQ(first->data_json, created.data_json);
  EXPECT_EQ(store_->getDashboardVersion(created.id, 3)->name, "v3");  // the current one
  EXPECT_EQ(store_->getDashboardVersion(created.id, 4).error().code, Errc::kNotFound);
}

TEST_P(StoreTest, RestoreAppendsANewVersion) {
  const auto created = create("u1", "v1");
  ASSERT_TRUE(
      store_->updateDashboard(created.id, {std::string("v2"), std::string("[]"), {}}, {}, "").ok());

  auto restored = store_->restoreDashboardVersion(created.id, 1, {}, "u1");
  ASSERT_TRUE(restored.ok());
  EXPECT_TRUE(restored->applied);
  EXPECT_EQ(restored->dashboard.version, 3);
  EXPECT_EQ(restored->dashboard.name, "v1");
  EXPECT_EQ(restored->dashboard.data_json, created.data_json);
  EXPECT_EQ(store_->listDashboardVersions(created.id)->size(), 2U);

  EXPECT_EQ(store_->restoreDashboardVersion(created.id, 9, {}, "").error().code, Errc::kNotFound);
}

TEST_P(StoreTest, DeletingADashboardDeletesItsHistory) {
  const auto created = create("u1", "v1");
  ASSERT_TRUE(
      store_->updateDashboard(created.id, {std::string("v2"), std::nullopt, {}}, {}, "").ok());
  ASSERT_TRUE(store_->deleteDashboard(created.id, {}).ok());
  EXPECT_EQ(store_->listDashboardVersions(created.id).error().code, Errc::kNotFound);
  EXPECT_EQ(store_->getDashboardVersion(created.id, 1).error().code, Errc::kNotFound);
}

TEST_P(StoreTest, DeletesAndNeverReusesIds) {
  const auto created = create("u1", "gone");
  domain::VersionCondition stale;
  stale.require(7);
  auto refused = store_->deleteDashboard(created.id, stale);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->applied);
  EXPECT_TRUE(store_->getDashboard(created.id).ok());

  ASSERT_TRUE(store_->deleteDashboard(created.id, {}).ok());
  EXPECT_EQ(store_->getDashboard(created.id).error().code, Errc::kNotFound);
  EXPECT_EQ(store_->deleteDashboard(created.id, {}).error().code, Errc::kNotFound);
  EXPECT_GT(create("u1", "next").id, created.id);
}

TEST_P(StoreTest, StoresANotificationOnce) {
  auto first = store_->insertNotification(notification("nt_1"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->outcome, InsertOutcome::kInserted);
  EXPECT_GT(first->seq, 0);

  auto again = store_->insertNotification(notification("nt_1"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, InsertOutcome::kDuplicate);
  EXPECT_EQ(again->seq, first->seq);

  auto changed = notification("nt_1");
  changed.body_sha256 = "other";
  auto conflicting = store_->insertNotification(changed);
  ASSERT_TRUE(conflicting.ok());
  EXPECT_EQ(conflicting->outcome, InsertOutcome::kConflictingDuplicate);
}

TEST_P(StoreTest, ReadsANotificationWithItsRecipientState) {
  ASSERT_TRUE(store_->insertNotification(notification("nt_2")).ok());

  auto anonymous = store_->getNotification("nt_2", "");
  ASSERT_TRUE(anonymous.ok()) << anonymous.error().detail;
  EXPECT_FALSE(anonymous->state.has_value());
  EXPECT_EQ(anonymous->notification.users, (std::vector<std::string>{"u1", "u2", "u1"}));
  EXPECT_EQ(anonymous->notification.query_result_json, R"({"data":{"rows":[[1,2]]}})");

  auto recipient = store_->getNotification("nt_2", "u2");
  ASSERT_TRUE(recipient.ok());
  EXPECT_EQ(recipient->state, domain::NotificationState::kUnacknowledged);

  auto stranger = store_->getNotification("nt_2", "u9");
  ASSERT_TRUE(stranger.ok());
  EXPECT_FALSE(stranger->state.has_value());

  EXPECT_EQ(store_->getNotification("nt_unknown", "").error().code, Errc::kNotFound);
}

TEST_P(StoreTest, FindsWhereARecipientsCopyStandsWithoutTheContent) {
  ASSERT_TRUE(store_->insertNotification(notification("nt_3")).ok());
  const auto full = store_->getNotification("nt_3", "u1");
  ASSERT_TRUE(full.ok());

  auto recipient = store_->findNotification("nt_3", "u1");
  ASSERT_TRUE(recipient.ok()) << recipient.error().detail;
  EXPECT_EQ(recipient->seq, full->notification.seq);
  EXPECT_EQ(recipient->state, domain::NotificationState::kUnacknowledged);
  EXPECT_EQ(recipient->project_id, "project");

  ASSERT_TRUE(
      store_->setNotificationState("nt_3", "project", "u1", domain::NotificationState::kDismissed)
          .ok());
  EXPECT_EQ(store_->findNotification("nt_3", "u1")->state, domain::NotificationState::kDismissed);
  EXPECT_EQ(store_->findNotification("nt_3", "u2")->state,
            domain::NotificationState::kUnacknowledged);

  // No longer in u1's feed, never in u9's, and no user named: no state, no project.
  ASSERT_TRUE(store_->removeFromFeed("nt_3", "project", "u1").ok());
  for (const char* user : {"u1", "u9", ""}) {
    auto other = store_->findNotification("nt_3", user);
    ASSERT_TRUE(other.ok()) << user;
    EXPECT_EQ(other->seq, full->notification.seq) << user;
    EXPECT_FALSE(other->state.has_value()) << user;
    EXPECT_EQ(other->project_id, "") << user;
  }

  EXPECT_EQ(store_->findNotification("nt_unknown", "u1").error().code, Errc::kNotFound);
}

TEST_P(StoreTest, ConcurrentIdenticalDeliveriesStoreOneRow) {
  std::atomic<int> inserted{0};
  std::atomic<int> duplicates{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&] {
      auto outcome = store_->insertNotification(notification("nt_race"));
      ASSERT_TRUE(outcome.ok());
      (outcome->outcome == InsertOutcome::kInserted ? inserted : duplicates)++;
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(inserted, 1);
  EXPECT_EQ(duplicates, 9);
}

TEST_P(StoreTest, ConcurrentWritesAllCommit) {
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::mutex ids_mutex;
  std::set<std::int64_t> ids;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto created = store_->createDashboard({"project", "u" + std::to_string(t), "d", "[]"});
        ASSERT_TRUE(created.ok());
        std::lock_guard lock(ids_mutex);
        ids.insert(created->id);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kEach));
  for (int t = 0; t < kThreads; ++t) {
    auto page = store_->listDashboards("project", "u" + std::to_string(t), 100, 0);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->size(), static_cast<std::size_t>(kEach));
  }
}

// Waits for a number of asynchronous answers.
class Answers {
 public:
  explicit Answers(int expected) : expected_(expected) {}

  void arrived() {
    std::lock_guard lock(mutex_);
    ++arrived_;
    all_.notify_all();
  }

  bool waitAll() {
    std::unique_lock lock(mutex_);
    return all_.wait_for(lock, std::chrono::seconds(30), [this] { return arrived_ == expected_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_;
  int expected_;
  int arrived_ = 0;
};

TEST_P(StoreTest, AsynchronousCreatesAnswerOnceCommittedAndReadable) {
  constexpr int kWrites = 60;
  Answers answers(kWrites);
  std::mutex ids_mutex;
  std::set<std::int64_t> ids;
  std::atomic<int> failed{0};
  for (int i = 0; i < kWrites; ++i) {
    store_->createDashboardAsync({"project", "async", "d" + std::to_string(i), "[]"},
                                 [&](Result<domain::Dashboard> done) {
                                   if (done.ok()) {
                                     std::lock_guard lock(ids_mutex);
                                     ids.insert(done->id);
                                   } else {
                                     ++failed;
                                   }
                                   answers.arrived();
                                 });
  }
  ASSERT_TRUE(answers.waitAll());
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kWrites));
  for (std::int64_t id : ids) {
    EXPECT_TRUE(store_->getDashboard(id).ok()) << id;
  }
  auto page = store_->listDashboards("project", "async", 100, 0);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->size(), static_cast<std::size_t>(kWrites));
}

TEST_P(StoreTest, AsynchronousDeliveriesStoreOneRowAndTellTheListenerFirst) {
  std::atomic<int> heard{0};
  store_->onNotificationStored([&heard](const domain::Notification&) { ++heard; });
  constexpr int kDeliveries = 20;
  Answers answers(kDeliveries);
  std::atomic<int> inserted{0};
  std::atomic<int> duplicates{0};
  std::atomic<int> heard_before_answer{0};
  for (int i = 0; i < kDeliveries; ++i) {
    store_->insertNotificationAsync(notification("nt_async"), [&](Result<InsertResult> outcome) {
      if (!outcome.ok()) {
        // Counted as neither: the totals below fail.
      } else if (outcome->outcome == InsertOutcome::kInserted) {
        ++inserted;
        heard_before_answer = heard.load();
      } else {
        ++duplicates;
      }
      answers.arrived();
    });
  }
  ASSERT_TRUE(answers.waitAll());
  EXPECT_EQ(inserted, 1);
  EXPECT_EQ(duplicates, kDeliveries - 1);
  // PostgreSQL tells its listener through LISTEN/NOTIFY, after the answer.
  if (GetParam() != Engine::kPostgres) {
    EXPECT_EQ(heard_before_answer, 1);
  }
}

TEST_P(StoreTest, FeedIsNewestFirstAndPagesByCursor) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(store_->insertNotification(notification("nt_" + std::to_string(i))).ok());
  }
  domain::FeedQuery query{"project", "u1", std::nullopt, std::nullopt, 2};
  auto first = store_->listFeed(query);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2U);
  EXPECT_EQ((*first)[0].notification.notification_id, "nt_5");
  EXPECT_EQ((*first)[1].notification.notification_id, "nt_4");
  EXPECT_EQ((*first)[0].state, domain::NotificationState::kUnacknowledged);

  // A notification arriving between pages changes neither the next page nor the rest.
  ASSERT_TRUE(store_->insertNotification(notification("nt_6")).ok());
  query.before_seq = first->back().notification.seq;
  auto second = store_->listFeed(query);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 2U);
  EXPECT_EQ((*second)[0].notification.notification_id, "nt_3");

  EXPECT_TRUE(store_->listFeed({"project", "u9", std::nullopt, std::nullopt, 10})->empty());
  EXPECT_TRUE(store_->listFeed({"other", "u1", std::nullopt, std::nullopt, 10})->empty());
}

TEST_P(StoreTest, StatesArePerRecipient) {
  ASSERT_TRUE(store_->insertNotification(notification("nt_a")).ok());
  ASSERT_TRUE(store_->insertNotification(notification("nt_b")).ok());
  using domain::NotificationState;

  auto read =
      store_->setNotificationState("nt_a", "project", "u1", NotificationState::kAcknowledged);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->state, NotificationState::kAcknowledged);
  EXPECT_EQ(store_->getNotification("nt_a", "u2")->state, NotificationState::kUnacknowledged);
  EXPECT_EQ(store_->setNotificationState("nt_a", "project", "u9", NotificationState::kDismissed)
                .error()
                .code,
            Errc::kNotFound);

  auto counts = store_->countFeed("project", "u1");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->unacknowledged, 1);
  EXPECT_EQ(counts->acknowledged, 1);

  auto only_acknowledged =
      store_->listFeed({"project", "u1", NotificationState::kAcknowledged, std::nullopt, 10});
  ASSERT_EQ(only_acknowledged->size(), 1U);
  EXPECT_EQ((*only_acknowledged)[0].notification.notification_id, "nt_a");

  auto changed = store_->setAllNotificationStates("project", "u1", NotificationState::kDismissed,
                                                  std::nullopt);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 2);
  EXPECT_EQ(store_->countFeed("project", "u1")->dismissed, 2);
  EXPECT_EQ(store_->countFeed("project", "u2")->unacknowledged, 2);
}

TEST_P(StoreTest, BulkStateChangeHonoursBefore) {
  auto older = notification("nt_old");
  older.created_at_ms = 1000;
  ASSERT_TRUE(store_->insertNotification(older).ok());
  ASSERT_TRUE(store_->insertNotification(notification("nt_new")).ok());
  auto changed = store_->setAllNotificationStates(
      "project", "u1", domain::NotificationState::kAcknowledged, std::int64_t{2000});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 1);
  EXPECT_EQ(store_->getNotification("nt_new", "u1")->state,
            domain::NotificationState::kUnacknowledged);
}

TEST_P(StoreTest, RemovingFromOneFeedKeepsTheOthers) {
  ASSERT_TRUE(store_->insertNotification(notification("nt_r")).ok());
  ASSERT_TRUE(store_->removeFromFeed("nt_r", "project", "u1").ok());
  EXPECT_EQ(store_->removeFromFeed("nt_r", "project", "u1").error().code, Errc::kNotFound);
  EXPECT_TRUE(store_->listFeed({"project", "u1", std::nullopt, std::nullopt, 10})->empty());
  EXPECT_EQ(store_->listFeed({"project", "u2", std::nullopt, std::nullopt, 10})->size(), 1U);
}

TEST_P(StoreTest, FeedSinceReturnsWhatAStreamMissed) {
  ASSERT_TRUE(store_->insertNotification(notification("nt_1")).ok());
  const auto seen = store_->getNotification("nt_1", "")->notification.seq;
  ASSERT_TRUE(store_->insertNotification(notification("nt_2")).ok());
  ASSERT_TRUE(store_->insertNotification(notification("nt_3")).ok());
  auto missed = store_->feedSince("project", "u1", seen, 10);
  ASSERT_TRUE(missed.ok());
  ASSERT_EQ(missed->size(), 2U);
  EXPECT_EQ((*missed)[0].notification.notification_id, "nt_2");
  EXPECT_EQ((*missed)[1].notification.notification_id, "nt_3");
}

TEST_P(StoreTest, QuickStartTopicsArePerProjectAndReplaced) {
  EXPECT_EQ(*store_->getQuickStartTopics("project"), "[]");
  ASSERT_TRUE(store_->putQuickStartTopics("project", R"([{"topic":"A","queries":[]}])").ok());
  ASSERT_TRUE(store_->putQuickStartTopics("project", R"([{"topic":"B","queries":["q"]}])").ok());
  EXPECT_EQ(*store_->getQuickStartTopics("project"), R"([{"topic":"B","queries":["q"]}])");
  EXPECT_EQ(*store_->getQuickStartTopics("other"), "[]");
}

TEST_P(StoreTest, PingAnswers) {
  EXPECT_TRUE(store_->ping().ok());
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest,
                         ::testing::Values(Engine::kMemory, Engine::kFile, Engine::kPostgres),
                         [](const auto& test) {
                           switch (test.param) {
                             case Engine::kMemory:
                               return "Memory";
                             case Engine::kFile:
                               return "File";
                             case Engine::kPostgres:
                               break;
                           }
                           return "Postgres";
                         });

TEST(OpenStore, ChecksDatabaseUrls) {
  EXPECT_EQ(checkDatabaseUrl("sqlite:autoql.db"), "");
  EXPECT_EQ(checkDatabaseUrl("sqlite::memory:"), "");
  EXPECT_NE(checkDatabaseUrl("sqlite:"), "");
  EXPECT_NE(checkDatabaseUrl("mysql://x"), "");
  EXPECT_NE(checkDatabaseUrl("autoql.db"), "");
}

// A migrated SQLite file in a directory of its own, removed afterwards, and a second
// connection to it that stands for another process.
class SqliteFile {
 public:
  explicit SqliteFile(const std::string& name, StoreOptions options = {})
      : dir_(fs::temp_directory_path() / ("autoql-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "test.db").string();
    auto opened = openStore("sqlite:" + path_, options);
    if (opened.ok()) {
      store_ = std::move(opened).value();
      migrated_ = store_->migrate().ok();
    }
  }
  ~SqliteFile() {
    if (other_ != nullptr) {
      sqlite3_close(other_);
    }
    store_.reset();
    fs::remove_all(dir_);
  }
  SqliteFile(const SqliteFile&) = delete;
  SqliteFile& operator=(const SqliteFile&) = delete;

  bool ready() const { return store_ != nullptr && migrated_; }
  Store& store() { return *store_; }
  const std::string& path() const { return path_; }

  // The other connection (opened on first use); runs `sql` there.
  int execElsewhere(const char* sql) {
    if (other_ == nullptr && sqlite3_open(path_.c_str(), &other_) != SQLITE_OK) {
      return SQLITE_CANTOPEN;
    }
    return sqlite3_exec(other_, sql, nullptr, nullptr, nullptr);
  }

 private:
  fs::path dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
  bool migrated_ = false;
  sqlite3* other_ = nullptr;
};

// A SQLite file's writer queue is bounded: with its one place taken by a write that waits
// for another process's lock, the next asynchronous write is refused at once.
TEST(SqliteStore, RefusesAsynchronousWritesBeyondTheQueueBound) {
  StoreOptions options;
  options.max_queued_writes = 1;
  options.busy_timeout = std::chrono::milliseconds(2000);
  SqliteFile file("bound", options);
  ASSERT_TRUE(file.ready());
  Store* store = &file.store();
  ASSERT_EQ(file.execElsewhere("BEGIN IMMEDIATE"), SQLITE_OK);

  Answers first(1);
  bool first_ok = false;
  store->createDashboardAsync({"project", "u", "waits", "[]"}, [&](Result<domain::Dashboard> r) {
    first_ok = r.ok();
    first.arrived();
  });
  std::optional<Errc> refused;
  store->createDashboardAsync({"project", "u", "refused", "[]"}, [&](Result<domain::Dashboard> r) {
    if (!r.ok()) {
      refused = r.error().code;
    }
  });
  EXPECT_EQ(refused, Errc::kOverloaded);  // answered before createDashboardAsync returned

  ASSERT_EQ(file.execElsewhere("COMMIT"), SQLITE_OK);
  ASSERT_TRUE(first.waitAll());
  EXPECT_TRUE(first_ok);
  auto page = store->listDashboards("project", "u", 10, 0);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->size(), 1u);
}

// Readers keep their snapshot between reads while nothing commits; every commit of the
// store itself is still seen by the very next read, from any thread.
TEST(SqliteStore, ReadsSeeEachCommitOfTheStoreAtOnce) {
  SqliteFile file("snapshots");
  ASSERT_TRUE(file.ready());
  Store& store = file.store();
  std::vector<std::thread> threads;
  std::atomic<int> stale{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, &stale, t] {
      const std::string user = "u" + std::to_string(t);
      for (int i = 0; i < 50; ++i) {
        // A read first, so that this thread's reader holds a snapshot before the write.
        auto before = store.listDashboards("project", user, 100, 0);
        auto created = store.createDashboard({"project", user, "d" + std::to_string(i), "[]"});
        auto after = store.listDashboards("project", user, 100, 0);
        if (!before.ok() || !created.ok() || !after.ok() || after->size() != before->size() + 1 ||
            after->front().id != created->id) {
          ++stale;
        }
        auto changed = store.updateDashboard(created->id,
                                             {std::string("renamed"), std::nullopt, {}}, {}, user);
        auto read = store.getDashboard(created->id);
        if (!changed.ok() || !read.ok() || read->version != 2 || read->name != "renamed") {
          ++stale;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(stale.load(), 0);
}

// What another process commits is read once the reuse window has passed.
TEST(SqliteStore, ReadsSeeAnotherProcessesCommitAfterTheReuseWindow) {
  SqliteFile file("other-process");
  ASSERT_TRUE(file.ready());
  EXPECT_EQ(*file.store().getQuickStartTopics("project"), "[]");
  ASSERT_EQ(file.execElsewhere("INSERT INTO quick_start_topics (project_id, topics, updated_at) "
                               "VALUES ('project', '[{\"topic\":\"T\",\"queries\":[]}]', 1)"),
            SQLITE_OK);
  std::this_thread::sleep_for(sqlite::SqliteStore::kSnapshotReuse * 3);
  EXPECT_EQ(*file.store().getQuickStartTopics("project"), R"([{"topic":"T","queries":[]}])");
}

// Under reads and writes that never pause, checkpoints still catch up and the write-ahead
// log starts over: readers keeping their snapshots must not hold every checkpoint one
// commit behind, which would grow the log without bound.
TEST(SqliteStore, WriteAheadLogStaysBoundedUnderReadsAndWrites) {
  SqliteFile file("wal-bound");
  ASSERT_TRUE(file.ready());
  Store& store = file.store();
  std::atomic<bool> writing{true};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&store, &writing] {
      while (writing) {
        (void)store.listDashboards("project", "u", 5, 0);
      }
    });
  }
  // About 30 MB of pages written in all, more than three times the size at which the
  // writer makes the log start over (2000 pages).
  const std::string data = "[" + std::string(12000, ' ') + "]";
  std::uintmax_t largest = 0;
  for (int i = 0; i < 1500; ++i) {
    ASSERT_TRUE(store.createDashboard({"project", "u", "d", data}).ok());
    if (i % 100 == 0) {
      largest = std::max(largest, fs::file_size(file.path() + "-wal"));
    }
  }
  writing = false;
  for (auto& reader : readers) {
    reader.join();
  }
  EXPECT_LT(largest, 12u * 1024 * 1024) << "the write-ahead log kept growing";
}

// Idle readers let go of their snapshots, so a checkpoint can copy and truncate the whole
// write-ahead log: a snapshot still held would make it report busy.
TEST(SqliteStore, IdleReadersHoldNoSnapshot) {
  SqliteFile file("idle-readers");
  ASSERT_TRUE(file.ready());
  Store& store = file.store();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store] {
      for (int i = 0; i < 100; ++i) {
        (void)store.getQuickStartTopics("project");
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  ASSERT_TRUE(store.putQuickStartTopics("project", "[]").ok());
  ASSERT_TRUE(store.listDashboards("project", "u", 10, 0).ok());  // a snapshot after it

  std::this_thread::sleep_for(sqlite::SqliteStore::kSnapshotReuse * 10);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(file.path().c_str(), &other), SQLITE_OK);
  // A first read, so that the connection knows the file is in WAL mode.
  ASSERT_EQ(sqlite3_exec(other, "SELECT count(*) FROM dashboards", nullptr, nullptr, nullptr),
            SQLITE_OK);
  int log_frames = -1;
  int copied = -1;
  EXPECT_EQ(
      sqlite3_wal_checkpoint_v2(other, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &copied),
      SQLITE_OK)
      << sqlite3_errmsg(other);
  EXPECT_EQ(log_frames, 0);
  sqlite3_close(other);
}

TEST(OpenStore, ReportsAnUnopenableFileAsUnavailable) {
  auto opened = openStore("sqlite:/nonexistent-dir/sub/x.db", {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::kUnavailable);
}

}  // namespace
}  // namespace autoql::storage
