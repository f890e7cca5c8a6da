// The SQLite connection (libsqlite3). One file, WAL mode: readers never block the writer nor each
// other; writers are serialized (BEGIN IMMEDIATE, and in process by the Store's writer mutex).
#include "db.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <unordered_map>

namespace gongkai::store::detail {
namespace {

constexpr int k_busy_ms = 5000;  // how long a writer waits for another one, in process and out

class SqliteDb final : public Db {
 public:
  SqliteDb(const std::string& path, std::shared_ptr<std::timed_mutex> writer)
      : writer_(std::move(writer)) {
    // The file holds applicants' personal data: create it owner-only. SQLite creates its -wal
    // and -shm files with the database file's permissions.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw StoreError("sqlite: cannot open " + path);
    ::close(fd);
    int rc =
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      throw StoreError("sqlite: cannot open " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    // Another process (the sqlite3 shell taking a backup, a second server) may hold the write
    // lock for a moment: wait up to 5 s before giving up with SQLITE_BUSY.
    sqlite3_busy_timeout(db_, k_busy_ms);
    try {
      auto mode = exec("PRAGMA journal_mode=WAL");
      if (mode.rows.empty() || mode.rows[0].empty() || mode.rows[0][0].value_or("") != "wal")
        throw StoreError("sqlite: " + path + " cannot use WAL mode");
      exec("PRAGMA foreign_keys=ON");
      // FULL, not NORMAL. In WAL mode NORMAL is safe from corruption (a crash never damages
      // the file) and a crash of the process loses nothing, but a power loss or OS crash may
      // roll back the commits since the last checkpoint: an applicant would hold a receipt
      // number (a legal date: the answer clock starts from it) that the database no longer
      // knows, and the rolled-back counter would hand it out again to someone else. FULL costs
      // one fsync of the WAL per commit, which a few hundred submissions a day do not notice.
      exec("PRAGMA synchronous=FULL");
    } catch (...) {
      close();
      throw;
    }
  }
  ~SqliteDb() override { close(); }

  std::string dialect() const override { return "sqlite"; }

  Result exec(std::string_view sql, const std::vector<Value>& params) override {
    sqlite3_stmt* st = statement(sql);
    struct Reset {
      sqlite3_stmt* st;
      ~Reset() {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
      }
    } reset{st};
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(st))
      throw StoreError("sqlite: wrong number of parameters for: " + std::string(sql));
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      int col = static_cast<int>(i) + 1, rc = SQLITE_OK;
      switch (v.kind) {
        case Value::Kind::null: rc = sqlite3_bind_null(st, col); break;
        case Value::Kind::integer: rc = sqlite3_bind_int64(st, col, v.integer); break;
        case Value::Kind::text:
          check_text(v.text);
          rc = sqlite3_bind_text64(st, col, v.text.data(), v.text.size(), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
          break;
      }
      if (rc != SQLITE_OK) fail("bind");
    }
    Result r;
    for (;;) {
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(std::string(sql));
      int n = sqlite3_column_count(st);
      Row row;
      row.reserve(n);
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(st, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
          row.emplace_back(std::string(text, sqlite3_column_bytes(st, c)));
        }
      }
      r.rows.push_back(std::move(row));
    }
    r.changes = sqlite3_stmt_readonly(st) ? 0 : sqlite3_changes64(db_);
    return r;
  }

  void exec_script(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "error";
      sqlite3_free(err);
      throw StoreError("sqlite: " + msg);
    }
  }

  void begin(bool write) override {
    if (write) {
      // The same bound as SQLite's busy_timeout: a writer that cannot start in 5 s gets a
      // StoreError (503, nothing saved) instead of holding a server worker indefinitely.
      if (writer_) {
        lock_ = std::unique_lock(*writer_, std::defer_lock);
        if (!lock_.try_lock_for(std::chrono::milliseconds(k_busy_ms)))
          throw StoreError("sqlite: the database is busy (no write lock within 5 s)");
      }
      try {
        exec("BEGIN IMMEDIATE");
      } catch (...) {
        if (lock_.owns_lock()) lock_.unlock();
        throw;
      }
    } else {
      exec("BEGIN");
    }
  }

  void commit() override {
    try {
      exec("COMMIT");
    } catch (...) {
      rollback();
      throw;
    }
    if (lock_.owns_lock()) lock_.unlock();
  }

  void rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    if (lock_.owns_lock()) lock_.unlock();
  }

 private:
  Result exec(std::string_view sql) { return exec(sql, {}); }

  sqlite3_stmt* statement(std::string_view sql) {
    std::string key(sql);
    if (auto it = stmts_.find(key); it != stmts_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT,
                           &st, nullptr) != SQLITE_OK)
      fail(key);
    stmts_.emplace(std::move(key), st);
    return st;
  }

  [[noreturn]] void fail(const std::string& what) {
    throw StoreError("sqlite: " + std::string(sqlite3_errmsg(db_)) + " (" + what + ")");
  }

  void close() noexcept {
    for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
    stmts_.clear();
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
  std::shared_ptr<std::timed_mutex> writer_;
  std::unique_lock<std::timed_mutex> lock_;
};

}  // namespace

std::unique_ptr<Db> open_sqlite(const std::string& path, std::shared_ptr<std::timed_mutex> writer) {
  return std::make_unique<SqliteDb>(path, std::move(writer));
}

}  // namespace gongkai::store::detail
