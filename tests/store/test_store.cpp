// The store (server/store) against both backends: every test case runs on SQLite (a fresh file in
// a temporary directory) and, when GONGKAI_TEST_PG holds a libpq conninfo (a postgresql:// URI or
// "host=... port=... dbname=..."), again on PostgreSQL in a fresh schema of that database, which
// is dropped afterwards. tests/store/with_postgres.sh starts a real cluster and sets it.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "db.hpp"
#include "store.hpp"

using namespace gongkai::store;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> backends() {
  std::vector<std::string> b = {"sqlite"};
  const char* pg = std::getenv("GONGKAI_TEST_PG");
  if (pg && *pg) b.push_back("postgresql");
  return b;
}

bool is_uri(const std::string& s) {
  return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

// A fresh, empty database for one test, and a raw connection to it for what the Store
// interface cannot do (plant a newer schema version, drop connections).
class Fixture {
 public:
  explicit Fixture(std::string backend) : backend_(std::move(backend)) {
    if (backend_ == "sqlite") {
      std::string tmpl = (fs::temp_directory_path() / "gongkai-store-XXXXXX").string();
      if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
      dir_ = tmpl;
      path_ = (dir_ / "store.db").string();
      url_ = "sqlite:" + path_;
      return;
    }
    static std::atomic<int> n{0};
    schema_ = "gongkai_test_" + std::to_string(getpid()) + "_" + std::to_string(++n);
    base_ = std::getenv("GONGKAI_TEST_PG");
    if (is_uri(base_)) {
      conninfo_ = base_ + (base_.find('?') == std::string::npos ? "?" : "&") +
                  "options=-csearch_path%3D" + schema_ + "&application_name=" + schema_;
      url_ = conninfo_;
    } else {
      conninfo_ = base_ + " options='-csearch_path=" + schema_ + "' application_name=" + schema_;
      url_ = "postgresql:" + conninfo_;
    }
    detail::open_postgresql(base_)->exec_script("CREATE SCHEMA " + schema_);
  }
  ~Fixture() {
    try {
      if (!dir_.empty()) fs::remove_all(dir_);
      if (!schema_.empty())
        detail::open_postgresql(base_)->exec_script("DROP SCHEMA " + schema_ + " CASCADE");
    } catch (...) {
    }
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  const std::string& backend() const { return backend_; }
  const std::string& url() const { return url_; }
  const std::string& path() const { return path_; }
  const std::string& schema() const { return schema_; }
  std::unique_ptr<Store> open() const { return Store::open(url_); }
  std::unique_ptr<detail::Db> raw() const {
    return backend_ == "sqlite" ? detail::open_sqlite(path_, nullptr)
                                : detail::open_postgresql(conninfo_);
  }

 private:
  std::string backend_, url_, path_, schema_, base_, conninfo_;
  fs::path dir_;
};

#define EACH_BACKEND                                            \
  const std::string backend = GENERATE(from_range(backends())); \
  Fixture fx(backend);                                          \
  INFO("backend: " << backend)

// 2026-03-02 10:00:00 +08:00
constexpr std::int64_t k_t2026 = 1772416800;

Application sample_application(const std::string& unit = "bangjun") {
  Application a;
  a.unit = unit;
  a.secret_hash = std::string(64, 'a');
  a.applicant_type = "自然人";
  a.name = "张三";
  a.id_type = "身份证";
  a.id_number = "120225199001011234";
  a.phone = "13800000000";
  a.email = "zhang@example.com";
  a.address = "天津市蓟州区邦均镇";
  a.postcode = "301900";
  a.description = "2025年邦均镇道路修缮项目的预算文件";
  a.form = "电子文档";
  a.delivery = "电子邮件";
  a.submitted_at = k_t2026;
  a.source_address = "192.0.2.7";
  return a;
}

Message sample_message(const std::string& unit = "bangjun") {
  Message m;
  m.unit = unit;
  m.secret_hash = std::string(64, 'b');
  m.type = "咨询";
  m.subject = "路灯何时修好";
  m.body = "村口路灯坏了一个月。";
  m.related = "西大街村";
  m.name = "李四";
  m.phone = "13900000000";
  m.consent_publish = true;
  m.submitted_at = k_t2026;
  m.source_address = "2001:db8::1";
  return m;
}

// Every text member, in a fixed order, so that tests can fill and compare them all at once.
template <class T>
using Texts = std::vector<std::string T::*>;

const Texts<Application> k_app_texts = {
    &Application::unit,           &Application::secret_hash,    &Application::applicant_type,
    &Application::name,           &Application::id_type,        &Application::id_number,
    &Application::credit_code,    &Application::contact_person, &Application::phone,
    &Application::email,          &Application::address,        &Application::postcode,
    &Application::description,    &Application::form,           &Application::delivery,
    &Application::source_address, &Application::status,         &Application::received_date,
    &Application::due_date,       &Application::reply_type,     &Application::reply_ground,
    &Application::reply_text,     &Application::answered_date};
const Texts<Application> k_app_handling_texts = {
    &Application::status,       &Application::received_date, &Application::due_date,
    &Application::reply_type,   &Application::reply_ground,  &Application::reply_text,
    &Application::answered_date};
const Texts<Message> k_msg_texts = {
    &Message::unit,           &Message::secret_hash, &Message::type,
    &Message::subject,        &Message::body,        &Message::related,
    &Message::name,           &Message::phone,       &Message::email,
    &Message::source_address, &Message::status,      &Message::reject_reason,
    &Message::department,     &Message::complexity,  &Message::received_date,
    &Message::due_date,       &Message::answer,      &Message::answered_date,
    &Message::published_body};
const Texts<Message> k_msg_handling_texts = {
    &Message::status,     &Message::reject_reason, &Message::department,
    &Message::complexity, &Message::received_date, &Message::due_date,
    &Message::answer,     &Message::answered_date, &Message::published_body};

template <class T>
std::vector<std::string> texts(const T& obj, const Texts<T>& members) {
  std::vector<std::string> out;
  for (auto m : members) out.push_back(obj.*m);
  return out;
}

const std::vector<std::string> k_hostile = {
    "'; DROP TABLE applications; --",
    "Robert'); DROP TABLE messages;--",
    "\"double\" 'single' `back` \\ backslash",
    "? $1 :name @p %s %_ wildcard",
    "中文：依申请公开（测试）、《条例》第二十九条",
    "emoji 😀🎉👍🏽👨‍👩‍👧",
    "line\nbreak\ttab\rreturn",
    "ＦＵＬＬ　ＷＩＤＴＨ　全角",
    "\u202eright-to-left override",
    "零宽\u200b空格\ufeffBOM",
    "𠀀𪚥 supplementary CJK",
    "' OR '1'='1",
    "x'); DELETE FROM staff_users; SELECT ('",
    "",
};

// The i-th hostile string, tagged with i so that no two fields hold the same value (a swapped
// column would show).
std::string hostile(std::size_t i) {
  return k_hostile[i % k_hostile.size()] + " #" + std::to_string(i);
}

}  // namespace

TEST_CASE("store: migrations: from empty, reopen is a no-op, a newer database is refused") {
  EACH_BACKEND;
  std::string id;
  {
    auto s = fx.open();
    CHECK(s->backend() == backend);
    CHECK(s->schema_version() == 2);
    CHECK(s->count("schema_migrations") == 2);
    for (auto t : {"applications", "events", "messages", "consultation_responses", "staff_users",
                   "sessions", "audit_log", "counters", "attachments"})
      CHECK(s->count(t) == 0);
    CHECK_THROWS_AS(s->count("applications; DROP TABLE events"), StoreError);
    id = s->create_application(sample_application(), "");
  }
  {
    auto s = fx.open();
    CHECK(s->schema_version() == 2);
    CHECK(s->count("schema_migrations") == 2);
    CHECK(s->count("applications") == 1);
    CHECK(s->application(id));
  }
  fx.raw()->exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                 {detail::Value(3), detail::Value(std::int64_t{0})});
  try {
    fx.open();
    FAIL("a database of schema version 3 was opened");
  } catch (const StoreError& e) {
    CHECK_THAT(e.what(), Catch::Contains("version 3") && Catch::Contains("newer"));
  }
  // Refused without touching it: the row is still there, the data too.
  auto raw = fx.raw();
  CHECK(raw->exec("SELECT MAX(version) FROM schema_migrations").rows[0][0] == "3");
  CHECK(raw->exec("SELECT COUNT(*) FROM applications").rows[0][0] == "1");
}

