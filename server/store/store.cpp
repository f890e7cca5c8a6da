// One implementation of Store for both backends, over a small pool of Db connections (db.hpp).
// The SQL below is the common subset of SQLite 3.40 and PostgreSQL 15: upserts with ON CONFLICT,
// RETURNING, `?` placeholders; the schema differs only in the identity column and the text
// collation (migrations()).
#include <gongkai/datetime.hpp>
#include <gongkai/hash.hpp>
#include <gongkai/text.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <functional>
#include <type_traits>
#include <utility>
#include <variant>

#include "db.hpp"
#include "store.hpp"

namespace gongkai::store {

namespace detail {
void check_text(std::string_view s) {
  if (s.find('\0') != std::string_view::npos) throw StoreError("text holds a NUL byte");
  if (!valid_utf8(s)) throw StoreError("text is not valid UTF-8");
}
}  // namespace detail

namespace {

using detail::Db;
using detail::Result;
using detail::Row;
using detail::Value;

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> unbase64(const std::string& text) {
  if (text.size() % 4) return std::nullopt;
  std::string out(text.size() / 4 * 3 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as bytes: take them off.
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() > 1 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::int64_t to_int(const std::optional<std::string>& v) {
  if (!v || v->empty()) return 0;
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (errno != 0 || *end != '\0') throw StoreError("not an integer in the database: " + *v);
  return n;
}

// ---- versioned migrations ---------------------------------------------------------------------
// Append only: a released migration is never edited; a change of schema is a new version. Each
// runs in its own transaction with its row in schema_migrations. In the SQL, %ID% is the
// dialect's auto-assigned 64-bit key and %TEXT% a text column compared byte by byte (SQLite's
// BINARY, PostgreSQL's "C"), so that both backends sort and compare alike.
struct Migration {
  int version;
  const char* sql;
};

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1, R"sql(
CREATE TABLE counters (
  name %TEXT% PRIMARY KEY,
  value BIGINT NOT NULL
);
CREATE TABLE applications (
  id %TEXT% PRIMARY KEY,
  unit %TEXT% NOT NULL,
  secret_hash %TEXT% NOT NULL,
  applicant_type %TEXT% NOT NULL,
  name %TEXT% NOT NULL,
  id_type %TEXT% NOT NULL,
  id_number %TEXT% NOT NULL,
  credit_code %TEXT% NOT NULL,
  contact_person %TEXT% NOT NULL,
  phone %TEXT% NOT NULL,
  email %TEXT% NOT NULL,
  address %TEXT% NOT NULL,
  postcode %TEXT% NOT NULL,
  description %TEXT% NOT NULL,
  form %TEXT% NOT NULL,
  delivery %TEXT% NOT NULL,
  submitted_at BIGINT NOT NULL,
  source_address %TEXT% NOT NULL,
  status %TEXT% NOT NULL,
  received_date %TEXT% NOT NULL,
  due_date %TEXT% NOT NULL,
  extended INTEGER NOT NULL,
  reply_type %TEXT% NOT NULL,
  reply_ground %TEXT% NOT NULL,
  reply_text %TEXT% NOT NULL,
  answered_date %TEXT% NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX applications_unit_status ON applications (unit, status, submitted_at);
CREATE INDEX applications_status ON applications (status, submitted_at);
CREATE INDEX applications_unit_received ON applications (unit, received_date);
CREATE TABLE messages (
  id %TEXT% PRIMARY KEY,
  unit %TEXT% NOT NULL,
  secret_hash %TEXT% NOT NULL,
  type %TEXT% NOT NULL,
  subject %TEXT% NOT NULL,
  body %TEXT% NOT NULL,
  related %TEXT% NOT NULL,
  name %TEXT% NOT NULL,
  phone %TEXT% NOT NULL,
  email %TEXT% NOT NULL,
  consent_publish INTEGER NOT NULL,
  submitted_at BIGINT NOT NULL,
  source_address %TEXT% NOT NULL,
  status %TEXT% NOT NULL,
  reject_reason %TEXT% NOT NULL,
  department %TEXT% NOT NULL,
  complexity %TEXT% NOT NULL,
  received_date %TEXT% NOT NULL,
  due_date %TEXT% NOT NULL,
  answer %TEXT% NOT NULL,
  answered_date %TEXT% NOT NULL,
  published_body %TEXT% NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX messages_unit_status ON messages (unit, status, submitted_at);
CREATE INDEX messages_status ON messages (status, submitted_at);
CREATE TABLE events (
  id %ID%,
  object_id %TEXT% NOT NULL,
  at BIGINT NOT NULL,
  actor %TEXT% NOT NULL,
  action %TEXT% NOT NULL,
  public_note %TEXT% NOT NULL,
  detail %TEXT% NOT NULL
);
CREATE INDEX events_object ON events (object_id, at, id);
CREATE TABLE consultation_responses (
  id %ID%,
  unit %TEXT% NOT NULL,
  consultation %TEXT% NOT NULL,
  name %TEXT% NOT NULL,
  contact %TEXT% NOT NULL,
  body %TEXT% NOT NULL,
  submitted_at BIGINT NOT NULL,
  source_address %TEXT% NOT NULL,
  adopted INTEGER
);
CREATE INDEX consultation_responses_unit ON consultation_responses (unit, consultation, submitted_at);
CREATE TABLE staff_users (
  username %TEXT% PRIMARY KEY,
  unit %TEXT% NOT NULL,
  display_name %TEXT% NOT NULL,
  password_hash %TEXT% NOT NULL,
  failed_logins INTEGER NOT NULL,
  locked_until BIGINT NOT NULL,
  disabled INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash %TEXT% PRIMARY KEY,
  username %TEXT% NOT NULL REFERENCES staff_users (username),
  csrf %TEXT% NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_username ON sessions (username);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE TABLE audit_log (
  id %ID%,
  at BIGINT NOT NULL,
  actor %TEXT% NOT NULL,
  unit %TEXT% NOT NULL,
  action %TEXT% NOT NULL,
  object_id %TEXT% NOT NULL,
  detail %TEXT% NOT NULL
);
CREATE INDEX audit_log_unit ON audit_log (unit, id);
)sql"},
      // 2: files attached to a reply, base64 in a text column (both backends store text alike).
      {2, R"sql(
CREATE TABLE attachments (
  id %ID%,
  object_id %TEXT% NOT NULL,
  name %TEXT% NOT NULL,
  content_type %TEXT% NOT NULL,
  size BIGINT NOT NULL,
  sha256 %TEXT% NOT NULL,
  created_at BIGINT NOT NULL,
  actor %TEXT% NOT NULL,
  data_base64 TEXT NOT NULL
);
CREATE INDEX attachments_object ON attachments (object_id, id);
)sql"},
  };
  return list;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size()))
    s.replace(i, from.size(), to);
  return s;
}

std::string dialect_sql(const std::string& sql, const std::string& dialect) {
  bool pg = dialect == "postgresql";
  std::string s = replace_all(
      sql, "%ID%",
      pg ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY");
  return replace_all(std::move(s), "%TEXT%", pg ? "TEXT COLLATE \"C\"" : "TEXT");
}

// Any key: it only has to be the same in every gongkai process sharing the database.
constexpr std::int64_t k_migration_lock = 0x676f6e676b6169;  // "gongkai"

int migrate(Db& db) {
  const int newest = migrations().back().version;
  for (;;) {
    db.begin(true);
    try {
      // Several web nodes may start at once: one migrates, the others wait and then find
      // nothing left to do. (SQLite: BEGIN IMMEDIATE already serializes.)
      if (db.dialect() == "postgresql")
        db.exec("SELECT pg_advisory_xact_lock(?)", {Value(k_migration_lock)});
      db.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
          "applied_at BIGINT NOT NULL)");
      int current = static_cast<int>(
          to_int(db.exec("SELECT MAX(version) FROM schema_migrations").rows[0][0]));
      if (current > newest)
        throw StoreError("the database's schema is version " + std::to_string(current) +
                         ", newer than this gongkai knows (" + std::to_string(newest) +
                         "): run the gongkai that wrote it (or a newer one); a database is "
                         "never downgraded");
      auto next = std::find_if(migrations().begin(), migrations().end(),
                               [&](const Migration& m) { return m.version > current; });
      if (next == migrations().end()) {
        db.commit();
        return current;
      }
      db.exec_script(dialect_sql(next->sql, db.dialect()));
      db.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
              {Value(next->version), Value(now())});
      db.commit();
    } catch (...) {
      db.rollback();
      throw;
    }
  }
}

// ---- connection pool --------------------------------------------------------------------------
class Pool {
 public:
  using Factory = std::function<std::unique_ptr<Db>()>;
  Pool(Factory factory, std::size_t max) : factory_(std::move(factory)), max_(max) {}

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Db> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), db_(std::move(o.db_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_) pool_->give_back(std::move(db_));
    }
    Db& operator*() { return *db_; }
    Db* operator->() { return db_.get(); }
    void discard() { db_.reset(); }

