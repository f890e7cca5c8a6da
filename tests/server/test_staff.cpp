// The staff console (docs/public-writes.md, "Staff console") over the same SQLite database the
// public forms write to, on its own listener: login, throttling, unit roles, CSRF, and an
// application taken from 受理 through 补正 to 答复 while the public lookup page follows it.
#include <catch2/catch.hpp>

#include <regex>
#include <sys/wait.h>
#include <set>
#include <thread>

#include "password.hpp"
#include "server_fixture.hpp"
#include "staff.hpp"
#include "store.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

namespace {

constexpr const char* k_now = "2026-11-26T10:00:00+08:00";

std::string capture(const std::string& body, const std::string& re) {
  std::smatch m;
  const std::regex r(re);
  return std::regex_search(body, m, r) ? std::string(m[1]) : std::string();
}

struct Platform {
  TempDir dir;
  std::unique_ptr<test::RunningServer> site;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<server::staff::StaffConsole> console;
  std::thread thread;
  int port = 0;
  std::int64_t now = DateTime::parse(k_now)->epoch;

  Platform() {
    REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", k_now).exit_code == 0);
    const std::string url = "sqlite:" + (dir / "gongkai.db").string();
    server::ServerOptions o;
    o.output_dir = dir / "out";
    o.threads = 4;
    o.clock = [this] { return DateTime::from_epoch(now); };
    o.writes.database = url;
    o.writes.secret = "test";
    site = std::make_unique<test::RunningServer>(o);
    db = store::Store::open(url);
    for (auto [user, unit] :
         {std::pair{"bangjun", "site"}, {"qingshi", "qingshi"}, {"admin", "*"}}) {
      store::StaffUser u;
      u.username = user;
      u.unit = unit;
      u.password_hash = server::staff::hash_password(std::string(user) + "-password-1");
      REQUIRE(db->add_user(u));
    }
    server::staff::StaffConfig cfg;
    cfg.secure_cookies = false;  // plain http on loopback in the test
    console = std::make_unique<server::staff::StaffConsole>(*db, cfg, [this] { return now; });
    port = console->bind("127.0.0.1", 0);
    REQUIRE(port > 0);
    thread = std::thread([this] { console->run(); });
    console->wait_until_ready();
  }
  ~Platform() {
    console->stop();
    thread.join();
  }
  httplib::Client staff() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(10);
    return c;
  }
};

// A signed-in console session: its cookie and CSRF token.
struct Login {
  int status = 0;
  std::string cookie, csrf;
};