TEST_CASE("store: open: bad URLs and unreachable databases are StoreErrors") {
  EACH_BACKEND;
  CHECK_THROWS_AS(Store::open("mysql://localhost/x"), StoreError);
  CHECK_THROWS_AS(Store::open("sqlite:"), StoreError);
  if (backend == "sqlite") {
    CHECK_THROWS_AS(Store::open("sqlite:/nonexistent-dir-gongkai/x.db"), StoreError);
    fx.open();
    struct stat st {};
    REQUIRE(stat(fx.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);  // personal data: owner only
    auto mode = fx.raw()->exec("PRAGMA journal_mode").rows.at(0).at(0);
    CHECK(mode == "wal");
  } else {
    CHECK_THROWS_AS(Store::open("postgresql://127.0.0.1:1/nothing?connect_timeout=2"), StoreError);
    CHECK_THROWS_AS(Store::open("postgresql:host=127.0.0.1 port=1 connect_timeout=2"), StoreError);
  }
}

TEST_CASE("store: applications: create, read, list, update with optimistic concurrency, events") {
  EACH_BACKEND;
  auto s = fx.open();
  Application a = sample_application();
  std::string id = s->create_application(a, "已提交");
  CHECK(id == "YSQ-bangjun-2026-00001");

  auto got = s->application(id);
  REQUIRE(got);
  CHECK(got->id == id);
  CHECK(texts(*got, k_app_texts) == texts(a, k_app_texts));
  CHECK(got->submitted_at == k_t2026);
  CHECK(got->updated_at == k_t2026);
  CHECK(got->status == "submitted");
  CHECK_FALSE(got->extended);
  CHECK_FALSE(s->application("YSQ-bangjun-2026-00002"));

  // Handling: received, then answered.
  Application h = *got;
  h.status = "received";
  h.received_date = "2026-03-02";
  h.due_date = "2026-03-23";
  h.extended = true;
  Event e;
  e.object_id = "ignored: the event belongs to the application updated";
  e.at = k_t2026 + 60;
  e.actor = "wang";
  e.action = "received";
  e.public_note = "已受理";
  e.detail = "登记";
  REQUIRE(s->update_application(h, got->updated_at, e));
  auto after = s->application(id);
  REQUIRE(after);
  CHECK(texts(*after, k_app_texts) == texts(h, k_app_texts));
  CHECK(after->extended);
  CHECK(after->updated_at > got->updated_at);

  // A second console still holding the first version loses.
  Application stale = *got;
  stale.status = "withdrawn";
  CHECK_FALSE(s->update_application(stale, got->updated_at, e));
  CHECK(s->application(id)->status == "received");
  // Unknown id.
  stale.id = "YSQ-bangjun-2026-09999";
  CHECK_FALSE(s->update_application(stale, got->updated_at, e));

  // Two updates in the same second still tell each other apart.
  Application h2 = *after;
  h2.status = "answered";
  h2.reply_type = "予以公开";
  h2.reply_text = "见附件";
  h2.answered_date = "2026-03-10";
  h2.updated_at = after->updated_at;  // what a careless caller would pass
  Event e2 = e;
  e2.at = k_t2026 + 120;
  e2.action = "answered";
  e2.public_note = "已答复";
  REQUIRE(s->update_application(h2, after->updated_at, e2));
  auto answered = s->application(id);
  CHECK(answered->updated_at > after->updated_at);
  CHECK_FALSE(s->update_application(h2, after->updated_at, e2));
  CHECK(answered->reply_type == "予以公开");
  // The applicant's own data is not a handling field: update leaves it alone.
  Application rename = *answered;
  rename.name = "someone else";
  REQUIRE(s->update_application(rename, answered->updated_at, e2));
  CHECK(s->application(id)->name == "张三");

  auto ev = s->events(id);
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].action == "submitted");
  CHECK(ev[0].actor == "public");
  CHECK(ev[0].public_note == "已提交");
  CHECK(ev[0].at == k_t2026);
  CHECK(ev[1].action == "received");
  CHECK(ev[1].object_id == id);
  CHECK(ev[1].actor == "wang");
  CHECK(ev[1].detail == "登记");
  CHECK(ev[2].action == "answered");
  CHECK(ev[1].id < ev[2].id);
  CHECK(s->events("nothing").empty());
  CHECK(s->count("events") == 4);

  // Lists: newest first, status filter, limit and offset.
  for (int i = 1; i <= 4; ++i) {
    Application more = sample_application();
    more.submitted_at = k_t2026 + 1000 * i;
    s->create_application(more, "");
  }
  auto all = s->applications({});
  REQUIRE(all.size() == 5);
  CHECK(all[0].id == "YSQ-bangjun-2026-00005");
  CHECK(all[4].id == id);
  ListQuery q;
  q.status = "submitted";
  CHECK(s->applications(q).size() == 4);
  q.status = "answered";
  REQUIRE(s->applications(q).size() == 1);
  CHECK(s->applications(q)[0].id == id);
  ListQuery page;
  page.limit = 2;
  page.offset = 1;
  auto p = s->applications(page);
  REQUIRE(p.size() == 2);
  CHECK(p[0].id == "YSQ-bangjun-2026-00004");
  CHECK(p[1].id == "YSQ-bangjun-2026-00003");
  CHECK(s->count("applications") == 5);
}

