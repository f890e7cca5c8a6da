// Several web nodes sharing one PostgreSQL database (docs/public-writes.md, "Several nodes"):
// a form served by one node is accepted by another (they share the CSRF secret), receipt numbers
// stay unique under concurrent submissions to both, and any node looks up what another stored.
// Hidden tag: ctest runs it through tests/store/with_postgres.sh, which starts a real cluster.
#include <catch2/catch.hpp>

#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "server_fixture.hpp"
#include "store.hpp"
#include "support.hpp"

using namespace gongkai;

namespace {

std::string capture(const std::string& body, const std::string& re) {
  std::smatch m;
  const std::regex r(re);
  return std::regex_search(body, m, r) ? std::string(m[1]) : std::string();
}

}  // namespace

TEST_CASE(
    "several nodes on one PostgreSQL: forms cross nodes, receipt numbers stay unique, "
    "lookups see every node's writes",
    "[.postgresql]") {
  const char* pg = std::getenv("GONGKAI_TEST_PG");
  REQUIRE(pg);  // run by with_postgres.sh
  test::TempDir dir;
  REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00")
              .exit_code == 0);
  auto node = [&] {
    server::ServerOptions o;
    o.output_dir = dir / "out";
    o.threads = 4;
    o.now = DateTime::parse("2026-11-26T10:00:00+08:00");
    o.writes.database = pg;
    o.writes.secret = "shared by the nodes";
    o.writes.post_limit = 1000;
    return std::make_unique<test::RunningServer>(o);
  };
  auto a = node(), b = node();
  std::mutex mutex;
  std::vector<std::string> numbers;
  std::vector<int> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto from = ((t + i) % 2 ? a : b)->client(), to = ((t + i) % 2 ? b : a)->client();
        auto form = from.Get("/apply/");
        if (!form || form->status != 200) {
          std::lock_guard<std::mutex> lock(mutex);
          failures.push_back(form ? form->status : -1);
          continue;
        }
        const std::string sc = form->get_header_value("Set-Cookie");
        auto r = to.Post(
            "/apply/", {{"Cookie", sc.substr(0, sc.find(';'))}},
            httplib::Params{{"csrf", capture(form->body, R"re(name="csrf" value="([^"]+)")re")},
                            {"applicant_type", "自然人"},
                            {"name", "节点测试" + std::to_string(t)},
                            {"id_type", "护照"},
                            {"id_number", "E" + std::to_string(t * 100 + i)},
                            {"phone", "13800138000"},
                            {"description", "多节点同时提交的政府信息公开申请"},
                            {"form", "电子文档"},
                            {"delivery", "网上获取"}});
        std::lock_guard<std::mutex> lock(mutex);
        if (r && r->status == 201)
          numbers.push_back(capture(r->body, R"(<dd class="receipt-number">([^<]+)</dd>)") + " " +
                            capture(r->body, R"(<dd class="receipt-secret">([^<]+)</dd>)"));
        else
          failures.push_back(r ? r->status : -1);
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures.empty());
  REQUIRE(numbers.size() == 80);
  std::set<std::string> ids;
  for (const auto& n : numbers) ids.insert(n.substr(0, n.find(' ')));
  CHECK(ids.size() == 80);
  auto db = store::Store::open(pg);
  CHECK(db->backend() == "postgresql");
  CHECK(db->count("applications") == 80);
  // Each node looks up what either stored.
  for (const auto& n : {numbers.front(), numbers.back()})
    for (auto* s : {a.get(), b.get()}) {
      auto c = s->client();
      auto r = c.Post("/apply/lookup/", httplib::Params{{"number", n.substr(0, n.find(' '))},
                                                        {"secret", n.substr(n.find(' ') + 1)}});
      REQUIRE(r);
      CHECK(r->status == 200);
    }
}
