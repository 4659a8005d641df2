// How many single-row transactions a second SQLite commits in WAL mode with
// synchronous=FULL on the disk holding DIR: the cost of one fsync, which the service's
// group commit must amortise. Prints one number.
//
// usage: sqlite_commit_bench DIR [SECONDS]
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: sqlite_commit_bench DIR [SECONDS]\n");
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/commit-bench.db";
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
  std::remove(path.c_str());
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return 1;
  }
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES ('row')", -1, &insert, nullptr);

  const auto start = std::chrono::steady_clock::now();
  long commits = 0;
  for (;;) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    ++commits;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed.count() >= seconds) {
      std::printf("%.0f\n", static_cast<double>(commits) / elapsed.count());
      break;
    }
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
  std::remove(path.c_str());
  return 0;
}