TEST_CASE("store: messages: create, read, list, update with optimistic concurrency, events") {
  EACH_BACKEND;
  auto s = fx.open();
  Message m = sample_message();
  std::string id = s->create_message(m, "留言已收到，待审核");
  CHECK(id == "LY-bangjun-2026-00001");
  auto got = s->message(id);
  REQUIRE(got);
  CHECK(texts(*got, k_msg_texts) == texts(m, k_msg_texts));
  CHECK(got->consent_publish);
  CHECK(got->status == "pending");
  CHECK(got->submitted_at == k_t2026);
  CHECK_FALSE(s->message("LY-bangjun-2026-00002"));

  Message h = *got;
  h.status = "answered";
  h.department = "城建办";
  h.complexity = "simple";
  h.received_date = "2026-03-02";
  h.due_date = "2026-03-09";
  h.answer = "已于3月5日修复。";
  h.answered_date = "2026-03-05";
  h.published_body = "村口路灯坏了一个月。";
  h.consent_publish = false;  // the applicant's choice, not a handling field
  Event e;
  e.at = k_t2026 + 10;
  e.actor = "li";
  e.action = "answered";
  e.public_note = "已答复";
  REQUIRE(s->update_message(h, got->updated_at, e));
  auto after = s->message(id);
  CHECK(texts(*after, k_msg_handling_texts) == texts(h, k_msg_handling_texts));
  CHECK(after->consent_publish);
  CHECK(after->updated_at > got->updated_at);
  CHECK_FALSE(s->update_message(h, got->updated_at, e));
  h.id = "LY-nope";
  CHECK_FALSE(s->update_message(h, after->updated_at, e));

  auto ev = s->events(id);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].action == "submitted");
  CHECK(ev[0].public_note == "留言已收到，待审核");
  CHECK(ev[1].action == "answered");
  CHECK(ev[1].object_id == id);

  Message r = sample_message();
  r.submitted_at = k_t2026 + 100;
  std::string id2 = s->create_message(r, "");
  CHECK(id2 == "LY-bangjun-2026-00002");
  auto all = s->messages({});
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == id2);
  ListQuery q;
  q.status = "pending";
  REQUIRE(s->messages(q).size() == 1);
  CHECK(s->messages(q)[0].id == id2);
  CHECK(s->count("messages") == 2);
}

