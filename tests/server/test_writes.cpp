// The public write paths (docs/public-writes.md) over a real build of the example town, the real
// App and a real SQLite database: what is stored is read back from the database itself.
#include <catch2/catch.hpp>

#include <regex>
#include <thread>

#include "server_fixture.hpp"
#include "staff.hpp"
#include "store.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

namespace {

constexpr const char* k_now = "2026-11-26T10:00:00+08:00";  // a Thursday; 供暖 consultation open

struct Served {
  TempDir dir;
  std::unique_ptr<test::RunningServer> server;
  explicit Served(bool with_database = true, int post_limit = 10, const std::string& now = k_now) {
    REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", now).exit_code == 0);
    server::ServerOptions o;
    o.output_dir = dir / "out";
    o.threads = 4;
    o.now = DateTime::parse(now);
    if (with_database) o.writes.database = "sqlite:" + (dir / "gongkai.db").string();
    o.writes.secret = "test secret";
    o.writes.post_limit = post_limit;
    server = std::make_unique<test::RunningServer>(o);
  }
  // The database as another process would see it.
  std::unique_ptr<store::Store> db() const {
    return store::Store::open("sqlite:" + (dir / "gongkai.db").string());
  }
};

// A form page's CSRF field and the cookie it came with.
struct FormSession {
  std::string csrf, cookie;
};

FormSession open_form(httplib::Client& c, const std::string& path) {
  auto r = c.Get(path.c_str());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  std::smatch m;
  const std::regex field(R"re(name="csrf" value="([0-9]+\.[0-9a-f]+)")re");
  REQUIRE(std::regex_search(r->body, m, field));
  FormSession s;
  s.csrf = m[1];
  const std::string set_cookie = r->get_header_value("Set-Cookie");
  REQUIRE(set_cookie.find("HttpOnly") != std::string::npos);
  REQUIRE(set_cookie.find("SameSite=Strict") != std::string::npos);
  s.cookie = set_cookie.substr(0, set_cookie.find(';'));
  return s;
}

httplib::Result post(httplib::Client& c, const std::string& path, const FormSession& s,
                     httplib::Params p, const httplib::Headers& extra = {}) {
  if (!s.csrf.empty()) p.emplace("csrf", s.csrf);
  httplib::Headers h = extra;
  if (!s.cookie.empty()) h.emplace("Cookie", s.cookie);
  return c.Post(path.c_str(), h, p);
}

httplib::Params good_application() {
  return {{"applicant_type", "自然人"},
          {"name", "张三"},
          {"id_type", "居民身份证"},
          {"id_number", "11010519491231002X"},  // GB 11643's own example number
          {"phone", "13800138000"},
          {"email", "zhangsan@example.cn"},
          {"address", "天津市蓟州区邦均镇邦均村"},
          {"postcode", "301900"},
          {"description", "2021年邦均镇农村道路改造工程的招标文件和验收报告"},
          {"form", "电子文档"},
          {"delivery", "电子邮件"}};
}

std::string capture(const std::string& body, const std::string& re) {
  std::smatch m;
  const std::regex r(re);
  return std::regex_search(body, m, r) ? std::string(m[1]) : std::string();
}

}  // namespace