   private:
    Pool* pool_;
    std::unique_ptr<Db> db_;
  };

  Lease acquire() {
    std::unique_lock lock(m_);
    if (!cv_.wait_for(lock, std::chrono::seconds(30),
                      [&] { return !idle_.empty() || open_ < max_; }))
      throw StoreError("every database connection is busy");
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
    ++open_;
    lock.unlock();
    try {
      return Lease(this, factory_());
    } catch (...) {
      lock.lock();
      --open_;
      cv_.notify_one();
      throw;
    }
  }

 private:
  void give_back(std::unique_ptr<Db> db) {
    std::unique_ptr<Db> drop;  // destroyed outside the lock
    {
      std::lock_guard lock(m_);
      if (db && !db->broken())
        idle_.push_back(std::move(db));
      else
        --open_, drop = std::move(db);
    }
    cv_.notify_one();
  }

  Factory factory_;
  std::size_t max_;
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Db>> idle_;
  std::size_t open_ = 0;
};

// ---- rows <-> structs -------------------------------------------------------------------------
template <class T>
struct Col {
  const char* name;
  std::variant<std::string T::*, std::int64_t T::*, bool T::*, int T::*> member;
};

template <class T>
using Cols = std::vector<Col<T>>;

template <class T>
Value value_of(const T& obj, const Col<T>& c) {
  return std::visit([&](auto m) { return Value(obj.*m); }, c.member);
}

