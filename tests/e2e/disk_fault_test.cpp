// Disk and database faults (issue 9): while the database cannot be written (a file that
// cannot grow, as on a full disk; a file made read-only; a PostgreSQL database made
// read-only), every write answers 503 storage_unavailable and leaves nothing behind, reads
// keep answering 200 and the process keeps running; once the fault is removed, writes
// succeed again without a restart.
#include <fcntl.h>
#include <libpq-fe.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "e2e_support.h"

namespace autoql::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kProject = "fault-project";

// Tiles of a dashboard that takes many pages of the database (about 80 KiB).
constexpr std::size_t kFillerTileCount = 800;

std::string ownerQuery(std::string_view user_id) {
  return "project_id=" + std::string(kProject) + "&user_id=" + std::string(user_id);
}

std::string alertFor(std::string_view notification_id, std::string_view user_id) {
  const json::object payload{{"notification_id", notification_id},
                             {"data_alert_id", "da_fault"},
                             {"project_id", kProject},
                             {"title", "Disk fault"},
                             {"users", json::array{json::value(user_id)}},
                             {"created_at", 1764763200}};
  return json::serialize(json::object{{"event", "data_alert.true"}, {"payload", payload}});
}

std::string fillerTiles() {
  json::array tiles;
  for (std::size_t i = 0; i < kFillerTileCount; ++i) {
    tiles.push_back(json::object{{"i", "tile-" + std::to_string(i)},
                                 {"query", "revenue by region and quarter " + std::to_string(i)}});
  }
  return json::serialize(tiles);
}

// What the test stored before the fault, and the writes it tries during it.
struct Fixture {
  std::string user = uniqueId("fault-user");
  std::int64_t dashboard_id = 0;
  std::string notification_id = uniqueId("nt_fault");
  std::string refused_notification_id = uniqueId("nt_refused");
};

