// The PostgreSQL connection (libpq). Statements go out with PQexecParams: values travel apart
// from the SQL text, as text, and the server infers their types from the columns they meet.
// Transactions are READ COMMITTED (the default): every write of store.cpp is either one
// statement or guarded by a row lock (the receipt counter's upsert), so nothing needs a
// stricter level; read transactions are REPEATABLE READ READ ONLY, one snapshot, and a read-only
// transaction can never fail to serialize.
#include "db.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>

namespace gongkai::store::detail {
namespace {

// `?` → `$1`, `$2`, ... outside quoted literals, quoted identifiers and comments.
std::string dollar_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      out += c;
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      std::size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
      out.append(sql.substr(i, end - i));
      i = end - 1;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

void ignore_notice(void*, const char*) {}

class PgDb final : public Db {
 public:
  explicit PgDb(const std::string& conninfo) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
      PQfinish(conn_);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      throw StoreError("postgresql: cannot connect: " + msg);
    }
    // "relation already exists, skipping" and the like would go to stderr otherwise.
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
    if (PQsetClientEncoding(conn_, "UTF8") != 0) {
      PQfinish(conn_);
      throw StoreError("postgresql: cannot set client_encoding UTF8");
    }
  }
  ~PgDb() override { PQfinish(conn_); }

  std::string dialect() const override { return "postgresql"; }

  Result exec(std::string_view sql, const std::vector<Value>& params) override {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (v.kind == Value::Kind::text) {
        check_text(v.text);
        texts[i] = v.text;
      } else if (v.kind == Value::Kind::integer) {
        texts[i] = std::to_string(v.integer);
      }
      if (v.kind != Value::Kind::null) values[i] = texts[i].c_str();
    }
    std::string text = dollar_placeholders(sql);
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    return take(res, text);
  }

  void exec_script(const std::string& sql) override { take(PQexec(conn_, sql.c_str()), sql); }

  void begin(bool write) override {
    exec(write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {});
  }
  void commit() override {
    try {
      exec("COMMIT", {});
    } catch (...) {
      rollback();
      throw;
    }
  }
  void rollback() noexcept override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
  }
  bool broken() const override { return PQstatus(conn_) != CONNECTION_OK; }

 private:
  Result take(PGresult* res, const std::string& sql) {
    struct Clear {
      PGresult* r;
      ~Clear() { PQclear(r); }
    } clear{res};
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
      std::string what = "postgresql: " + msg + " (" + sql.substr(0, 80) + ")";
      if (state && (std::strcmp(state, "40001") == 0 || std::strcmp(state, "40P01") == 0))
        throw RetryableError(what);
      throw StoreError(what);
    }
    Result r;
    int rows = PQntuples(res), cols = PQnfields(res);
    r.rows.reserve(rows);
    for (int i = 0; i < rows; ++i) {
      Row row;
      row.reserve(cols);
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(res, i, c))
          row.emplace_back(std::nullopt);
        else
          row.emplace_back(std::string(PQgetvalue(res, i, c), PQgetlength(res, i, c)));
      }
      r.rows.push_back(std::move(row));
    }
    const char* tuples = PQcmdTuples(res);
    r.changes = (tuples && *tuples) ? std::strtoll(tuples, nullptr, 10) : 0;
    return r;
  }

  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<Db> open_postgresql(const std::string& conninfo) {
  return std::make_unique<PgDb>(conninfo);
}

}  // namespace gongkai::store::detail