template <class T>
void assign(T& obj, const Col<T>& c, const std::optional<std::string>& v) {
  std::visit(
      [&](auto m) {
        using M = std::remove_reference_t<decltype(obj.*m)>;
        if constexpr (std::is_same_v<M, std::string>)
          obj.*m = v.value_or("");
        else if constexpr (std::is_same_v<M, bool>)
          obj.*m = to_int(v) != 0;
        else
          obj.*m = static_cast<M>(to_int(v));
      },
      c.member);
}

template <class T>
std::string names(const Cols<T>& cols) {
  std::string s;
  for (const auto& c : cols) s += (s.empty() ? "" : ", ") + std::string(c.name);
  return s;
}

template <class T>
std::string marks(const Cols<T>& cols) {
  std::string s;
  for (std::size_t i = 0; i < cols.size(); ++i) s += i ? ", ?" : "?";
  return s;
}

template <class T>
std::string assignments(const Cols<T>& cols) {
  std::string s;
  for (const auto& c : cols) s += (s.empty() ? "" : ", ") + std::string(c.name) + " = ?";
  return s;
}

template <class T>
std::vector<Value> values(const T& obj, const Cols<T>& cols) {
  std::vector<Value> v;
  v.reserve(cols.size() + 3);
  for (const auto& c : cols) v.push_back(value_of(obj, c));
  return v;
}

template <class T>
T from_row(const Row& row, const Cols<T>& cols) {
  T obj{};
  for (std::size_t i = 0; i < cols.size(); ++i) assign(obj, cols[i], row.at(i));
  return obj;
}

template <class T>
std::vector<T> from_rows(const Result& r, const Cols<T>& cols) {
  std::vector<T> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) out.push_back(from_row(row, cols));
  return out;
}