TEST_CASE("依申请公开: an application without JavaScript gets a receipt, a due date and a lookup") {
  Served s;
  auto c = s.server->client();
  const FormSession f = open_form(c, "/apply/");
  auto r = post(c, "/apply/", f, good_application());
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->get_header_value("Cache-Control") == "no-store");
  const std::string number = capture(r->body, R"(<dd class="receipt-number">([^<]+)</dd>)");
  const std::string secret = capture(r->body, R"(<dd class="receipt-secret">([^<]+)</dd>)");
  CHECK(std::regex_match(number, std::regex(R"(YSQ-site-2026-\d{5})")));
  CHECK(secret.size() == 10);
  // Submitted Thursday 2026-11-26: received the next working day, Friday 27th; 20 working days
  // from Monday 30th (no holiday in between): 2026-12-25.
  CHECK(r->body.find("2026-11-27") != std::string::npos);
  CHECK(r->body.find("2026-12-25") != std::string::npos);

  auto db = s.db();
  auto a = db->application(number);
  REQUIRE(a);
  CHECK(a->name == "张三");
  CHECK(a->id_number == "11010519491231002X");
  CHECK(a->received_date == "2026-11-27");
  CHECK(a->due_date == "2026-12-25");
  CHECK(a->status == "submitted");
  CHECK(a->secret_hash.find(secret) == std::string::npos);  // only its hash is kept

  auto lookup = c.Post("/apply/lookup/", httplib::Params{{"number", number}, {"secret", secret}});
  REQUIRE(lookup);
  CHECK(lookup->status == 200);
  CHECK(lookup->body.find("已提交，等待受理") != std::string::npos);
  CHECK(lookup->body.find("2026-12-25") != std::string::npos);
  // Personal data is not shown back on the lookup page.
  CHECK(lookup->body.find("11010519491231002X") == std::string::npos);

  auto wrong =
      c.Post("/apply/lookup/", httplib::Params{{"number", number}, {"secret", "AAAAAAAAAA"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 404);
  CHECK(wrong->body.find("已提交") == std::string::npos);
  auto unknown = c.Post("/apply/lookup/",
                        httplib::Params{{"number", "YSQ-site-2026-99999"}, {"secret", secret}});
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
}

TEST_CASE(
    "依申请公开: an application across Golden Week is received and due by the holiday calendar") {
  // Submitted Wednesday 2026-09-30. 国办发明电〔2025〕7号: 10月1日至7日放假调休, 10月10日（星期六）
  // 上班. Received Thursday 10-08; counted from 10-09: 10-09 (1), 10-10 Sat (2), 10-12..16 (3-7),
  // 10-19..23 (8-12), 10-26..30 (13-17), 11-02..04 (18-20): due 2026-11-04.
  Served s(true, 10, "2026-09-30T16:00:00+08:00");
  auto c = s.server->client();
  const FormSession f = open_form(c, "/apply/");
  auto r = post(c, "/apply/", f, good_application());
  REQUIRE(r);
  REQUIRE(r->status == 201);
  const std::string number = capture(r->body, R"(<dd class="receipt-number">([^<]+)</dd>)");
  auto a = s.db()->application(number);
  REQUIRE(a);
  CHECK(a->received_date == "2026-10-08");
  CHECK(a->due_date == "2026-11-04");
}

TEST_CASE(
    "依申请公开: each field is checked with a message beside it, and what was typed comes back") {
  Served s;
  auto c = s.server->client();
  const FormSession f = open_form(c, "/apply/");
  httplib::Params p = good_application();
  p.erase("id_number");
  p.emplace("id_number", "110105194912310021");  // wrong check digit
  p.erase("delivery");
  p.emplace("delivery", "邮寄");
  p.erase("address");
  auto r = post(c, "/apply/", f, p);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("居民身份证号码应为 18 位，且校验位正确") != std::string::npos);
  CHECK(r->body.find("选择邮寄时请填写通信地址") != std::string::npos);
  CHECK(r->body.find("2021年邦均镇农村道路改造工程的招标文件和验收报告") != std::string::npos);
  CHECK(r->body.find(R"(value="13800138000")") != std::string::npos);
  CHECK(s.db()->count("applications") == 0);

  // An organisation: its credit code is checked (GB 32100-2015).
  httplib::Params org = {{"applicant_type", "商业企业"},
                         {"name", "天津某某建材有限公司"},
                         {"credit_code", "91120225MA05XXXXX1"},
                         {"contact_person", "李四"},
                         {"phone", "022-29000000"},
                         {"description", "邦均镇2022年砂石料场整治的行政处罚决定书"},
                         {"form", "纸质"},
                         {"delivery", "当面领取"}};
  auto bad = post(c, "/apply/", open_form(c, "/apply/"), org);
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(bad->body.find("统一社会信用代码应为 18 位") != std::string::npos);
  org.erase("credit_code");
  org.emplace("credit_code", "91350100M000100Y43");  // a published code with a valid check
  auto good = post(c, "/apply/", open_form(c, "/apply/"), org);
  REQUIRE(good);
  CHECK(good->status == 201);
  CHECK(s.db()->count("applications") == 1);
}

