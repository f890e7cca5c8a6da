#include <catch2/catch.hpp>

#include <xapian.h>

#include <set>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <atomic>
#include <thread>

#include "gongkai/text.hpp"
#include "search_cache.hpp"
#include "search_quality.hpp"
#include "search_service.hpp"
#include "server_fixture.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

namespace {

server::Release release_of(const std::filesystem::path& out) {
  server::Release r;
  r.root = std::filesystem::canonical(out / "current");
  r.id = r.root.filename().string();
  r.site = r.root / "site";
  r.search_db = r.root / "search";
  return r;
}

server::SearchResult search(const server::Release& r, const std::string& q,
                            std::multimap<std::string, std::string> extra = {}) {
  extra.emplace("q", q);
  std::string error;
  auto sp = server::parse_search_params(extra, error);
  REQUIRE(sp);
  return server::run_search(r, *sp);
}

}  // namespace

TEST_CASE("search quality: realistic queries over real laws find what a careful person expects") {
  TempDir dir;
  const auto built = test::build_site(std::string(GONGKAI_TEST_DIR) + "/fixtures/laws", dir / "out",
                                      "2026-01-01T00:00:00+08:00");
  REQUIRE(built.exit_code == 0);
  const auto rel = release_of(dir / "out");
  const auto cases = test::load_quality_queries(
      [](const std::string& stem) { return "/disclosure/laws/" + stem + "/"; });
  test::check_search_quality(cases, [&](const std::string& q) {
    std::vector<test::QualityHit> hits;
    for (const auto& h : search(rel, q).hits) hits.push_back({h.url, h.title, h.published});
    return hits;
  });
}

TEST_CASE("search: snippets are escaped, cut on characters, and merge adjacent marks") {
  const std::string text =
      "第一条 <b>为了</b>规范行政处罚的设定和实施，保障和监督行政机关有效实施行政管理。" +
      std::string(300, 'x');
  const std::string s = server::make_snippet(text, "行政处罚");
  CHECK(s.find("<mark>行政处罚</mark>") != std::string::npos);
  CHECK(s.find("&lt;b&gt;") != std::string::npos);
  CHECK(s.find("<b>") == std::string::npos);
  CHECK(valid_utf8(s));
  CHECK(s.find("<mark>行政</mark><mark>") == std::string::npos);
  // A match far into the text moves the window there.
  const std::string far = std::string(600, 'a') + "宅基地使用权" + std::string(600, 'b');
  const std::string s2 = server::make_snippet(far, "宅基地");
  CHECK(s2.rfind("…", 0) == 0);
  CHECK(s2.find("<mark>宅基地</mark>") != std::string::npos);
  CHECK(to_u32(s2).size() < 200);
}

TEST_CASE("search: parameters are validated with a message") {
  struct Case {
    std::multimap<std::string, std::string> params;
    const char* error;
  };
  const std::vector<Case> bad = {
      {{{"section", "blog"}},
       "section must be one of disclosure, notices, consultations, responsibilities, pages"},
      {{{"year", "21"}}, "year must be four digits, such as 2021"},
      {{{"validity", "yes"}}, "validity must be one of 有效, 失效, 废止"},
      {{{"sort", "random"}}, "sort must be relevance or date"},
      {{{"page", "0"}}, "page must be from 1 to 1000"},
      {{{"page", "-1"}}, "page must be a whole number from 1 to 1000"},
      {{{"per_page", "51"}}, "per_page must be from 1 to 50"},
      {{{"q", std::string(2000, 'a')}}, "parameter q is too long (at most 1000 bytes)"},
      {{{"q", "\xE9\x82"}}, "parameter q is not valid UTF-8"},
      {{{"q", "a"}, {"q", "b"}}, "parameter q is given more than once"},
  };
  for (const auto& c : bad) {
    INFO(c.error);
    std::string error;
    CHECK_FALSE(server::parse_search_params(c.params, error));
    CHECK(error == c.error);
  }
  std::string error;
  auto ok =
      server::parse_search_params({{"q", " 行政处罚 "}, {"page", "2"}, {"utm_source", "x"}}, error);
  REQUIRE(ok);
  CHECK(ok->q == "行政处罚");
  CHECK(ok->page == 2);
}