using A = Application;
const Cols<A> k_app_handling = {
    {"status", &A::status},         {"received_date", &A::received_date},
    {"due_date", &A::due_date},     {"extended", &A::extended},
    {"reply_type", &A::reply_type}, {"reply_ground", &A::reply_ground},
    {"reply_text", &A::reply_text}, {"answered_date", &A::answered_date},
};
const Cols<A> k_app = [] {
  Cols<A> c = {
      {"id", &A::id},
      {"unit", &A::unit},
      {"secret_hash", &A::secret_hash},
      {"applicant_type", &A::applicant_type},
      {"name", &A::name},
      {"id_type", &A::id_type},
      {"id_number", &A::id_number},
      {"credit_code", &A::credit_code},
      {"contact_person", &A::contact_person},
      {"phone", &A::phone},
      {"email", &A::email},
      {"address", &A::address},
      {"postcode", &A::postcode},
      {"description", &A::description},
      {"form", &A::form},
      {"delivery", &A::delivery},
      {"submitted_at", &A::submitted_at},
      {"source_address", &A::source_address},
  };
  c.insert(c.end(), k_app_handling.begin(), k_app_handling.end());
  c.push_back({"updated_at", &A::updated_at});
  return c;
}();

using M = Message;
const Cols<M> k_msg_handling = {
    {"status", &M::status},
    {"reject_reason", &M::reject_reason},
    {"department", &M::department},
    {"complexity", &M::complexity},
    {"received_date", &M::received_date},
    {"due_date", &M::due_date},
    {"answer", &M::answer},
    {"answered_date", &M::answered_date},
    {"published_body", &M::published_body},
};
const Cols<M> k_msg = [] {
  Cols<M> c = {
      {"id", &M::id},
      {"unit", &M::unit},
      {"secret_hash", &M::secret_hash},
      {"type", &M::type},
      {"subject", &M::subject},
      {"body", &M::body},
      {"related", &M::related},
      {"name", &M::name},
      {"phone", &M::phone},
      {"email", &M::email},
      {"consent_publish", &M::consent_publish},
      {"submitted_at", &M::submitted_at},
      {"source_address", &M::source_address},
  };
  c.insert(c.end(), k_msg_handling.begin(), k_msg_handling.end());
  c.push_back({"updated_at", &M::updated_at});
  return c;
}();

using E = Event;
const Cols<E> k_event = {
    {"object_id", &E::object_id},
    {"at", &E::at},
    {"actor", &E::actor},
    {"action", &E::action},
    {"public_note", &E::public_note},
    {"detail", &E::detail},
};

using R = ConsultationResponse;
const Cols<R> k_response = {
    {"unit", &R::unit},
    {"consultation", &R::consultation},
    {"name", &R::name},
    {"contact", &R::contact},
    {"body", &R::body},
    {"submitted_at", &R::submitted_at},
    {"source_address", &R::source_address},
};  // and adopted, a nullable boolean, by hand

using U = StaffUser;
const Cols<U> k_user_mutable = {
    {"unit", &U::unit},
    {"display_name", &U::display_name},
    {"password_hash", &U::password_hash},
    {"failed_logins", &U::failed_logins},
    {"locked_until", &U::locked_until},
    {"disabled", &U::disabled},
};
const Cols<U> k_user = [] {
  Cols<U> c = {{"username", &U::username}};
  c.insert(c.end(), k_user_mutable.begin(), k_user_mutable.end());
  return c;
}();

using S = Session;
const Cols<S> k_session = {
    {"token_hash", &S::token_hash}, {"username", &S::username},     {"csrf", &S::csrf},
    {"created_at", &S::created_at}, {"expires_at", &S::expires_at},
};

using L = AuditEntry;
const Cols<L> k_audit = {
    {"at", &L::at},         {"actor", &L::actor},         {"unit", &L::unit},
    {"action", &L::action}, {"object_id", &L::object_id}, {"detail", &L::detail},
};

bool all_units(const std::string& unit) { return unit.empty() || unit == "*"; }

// ---- the store ----------------------------------------------------------------------------------
class SqlStore final : public Store {
 public:
  SqlStore(std::string backend, Pool::Factory factory, std::size_t pool_size)
      : backend_(std::move(backend)), pool_(std::move(factory), pool_size) {
    auto c = pool_.acquire();
    version_ = migrate(*c);
  }

  std::string backend() const override { return backend_; }
  int schema_version() const override { return version_; }

  std::string create_application(Application a, const std::string& public_note) override {
    if (a.submitted_at == 0) a.submitted_at = now();
    if (a.updated_at == 0) a.updated_at = a.submitted_at;
    return write([&](Db& db) {
      a.id = next_receipt(db, "YSQ-" + a.unit, a.submitted_at);
      db.exec("INSERT INTO applications (" + names(k_app) + ") VALUES (" + marks(k_app) + ")",
              values(a, k_app));
      add_event(db, {0, a.id, a.submitted_at, "public", "submitted", public_note, ""});
      return a.id;
    });
  }