class DiskFault : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && server_) {
      std::cerr << "--- server log ---\n" << server_->log() << "--- end of server log ---\n";
    }
  }

  void startServer(ServerSpec spec) {
    server_ = std::make_unique<ServerProcess>(std::move(spec));
    ASSERT_TRUE(server_->ready()) << server_->failure();
    client_ = server_->client();
  }

  Client& client() { return *client_; }

  std::string databasePath() const { return database_dir_.path() + "/autoql.db"; }

  // Starts a server on a SQLite file of the test's own, and stores the data of the test.
  void startOnSqliteFile() {
    ServerSpec spec;
    spec.database = "sqlite:" + databasePath();
    startServer(spec);
    storeBeforeTheFault();
  }

  // Stores one dashboard (at version 2, so it has a history) and one notification.
  void storeBeforeTheFault() {
    fixture_.dashboard_id = createDashboard(client(), kProject, fixture_.user, "Before");
    ASSERT_NE(fixture_.dashboard_id, 0);
    const auto renamed = sendJson(client(), "PUT", dashboardPath(), R"({"name":"Before v2"})");
    ASSERT_EQ(renamed.status, 200u) << renamed.body;
    const auto delivered = deliver(client(), alertFor(fixture_.notification_id, fixture_.user));
    ASSERT_EQ(webhookMessage(delivered), "ok") << delivered.body;
  }

  std::string dashboardPath() const {
    return "/dashboards/" + std::to_string(fixture_.dashboard_id);
  }

  // Every kind of write answers 503 storage_unavailable and changes nothing.
  void expectWritesRefused() {
    const auto webhook =
        deliver(client(), alertFor(fixture_.refused_notification_id, fixture_.user));
    EXPECT_TRUE(isProblem(webhook, 503, "storage_unavailable"));
    EXPECT_FALSE(headerOf(webhook, "Retry-After").empty());

    const auto created = sendJson(client(), "POST", "/dashboards",
                                  dashboardBody(kProject, fixture_.user, "During the fault"));
    EXPECT_TRUE(isProblem(created, 503, "storage_unavailable"));

    const auto updated = send(client(), "PUT", dashboardPath(),
                              {{"Content-Type", "application/json"}, {"If-Match", "\"2\""}},
                              R"({"name":"During the fault"})");
    EXPECT_TRUE(isProblem(updated, 503, "storage_unavailable"));

    const auto state =
        sendJson(client(), "PUT",
                 "/notifications/" + fixture_.notification_id + "?" + ownerQuery(fixture_.user),
                 R"({"state":"ACKNOWLEDGED"})");
    EXPECT_TRUE(isProblem(state, 503, "storage_unavailable"));
  }

  // What was stored before is served as it was, the refused writes left no trace, and
  // the process runs on.
  void expectReadsServed() {
    const auto dashboard = send(client(), "GET", dashboardPath());
    ASSERT_EQ(dashboard.status, 200u) << dashboard.body;
    EXPECT_EQ(bodyJson(dashboard).at("name"), json::value("Before v2"));
    EXPECT_EQ(bodyJson(dashboard).at("version"), json::value(2));
    const auto history = send(client(), "GET", dashboardPath() + "/versions");
    ASSERT_EQ(history.status, 200u) << history.body;
    EXPECT_EQ(bodyJson(history).as_array().size(), 1u) << history.body;
    EXPECT_EQ(listDashboardIds(client(), kProject, fixture_.user),
              std::vector<std::int64_t>{fixture_.dashboard_id});

    const auto stored =
        send(client(), "GET",
             "/notifications/" + fixture_.notification_id + "?user_id=" + fixture_.user);
    ASSERT_EQ(stored.status, 200u) << stored.body;
    EXPECT_EQ(bodyJson(stored).at("state"), json::value("UNACKNOWLEDGED"));
    const auto refused =
        send(client(), "GET", "/notifications/" + fixture_.refused_notification_id);
    EXPECT_TRUE(isProblem(refused, 404, "not_found"));
    const auto summary =
        send(client(), "GET", "/notifications/summary?" + ownerQuery(fixture_.user));
    ASSERT_EQ(summary.status, 200u) << summary.body;
    EXPECT_EQ(bodyJson(summary).at("total"), json::value(1)) << summary.body;

    EXPECT_EQ(send(client(), "GET", "/healthz").status, 200u);
    EXPECT_FALSE(server_->waitForExit(0ms).has_value()) << "the server exited";
  }

  // Without a restart: the refused delivery is new to the server, and the dashboard moves
  // on from the version it had before the fault.
  void expectWritesAccepted() {
    const auto webhook =
        deliver(client(), alertFor(fixture_.refused_notification_id, fixture_.user));
    EXPECT_EQ(webhookMessage(webhook), "ok") << webhook.status << " " << webhook.body;

    const auto updated = send(client(), "PUT", dashboardPath(),
                              {{"Content-Type", "application/json"}, {"If-Match", "\"2\""}},
                              R"({"name":"After the fault"})");
    EXPECT_EQ(updated.status, 200u) << updated.body;
    EXPECT_EQ(bodyJson(updated).at("version"), json::value(3)) << updated.body;

    const auto created = sendJson(client(), "POST", "/dashboards",
                                  dashboardBody(kProject, fixture_.user, "After the fault"));
    EXPECT_EQ(created.status, 201u) << created.body;
  }

  TempDir database_dir_;
  Fixture fixture_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

// --- a file that cannot grow (a full disk) ---

// The write-ahead log grows from its start until a checkpoint (1000 pages), so after a
// few writes to a new database every further commit appends past this offset; a file size
// limit below it then refuses every write, however small, as a full disk would.
// The server's log is a file too; it stays far below the limit during the test.
constexpr std::uint64_t kFileSizeLimit = 64u << 10;