TEST_CASE(
    "search: exact 文号 and 索引号 lookups, filters, facets and date sort over the example town") {
  TempDir dir;
  const auto built =
      test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00");
  REQUIRE(built.exit_code == 0);
  const auto rel = release_of(dir / "out");

  auto res = search(rel, "蓟邦政发〔2022〕1号");
  REQUIRE_FALSE(res.hits.empty());
  CHECK(res.hits[0].title == "邦均镇2021年法治政府建设情况报告");
  res = search(rel, "蓟邦政发[2021]5号");  // ASCII brackets as people type them
  REQUIRE_FALSE(res.hits.empty());
  CHECK(res.hits[0].title == "邦均镇行政执法公示制度");
  const std::string index_no = res.hits[0].index_no;
  res = search(rel, index_no);
  REQUIRE_FALSE(res.hits.empty());
  CHECK(res.hits[0].index_no == index_no);

  // The version in force ranks above the superseded one.
  res = search(rel, "行政执法公示制度");
  REQUIRE(res.hits.size() >= 2);
  CHECK(res.hits[0].validity == "有效");
  CHECK(res.hits[1].validity == "失效");

  res = search(rel, "行政处罚", {{"section", "responsibilities"}});
  REQUIRE_FALSE(res.hits.empty());
  for (const auto& h : res.hits) CHECK(h.section == "responsibilities");
  CHECK(res.facets["section"].size() == 1);

  res = search(rel, "", {{"department", "zhdd"}, {"sort", "date"}, {"per_page", "50"}});
  REQUIRE(res.hits.size() > 20);
  for (std::size_t i = 1; i < res.hits.size(); ++i)
    CHECK(res.hits[i - 1].published >= res.hits[i].published);
  CHECK(res.facets["department"].at("综合执法大队") == res.total);

  // One character found inside a body (bodies carry bigrams only: the notice has 吐痰 in its text).
  res = search(rel, "痰");
  REQUIRE_FALSE(res.hits.empty());
  CHECK(std::any_of(res.hits.begin(), res.hits.end(), [](const server::SearchHit& h) {
    return h.url == "/notices/2022/wmxw/" && h.snippet.find("<mark>痰</mark>") != std::string::npos;
  }));

  // Full-width and spaced input, and nonsense: relaxed, never an error.
  CHECK_FALSE(search(rel, "行政　处罚").hits.empty());
  CHECK_NOTHROW(search(rel, "AND OR NOT \"( ) * ~ NEAR"));
  CHECK(search(rel, "zzqqxxyy").hits.empty());
}

TEST_CASE("search after rebuilds: replaced and deleted versions are never found, nor counted") {
  // 300 items: the first build writes the main parts; rebuilds write the delta part and hide
  // the main parts' old copies (generator/indexer.cpp), which the search must pass over.
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  auto item = [&](int i, const std::string& body) {
    test::write_text(dir / ("content/disclosure/2024/item-" + std::to_string(i) + ".md"),
                     "+++\ntitle = \"第" + std::to_string(i) + "号公开事项\"\ndepartment = \"" +
                         (i < 150 ? "dzb" : "zhdd") +
                         "\"\ncategory = \"fzzf\"\n"
                         "published = 2024-03-01\n+++\n" +
                         body + "\n");
  };
  for (int i = 0; i < 300; ++i)
    item(i, "第" + std::to_string(i) + "号事项的正文，邦均镇。" +
                (i < 10 ? "旧版渠道清淤计划。" : "") + (i >= 290 ? "秸秆禁烧巡查。" : ""));
  const std::string now = "2024-06-01T00:00:00+08:00";
  auto two = [](gen::BuildOptions& o) { o.threads = 2; };
  REQUIRE(test::build_site(dir / "content", dir / "out", now, two).exit_code == 0);
  CHECK(search(release_of(dir / "out"), "渠道清淤").total == 10);
  // Facets of documents in the second part (ids 201-300): counted for those very documents.
  auto burning = search(release_of(dir / "out"), "秸秆禁烧");
  CHECK(burning.total == 10);
  CHECK(burning.facets["department"] == std::map<std::string, std::size_t>{{"综合执法大队", 10}});
  for (int i = 0; i < 5; ++i)
    item(i, "第" + std::to_string(i) + "号事项的正文，邦均镇。新版河道治理方案。");  // edited
  for (int i = 5; i < 8; ++i)
    std::filesystem::remove(dir / ("content/disclosure/2024/item-" + std::to_string(i) + ".md"));
  REQUIRE(test::build_site(dir / "content", dir / "out", now, two).exit_code == 0);
  const auto rel = release_of(dir / "out");
  REQUIRE(std::filesystem::exists(rel.search_db / "hidden.docids"));
  // The old copies are still in the main parts: Xapian alone finds all ten.
  Xapian::Enquire raw(Xapian::Database(rel.search_db.string()));
  raw.set_query(Xapian::Query(Xapian::Query::OP_AND, Xapian::Query("渠道"), Xapian::Query("清淤")));
  CHECK(raw.get_mset(0, 100).size() == 10);
  // The search finds only items 8 and 9, and counts only them, in totals and facets.
  auto res = search(rel, "渠道清淤");
  CHECK(res.total == 2);
  std::set<std::string> urls;
  for (const auto& h : res.hits) urls.insert(h.url);
  CHECK(urls == std::set<std::string>{"/disclosure/2024/item-8/", "/disclosure/2024/item-9/"});
  CHECK(res.facets["department"].size() == 1);
  CHECK(res.facets["department"].begin()->second == 2);
  res = search(rel, "河道治理");
  CHECK(res.total == 5);
  for (const auto& h : res.hits) CHECK(h.snippet.find("新版") != std::string::npos);
  // A browse by date (no words) lists the 297 items once each, over its pages.
  std::set<std::string> all;
  for (int page = 1; page <= 6; ++page) {
    res = search(rel, "", {{"sort", "date"}, {"per_page", "50"}, {"page", std::to_string(page)}});
    for (const auto& h : res.hits) CHECK(all.insert(h.url).second);
  }
  CHECK(res.total == 297);
  CHECK(all.size() == 297);
  CHECK(all.count("/disclosure/2024/item-6/") == 0);
}