  std::optional<Application> application(const std::string& id) override {
    auto r = read([&](Db& db) {
      return db.exec("SELECT " + names(k_app) + " FROM applications WHERE id = ?", {id});
    });
    if (r.rows.empty()) return std::nullopt;
    return from_row(r.rows[0], k_app);
  }

  std::vector<Application> applications(const ListQuery& q) override {
    return from_rows(read([&](Db& db) { return list(db, "applications", names(k_app), q); }),
                     k_app);
  }

  bool update_application(const Application& a, std::int64_t expected_updated_at,
                          const Event& e) override {
    return write([&](Db& db) {
      auto v = values(a, k_app_handling);
      v.push_back(next_updated_at(a.updated_at, expected_updated_at));
      v.push_back(a.id);
      v.push_back(expected_updated_at);
      auto r = db.exec("UPDATE applications SET " + assignments(k_app_handling) +
                           ", updated_at = ? WHERE id = ? AND updated_at = ?",
                       v);
      if (r.changes != 1) return false;
      Event ev = e;
      ev.object_id = a.id;
      add_event(db, ev);
      return true;
    });
  }

  std::vector<Event> events(const std::string& object_id) override {
    return read([&](Db& db) {
      auto r = db.exec(
          "SELECT id, " + names(k_event) + " FROM events WHERE object_id = ? ORDER BY at, id",
          {object_id});
      std::vector<Event> out;
      for (const auto& row : r.rows) {
        Row rest(row.begin() + 1, row.end());
        Event e = from_row(rest, k_event);
        e.id = to_int(row[0]);
        out.push_back(std::move(e));
      }
      return out;
    });
  }

  ApplicationYear application_year(const std::string& unit, int year) override {
    const std::string jan1 = std::to_string(year) + "-01-01";
    const std::string dec31 = std::to_string(year) + "-12-31";
    const std::int64_t jan1_epoch =
        DateTime::from_civil(year, 1, 1, 0, 0, 0, k_default_offset_minutes, false).epoch;
    std::string where_unit = all_units(unit) ? "" : " AND unit = ?";
    auto with_unit = [&](std::vector<Value> v) {
      if (!all_units(unit)) v.push_back(unit);
      return v;
    };
    return read([&](Db& db) {
      ApplicationYear y;
      y.received_in_year = from_rows(
          db.exec("SELECT " + names(k_app) +
                      " FROM applications WHERE received_date >= ? AND received_date <= ?" +
                      where_unit + " ORDER BY received_date, id",
                  with_unit({jan1, dec31})),
          k_app);
      // Open on 1 January: received before, not answered (answered_date) before, and not
      // withdrawn before (a "withdraw" event, as the staff console writes it; "withdrawn" too).
      y.carried_over =
          from_rows(db.exec("SELECT " + names(k_app) +
                                " FROM applications WHERE received_date <> '' AND received_date < ?"
                                " AND (answered_date = '' OR answered_date >= ?)"
                                " AND NOT EXISTS (SELECT 1 FROM events WHERE events.object_id ="
                                " applications.id AND events.action IN ('withdraw', 'withdrawn')"
                                " AND events.at < ?)" +
                                where_unit + " ORDER BY received_date, id",
                            with_unit({jan1, jan1, jan1_epoch})),
                    k_app);
      return y;
    });
  }

  std::string create_message(Message m, const std::string& public_note) override {
    if (m.submitted_at == 0) m.submitted_at = now();
    if (m.updated_at == 0) m.updated_at = m.submitted_at;
    return write([&](Db& db) {
      m.id = next_receipt(db, "LY-" + m.unit, m.submitted_at);
      db.exec("INSERT INTO messages (" + names(k_msg) + ") VALUES (" + marks(k_msg) + ")",
              values(m, k_msg));
      add_event(db, {0, m.id, m.submitted_at, "public", "submitted", public_note, ""});
      return m.id;
    });
  }

  std::optional<Message> message(const std::string& id) override {
    auto r = read([&](Db& db) {
      return db.exec("SELECT " + names(k_msg) + " FROM messages WHERE id = ?", {id});
    });
    if (r.rows.empty()) return std::nullopt;
    return from_row(r.rows[0], k_msg);
  }