TEST_CASE("store: receipt numbers are unique under 8 threads x 50 submissions") {
  EACH_BACKEND;
  auto s = fx.open();
  constexpr int k_threads = 8, k_each = 50;
  std::vector<std::vector<std::string>> ids(k_threads);
  std::vector<std::string> errors(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < k_each; ++i) {
          // Applications and messages interleaved: two sequences, contended at once.
          if (i % 5 == 4)
            ids[t].push_back(s->create_message(sample_message(), ""));
          else
            ids[t].push_back(s->create_application(sample_application(), ""));
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) CHECK(e == "");
  std::set<std::string> unique;
  for (const auto& v : ids) unique.insert(v.begin(), v.end());
  CHECK(unique.size() == k_threads * k_each);
  // Gap-free: exactly 1..n of each kind.
  constexpr int k_messages = k_threads * k_each / 5, k_apps = k_threads * k_each - k_messages;
  std::set<std::string> want;
  char buf[64];
  for (int i = 1; i <= k_apps; ++i)
    std::snprintf(buf, sizeof buf, "YSQ-bangjun-2026-%05d", i), want.insert(buf);
  for (int i = 1; i <= k_messages; ++i)
    std::snprintf(buf, sizeof buf, "LY-bangjun-2026-%05d", i), want.insert(buf);
  CHECK(unique == want);
  CHECK(s->count("applications") == k_apps);
  CHECK(s->count("messages") == k_messages);
  CHECK(s->count("events") == k_threads * k_each);
}

TEST_CASE("store: receipt numbers: per unit and per year in China Standard Time") {
  EACH_BACKEND;
  auto s = fx.open();
  constexpr std::int64_t k_new_year_cst = 1767196800;  // 2026-01-01 00:00:00 +08:00
  Application a = sample_application();
  a.submitted_at = k_new_year_cst - 1;  // 2025-12-31 23:59:59 in Beijing, 15:59:59 UTC
  CHECK(s->create_application(a, "") == "YSQ-bangjun-2025-00001");
  CHECK(s->create_application(a, "") == "YSQ-bangjun-2025-00002");
  a.submitted_at = k_new_year_cst;  // still 2025 in UTC
  CHECK(s->create_application(a, "") == "YSQ-bangjun-2026-00001");
  a.submitted_at = k_new_year_cst - 1;
  CHECK(s->create_application(a, "") == "YSQ-bangjun-2025-00003");
  Application other = sample_application("yuyang");
  other.submitted_at = k_new_year_cst;
  CHECK(s->create_application(other, "") == "YSQ-yuyang-2026-00001");
  Message m = sample_message();
  m.submitted_at = k_new_year_cst;
  CHECK(s->create_message(m, "") == "LY-bangjun-2026-00001");
  m.submitted_at = k_new_year_cst + 365 * 86400;
  CHECK(s->create_message(m, "") == "LY-bangjun-2027-00001");
  // No submitted_at: now.
  Application now = sample_application();
  now.submitted_at = 0;
  std::string id = s->create_application(now, "");
  auto got = s->application(id);
  REQUIRE(got);
  CHECK(got->submitted_at > k_new_year_cst);
}