Login login(httplib::Client& c, const std::string& user, const std::string& password) {
  auto page = c.Get("/login");
  REQUIRE(page);
  const std::string form_cookie = page->get_header_value("Set-Cookie")
                                      .substr(0, page->get_header_value("Set-Cookie").find(';'));
  const std::string token = capture(page->body, R"re(name="csrf" value="([^"]+)")re");
  auto r = c.Post("/login", {{"Cookie", form_cookie}},
                  httplib::Params{{"csrf", token}, {"username", user}, {"password", password}});
  REQUIRE(r);
  Login l;
  l.status = r->status;
  if (r->status != 303) return l;
  const std::string sc = r->get_header_value("Set-Cookie");
  CHECK(sc.find("HttpOnly") != std::string::npos);
  CHECK(sc.find("SameSite=Strict") != std::string::npos);
  l.cookie = sc.substr(0, sc.find(';'));
  auto home = c.Get("/", {{"Cookie", l.cookie}});
  REQUIRE(home);
  REQUIRE(home->status == 200);
  l.csrf = capture(home->body, R"re(name="csrf" value="([0-9a-f]+)")re");
  REQUIRE(!l.csrf.empty());
  return l;
}

// A public application through the real form; returns {number, secret}.
std::pair<std::string, std::string> apply(httplib::Client& c) {
  auto form = c.Get("/apply/");
  REQUIRE(form);
  const std::string cookie = form->get_header_value("Set-Cookie")
                                 .substr(0, form->get_header_value("Set-Cookie").find(';'));
  const std::string csrf = capture(form->body, R"re(name="csrf" value="([^"]+)")re");
  auto r = c.Post("/apply/", {{"Cookie", cookie}},
                  httplib::Params{{"csrf", csrf},
                                  {"applicant_type", "自然人"},
                                  {"name", "张三"},
                                  {"id_type", "护照"},
                                  {"id_number", "E12345678"},
                                  {"phone", "13800138000"},
                                  {"description", "邦均镇2026年冬季供暖补贴的发放名单和标准"},
                                  {"form", "电子文档"},
                                  {"delivery", "网上获取"}});
  REQUIRE(r);
  REQUIRE(r->status == 201);
  return {capture(r->body, R"(<dd class="receipt-number">([^<]+)</dd>)"),
          capture(r->body, R"(<dd class="receipt-secret">([^<]+)</dd>)")};
}

std::string lookup(httplib::Client& c, const std::string& number, const std::string& secret) {
  auto r = c.Post("/apply/lookup/", httplib::Params{{"number", number}, {"secret", secret}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return r->body;
}

httplib::Result act(httplib::Client& c, const Login& l, store::Store& db, const std::string& id,
                    httplib::Params p) {
  p.emplace("csrf", l.csrf);
  p.emplace("updated", std::to_string(db.application(id)->updated_at));
  return c.Post(("/applications/" + id).c_str(), {{"Cookie", l.cookie}}, p);
}

}  // namespace

TEST_CASE(
    "staff console: an application from 受理 through 补正 to 答复, each state on the public "
    "lookup page, every step in the audit log") {
  Platform p;
  auto pub = p.site->client();
  auto [number, secret] = apply(pub);
  auto c = p.staff();
  Login l = login(c, "bangjun", "bangjun-password-1");
  REQUIRE(l.status == 303);
  auto home = c.Get("/", {{"Cookie", l.cookie}});
  REQUIRE(home);
  CHECK(home->body.find(number) != std::string::npos);

  auto r = act(c, l, *p.db, number, {{"action", "receive"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(lookup(pub, number, secret).find("已受理，正在办理") != std::string::npos);

  // 补正 the next day: the clock stops. (A session lasts 8 hours: sign in again.)
  p.now += 86400;
  CHECK(c.Get("/", {{"Cookie", l.cookie}})->status == 303);
  l = login(c, "bangjun", "bangjun-password-1");
  r = act(c, l, *p.db, number, {{"action", "correction"}, {"note", "请写明所需名单的村名和年份"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  std::string page = lookup(pub, number, secret);
  CHECK(page.find("需要补正") != std::string::npos);
  CHECK(page.find("请写明所需名单的村名和年份") != std::string::npos);
  CHECK(p.db->application(number)->due_date.empty());
  // A second 补正 is refused (条例第三十条: 一次性告知).
  r = act(c, l, *p.db, number, {{"action", "correction"}, {"note", "再补一次"}});
  REQUIRE(r);
  CHECK(r->status == 400);
  // The corrected application arrives Monday 2026-11-30; the count restarts from zero: 20 working
  // days after it (no holiday in December 2026): 12-01 … 12-04 (4), 12-07 … 12-25 (19), 12-28.
  p.now = DateTime::parse("2026-11-30T09:00:00+08:00")->epoch;
  l = login(c, "bangjun", "bangjun-password-1");
  r = act(c, l, *p.db, number, {{"action", "corrected"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  auto a = p.db->application(number);
  CHECK(a->status == "received");
  CHECK(a->due_date == "2026-12-28");
  CHECK(lookup(pub, number, secret).find("2026-12-28") != std::string::npos);

  r = act(c, l, *p.db, number,
          {{"action", "answer"}, {"reply_type", "不予公开"}, {"reply_text", "x"}});
  REQUIRE(r);
  CHECK(r->status == 400);  // 不予公开 needs its ground
  r = act(c, l, *p.db, number,
          {{"action", "answer"},
           {"reply_type", "予以公开"},
           {"reply_text", "经查，您申请的名单已于2026年11月20日在本镇公开目录主动公开。"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  page = lookup(pub, number, secret);
  CHECK(page.find("已答复") != std::string::npos);
  CHECK(page.find("予以公开") != std::string::npos);
  CHECK(page.find("2026年11月20日在本镇公开目录主动公开") != std::string::npos);
  // Every state of the history is on the page, oldest first.
  const auto submitted = page.find("申请已提交"), received = page.find("申请已受理"),
             correction = page.find("请补正申请"), corrected = page.find("已收到补正后的申请"),
             answered = page.find("已答复：予以公开");
  CHECK(submitted < received);
  CHECK(received < correction);
  CHECK(correction < corrected);
  CHECK(corrected < answered);
  CHECK(answered != std::string::npos);

  std::set<std::string> actions;
  for (const auto& e : p.db->audit_log("site", 100)) actions.insert(e.action);
  for (const char* x : {"login", "application_receive", "application_correction",
                        "application_corrected", "application_answer"})
    CHECK(actions.count(x));
}

TEST_CASE(
    "staff console: another unit's staff cannot see or change an application — an "
    "administrator sees every unit") {
  Platform p;
  auto pub = p.site->client();
  auto [number, secret] = apply(pub);
  auto c = p.staff();
  const Login q = login(c, "qingshi", "qingshi-password-1");
  REQUIRE(q.status == 303);
  auto home = c.Get("/", {{"Cookie", q.cookie}});
  REQUIRE(home);
  CHECK(home->body.find(number) == std::string::npos);
  auto view = c.Get(("/applications/" + number).c_str(), {{"Cookie", q.cookie}});
  REQUIRE(view);
  CHECK(view->status == 404);
  CHECK(view->body.find("张三") == std::string::npos);
  auto r = act(c, q, *p.db, number, {{"action", "receive"}});
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(p.db->application(number)->status == "submitted");
  const Login admin = login(c, "admin", "admin-password-1");
  auto all = c.Get(("/applications/" + number).c_str(), {{"Cookie", admin.cookie}});
  REQUIRE(all);
  CHECK(all->status == 200);
  CHECK(all->body.find("张三") != std::string::npos);
}

TEST_CASE(
    "staff console: brute-force logins lock the account, then the address, and no session "
    "without the password") {
  Platform p;
  auto c = p.staff();
  for (int i = 0; i < 5; ++i)
    CHECK(login(c, "bangjun", "wrong-password-" + std::to_string(i)).status == 401);
  // Locked now: even the right password is refused until the lock ends.
  CHECK(login(c, "bangjun", "bangjun-password-1").status == 429);
  CHECK(p.db->count("sessions") == 0);
  p.now += 16 * 60;
  CHECK(login(c, "bangjun", "bangjun-password-1").status == 303);
  // An unknown user is refused the same way as a wrong password.
  CHECK(login(c, "nobody", "whatever-password").status == 401);
  // The address: 20 attempts per 10 minutes, whoever they are for.
  int throttled = 0;
  for (int i = 0; i < 25; ++i)
    throttled += login(c, "qingshi", "wrong-" + std::to_string(i)).status == 429;
  CHECK(throttled >= 5);
  std::size_t failed = 0;
  for (const auto& e : p.db->audit_log("", 500)) failed += e.action == "login_failed";
  CHECK(failed >= 6);
}

TEST_CASE(
    "staff console: a POST without the session's CSRF token, or from another site, changes "
    "nothing") {
  Platform p;
  auto pub = p.site->client();
  auto [number, secret] = apply(pub);
  auto c = p.staff();
  const Login l = login(c, "bangjun", "bangjun-password-1");
  const std::string updated = std::to_string(p.db->application(number)->updated_at);
  auto r = c.Post(("/applications/" + number).c_str(), {{"Cookie", l.cookie}},
                  httplib::Params{{"action", "receive"}, {"updated", updated}});
  REQUIRE(r);
  CHECK(r->status == 403);
  r = c.Post(("/applications/" + number).c_str(),
             {{"Cookie", l.cookie}, {"Origin", "http://evil.example"}},
             httplib::Params{{"action", "receive"}, {"updated", updated}, {"csrf", l.csrf}});
  REQUIRE(r);
  CHECK(r->status == 403);
  // Without a session at all.
  r = c.Post(("/applications/" + number).c_str(),
             httplib::Params{{"action", "receive"}, {"updated", updated}, {"csrf", l.csrf}});
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(p.db->application(number)->status == "submitted");
  // A stale form (someone acted first) is a 409, not a lost update.
  REQUIRE(act(c, l, *p.db, number, {{"action", "receive"}})->status == 200);
  r = c.Post(("/applications/" + number).c_str(), {{"Cookie", l.cookie}},
             httplib::Params{{"action", "extend"},
                             {"reason", "需要调取档案"},
                             {"updated", updated},
                             {"csrf", l.csrf}});
  REQUIRE(r);
  CHECK(r->status == 409);
  CHECK(!p.db->application(number)->extended);
}

TEST_CASE(
    "staff console: a 留言 accepted, assigned and answered is published masked, and responses "
    "are exported as CSV") {
  Platform p;
  auto pub = p.site->client();
  auto form = pub.Get("/messages/new/");
  REQUIRE(form);
  const std::string cookie = form->get_header_value("Set-Cookie")
                                 .substr(0, form->get_header_value("Set-Cookie").find(';'));
  auto sent = pub.Post(
      "/messages/new/", {{"Cookie", cookie}},
      httplib::Params{
          {"csrf", capture(form->body, R"re(name="csrf" value="([^"]+)")re")},
          {"type", "求助"},
          {"subject", "低保材料"},
          {"body", "我是赵六，电话13700137000，身份证11010519491231002X，请问低保怎么申请？"},
          {"name", "赵六"},
          {"phone", "13700137000"},
          {"consent_publish", "1"}});
  REQUIRE(sent);
  REQUIRE(sent->status == 201);
  const std::string id = capture(sent->body, R"(<dd class="receipt-number">([^<]+)</dd>)");
  auto c = p.staff();
  const Login l = login(c, "bangjun", "bangjun-password-1");
  auto step = [&](httplib::Params f) {
    f.emplace("csrf", l.csrf);
    f.emplace("updated", std::to_string(p.db->message(id)->updated_at));
    auto r = c.Post(("/messages/" + id).c_str(), {{"Cookie", l.cookie}}, f);
    REQUIRE(r);
    return r->status;
  };
  CHECK(step({{"action", "accept"}, {"complexity", "simple"}}) == 200);
  CHECK(p.db->message(id)->due_date == "2026-12-03");  // 5 working days after Thursday 11-26
  CHECK(step({{"action", "assign"}, {"department", "社会事务办公室"}}) == 200);
  CHECK(step({{"action", "answer"},
              {"answer", "请携带户口簿和收入证明到镇社会事务办公室申请。"}}) == 200);
  auto m = p.db->message(id);
  CHECK(m->status == "answered");
  CHECK(m->published_body.find("赵六") == std::string::npos);
  CHECK(m->published_body.find("13700137000") == std::string::npos);
  CHECK(m->published_body.find("137****7000") != std::string::npos);
  CHECK(m->published_body.find("1101**********002X") != std::string::npos);
  // Published on the unit's 互动交流 page, masked, with the month's figures.
  auto column = pub.Get("/messages/");
  REQUIRE(column);
  CHECK(column->status == 200);
  CHECK(column->body.find("我是某某，电话137****7000") != std::string::npos);
  CHECK(column->body.find("请携带户口簿和收入证明") != std::string::npos);
  CHECK(column->body.find("13700137000") == std::string::npos);
  CHECK(column->body.find("赵六") == std::string::npos);
  CHECK(column->body.find(
            "<th scope=\"row\">2026-11</th><td>1</td><td>1</td><td>0</td><td>0</td><td>0.0</td>") !=
        std::string::npos);

  // A consultation response, exported.
  auto rf = pub.Get("/consultations/2026/heating/respond/");
  REQUIRE(rf);
  const std::string rc =
      rf->get_header_value("Set-Cookie").substr(0, rf->get_header_value("Set-Cookie").find(';'));
  REQUIRE(
      pub.Post("/consultations/2026/heating/respond/", {{"Cookie", rc}},
               httplib::Params{{"csrf", capture(rf->body, R"re(name="csrf" value="([^"]+)")re")},
                               {"body", "=HYPERLINK(\"http://x\") 建议延长供暖期"}})
          ->status == 201);
  auto csv =
      c.Get("/responses.csv?consultation=consultations/2026/heating/", {{"Cookie", l.cookie}});
  REQUIRE(csv);
  CHECK(csv->status == 200);
  CHECK(csv->get_header_value("Content-Type").find("text/csv") == 0);
  CHECK(csv->body.find("\"'=HYPERLINK(\"\"http://x\"\") 建议延长供暖期\"") != std::string::npos);
  auto other = p.staff();
  const Login q = login(other, "qingshi", "qingshi-password-1");
  auto hidden =
      other.Get("/responses.csv?consultation=consultations/2026/heating/", {{"Cookie", q.cookie}});
  REQUIRE(hidden);
  CHECK(hidden->body.find("建议延长供暖期") == std::string::npos);
}

TEST_CASE(
    "gongkai-staff: accounts from the command line, and a digest mailed through the "
    "sendmail interface") {
  test::TempDir dir;
  const std::string url = "sqlite:" + (dir / "store.db").string();
  const std::string exe = GONGKAI_STAFF_EXE;
  auto run = [&](const std::string& args, const std::string& input = "") {
    const std::string cmd = "printf '%s\\n' " + test::quoted(input) + " | " + test::quoted(exe) +
                            " --database " + test::quoted(url) + " " + args + " > " +
                            test::quoted((dir / "out.txt").string()) + " 2>&1";
    const int rc = std::system(cmd.c_str());
    return std::make_pair(WEXITSTATUS(rc), test::read_text(dir / "out.txt"));
  };
  CHECK(run("add bangjun --unit bangjun", "short").first == 2);  // at least 10 characters
  CHECK(run("add bangjun --unit bangjun --name 邦均镇", "a long passphrase").first == 0);
  CHECK(run("add bangjun --unit bangjun", "a long passphrase").first == 2);  // exists
  auto listed = run("list");
  CHECK(listed.second.find("bangjun\tbangjun\tactive") != std::string::npos);
  auto db = store::Store::open(url);
  REQUIRE(server::staff::verify_password(db->user("bangjun")->password_hash, "a long passphrase"));
  CHECK(run("disable bangjun").first == 0);
  CHECK(db->user("bangjun")->disabled);

  // Two applications: one past due, one due in 3 working days; one answered (not listed).
  auto add = [&](const std::string& due, const std::string& status) {
    store::Application a;
    a.unit = "bangjun";
    a.applicant_type = "自然人";
    a.name = "张三";
    a.description = "所需信息";
    a.submitted_at = DateTime::parse("2026-11-01T10:00:00+08:00")->epoch;
    a.status = status;
    a.received_date = "2026-11-02";
    a.due_date = due;
    return db->create_application(a, "已提交");
  };
  const std::string late = add("2026-11-20", "received"), soon = add("2026-12-01", "received"),
                    done = add("2026-11-20", "answered");
  // The MTA's sendmail interface: headers and body on stdin, -t -i.
  const auto mta = dir / "sendmail";
  test::write_text(mta, "#!/bin/sh\n[ \"$1 $2\" = \"-t -i\" ] || exit 64\ncat > \"$0.msg\"\n");
  std::filesystem::permissions(mta, std::filesystem::perms::owner_all);
  auto mailed = run("digest --now 2026-11-26T08:00:00+08:00 --sendmail " +
                    test::quoted(mta.string()) + " --to gongkai@example.gov.cn");
  CHECK(mailed.first == 0);
  const std::string msg = test::read_text(dir / "sendmail.msg");
  CHECK(msg.find("To: gongkai@example.gov.cn\n") != std::string::npos);
  CHECK(msg.find("Subject: =?UTF-8?B?") != std::string::npos);
  CHECK(msg.find("已超期  " + late) != std::string::npos);
  CHECK(msg.find("即将到期 " + soon) != std::string::npos);
  CHECK(msg.find(done) == std::string::npos);
  // A failing MTA is an error, not a silent success.
  test::write_text(mta, "#!/bin/sh\nexit 75\n");
  CHECK(run("digest --sendmail " + test::quoted(mta.string()) + " --to x@example.gov.cn").first ==
        2);
}

TEST_CASE(
    "staff console: a reply's file is stored with the answer and reaches the applicant through "
    "the lookup page only") {
  Platform p;
  auto pub = p.site->client();
  auto [number, secret] = apply(pub);
  auto c = p.staff();
  const Login l = login(c, "bangjun", "bangjun-password-1");
  std::string pdf = "%PDF-1.4\n";
  for (int i = 0; i < 5000; ++i) pdf += static_cast<char>(i & 0xFF);  // binary, with NULs
  auto answer = [&](const std::string& content) {
    httplib::MultipartFormDataItems items = {
        {"csrf", l.csrf, "", ""},
        {"updated", std::to_string(p.db->application(number)->updated_at), "", ""},
        {"action", "answer", "", ""},
        {"reply_type", "予以公开", "", ""},
        {"reply_text", "所申请的信息见附件。", "", ""},
        {"reply_file", content, "供暖补贴标准.pdf", "application/pdf"}};
    return c.Post(("/applications/" + number).c_str(), {{"Cookie", l.cookie}}, items);
  };
  auto big = answer(std::string(11 << 20, 'x'));  // over 10 MiB: refused, nothing changes
  REQUIRE(big);
  CHECK(big->status == 413);
  CHECK(p.db->application(number)->status == "submitted");
  auto r = answer(pdf);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.find("供暖补贴标准.pdf") != std::string::npos);
  const auto files = p.db->attachments(number);
  REQUIRE(files.size() == 1);
  // The lookup page offers it; the download needs the number and the secret.
  auto page = pub.Post("/apply/lookup/", httplib::Params{{"number", number}, {"secret", secret}});
  REQUIRE(page);
  CHECK(page->body.find("下载附件：供暖补贴标准.pdf") != std::string::npos);
  const std::string id = std::to_string(files[0].id);
  auto file = pub.Post("/apply/lookup/",
                       httplib::Params{{"number", number}, {"secret", secret}, {"file", id}});
  REQUIRE(file);
  CHECK(file->status == 200);
  CHECK(file->body == pdf);
  CHECK(file->get_header_value("Content-Type") == "application/octet-stream");
  CHECK(file->get_header_value("Content-Disposition").find("attachment;") == 0);
  auto stolen =
      pub.Post("/apply/lookup/",
               httplib::Params{{"number", number}, {"secret", "WRONGWRONG"}, {"file", id}});
  REQUIRE(stolen);
  CHECK(stolen->status == 404);
  CHECK(stolen->body.find("%PDF") == std::string::npos);
  // Another application's number with its own secret cannot fetch this file.
  auto [other, other_secret] = apply(pub);
  auto cross = pub.Post("/apply/lookup/",
                        httplib::Params{{"number", other}, {"secret", other_secret}, {"file", id}});
  REQUIRE(cross);
  CHECK(cross->status == 404);
}