std::uintmax_t fileSize(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

TEST_F(DiskFault, FileThatCannotGrowRefusesWritesUntilItCan) {
  if (onPostgres()) {
    GTEST_SKIP() << "the file size limit applies to the service's own files (SQLite)";
  }
  startOnSqliteFile();
  const auto filler =
      sendJson(client(), "POST", "/dashboards",
               dashboardBody(kProject, uniqueId("filler"), "Filler", fillerTiles()));
  ASSERT_EQ(filler.status, 201u) << filler.body;
  ASSERT_GT(fileSize(databasePath() + "-wal"), 2 * kFileSizeLimit);

  ASSERT_TRUE(server_->limitFileSize(kFileSizeLimit));
  expectWritesRefused();
  expectReadsServed();
  EXPECT_TRUE(server_->waitForLog("database unavailable", 1s)) << "the refusals were not logged";

  ASSERT_TRUE(server_->limitFileSize(0));
  expectWritesAccepted();
}

// --- a full disk ---

// The size of the small file system the full-disk test mounts, and of the writes that
// fill it.
constexpr std::string_view kTmpfsOptions = "size=4m,mode=0700";
constexpr std::size_t kBallastChunk = 64u << 10;

// A tmpfs mounted over a directory for the length of a test (root only), detached when it
// ends even if a process still has files open in it.
class SmallFileSystem {
 public:
  explicit SmallFileSystem(std::string dir) : dir_(std::move(dir)) {
    const std::string options(kTmpfsOptions);
    error_ = mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0
                 ? 0
                 : errno;
  }
  ~SmallFileSystem() {
    if (error_ == 0) {
      umount2(dir_.c_str(), MNT_DETACH);
    }
  }
  SmallFileSystem(const SmallFileSystem&) = delete;
  SmallFileSystem& operator=(const SmallFileSystem&) = delete;

  int error() const { return error_; }

  // Writes a file until the file system has no space left. Returns whether it got there.
  bool fill(const std::string& path) const {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    const std::string chunk(kBallastChunk, 'x');
    bool full = false;
    while (fd >= 0 && !full) {
      full = write(fd, chunk.data(), chunk.size()) < 0 && errno == ENOSPC;
    }
    if (fd >= 0) {
      close(fd);
    }
    return full;
  }

 private:
  std::string dir_;
  int error_ = 0;
};

TEST_F(DiskFault, FullDiskRefusesWritesUntilSpaceIsFreed) {
  if (onPostgres()) {
    GTEST_SKIP() << "the test fills the file system of the service's own files (SQLite)";
  }
  SmallFileSystem file_system(database_dir_.path());
  if (file_system.error() != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root): "
                 << std::strerror(file_system.error());
  }
  startOnSqliteFile();

  const std::string ballast = database_dir_.path() + "/ballast";
  ASSERT_TRUE(file_system.fill(ballast));
  expectWritesRefused();
  expectReadsServed();
  EXPECT_TRUE(server_->waitForLog("database or disk is full", 1s)) << "not refused as full";

  ASSERT_EQ(unlink(ballast.c_str()), 0);
  expectWritesAccepted();
}

// --- a database file made read-only ---

// Sets or clears the immutable attribute (`chattr +i`) of a file. Unlike a file mode, it
// binds root too and applies to descriptors already open for writing. Returns 0 or errno.
int setImmutable(const std::string& path, bool immutable) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno;
  }
  int flags = 0;
  int error = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 ? 0 : errno;
  if (error == 0) {
    flags = immutable ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    error = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0 ? 0 : errno;
  }
  close(fd);
  return error;
}