TEST_CASE(
    "public forms: no CSRF token, a token of another form or cookie, a cross-site Origin, a "
    "filled honeypot: 4xx, nothing stored") {
  Served s;
  auto c = s.server->client();
  const FormSession f = open_form(c, "/apply/");
  // No token, no cookie.
  auto r = post(c, "/apply/", FormSession{}, good_application());
  REQUIRE(r);
  CHECK(r->status == 403);
  // A token without its cookie, and with another cookie.
  r = post(c, "/apply/", FormSession{f.csrf, ""}, good_application());
  REQUIRE(r);
  CHECK(r->status == 403);
  r = post(c, "/apply/", FormSession{f.csrf, "gk_form=0123456789abcdef0123456789abcdef"},
           good_application());
  REQUIRE(r);
  CHECK(r->status == 403);
  // The 留言 form's token on the application form.
  const FormSession m = open_form(c, "/messages/new/");
  r = post(c, "/apply/", FormSession{m.csrf, f.cookie}, good_application());
  REQUIRE(r);
  CHECK(r->status == 403);
  // A forged token: its last hex digit changed (to another digit, whatever it was).
  const char last = f.csrf.back() == '0' ? '1' : '0';
  r = post(c, "/apply/", FormSession{f.csrf.substr(0, f.csrf.size() - 1) + last, f.cookie},
           good_application());
  REQUIRE(r);
  CHECK(r->status == 403);
  // Cross-site, with a good token.
  r = post(c, "/apply/", f, good_application(), {{"Origin", "https://evil.example"}});
  REQUIRE(r);
  CHECK(r->status == 403);
  r = post(c, "/apply/", f, good_application(), {{"Sec-Fetch-Site", "cross-site"}});
  REQUIRE(r);
  CHECK(r->status == 403);
  // The honeypot.
  httplib::Params p = good_application();
  p.emplace("website", "http://spam.example");
  r = post(c, "/apply/", f, p);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(s.db()->count("applications") == 0);
  // And the same token still works for a person.
  r = post(c, "/apply/", f, good_application());
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(s.db()->count("applications") == 1);
}

TEST_CASE(
    "public forms: SQL metacharacters, quotes, markup and emoji in every field are stored "
    "exactly and shown escaped") {
  Served s;
  auto c = s.server->client();
  const std::string evil = "'; DROP TABLE applications; -- \" <script>alert(1)</script> 😀 \\ %";
  httplib::Params p = good_application();
  p.erase("id_type");
  p.emplace("id_type", "其他");  // any document: its number is free text
  for (const char* k : {"name", "address", "description"}) {
    p.erase(k);
    p.emplace(k, std::string(k) + evil);
  }
  const std::string short_evil = "E1'; DROP TABLE x;--\"<b>";  // within the number's 40
  p.erase("id_number");
  p.emplace("id_number", short_evil);
  auto r = post(c, "/apply/", open_form(c, "/apply/"), p);
  REQUIRE(r);
  REQUIRE(r->status == 201);
  const std::string number = capture(r->body, R"(<dd class="receipt-number">([^<]+)</dd>)");
  auto a = s.db()->application(number);
  REQUIRE(a);
  CHECK(a->name == "name" + evil);
  CHECK(a->address == "address" + evil);
  CHECK(a->description == "description" + evil);
  CHECK(a->id_number == short_evil);
  // A form sent back with errors shows them escaped, never as markup.
  httplib::Params q = p;
  q.erase("phone");
  auto back = post(c, "/apply/", open_form(c, "/apply/"), q);
  REQUIRE(back);
  CHECK(back->status == 400);
  CHECK(back->body.find("<script>alert(1)</script>") == std::string::npos);
  CHECK(back->body.find("&lt;script&gt;") != std::string::npos);
  CHECK(s.db()->count("applications") == 1);
}

TEST_CASE(
    "public forms: a flood from one address is refused with 429 and stores at most the limit") {
  Served s(true, 5);
  auto c = s.server->client();
  const FormSession f = open_form(c, "/apply/");
  int created = 0, refused = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = post(c, "/apply/", f, good_application());
    REQUIRE(r);
    if (r->status == 201) ++created;
    if (r->status == 429) {
      ++refused;
      CHECK(!r->get_header_value("Retry-After").empty());
    }
  }
  CHECK(created == 5);
  CHECK(refused == 15);
  CHECK(s.db()->count("applications") == 5);
  // Another form has its own window; the lookup has its own too.
  auto m = post(c, "/messages/new/", open_form(c, "/messages/new/"),
                {{"type", "咨询"},
                 {"subject", "低保申请"},
                 {"body", "请问低保申请需要哪些材料？"},
                 {"name", "王五"},
                 {"phone", "13900139000"}});
  REQUIRE(m);
  CHECK(m->status == 201);
}

