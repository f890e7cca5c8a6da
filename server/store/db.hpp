// Internal to gongkai_store (and its tests): one database connection behind a tiny interface, so
// that the domain SQL of store.cpp is written once for both backends. SQL is written with `?`
// placeholders; the PostgreSQL connection rewrites them to $1..$n. Values are always bound as
// parameters, never spliced into SQL text.
#pragma once
#include "store.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gongkai::store::detail {

// A bound parameter: NULL, text or a 64-bit integer.
struct Value {
  enum class Kind { null, text, integer } kind = Kind::null;
  std::string text;
  std::int64_t integer = 0;

  Value() = default;
  Value(std::string s) : kind(Kind::text), text(std::move(s)) {}
  Value(const char* s) : kind(Kind::text), text(s) {}
  Value(std::int64_t i) : kind(Kind::integer), integer(i) {}
  Value(int i) : kind(Kind::integer), integer(i) {}
  Value(bool b) : kind(Kind::integer), integer(b ? 1 : 0) {}
  Value(std::optional<bool> b) {
    if (b) {
      kind = Kind::integer;
      integer = *b ? 1 : 0;
    }
  }
};

using Row = std::vector<std::optional<std::string>>;  // every column as text; NULL is nullopt

struct Result {
  std::vector<Row> rows;
  std::int64_t changes = 0;  // rows inserted, updated or deleted by the statement
};

// A failure that is worth one more try of the whole transaction (PostgreSQL serialization
// failure 40001 or deadlock 40P01).
struct RetryableError : StoreError {
  using StoreError::StoreError;
};

class Db {
 public:
  virtual ~Db() = default;
  virtual std::string dialect() const = 0;  // "sqlite" | "postgresql"
  // One statement with `?` placeholders. Text values must be valid UTF-8 without NUL (both
  // backends refuse the same values, so SQLite tests catch what PostgreSQL would refuse).
  virtual Result exec(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Several statements without parameters (migrations).
  virtual void exec_script(const std::string& sql) = 0;
  // write: SQLite takes the write lock up front (BEGIN IMMEDIATE), so a reader never has to
  // upgrade and deadlock. A read transaction sees one snapshot.
  virtual void begin(bool write) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // The connection is unusable (lost); the pool drops it instead of reusing it.
  virtual bool broken() const { return false; }
};

// writer: shared by every connection of one Store, held from begin(true) to commit/rollback,
// so the Store's own writers queue in process instead of polling SQLite's busy handler (other
// processes, e.g. the sqlite3 shell, still meet busy_timeout). May be null.
std::unique_ptr<Db> open_sqlite(const std::string& path, std::shared_ptr<std::timed_mutex> writer);
std::unique_ptr<Db> open_postgresql(const std::string& conninfo);

// Throws StoreError when s is not valid UTF-8 or holds a NUL byte.
void check_text(std::string_view s);

}  // namespace gongkai::store::detail