TEST_CASE("store: unit filtering: one unit, or \"*\" and \"\" for all") {
  EACH_BACKEND;
  auto s = fx.open();
  s->create_application(sample_application("bangjun"), "");
  s->create_application(sample_application("bangjun"), "");
  s->create_application(sample_application("yuyang"), "");
  s->create_message(sample_message("yuyang"), "");
  ListQuery q;
  q.unit = "bangjun";
  CHECK(s->applications(q).size() == 2);
  for (const auto& a : s->applications(q)) CHECK(a.unit == "bangjun");
  q.unit = "yuyang";
  CHECK(s->applications(q).size() == 1);
  CHECK(s->messages(q).size() == 1);
  q.unit = "bangjun";
  CHECK(s->messages(q).empty());
  q.unit = "*";
  CHECK(s->applications(q).size() == 3);
  q.unit = "";
  CHECK(s->applications(q).size() == 3);
  q.unit = "nosuch";
  CHECK(s->applications(q).empty());
  q.unit = "bangjun' OR '1'='1";
  CHECK(s->applications(q).empty());

  s->audit({0, 1, "wang", "bangjun", "login", "", ""});
  s->audit({0, 2, "zhao", "yuyang", "login", "", ""});
  s->audit({0, 3, "admin", "*", "add_user", "zhao", ""});
  CHECK(s->audit_log("bangjun", 10).size() == 1);
  CHECK(s->audit_log("*", 10).size() == 3);
  CHECK(s->audit_log("", 10).size() == 3);

  ConsultationResponse r;
  r.consultation = "consultations/2026/plan";
  r.body = "同意";
  r.unit = "bangjun";
  s->add_response(r);
  r.unit = "yuyang";
  s->add_response(r);
  CHECK(s->responses("bangjun", r.consultation).size() == 1);
  CHECK(s->responses("*", r.consultation).size() == 2);
}