// Makes the database file and its write-ahead log read-only, and writable again when it
// ends, whatever the test did (an immutable file could not be removed afterwards).
class ReadOnlyFiles {
 public:
  explicit ReadOnlyFiles(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  ~ReadOnlyFiles() { release(); }
  ReadOnlyFiles(const ReadOnlyFiles&) = delete;
  ReadOnlyFiles& operator=(const ReadOnlyFiles&) = delete;

  // 0, or the errno of the first file that could not be made read-only.
  int apply() {
    for (const std::string& path : paths_) {
      if (const int error = setImmutable(path, true); error != 0) {
        return error;
      }
      applied_.push_back(path);
    }
    return 0;
  }

  void release() {
    for (const std::string& path : applied_) {
      setImmutable(path, false);
    }
    applied_.clear();
  }

 private:
  std::vector<std::string> paths_;
  std::vector<std::string> applied_;
};

// Why `files` cannot be made read-only here, or "" once they are.
std::string makeReadOnly(ReadOnlyFiles& files) {
  const int error = files.apply();
  if (error == 0) {
    return "";
  }
  return "cannot make the database file immutable here (chattr +i needs root and a "
         "filesystem that supports it): " +
         std::string(std::strerror(error));
}

constexpr std::string_view kAboutSqlite =
    "about the SQLite file; DatabaseMadeReadOnlyRefusesWritesUntilWritable covers PostgreSQL";

TEST_F(DiskFault, DatabaseFileMadeReadOnlyRefusesWritesUntilWritable) {
  if (onPostgres()) {
    GTEST_SKIP() << kAboutSqlite;
  }
  startOnSqliteFile();

  // The shared-memory index (-shm) stays writable: readers record their place in it.
  ReadOnlyFiles read_only({databasePath(), databasePath() + "-wal"});
  if (const std::string why = makeReadOnly(read_only); !why.empty()) {
    GTEST_SKIP() << why;
  }

  expectWritesRefused();
  expectReadsServed();

  read_only.release();
  expectWritesAccepted();
}

TEST_F(DiskFault, ServerStartedOnReadOnlyFileWritesOnceItIsWritable) {
  if (onPostgres()) {
    GTEST_SKIP() << kAboutSqlite;
  }
  startOnSqliteFile();
  ASSERT_EQ(server_->stop(), 0);

  ReadOnlyFiles read_only({databasePath()});
  if (const std::string why = makeReadOnly(read_only); !why.empty()) {
    GTEST_SKIP() << why;
  }
  // SQLite opens a file it cannot write read-only; the server serves what it holds.
  ServerSpec spec;
  spec.database = "sqlite:" + databasePath();
  startServer(spec);
  expectWritesRefused();
  expectReadsServed();

  read_only.release();
  expectWritesAccepted();
}

// --- a PostgreSQL database made read-only ---

std::string databaseName(const std::string& url) {
  const std::size_t query = url.find('?');
  const std::size_t slash = url.rfind('/', query);
  return url.substr(slash + 1, query == std::string::npos ? query : query - slash - 1);
}

// Runs one statement as the cluster's superuser. Returns "" or the error.
std::string adminExec(const std::string& sql) {
  PGconn* admin = PQconnectdb(std::getenv("AUTOQL_E2E_POSTGRES_URL"));
  PGresult* result = PQexec(admin, sql.c_str());
  const bool ok =
      PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
  std::string error = ok ? "" : PQerrorMessage(admin);
  PQclear(result);
  PQfinish(admin);
  return error;
}

// Sets default_transaction_read_only for `database`, and ends its sessions so that the
// service's next connections start with the new default.
std::string setReadOnly(const std::string& database, bool read_only) {
  std::string error = adminExec("ALTER DATABASE " + database +
                                (read_only ? " SET default_transaction_read_only = on"
                                           : " RESET default_transaction_read_only"));
  if (error.empty() && read_only) {
    error = adminExec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                      database + "' AND pid <> pg_backend_pid()");
  }
  return error;
}

TEST_F(DiskFault, DatabaseMadeReadOnlyRefusesWritesUntilWritable) {
  if (!onPostgres()) {
    GTEST_SKIP() << "about PostgreSQL; runs in e2e_on_postgres";
  }
  ServerSpec spec;
  spec.database = defaultDatabase(std::string());
  ASSERT_FALSE(spec.database->empty()) << "cannot create a PostgreSQL database";
  // Few pooled connections, so that the ones ended below are soon all replaced.
  spec.extra_args = {"--db-workers", "2"};
  startServer(spec);
  storeBeforeTheFault();

  const std::string database = databaseName(*spec.database);
  ASSERT_EQ(setReadOnly(database, true), "");
  // A request that finds its pooled connection ended replaces it; a few reads in a row
  // that succeed show that every connection has been replaced.
  for (int i = 0, in_a_row = 0; i < 50 && in_a_row < 3; ++i) {
    in_a_row = send(client(), "GET", "/readyz").status == 200 ? in_a_row + 1 : 0;
  }

  expectWritesRefused();
  expectReadsServed();

  ASSERT_EQ(setReadOnly(database, false), "");
  expectWritesAccepted();
}

}  // namespace
}  // namespace autoql::e2e