  std::vector<Message> messages(const ListQuery& q) override {
    return from_rows(read([&](Db& db) { return list(db, "messages", names(k_msg), q); }), k_msg);
  }

  bool update_message(const Message& m, std::int64_t expected_updated_at, const Event& e) override {
    return write([&](Db& db) {
      auto v = values(m, k_msg_handling);
      v.push_back(next_updated_at(m.updated_at, expected_updated_at));
      v.push_back(m.id);
      v.push_back(expected_updated_at);
      auto r = db.exec("UPDATE messages SET " + assignments(k_msg_handling) +
                           ", updated_at = ? WHERE id = ? AND updated_at = ?",
                       v);
      if (r.changes != 1) return false;
      Event ev = e;
      ev.object_id = m.id;
      add_event(db, ev);
      return true;
    });
  }

  std::int64_t add_attachment(Attachment a) override {
    if (a.created_at == 0) a.created_at = now();
    a.size = static_cast<std::int64_t>(a.data.size());
    a.sha256 = sha256_hex(a.data);
    const std::string encoded = base64(a.data);
    return write([&](Db& db) {
      auto res = db.exec(
          "INSERT INTO attachments (object_id, name, content_type, size, sha256, created_at, "
          "actor, data_base64) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
          {Value(a.object_id), Value(a.name), Value(a.content_type), Value(a.size), Value(a.sha256),
           Value(a.created_at), Value(a.actor), Value(encoded)});
      return to_int(res.rows.at(0).at(0));
    });
  }

  static Attachment attachment_of(const Row& row) {
    Attachment a;
    a.id = to_int(row[0]);
    a.object_id = row[1].value_or("");
    a.name = row[2].value_or("");
    a.content_type = row[3].value_or("");
    a.size = to_int(row[4]);
    a.sha256 = row[5].value_or("");
    a.created_at = to_int(row[6]);
    a.actor = row[7].value_or("");
    return a;
  }

  std::vector<Attachment> attachments(const std::string& object_id) override {
    return read([&](Db& db) {
      std::vector<Attachment> out;
      for (const auto& row :
           db.exec("SELECT id, object_id, name, content_type, size, sha256, created_at, actor FROM "
                   "attachments WHERE object_id = ? ORDER BY id",
                   {object_id})
               .rows)
        out.push_back(attachment_of(row));
      return out;
    });
  }

  std::optional<Attachment> attachment(std::int64_t id) override {
    auto r = read([&](Db& db) {
      return db.exec(
          "SELECT id, object_id, name, content_type, size, sha256, created_at, actor, data_base64 "
          "FROM attachments WHERE id = ?",
          {Value(id)});
    });
    if (r.rows.empty()) return std::nullopt;
    Attachment a = attachment_of(r.rows[0]);
    auto bytes = unbase64(r.rows[0][8].value_or(""));
    if (!bytes || static_cast<std::int64_t>(bytes->size()) != a.size ||
        sha256_hex(*bytes) != a.sha256)
      throw StoreError("attachment " + std::to_string(id) + " is damaged (size or SHA-256 differ)");
    a.data = std::move(*bytes);
    return a;
  }

  std::int64_t add_response(ConsultationResponse r) override {
    if (r.submitted_at == 0) r.submitted_at = now();
    return write([&](Db& db) {
      auto v = values(r, k_response);
      v.push_back(Value(r.adopted));
      auto res = db.exec("INSERT INTO consultation_responses (" + names(k_response) +
                             ", adopted) VALUES (" + marks(k_response) + ", ?) RETURNING id",
                         v);
      return to_int(res.rows.at(0).at(0));
    });
  }

  std::vector<ConsultationResponse> responses(const std::string& unit,
                                              const std::string& consultation) override {
    return read([&](Db& db) {
      std::string sql =
          "SELECT id, adopted, " + names(k_response) + " FROM consultation_responses WHERE 1 = 1";
      std::vector<Value> v;
      if (!all_units(unit)) sql += " AND unit = ?", v.push_back(unit);
      if (!consultation.empty()) sql += " AND consultation = ?", v.push_back(consultation);
      sql += " ORDER BY submitted_at, id";
      std::vector<ConsultationResponse> out;
      for (const auto& row : db.exec(sql, v).rows) {
        Row rest(row.begin() + 2, row.end());
        ConsultationResponse r = from_row(rest, k_response);
        r.id = to_int(row[0]);
        if (row[1]) r.adopted = to_int(row[1]) != 0;
        out.push_back(std::move(r));
      }
      return out;
    });
  }