TEST_CASE("store: hostile text: SQL metacharacters and odd Unicode round-trip in every field") {
  EACH_BACKEND;
  auto s = fx.open();
  std::size_t n = 0;

  Application a = sample_application();
  for (auto m : k_app_texts) a.*m = hostile(n++);
  std::string aid = s->create_application(a, hostile(n++));
  auto ga = s->application(aid);
  REQUIRE(ga);
  CHECK(ga->id == aid);
  CHECK(texts(*ga, k_app_texts) == texts(a, k_app_texts));
  Application ha = *ga;
  for (auto m : k_app_handling_texts) ha.*m = hostile(n++);
  Event e{0, "", k_t2026 + 5, hostile(n++), hostile(n++), hostile(n++), hostile(n++)};
  REQUIRE(s->update_application(ha, ga->updated_at, e));
  CHECK(texts(*s->application(aid), k_app_texts) == texts(ha, k_app_texts));
  auto ev = s->events(aid);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].public_note == hostile(k_app_texts.size()));
  CHECK(ev[1].actor == e.actor);
  CHECK(ev[1].action == e.action);
  CHECK(ev[1].public_note == e.public_note);
  CHECK(ev[1].detail == e.detail);
  ListQuery q;
  q.unit = a.unit;
  q.status = ha.status;
  REQUIRE(s->applications(q).size() == 1);

  Message m = sample_message();
  for (auto mm : k_msg_texts) m.*mm = hostile(n++);
  std::string mid = s->create_message(m, "");
  auto gm = s->message(mid);
  REQUIRE(gm);
  CHECK(texts(*gm, k_msg_texts) == texts(m, k_msg_texts));
  Message hm = *gm;
  for (auto mm : k_msg_handling_texts) hm.*mm = hostile(n++);
  REQUIRE(s->update_message(hm, gm->updated_at, e));
  CHECK(texts(*s->message(mid), k_msg_texts) == texts(hm, k_msg_texts));

  ConsultationResponse r;
  r.unit = hostile(n++);
  r.consultation = hostile(n++);
  r.name = hostile(n++);
  r.contact = hostile(n++);
  r.body = hostile(n++);
  r.source_address = hostile(n++);
  r.submitted_at = k_t2026;
  auto rid = s->add_response(r);
  auto rs = s->responses(r.unit, r.consultation);
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].id == rid);
  CHECK(rs[0].unit == r.unit);
  CHECK(rs[0].consultation == r.consultation);
  CHECK(rs[0].name == r.name);
  CHECK(rs[0].contact == r.contact);
  CHECK(rs[0].body == r.body);
  CHECK(rs[0].source_address == r.source_address);

  StaffUser u{hostile(n++), hostile(n++), hostile(n++), hostile(n++), 3, 99, true};
  REQUIRE(s->add_user(u));
  auto gu = s->user(u.username);
  REQUIRE(gu);
  CHECK(gu->unit == u.unit);
  CHECK(gu->display_name == u.display_name);
  CHECK(gu->password_hash == u.password_hash);
  CHECK(gu->failed_logins == 3);
  CHECK(gu->locked_until == 99);
  CHECK(gu->disabled);

  Session se{hostile(n++), u.username, hostile(n++), 1, k_t2026};
  s->add_session(se);
  auto gs = s->session(se.token_hash, 2);
  REQUIRE(gs);
  CHECK(gs->username == u.username);
  CHECK(gs->csrf == se.csrf);

  AuditEntry le{0, 7, hostile(n++), hostile(n++), hostile(n++), hostile(n++), hostile(n++)};
  s->audit(le);
  auto log = s->audit_log(le.unit, 10);
  REQUIRE(log.size() == 1);
  CHECK(log[0].actor == le.actor);
  CHECK(log[0].unit == le.unit);
  CHECK(log[0].action == le.action);
  CHECK(log[0].object_id == le.object_id);
  CHECK(log[0].detail == le.detail);

  // Nothing was dropped or deleted on the way.
  CHECK(s->count("applications") == 1);
  CHECK(s->count("messages") == 1);
  CHECK(s->count("staff_users") == 1);
  CHECK(s->count("events") == 4);

  // What neither backend can store the same way is refused alike, before it reaches SQL.
  Application bad = sample_application(hostile(0));
  bad.name = std::string("nul\0byte", 8);
  CHECK_THROWS_AS(s->create_application(bad, ""), StoreError);
  bad.name = "\xff\xfe not UTF-8";
  CHECK_THROWS_AS(s->create_application(bad, ""), StoreError);
  bad.name = "\xc0\xaf overlong";
  CHECK_THROWS_AS(s->create_application(bad, ""), StoreError);
  CHECK(s->count("applications") == 1);
  // The refused submissions did not use up receipt numbers either.
  CHECK(s->create_application(sample_application(hostile(0)), "") ==
        "YSQ-" + hostile(0) + "-2026-00002");
}

TEST_CASE("store: consultation responses: add, list in order, adopted") {
  EACH_BACKEND;
  auto s = fx.open();
  ConsultationResponse r;
  r.unit = "bangjun";
  r.consultation = "consultations/2026/plan";
  r.name = "王五";
  r.contact = "13700000000";
  r.body = "建议增加停车位。";
  r.submitted_at = k_t2026 + 10;
  auto id1 = s->add_response(r);
  r.body = "同意。";
  r.submitted_at = k_t2026;
  r.adopted = true;
  auto id2 = s->add_response(r);
  r.consultation = "consultations/2026/other";
  s->add_response(r);
  CHECK(id1 != id2);
  auto list = s->responses("bangjun", "consultations/2026/plan");
  REQUIRE(list.size() == 2);
  CHECK(list[0].id == id2);  // by submitted_at
  CHECK(list[0].adopted == std::optional<bool>(true));
  CHECK(list[1].id == id1);
  CHECK_FALSE(list[1].adopted.has_value());
  CHECK(list[1].name == "王五");
  CHECK(list[1].submitted_at == k_t2026 + 10);
  CHECK(s->responses("bangjun", "").size() == 3);

  CHECK(s->set_response_adopted(id1, false));
  CHECK(s->responses("bangjun", "consultations/2026/plan")[1].adopted ==
        std::optional<bool>(false));
  CHECK(s->set_response_adopted(id2, std::nullopt));
  CHECK_FALSE(s->responses("bangjun", "consultations/2026/plan")[0].adopted.has_value());
  CHECK_FALSE(s->set_response_adopted(id1 + 1000, true));
  CHECK(s->count("consultation_responses") == 3);
}