TEST_CASE("search: the HTTP API and the search page, including every bad input") {
  TempDir dir;
  REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00")
              .exit_code == 0);
  server::ServerOptions o;
  o.output_dir = dir / "out";
  test::RunningServer srv(o);
  auto c = srv.client();
  auto res = c.Get("/api/search?q=%E8%A1%8C%E6%94%BF%E5%A4%84%E7%BD%9A&per_page=3");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json; charset=utf-8");
  auto j = nlohmann::json::parse(res->body);
  CHECK(j["query"] == "行政处罚");
  CHECK(j["results"].size() == 3);
  CHECK(j["total"].get<int>() > 10);
  CHECK(j.contains("took_ms"));
  CHECK(j["facets"].contains("year"));
  for (const auto& r : j["results"])
    CHECK(r["snippet"].get<std::string>().find("<mark>") != std::string::npos);

  for (const char* bad : {"/api/search?page=abc", "/api/search?section=x", "/api/search?q=%E9%82",
                          "/api/search?per_page=1000"}) {
    INFO(bad);
    res = c.Get(bad);
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(nlohmann::json::parse(res->body).contains("error"));
  }
  // XSS probes come back escaped, on the page and in the API.
  const std::string probe = "%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%27%3E";
  res = c.Get("/search?q=" + probe);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.find("<script>alert(1)") == std::string::npos);
  CHECK(res->body.find("&lt;script&gt;alert(1)") != std::string::npos);
  res = c.Get("/search?q=%E5%AE%85%E5%9F%BA%E5%9C%B0%E7%A1%AE%E6%9D%83xyzzy");
  REQUIRE(res);
  CHECK(res->body.find("站内搜索") != std::string::npos);
  res = c.Get("/search?q=%E4%BD%8E%E4%BF%9D");  // 低保
  CHECK(res->status == 200);
  CHECK(res->body.find("class=\"hits\"") != std::string::npos);
  res = c.Get("/search?q=" + std::string(3000, 'a'));
  CHECK(res->status == 400);
  res = c.Get("/search?q=zzqqxxyy");
  CHECK(res->body.find("没有找到") != std::string::npos);
}

TEST_CASE("search: an index built with another analyser is refused with 503, not silence") {
  TempDir dir;
  REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00")
              .exit_code == 0);
  {
    const auto search = std::filesystem::canonical(dir / "out/current") / "search";
    std::filesystem::remove_all(search);
    Xapian::WritableDatabase db(search.string(), Xapian::DB_CREATE);
    db.set_metadata("gongkai.analyzer", "some-other-analyser");
    db.commit();
  }
  server::ServerOptions o;
  o.output_dir = dir / "out";
  test::RunningServer srv(o);
  auto res = srv.client().Get("/api/search?q=abc");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body.find("another version") != std::string::npos);
}