  bool set_response_adopted(std::int64_t id, std::optional<bool> adopted) override {
    return write([&](Db& db) {
      return db.exec("UPDATE consultation_responses SET adopted = ? WHERE id = ?",
                     {Value(adopted), Value(id)})
                 .changes == 1;
    });
  }

  bool add_user(const StaffUser& u) override {
    return write([&](Db& db) {
      return db.exec("INSERT INTO staff_users (" + names(k_user) + ") VALUES (" + marks(k_user) +
                         ") ON CONFLICT (username) DO NOTHING",
                     values(u, k_user))
                 .changes == 1;
    });
  }

  bool update_user(const StaffUser& u) override {
    return write([&](Db& db) {
      auto v = values(u, k_user_mutable);
      v.push_back(u.username);
      return db.exec(
                   "UPDATE staff_users SET " + assignments(k_user_mutable) + " WHERE username = ?",
                   v)
                 .changes == 1;
    });
  }

  std::optional<StaffUser> user(const std::string& username) override {
    auto r = read([&](Db& db) {
      return db.exec("SELECT " + names(k_user) + " FROM staff_users WHERE username = ?",
                     {username});
    });
    if (r.rows.empty()) return std::nullopt;
    return from_row(r.rows[0], k_user);
  }

  std::vector<StaffUser> users() override {
    return from_rows(
        read([&](Db& db) {
          return db.exec("SELECT " + names(k_user) + " FROM staff_users ORDER BY username");
        }),
        k_user);
  }

  void add_session(const Session& s) override {
    write([&](Db& db) {
      db.exec("INSERT INTO sessions (" + names(k_session) + ") VALUES (" + marks(k_session) + ")",
              values(s, k_session));
      return true;
    });
  }

  std::optional<Session> session(const std::string& token_hash, std::int64_t at) override {
    auto r = read([&](Db& db) {
      return db.exec(
          "SELECT " + names(k_session) + " FROM sessions WHERE token_hash = ? AND expires_at > ?",
          {token_hash, Value(at)});
    });
    if (r.rows.empty()) return std::nullopt;
    return from_row(r.rows[0], k_session);
  }

  void delete_session(const std::string& token_hash) override {
    write(
        [&](Db& db) { return db.exec("DELETE FROM sessions WHERE token_hash = ?", {token_hash}); });
  }

  void delete_expired_sessions(std::int64_t at) override {
    write(
        [&](Db& db) { return db.exec("DELETE FROM sessions WHERE expires_at <= ?", {Value(at)}); });
  }

  void audit(const AuditEntry& e) override {
    AuditEntry entry = e;
    if (entry.at == 0) entry.at = now();
    write([&](Db& db) {
      return db.exec(
          "INSERT INTO audit_log (" + names(k_audit) + ") VALUES (" + marks(k_audit) + ")",
          values(entry, k_audit));
    });
  }

  std::vector<AuditEntry> audit_log(const std::string& unit, int limit) override {
    return read([&](Db& db) {
      std::string sql = "SELECT id, " + names(k_audit) + " FROM audit_log";
      std::vector<Value> v;
      if (!all_units(unit)) sql += " WHERE unit = ?", v.push_back(unit);
      sql += " ORDER BY id DESC LIMIT ?";
      v.push_back(std::max(limit, 0));
      std::vector<AuditEntry> out;
      for (const auto& row : db.exec(sql, v).rows) {
        Row rest(row.begin() + 1, row.end());
        AuditEntry e = from_row(rest, k_audit);
        e.id = to_int(row[0]);
        out.push_back(std::move(e));
      }
      return out;
    });
  }

  std::int64_t count(const std::string& table) override {
    static const std::vector<std::string> tables = {
        "applications", "events",    "messages", "consultation_responses", "staff_users",
        "sessions",     "audit_log", "counters", "schema_migrations",      "attachments"};
    if (std::find(tables.begin(), tables.end(), table) == tables.end())
      throw StoreError("count: no table " + table);
    return read(
        [&](Db& db) { return to_int(db.exec("SELECT COUNT(*) FROM " + table).rows[0][0]); });
  }