TEST_CASE("store: staff users: add, duplicate, update, list") {
  EACH_BACKEND;
  auto s = fx.open();
  StaffUser u{"wang", "bangjun", "王科员", "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA",
              0,      0,         false};
  REQUIRE(s->add_user(u));
  StaffUser dup = u;
  dup.display_name = "imposter";
  CHECK_FALSE(s->add_user(dup));
  CHECK(s->user("wang")->display_name == "王科员");
  CHECK_FALSE(s->user("nobody"));
  CHECK_FALSE(s->user("WANG"));  // usernames are exact

  u.failed_logins = 5;
  u.locked_until = k_t2026 + 900;
  u.disabled = true;
  u.unit = "*";
  REQUIRE(s->update_user(u));
  auto got = s->user("wang");
  REQUIRE(got);
  CHECK(got->failed_logins == 5);
  CHECK(got->locked_until == k_t2026 + 900);
  CHECK(got->disabled);
  CHECK(got->unit == "*");
  StaffUser ghost = u;
  ghost.username = "ghost";
  CHECK_FALSE(s->update_user(ghost));

  REQUIRE(s->add_user({"admin", "*", "管理员", "h", 0, 0, false}));
  REQUIRE(s->add_user({"li", "yuyang", "李", "h", 0, 0, false}));
  auto all = s->users();
  REQUIRE(all.size() == 3);
  CHECK(all[0].username == "admin");
  CHECK(all[1].username == "li");
  CHECK(all[2].username == "wang");
  CHECK(s->count("staff_users") == 3);
}

TEST_CASE("store: sessions: lookup until expiry, delete, delete expired") {
  EACH_BACKEND;
  auto s = fx.open();
  REQUIRE(s->add_user({"wang", "bangjun", "王", "h", 0, 0, false}));
  s->add_session({"t1", "wang", "csrf1", 1000, 2000});
  s->add_session({"t2", "wang", "csrf2", 1000, 3000});
  s->add_session({"t3", "wang", "csrf3", 1000, 4000});
  auto got = s->session("t1", 1999);
  REQUIRE(got);
  CHECK(got->username == "wang");
  CHECK(got->csrf == "csrf1");
  CHECK(got->created_at == 1000);
  CHECK(got->expires_at == 2000);
  CHECK_FALSE(s->session("t1", 2000));  // expired at expires_at
  CHECK_FALSE(s->session("nope", 0));
  s->delete_expired_sessions(3000);
  CHECK(s->count("sessions") == 1);
  CHECK_FALSE(s->session("t2", 0));
  CHECK(s->session("t3", 3999));
  s->delete_session("t3");
  CHECK_FALSE(s->session("t3", 0));
  CHECK(s->count("sessions") == 0);
  // A session belongs to a user that exists.
  CHECK_THROWS_AS(s->add_session({"t4", "nobody", "c", 1, 2}), StoreError);
}

TEST_CASE("store: audit log: append, read newest first, limit") {
  EACH_BACKEND;
  auto s = fx.open();
  for (int i = 1; i <= 5; ++i)
    s->audit({0, 100 + i, "wang", "bangjun", "action" + std::to_string(i), "YSQ-1", "d"});
  s->audit({0, 0, "system", "bangjun", "cleanup", "", ""});  // at 0: now
  auto log = s->audit_log("bangjun", 3);
  REQUIRE(log.size() == 3);
  CHECK(log[0].action == "cleanup");
  CHECK(log[0].at > k_t2026 - 86400 * 365);
  CHECK(log[1].action == "action5");
  CHECK(log[1].at == 105);
  CHECK(log[1].object_id == "YSQ-1");
  CHECK(log[2].action == "action4");
  CHECK(log[1].id > log[2].id);
  CHECK(s->audit_log("bangjun", 100).size() == 6);
  CHECK(s->audit_log("bangjun", 0).empty());
  CHECK(s->count("audit_log") == 6);
}