TEST_CASE("public forms: oversized and malformed forms get 413 and 400, never 500") {
  Served s;
  auto c = s.server->client();
  const FormSession f = open_form(c, "/apply/");
  httplib::Params p = good_application();
  p.erase("description");
  p.emplace("description", std::string(5000, 'x'));
  auto r = post(c, "/apply/", f, p);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("不能超过 4000 个字") != std::string::npos);
  p.erase("description");
  p.emplace("description", std::string(70000, 'x'));
  r = post(c, "/apply/", f, p);
  REQUIRE(r);
  CHECK(r->status == 413);
  // Invalid UTF-8, control characters, a choice not offered.
  p = good_application();
  p.erase("name");
  p.emplace("name", std::string("\xff\xfe", 2));
  r = post(c, "/apply/", f, p);
  REQUIRE(r);
  CHECK(r->status == 400);
  p = good_application();
  p.erase("name");
  p.emplace("name", std::string("a\x01"
                                "b",
                                3));
  p.erase("form");
  p.emplace("form", "羊皮卷");
  r = post(c, "/apply/", f, p);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("信息的提供形式的选项无效") != std::string::npos);
  // A body that is not a form at all.
  auto raw = c.Post("/apply/", {{"Cookie", f.cookie}}, "{\"json\":true}", "application/json");
  REQUIRE(raw);
  CHECK(raw->status == 403);
  CHECK(s.db()->count("applications") == 0);
}

TEST_CASE(
    "留言: a message is stored with its type and related village, its contact stays private, "
    "and the lookup shows 待审核") {
  Served s;
  auto c = s.server->client();
  auto form = c.Get("/messages/new/");
  REQUIRE(form);
  CHECK(form->status == 200);
  CHECK(form->body.find("<option>邦均村</option>") != std::string::npos);
  httplib::Params p = {{"type", "建议"},
                       {"related", "邦均村"},
                       {"subject", "建议增设路灯"},
                       {"body", "邦均村北街晚上没有路灯，建议增设。"},
                       {"name", "赵六"},
                       {"phone", "13700137000"},
                       {"consent_publish", "1"}};
  auto r = post(c, "/messages/new/", open_form(c, "/messages/new/"), p);
  REQUIRE(r);
  REQUIRE(r->status == 201);
  const std::string number = capture(r->body, R"(<dd class="receipt-number">([^<]+)</dd>)");
  const std::string secret = capture(r->body, R"(<dd class="receipt-secret">([^<]+)</dd>)");
  CHECK(std::regex_match(number, std::regex(R"(LY-site-2026-\d{5})")));
  auto m = s.db()->message(number);
  REQUIRE(m);
  CHECK(m->type == "建议");
  CHECK(m->related == "邦均村");
  CHECK(m->consent_publish);
  CHECK(m->phone == "13700137000");
  CHECK(m->status == "pending");
  CHECK(m->due_date == "2026-11-27");  // reviewed within 1 working day
  auto lookup =
      c.Post("/messages/lookup/", httplib::Params{{"number", number}, {"secret", secret}});
  REQUIRE(lookup);
  CHECK(lookup->status == 200);
  CHECK(lookup->body.find("待审核") != std::string::npos);
  CHECK(lookup->body.find("13700137000") == std::string::npos);
  // 举报 is pointed to its own channel; a village not of this town is refused.
  p.erase("type");
  p.emplace("type", "举报");
  r = post(c, "/messages/new/", open_form(c, "/messages/new/"), p);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("12388") != std::string::npos);
  p.erase("type");
  p.emplace("type", "咨询");
  p.erase("related");
  p.emplace("related", "不存在村");
  r = post(c, "/messages/new/", open_form(c, "/messages/new/"), p);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(s.db()->count("messages") == 1);
}