 private:
  // One transaction on one pooled connection; f(Db&) returns the result. A pooled connection
  // that the server has dropped since (a PostgreSQL restart) fails at BEGIN, before anything of
  // the transaction ran: it is thrown away and the transaction starts again on a fresh one. A
  // serialization failure or deadlock gets one more try of the whole transaction.
  template <class F>
  auto transact(bool write, F&& f) -> std::invoke_result_t<F&, Db&> {
    int stale = 0, retried = 0;
    for (;;) {
      auto c = pool_.acquire();
      try {
        c->begin(write);
      } catch (const StoreError&) {
        if (c->broken() && stale++ < 10) {
          c.discard();
          continue;
        }
        throw;
      }
      try {
        auto r = f(*c);
        c->commit();
        return r;
      } catch (const detail::RetryableError&) {
        c->rollback();
        if (retried++ < 1) continue;
        throw;
      } catch (...) {
        c->rollback();
        throw;
      }
    }
  }
  template <class F>
  auto write(F&& f) -> std::invoke_result_t<F&, Db&> {
    return transact(true, std::forward<F>(f));
  }
  template <class F>
  auto read(F&& f) -> std::invoke_result_t<F&, Db&> {
    return transact(false, std::forward<F>(f));
  }

  // "<prefix>-<year>-<5 digits>", the year of `at` in China Standard Time. The upsert takes the
  // counter row's lock (PostgreSQL) or runs under the write lock (SQLite) inside the caller's
  // transaction, so two submitters never get the same number and a rolled-back insert gives
  // its number back.
  static std::string next_receipt(Db& db, const std::string& prefix, std::int64_t at) {
    std::string key = prefix + "-" + std::to_string(DateTime::from_epoch(at).year());
    auto r = db.exec(
        "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET "
        "value = counters.value + 1 RETURNING value",
        {key});
    char seq[32];
    std::snprintf(seq, sizeof seq, "%05lld", static_cast<long long>(to_int(r.rows.at(0).at(0))));
    return key + "-" + seq;
  }

  // Strictly later than the value it replaces, so that two updates in the same second still
  // tell each other apart.
  static std::int64_t next_updated_at(std::int64_t wanted, std::int64_t expected) {
    return std::max({wanted, now(), expected + 1});
  }

  static void add_event(Db& db, Event e) {
    if (e.at == 0) e.at = now();
    db.exec("INSERT INTO events (" + names(k_event) + ") VALUES (" + marks(k_event) + ")",
            values(e, k_event));
  }

  static Result list(Db& db, const std::string& table, const std::string& cols,
                     const ListQuery& q) {
    std::string sql = "SELECT " + cols + " FROM " + table + " WHERE 1 = 1";
    std::vector<Value> v;
    if (!all_units(q.unit)) sql += " AND unit = ?", v.push_back(q.unit);
    if (!q.status.empty()) sql += " AND status = ?", v.push_back(q.status);
    sql += " ORDER BY submitted_at DESC, id DESC LIMIT ? OFFSET ?";
    v.push_back(std::max(q.limit, 0));
    v.push_back(std::max(q.offset, 0));
    return db.exec(sql, v);
  }

  std::string backend_;
  Pool pool_;
  int version_ = 0;
};

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::unique_ptr<Store> Store::open(const std::string& url) {
  constexpr std::size_t k_pool = 8;
  if (starts_with(url, "sqlite:")) {
    std::string path = url.substr(7);
    if (path.empty()) throw StoreError("sqlite: URL without a path: " + url);
    auto writer = std::make_shared<std::timed_mutex>();
    return std::make_unique<SqlStore>(
        "sqlite", [path, writer] { return detail::open_sqlite(path, writer); }, k_pool);
  }
  std::string conninfo;
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://"))
    conninfo = url;
  else if (starts_with(url, "postgresql:"))
    conninfo = url.substr(11);
  else
    throw StoreError("unknown store URL (sqlite:/path/to/file.db or postgresql://...)");
  return std::make_unique<SqlStore>(
      "postgresql", [conninfo] { return detail::open_postgresql(conninfo); }, k_pool);
}

}  // namespace gongkai::store