TEST_CASE("search cache: bounded LRU, one computation per question, errors not kept") {
  server::SearchCache cache(16);  // 16 shards: one answer per shard
  std::atomic<int> computed{0};
  auto answer_of = [&](const std::string& text) {
    return [&, text] {
      ++computed;
      auto r = std::make_shared<server::SearchResult>();
      r->query = text;
      auto a = std::make_shared<server::SearchAnswer>();
      a->result = r;
      a->api_json = "{\"q\":\"" + text + "\"}";
      return std::shared_ptr<const server::SearchAnswer>(a);
    };
  };
  CHECK(cache.get("a", answer_of("a"))->result->query == "a");
  CHECK(cache.get("a", answer_of("other"))->result->query == "a");  // kept
  CHECK(computed == 1);
  for (int i = 0; i < 200; ++i) cache.get("k" + std::to_string(i), answer_of("k"));
  CHECK(cache.size() <= 16);  // bounded

  // Many threads asking the same new question: computed once, everyone gets the answer.
  computed = 0;
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  auto slow = [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return answer_of("slow")();
  };
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] { right += cache.get("slow", slow)->result->query == "slow"; });
  for (auto& t : threads) t.join();
  CHECK(computed == 1);
  CHECK(right == 8);

  // A failure reaches the caller and is not remembered: the next try computes again.
  CHECK_THROWS_AS(cache.get("bad",
                            []() -> std::shared_ptr<const server::SearchAnswer> {
                              throw server::SearchUnavailable("x");
                            }),
                  server::SearchUnavailable);
  computed = 0;
  CHECK(cache.get("bad", answer_of("ok"))->result->query == "ok");
  CHECK(computed == 1);

  // Disabled: computed every time.
  server::SearchCache none(0);
  computed = 0;
  none.get("a", answer_of("a"));
  none.get("a", answer_of("a"));
  CHECK(computed == 2);

  // Keys cannot be forged by a value holding what would be a separator.
  server::SearchParams p1, p2;
  p1.q = "a";
  p1.section = "b";
  p2.q = "a1:b";
  CHECK(server::SearchCache::key_of(p1) != server::SearchCache::key_of(p2));
  p2 = p1;
  p2.page = 2;
  CHECK(server::SearchCache::key_of(p1) != server::SearchCache::key_of(p2));
}

TEST_CASE(
    "search handles: at most the pool's size, shared in turn, and a failed open leaves room") {
  server::DatabasePool pool(2);
  std::atomic<int> opened{0};
  auto open = [&] {
    ++opened;
    return std::make_unique<Xapian::Database>();
  };
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 5; ++k) {
        const auto lease = pool.acquire(open);
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        --inside;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(opened == 2);  // 40 searches, two handles
  CHECK(most == 2);
  CHECK(most.load() > 1);  // both were used at once

  server::DatabasePool one(1);
  CHECK_THROWS_AS(one.acquire([]() -> std::unique_ptr<Xapian::Database> {
    throw server::SearchUnavailable("gone");
  }),
                  server::SearchUnavailable);
  opened = 0;
  { const auto lease = one.acquire(open); }  // the failure did not use up the only place
  { const auto lease = one.acquire(open); }  // and the handle comes back
  CHECK(opened == 1);
}

TEST_CASE("search cache: a cached answer is the computed one, and a new release starts afresh") {
  TempDir dir;
  REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00")
              .exit_code == 0);
  server::ServerOptions cached_opt, fresh_opt;
  cached_opt.output_dir = fresh_opt.output_dir = dir / "out";
  cached_opt.release_poll_ms = 0;
  fresh_opt.search_cache = 0;
  test::RunningServer cached(cached_opt), fresh(fresh_opt);
  auto without_took = [](const std::string& body) {
    auto j = nlohmann::json::parse(body);
    REQUIRE(j.contains("took_ms"));
    j.erase("took_ms");
    return j;
  };
  for (const char* path : {"/api/search?q=%E8%A1%8C%E6%94%BF%E5%A4%84%E7%BD%9A",
                           "/api/search?q=%E4%BD%8E%E4%BF%9D&page=2&per_page=3",
                           "/api/search?department=zhdd&sort=date", "/api/search?q=zzqqxxyy"}) {
    INFO(path);
    auto a = cached.client().Get(path), b = cached.client().Get(path), c = fresh.client().Get(path);
    REQUIRE((a && b && c));
    CHECK(a->status == 200);
    CHECK(without_took(a->body) == without_took(b->body));
    CHECK(without_took(a->body) == without_took(c->body));
  }
  // Publish a release with a new item: the cached server answers from the new index.
  auto before = nlohmann::json::parse(cached.client().Get("/api/search?q=rattus2026")->body);
  CHECK(before["total"] == 0);
  std::filesystem::copy(GONGKAI_EXAMPLE_CONTENT, dir / "content",
                        std::filesystem::copy_options::recursive);
  test::write_text(dir / "content/disclosure/2026/autumn-rats.md",
                   "+++\ntitle = \"邦均镇秋季灭鼠工作安排\"\npublished = 2026-11-20\ndepartment = "
                   "\"dzb\"\ncategory = \"zcwj\"\n+++\n\n秋季灭鼠（rattus2026）工作安排如下。\n");
  REQUIRE(test::build_site(dir / "content", dir / "out", "2026-11-26T11:00:00+08:00").exit_code ==
          0);
  auto after = nlohmann::json::parse(cached.client().Get("/api/search?q=rattus2026")->body);
  CHECK(after["total"].get<int>() >= 1);
}