TEST_CASE("征求意见: an open consultation takes responses online, a closed one refuses them") {
  Served s;
  auto c = s.server->client();
  auto page = c.Get("/consultations/2026/heating/");
  REQUIRE(page);
  CHECK(page->body.find("/consultations/2026/heating/respond/") != std::string::npos);
  const FormSession f = open_form(c, "/consultations/2026/heating/respond/");
  auto r = post(c, "/consultations/2026/heating/respond/", f,
                {{"body", "建议供暖提前到11月10日开始。"}, {"name", "邦均村民"}});
  REQUIRE(r);
  CHECK(r->status == 201);
  auto responses = s.db()->responses("site", "consultations/2026/heating/");
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].body == "建议供暖提前到11月10日开始。");
  // The token of one consultation does not answer another, and a closed one refuses.
  auto closed = c.Get("/consultations/2021/market/respond/");
  REQUIRE(closed);
  CHECK(closed->status == 403);
  CHECK(closed->body.find("截止") != std::string::npos);
  auto none = c.Get("/consultations/2026/nothing/respond/");
  REQUIRE(none);
  CHECK(none->status == 404);
}

TEST_CASE("public forms without a database: the pages say how else to apply, a POST is 503") {
  Served s(false);
  auto c = s.server->client();
  auto r = c.Get("/apply/");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.find("暂未开通") != std::string::npos);
  auto p = c.Post("/apply/", httplib::Params{{"name", "x"}});
  REQUIRE(p);
  CHECK(p->status == 503);
}

TEST_CASE(
    "public forms: when the database cannot take a submission, the answer is 503 and the "
    "form comes back with everything typed") {
  Served s;
  auto c = s.server->client();
  c.set_read_timeout(20);
  const FormSession f = open_form(c, "/apply/");
  // Another process holds SQLite's write lock for 7 s: longer than the server waits (5 s).
  const std::string db = (s.dir / "gongkai.db").string();
  std::thread holder([&] {
    const std::string cmd = "python3 -c \"import sqlite3, time; c = sqlite3.connect('" + db +
                            "', isolation_level=None); c.execute('BEGIN IMMEDIATE'); open('" + db +
                            ".held', 'w').close(); time.sleep(7); c.execute('ROLLBACK')\"";
    CHECK(std::system(cmd.c_str()) == 0);
  });
  for (int i = 0; i < 100 && !std::filesystem::exists(db + ".held"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(std::filesystem::exists(db + ".held"));
  auto r = post(c, "/apply/", f, good_application());
  holder.join();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(!r->get_header_value("Retry-After").empty());
  CHECK(r->body.find("本次提交未保存") != std::string::npos);
  CHECK(r->body.find("2021年邦均镇农村道路改造工程的招标文件和验收报告") != std::string::npos);
  CHECK(r->body.find(R"(value="zhangsan@example.cn")") != std::string::npos);
  CHECK(s.db()->count("applications") == 0);
  // And once the lock is gone the same form goes through.
  auto again = post(c, "/apply/", f, good_application());
  REQUIRE(again);
  CHECK(again->status == 201);
}

TEST_CASE(
    "public forms: [writes] and [staff] config: an unknown key or a bad value is "
    "file:line:column: message") {
  TempDir dir;
  test::write_text(
      dir / "ok.toml",
      "[writes]\ndatabase = \"sqlite:/tmp/x.db\"\npost_limit = 3\nmessage_ack_days = 2\n"
      "trusted_proxies = [\"10.0.0.1\"]\n[staff]\nsecure_cookies = false\n");
  const auto w = server::writes::load_writes_config(dir / "ok.toml");
  CHECK(w.database == "sqlite:/tmp/x.db");
  CHECK(w.post_limit == 3);
  CHECK(w.message_ack_days == 2);
  CHECK(w.trusted_proxies == std::vector<std::string>{"10.0.0.1"});
  CHECK_FALSE(server::staff::load_staff_config(dir / "ok.toml").secure_cookies);
  test::write_text(dir / "bad.toml", "[writes]\npost_limt = 3\n");
  CHECK_THROWS_WITH(server::writes::load_writes_config(dir / "bad.toml"),
                    Catch::Contains("bad.toml:2:13: unknown key [writes] post_limt"));
  test::write_text(dir / "bad2.toml", "[writes]\npost_limit = -1\n");
  CHECK_THROWS_WITH(server::writes::load_writes_config(dir / "bad2.toml"),
                    Catch::Contains("bad2.toml:2:14: [writes] post_limit must be a whole number"));
  test::write_text(dir / "bad3.toml", "[staff]\nlock_seconds = \"long\"\n");
  CHECK_THROWS_WITH(server::staff::load_staff_config(dir / "bad3.toml"),
                    Catch::Contains("bad3.toml:2:16: [staff] lock_seconds must be a whole number"));
}