TEST_CASE("store: application_year: received in the year, carried over from earlier years") {
  EACH_BACKEND;
  auto s = fx.open();
  auto add = [&](const std::string& unit, const std::string& received, const std::string& answered,
                 const std::string& status) {
    Application a = sample_application(unit);
    std::string id = s->create_application(a, "");
    Application h = *s->application(id);
    h.status = status;
    h.received_date = received;
    h.answered_date = answered;
    Event e;
    e.at = k_t2026;
    e.actor = "wang";
    e.action = status;
    REQUIRE(s->update_application(h, s->application(id)->updated_at, e));
    return id;
  };
  std::string in1 = add("bangjun", "2025-01-01", "2025-01-10", "answered");
  std::string in2 = add("bangjun", "2025-12-31", "", "received");
  std::string open_from_2024 = add("bangjun", "2024-12-20", "", "received");
  std::string answered_2025 = add("bangjun", "2024-12-21", "2025-01-05", "answered");
  std::string answered_2024 = add("bangjun", "2024-11-01", "2024-12-01", "answered");
  add("bangjun", "2026-01-01", "", "received");
  add("bangjun", "", "", "submitted");
  add("yuyang", "2025-05-05", "", "received");
  add("yuyang", "2024-05-05", "", "received");
  // Withdrawn before 1 January 2025 (its event in 2024): not carried over.
  {
    Application a = sample_application();
    std::string id = s->create_application(a, "");
    Application h = *s->application(id);
    h.status = "received";
    h.received_date = "2024-06-01";
    Event e;
    e.at = 1717200000;  // 2024-06-01
    e.action = "received";
    REQUIRE(s->update_application(h, h.updated_at, e));
    auto r = *s->application(id);
    r.status = "withdrawn";
    e.at = 1718000000;  // 2024-06-10
    e.action = "withdrawn";
    REQUIRE(s->update_application(r, r.updated_at, e));
  }
  // The same, withdrawn in the staff console: its event is "withdraw" (handling.cpp).
  {
    Application a = sample_application();
    std::string id = s->create_application(a, "");
    Application h = *s->application(id);
    h.status = "withdrawn";
    h.received_date = "2024-06-01";
    Event e;
    e.at = 1718000000;  // 2024-06-10
    e.action = "withdraw";
    REQUIRE(s->update_application(h, h.updated_at, e));
  }

  auto y = s->application_year("bangjun", 2025);
  std::vector<std::string> in, carried;
  for (const auto& a : y.received_in_year) in.push_back(a.id);
  for (const auto& a : y.carried_over) carried.push_back(a.id);
  CHECK(in == std::vector<std::string>{in1, in2});
  CHECK(carried == std::vector<std::string>{open_from_2024, answered_2025});
  (void)answered_2024;
  CHECK(s->application_year("yuyang", 2025).received_in_year.size() == 1);
  CHECK(s->application_year("yuyang", 2025).carried_over.size() == 1);
  CHECK(s->application_year("bangjun", 2023).received_in_year.empty());
  CHECK(s->application_year("bangjun", 2026).carried_over.size() == 2);  // in2, open_from_2024
}

TEST_CASE("store: optimistic concurrency: of 8 concurrent updates of one version, one wins") {
  EACH_BACKEND;
  auto s = fx.open();
  std::string id = s->create_application(sample_application(), "");
  auto base = *s->application(id);
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Application a = base;
      a.reply_text = "console " + std::to_string(t);
      Event e;
      e.actor = "staff" + std::to_string(t);
      e.action = "note";
      try {
        if (s->update_application(a, base.updated_at, e)) ++wins;
      } catch (...) {
        wins += 100;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wins == 1);
  CHECK(s->events(id).size() == 2);
}

TEST_CASE("store: connections dropped by the database server are replaced") {
  EACH_BACKEND;
  auto s = fx.open();
  // Fill the pool with a few connections.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) s->create_application(sample_application(), "");
    });
  for (auto& th : threads) th.join();
  if (backend == "postgresql") {
    auto raw = fx.raw();
    auto killed = raw->exec(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = ? "
        "AND pid <> pg_backend_pid()",
        {fx.schema()});
    CHECK(killed.rows.size() >= 1);
  }
  CHECK(s->count("applications") == 20);
  CHECK(s->create_application(sample_application(), "") == "YSQ-bangjun-2026-00021");
  for (int i = 0; i < 10; ++i) CHECK(s->applications({}).size() == 21);
}

TEST_CASE("store: attachments: any bytes round-trip, lists carry no data, damage is an error") {
  EACH_BACKEND;
  auto s = fx.open();
  std::string bytes;
  for (int i = 0; i < 70000; ++i)
    bytes += static_cast<char>((i * 7919) & 0xFF);  // NULs, high bytes
  for (const std::string& data : {bytes, std::string(), std::string("a"), std::string("ab")}) {
    Attachment a;
    a.object_id = "YSQ-bangjun-2026-00001";
    a.name = "答复书 '; DROP TABLE attachments; --.pdf";
    a.content_type = "application/pdf";
    a.actor = "bangjun";
    a.data = data;
    const auto id = s->add_attachment(a);
    auto back = s->attachment(id);
    REQUIRE(back);
    CHECK(back->data == data);
    CHECK(back->size == static_cast<std::int64_t>(data.size()));
    CHECK(back->name == a.name);
  }
  const auto list = s->attachments("YSQ-bangjun-2026-00001");
  REQUIRE(list.size() == 4);
  CHECK(list[0].data.empty());
  CHECK(list[0].size == 70000);
  CHECK(s->attachments("YSQ-bangjun-2026-00002").empty());
  CHECK_FALSE(s->attachment(999999));
  fx.raw()->exec("UPDATE attachments SET data_base64 = ? WHERE id = ?",
                 {detail::Value("AAAA"), detail::Value(list[0].id)});
  CHECK_THROWS_AS(s->attachment(list[0].id), StoreError);
}
