#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xapian.h>
#include <nlohmann/json.hpp>

#include "gongkai/search_schema.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <atomic>
#include <chrono>
#include <thread>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "gongkai/hash.hpp"
#include "indexer.hpp"
#include "memo.hpp"
#include "output.hpp"
#include "gongkai/parallel.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

namespace {
std::map<std::string, std::string> index_documents(const std::filesystem::path& db_path);
}  // namespace

TEST_CASE("publishing: the same content and --now give byte-identical sites") {
  TempDir a, b;
  auto r1 = test::build_site(GONGKAI_EXAMPLE_CONTENT, a / "out");
  auto r2 = test::build_site(GONGKAI_EXAMPLE_CONTENT, b / "out");
  REQUIRE(r1.exit_code == 0);
  REQUIRE(r2.exit_code == 0);
  CHECK(r1.release_id == r2.release_id);
  const auto t1 = test::read_tree(a / "out/current/site");
  const auto t2 = test::read_tree(b / "out/current/site");
  CHECK(t1.size() > 50);
  CHECK(t1 == t2);
}

TEST_CASE("publishing: the example site builds with no warnings") {
  TempDir dir;
  const auto r =
      test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00");
  CHECK(r.exit_code == 0);
  CHECK(test::diagnostic_lines(r).empty());
  CHECK(r.documents > 40);
}

TEST_CASE("publishing: a release folder per build, current swapped, old ones pruned") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    test::write_text(dir / "content/pages/p.md",
                     "+++\ntitle = \"第" + std::to_string(i) + "版\"\n+++\n正文\n");
    // Pages come and go, so that a recycled release folder has files to drop and to add.
    if (i % 3 == 1)
      test::write_text(dir / ("content/pages/q" + std::to_string(i) + ".md"),
                       "+++\ntitle = \"临时\"\n+++\n正文\n");
    if (i % 3 == 2)
      std::filesystem::remove(dir / ("content/pages/q" + std::to_string(i - 1) + ".md"));
    const auto r = test::build_site(dir / "content", dir / "output");
    REQUIRE(r.exit_code == 0);
    ids.push_back(r.release_id);
    CHECK(std::filesystem::read_symlink(dir / "output/current") ==
          std::filesystem::path("releases") / r.release_id);
    CHECK(std::filesystem::exists(dir / "output/current/release.json"));
    CHECK(std::filesystem::exists(dir / "output/current/search"));
    // Whether written afresh or recycled from a pruned release, the folder holds exactly the
    // files its manifest names, with those contents.
    const auto manifest =
        gen::OutputTree::parse_manifest(test::read_text(dir / "output/current/files.sha256"));
    std::size_t files = 0;
    for (const char* part : {"site", "server", "wechat"}) {
      if (!std::filesystem::exists(dir / "output/current" / part)) continue;
      for (const auto& e :
           std::filesystem::recursive_directory_iterator(dir / "output/current" / part)) {
        if (!e.is_regular_file()) continue;
        std::string path = e.path().lexically_relative(dir / "output/current").generic_string();
        if (path.rfind("site/", 0) == 0)
          path = path.substr(5);
        else if (path.rfind("server/", 0) == 0)
          path = gen::k_server_prefix + path.substr(7);
        else
          path = gen::k_wechat_prefix + path.substr(7);
        ++files;
        auto it = manifest.find(path);
        INFO(path);
        REQUIRE(it != manifest.end());
        CHECK(it->second == sha256_hex(test::read_text(e.path())));
      }
    }
    CHECK(files == manifest.size());
    CHECK(std::filesystem::exists(dir / ("output/current/site/pages/q" +
                                         std::to_string(i - i % 3 + 1) + "/index.html")) ==
          (i % 3 == 1));
  }
  int kept = 0, trash = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "output/releases")) {
    const std::string name = e.path().filename().string();
    if (name.rfind(".trash-", 0) == 0)
      ++trash;  // pruned by this build, deleted by the next one
    else
      ++kept;
  }
  CHECK(kept == 5);
  CHECK(trash <= 1);
  // Each release's index lists its documents' digests; later builds updated an earlier
  // index in place (the recycled release's), which still shows exactly the current documents.
  CHECK(test::read_text(dir / "output/current/search/docs.sha256").rfind("gongkai-docs 1 ", 0) ==
        0);
  CHECK(test::read_text(dir / "output/current/search/XAPIANDB").find("glass delta") !=
        std::string::npos);
  const auto shown = index_documents(dir / "output/current/search");
  CHECK(shown.size() == 2);  // p.md and q7.md
  CHECK(shown.count("Q/pages/q7/") == 1);
  CHECK(shown.count("Q/pages/q4/") == 0);  // deleted in place
  CHECK(shown.count("Q/pages/p/") == 1);
  CHECK(shown.at("Q/pages/p/").find("第7版") != std::string::npos);
  CHECK(test::read_text(dir / "output/current/site/pages/p/index.html").find("第7版") !=
        std::string::npos);
}

TEST_CASE(
    "publishing: an unwritable output folder is an environment error and the served release "
    "stays") {
  if (::geteuid() == 0) {
    // root ignores permission bits; use a file where the releases folder should be instead.
    TempDir dir;
    test::write_text(dir / "content/site.toml", test::minimal_site_toml());
    test::write_text(dir / "output/releases", "not a folder");
    const auto r = test::build_site(dir / "content", dir / "output");
    CHECK(r.exit_code == 2);
    CHECK(r.environment_error.find("cannot publish") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "output/current"));
    return;
  }
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  REQUIRE(test::build_site(dir / "content", dir / "output").exit_code == 0);
  const auto before = std::filesystem::read_symlink(dir / "output/current");
  test::write_text(dir / "content/pages/new.md", "+++\ntitle = \"新页面\"\n+++\n");
  ::chmod((dir / "output/releases").c_str(), 0555);
  const auto r = test::build_site(dir / "content", dir / "output");
  ::chmod((dir / "output/releases").c_str(), 0755);
  CHECK(r.exit_code == 2);
  CHECK(std::filesystem::read_symlink(dir / "output/current") == before);
}

TEST_CASE("publishing: attachments are copied beside their page and linked by URL") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content", R"(=== disclosure/2021/budget.md ===
+++
title = "预算"
department = "dzb"
category = "fzzf"
published = 2021-02-01
+++
下载[预算表](预算表.csv)。
=== disclosure/2021/预算表.csv ===
项目,金额
)");
  const auto r = test::build_site(dir / "content", dir / "output");
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::exists(dir / "output/current/site/disclosure/2021/预算表.csv"));
  const auto page = test::read_text(dir / "output/current/site/disclosure/2021/budget/index.html");
  CHECK(page.find("href=\"/disclosure/2021/%E9%A2%84%E7%AE%97%E8%A1%A8.csv\"") !=
        std::string::npos);
  CHECK(page.find("预算表.csv</a>") != std::string::npos);  // listed under 附件
}

namespace {

// Every document of a release's index by its id term (data, values and terms), leaving out the
// copies its hidden list hides (see generator/indexer.cpp).
std::map<std::string, std::string> index_documents(const std::filesystem::path& db_path) {
  Xapian::Database db(db_path.string());
  // The hidden list names documents by their own ids, unique across the parts; Xapian numbers
  // document d of part p of n through the stub as (d - 1) * n + p + 1.
  std::size_t parts = 1;
  if (std::filesystem::exists(db_path / "XAPIANDB")) {
    const std::string stub = test::read_text(db_path / "XAPIANDB");
    parts = static_cast<std::size_t>(std::count(stub.begin(), stub.end(), '\n'));
  }
  std::set<Xapian::docid> hidden;
  if (std::filesystem::exists(db_path / search::k_hidden_file)) {
    std::istringstream in(test::read_text(db_path / search::k_hidden_file));
    std::set<Xapian::docid> own;
    for (Xapian::docid d = 0; in >> d;) own.insert(d);
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it)
      if (own.count(static_cast<Xapian::docid>((*it - 1) / parts + 1))) hidden.insert(*it);
  }
  std::map<std::string, std::string> out;
  for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
    if (hidden.count(*it)) continue;
    const Xapian::Document doc = db.get_document(*it);
    std::string all = doc.get_data();
    for (Xapian::valueno slot = 0; slot < 16; ++slot)
      all += "\nV" + std::to_string(slot) + "=" + doc.get_value(slot);
    out[std::to_string(*it)] = all;
  }
  // The main parts have no term list: the terms are read back through the postings.
  std::map<std::string, std::string> terms_of;  // docid -> sorted "term:wdf" list
  for (auto t = db.allterms_begin(); t != db.allterms_end(); ++t)
    for (auto p = db.postlist_begin(*t); p != db.postlist_end(*t); ++p)
      if (!hidden.count(*p))
        terms_of[std::to_string(*p)] += *t + ":" + std::to_string(p.get_wdf()) + " ";
  std::map<std::string, std::string> by_id;
  for (auto t = db.allterms_begin("Q"); t != db.allterms_end("Q"); ++t) {
    int shown = 0;
    for (auto p = db.postlist_begin(*t); p != db.postlist_end(*t); ++p) {
      if (hidden.count(*p)) continue;
      ++shown;
      by_id[*t] = out[std::to_string(*p)] + "\n" + terms_of[std::to_string(*p)];
    }
    if (shown > 1) by_id[*t] += "\n(" + std::to_string(shown) + " documents not hidden)";
  }
  return by_id;
}

}  // namespace

TEST_CASE("memo: every member of Item, ItemRecord and their parts is in the memo's field list") {
  // Counted from the structs themselves (not their sizeof): a member added to Item and not to
  // memo.cpp's fields() would make items taken from the memo lose it.
  const auto problems = gongkai::gen::memo_schema_problems();
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

TEST_CASE(
    "incremental builds: each rebuild equals a full build of the same content, byte for byte") {
  TempDir dir;
  std::filesystem::copy(GONGKAI_EXAMPLE_CONTENT, dir / "content",
                        std::filesystem::copy_options::recursive);
  std::filesystem::copy(GONGKAI_THEMES_DIR, dir / "themes",
                        std::filesystem::copy_options::recursive);
  const std::string now = "2026-11-26T10:00:00+08:00";
  auto with_themes = [&](gen::BuildOptions& o) { o.themes_dir = dir / "themes"; };
  const std::vector<std::pair<std::string, std::function<void()>>> steps = {
      {"first build", [] {}},
      {"edit an item",
       [&] {
         const auto f = dir / "content/disclosure/2021/budget-2021.md";
         test::write_text(f, test::read_text(f) + "\n补充说明：预算执行情况将按季度公开。\n");
       }},
      {"add an item",
       [&] {
         test::write_text(dir / "content/disclosure/2026/well-repair.md",
                          "+++\ntitle = \"邦均镇农村饮水井维修公示\"\npublished = "
                          "2026-11-20\ndepartment = \"dzb\"\ncategory = \"zcwj\"\n+++\n\n"
                          "本年度维修饮水井12眼，详见附表。\n");
       }},
      {"add an item with an attachment and a link",
       [&] {
         test::write_text(dir / "content/disclosure/2026/well-table.csv", "村,眼数\n邦均村,3\n");
         test::write_text(dir / "content/disclosure/2026/well-list.md",
                          "+++\ntitle = \"邦均镇饮水井维修清单\"\npublished = "
                          "2026-11-21\ndepartment = \"dzb\"\ncategory = \"zcwj\"\n+++\n\n"
                          "见[清单](well-table.csv)与[预算](../2021/budget-2021.md)。\n");
       }},
      {"delete an item",
       [&] { std::filesystem::remove(dir / "content/disclosure/2026/well-repair.md"); }},
      {"change the theme",
       [&] {
         const auto f = dir / "themes/default/templates/layout.mustache";
         std::string t = test::read_text(f);
         t.replace(t.find("</footer>"), 9, "<p>本站由邦均镇人民政府主办</p></footer>");
         test::write_text(f, t);
       }},
      {"change site.toml",
       [&] {
         const auto f = dir / "content/site.toml";
         std::string t = test::read_text(f);
         t.replace(t.find("title = \"蓟州区邦均镇人民政府\""),
                   std::string("title = \"蓟州区邦均镇人民政府\"").size(),
                   "title = \"天津市蓟州区邦均镇人民政府\"");
         test::write_text(f, t);
       }},
      {"nothing changed", [] {}},
  };
  int n = 0;
  for (const auto& [name, change] : steps) {
    INFO(name);
    change();
    const auto inc = test::build_site(dir / "content", dir / "incremental", now, with_themes);
    REQUIRE(inc.exit_code == 0);
    const auto full =
        test::build_site(dir / "content", dir / ("full-" + std::to_string(n++)), now, with_themes);
    REQUIRE(full.exit_code == 0);
    CHECK(inc.release_id == full.release_id);
    const std::filesystem::path a = dir / "incremental/current",
                                b = dir / ("full-" + std::to_string(n - 1) + "/current");
    CHECK(test::read_text(a / "files.sha256") == test::read_text(b / "files.sha256"));
    for (const char* part : {"site", "server", "wechat"}) {
      INFO(part);
      CHECK(test::read_tree(a / part) ==
            test::read_tree(b / part));  // the bytes, not just the manifest
    }
    CHECK(index_documents(a / "search") == index_documents(b / "search"));
  }
  CHECK(test::read_text(dir / "incremental/current/site/disclosure/2026/well-list/index.html")
            .find("well-table.csv") != std::string::npos);
  // Later builds shared files with the earlier ones rather than writing them again.
  struct stat st {};
  REQUIRE(::stat((dir / "incremental/current/site/static/style.css").c_str(), &st) == 0);
  CHECK(st.st_nlink > 1);
}

TEST_CASE("parallel builds: one thread and four threads publish the same bytes and index") {
  // Enough items (with autolinks, tables, strikethrough and relative links) that the loader,
  // Markdown, rendering and the index all run on several threads.
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  for (int i = 0; i < 400; ++i) {
    const std::string year = std::to_string(2016 + i % 8);
    std::string body = "第" + std::to_string(i) +
                       "号事项。详见 https://www.gov.cn/zhengce/ 和 www.example.org/" +
                       std::to_string(i) + " 。\n\n| 项目 | 金额 |\n|---|---|\n| 维修 | " +
                       std::to_string(i * 10) + " |\n\n~~旧文~~ 新文。";
    if (i > 0)
      body += "\n\n参见[上一条](../" + std::to_string(2016 + (i - 1) % 8) + "/item-" +
              std::to_string(i - 1) + ".md)。";
    test::write_text(dir / ("content/disclosure/" + year + "/item-" + std::to_string(i) + ".md"),
                     "+++\ntitle = \"邦均镇第" + std::to_string(i) +
                         "号公开事项\"\ndepartment = \"" + (i % 2 ? "dzb" : "zhdd") +
                         "\"\ncategory = \"fzzf\"\npublished = " + year + "-03-1" +
                         std::to_string(i % 10) + "\n+++\n" + body + "\n");
  }
  const auto one = test::build_site(dir / "content", dir / "one", "2024-06-01T00:00:00+08:00",
                                    [](gen::BuildOptions& o) { o.threads = 1; });
  const auto four = test::build_site(dir / "content", dir / "four", "2024-06-01T00:00:00+08:00",
                                     [](gen::BuildOptions& o) { o.threads = 4; });
  REQUIRE(one.exit_code == 0);
  REQUIRE(four.exit_code == 0);
  CHECK(one.release_id == four.release_id);
  CHECK(test::read_text(dir / "one/current/files.sha256") ==
        test::read_text(dir / "four/current/files.sha256"));
  CHECK(index_documents(dir / "one/current/search") ==
        index_documents(dir / "four/current/search"));
  // Autolinks survived (cmark-gfm's shared table; see markdown.cpp).
  const std::string page =
      test::read_text(dir / "four/current/site/disclosure/2023/item-399/index.html");
  CHECK(page.find("<a href=\"https://www.gov.cn/zhengce/\">") != std::string::npos);
}

TEST_CASE("parallel groups: a group is closed as soon as its steps are done, before later steps") {
  // The index writer compacts a part as soon as its shards are written and empties them, so that
  // the shards still to come reuse their memory (indexer.cpp).
  const std::vector<std::size_t> ends{3, 5, 6};
  std::vector<std::string> order;
  gongkai::parallel_groups(
      ends, 1, [&](std::size_t i, std::size_t) { order.push_back("s" + std::to_string(i)); },
      [&](std::size_t g, std::size_t) { order.push_back("c" + std::to_string(g)); });
  CHECK(order == std::vector<std::string>{"s0", "s1", "s2", "c0", "s3", "s4", "c1", "s5", "c2"});

  // On four threads: every task once, and each close after every step of its group.
  const std::vector<std::size_t> many{10, 25, 26, 40, 47};
  std::vector<std::atomic<int>> steps(47), closes(many.size());
  std::atomic<int> early{0};
  gongkai::parallel_groups(
      many, 4, [&](std::size_t i, std::size_t) { ++steps[i]; },
      [&](std::size_t g, std::size_t) {
        for (std::size_t i = g ? many[g - 1] : 0; i < many[g]; ++i) early += steps[i].load() != 1;
        ++closes[g];
      });
  for (const auto& n : steps) CHECK(n.load() == 1);
  for (const auto& n : closes) CHECK(n.load() == 1);
  CHECK(early.load() == 0);

  // A failure is passed on, and nothing starts after it.
  std::vector<std::string> ran;
  CHECK_THROWS_WITH(
      gongkai::parallel_groups(
          ends, 1,
          [&](std::size_t i, std::size_t) {
            if (i == 4) throw std::runtime_error("shard 4 failed");
            ran.push_back("s" + std::to_string(i));
          },
          [&](std::size_t g, std::size_t) { ran.push_back("c" + std::to_string(g)); }),
      "shard 4 failed");
  CHECK(ran == std::vector<std::string>{"s0", "s1", "s2", "c0", "s3"});
}

TEST_CASE(
    "index parts: a rebuild leaves the main parts as written, and writes changes to the delta "
    "part") {
  // 400 items: two threads write two parts, searched as one.
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  auto item = [&](int i, const std::string& extra) {
    test::write_text(dir / ("content/disclosure/2024/item-" + std::to_string(i) + ".md"),
                     "+++\ntitle = \"邦均镇第" + std::to_string(i) +
                         "号公开事项\"\ndepartment = \"" + (i % 2 ? "dzb" : "zhdd") +
                         "\"\ncategory = \"fzzf\"\npublished = 2024-03-1" + std::to_string(i % 10) +
                         "\n+++\n第" + std::to_string(i) + "号事项的正文。" + extra + "\n");
  };
  for (int i = 0; i < 400; ++i) item(i, "");
  const std::string now = "2024-06-01T00:00:00+08:00";
  auto two = [](gen::BuildOptions& o) { o.threads = 2; };
  REQUIRE(test::build_site(dir / "content", dir / "inc", now, two).exit_code == 0);
  const auto search_dir = dir / "inc/current/search";
  REQUIRE(test::read_text(search_dir / "XAPIANDB") == "glass 0\nglass 1\n");
  const auto part_docs = [&](const char* part) {
    return Xapian::Database((search_dir / part).string()).get_doccount();
  };
  CHECK(part_docs("0") + part_docs("1") == 400);
  CHECK_FALSE(
      std::filesystem::exists(search_dir / "0/termlist.glass"));  // written without term lists
  CHECK_FALSE(std::filesystem::exists(search_dir / search::k_hidden_file));

  item(3, "补充：宅基地审批结果。");                                   // edited, in one part
  item(398, "补充：低保名单。");                                       // edited, in the other
  item(500, "新增事项。");                                             // added
  std::filesystem::remove(dir / "content/disclosure/2024/item-7.md");  // deleted
  const auto rebuilt = test::build_site(dir / "content", dir / "inc", now, two);
  REQUIRE(rebuilt.exit_code == 0);
  REQUIRE(test::build_site(dir / "content", dir / "full", now, two).exit_code == 0);
  REQUIRE(test::read_text(search_dir / "XAPIANDB") == "glass 0\nglass 1\nglass delta\n");
  for (const char* part : {"0", "1"}) {  // as written (revision 1), and still all 400
    CHECK(Xapian::Database((search_dir / part).string()).get_revision() == 1);
  }
  CHECK(part_docs("0") + part_docs("1") == 400);
  CHECK(part_docs(search::k_delta_part) == 3);  // items 3, 398 and 500
  // Document ids are unique across the parts: 1 to 400 in the main parts, 401 on in the delta.
  std::set<Xapian::docid> ids;
  for (const char* part : {"0", "1", search::k_delta_part}) {
    Xapian::Database db((search_dir / part).string());
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it)
      CHECK(ids.insert(*it).second);
  }
  CHECK(ids.size() == 403);
  CHECK(*ids.rbegin() == 403);
  // Hidden: the main parts' copies of items 3, 398 and 7, by those ids.
  std::map<Xapian::docid, std::string> expected;
  for (int i : {3, 398, 7}) {
    const std::string id = "Q/disclosure/2024/item-" + std::to_string(i) + "/";
    for (const char* part : {"0", "1"}) {
      Xapian::Database db((search_dir / part).string());
      for (auto it = db.postlist_begin(id); it != db.postlist_end(id); ++it)
        expected[*it] = db.get_document(*it).get_value(search::k_slot_text);
    }
  }
  REQUIRE(expected.size() == 3);
  std::set<Xapian::docid> hidden;
  std::istringstream in(test::read_text(search_dir / search::k_hidden_file));
  for (Xapian::docid d = 0; in >> d;) hidden.insert(d);
  CHECK(hidden.size() == 3);
  for (const auto& [d, text] : expected) {
    CHECK(hidden.count(d) == 1);
    CHECK(text.find("补充") == std::string::npos);  // the old version
  }
  CHECK(index_documents(search_dir) == index_documents(dir / "full/current/search"));

  // A second rebuild changes the delta part in place: item 3 again, item 500 deleted.
  item(3, "补充：宅基地审批结果（更正）。");
  std::filesystem::remove(dir / "content/disclosure/2024/item-500.md");
  REQUIRE(test::build_site(dir / "content", dir / "inc", now, two).exit_code == 0);
  REQUIRE(test::build_site(dir / "content", dir / "full2", now, two).exit_code == 0);
  const auto search_now = std::filesystem::canonical(dir / "inc/current/search");
  CHECK(Xapian::Database((search_now / search::k_delta_part).string()).get_doccount() ==
        2);  // items 3 and 398
  CHECK(index_documents(search_now) == index_documents(dir / "full2/current/search"));

  // A hidden list that is not what a build writes: the next build writes the index afresh.
  test::write_text(search_now / search::k_hidden_file, "12x\n");
  item(4, "补充：第二次更正。");
  REQUIRE(test::build_site(dir / "content", dir / "inc", now, two).exit_code == 0);
  REQUIRE(test::build_site(dir / "content", dir / "full3", now, two).exit_code == 0);
  const auto search_last = std::filesystem::canonical(dir / "inc/current/search");
  CHECK(test::read_text(search_last / "XAPIANDB") == "glass 0\nglass 1\n");
  CHECK_FALSE(std::filesystem::exists(search_last / search::k_hidden_file));
  CHECK(index_documents(search_last) == index_documents(dir / "full3/current/search"));
}

TEST_CASE("index writers: a rebuild updates in place a full index that Xapian's writer wrote") {
  // As "index parts" above, but the full index written by --index-writer=xapian.
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  auto item = [&](int i, const std::string& extra) {
    test::write_text(dir / ("content/disclosure/2024/item-" + std::to_string(i) + ".md"),
                     "+++\ntitle = \"邦均镇第" + std::to_string(i) +
                         "号公开事项\"\ndepartment = \"" + (i % 2 ? "dzb" : "zhdd") +
                         "\"\ncategory = \"fzzf\"\npublished = 2024-03-1" + std::to_string(i % 10) +
                         "\n+++\n第" + std::to_string(i) + "号事项的正文。" + extra + "\n");
  };
  for (int i = 0; i < 400; ++i) item(i, "");
  const std::string now = "2024-06-01T00:00:00+08:00";
  auto with = [](gen::IndexWriter writer) {
    return [writer](gen::BuildOptions& o) {
      o.threads = 2;
      o.index_writer = writer;
    };
  };
  REQUIRE(test::build_site(dir / "content", dir / "inc", now, with(gen::IndexWriter::xapian))
              .exit_code == 0);
  const auto search_dir = dir / "inc/current/search";
  REQUIRE(test::read_text(search_dir / "XAPIANDB") == "glass 0\nglass 1\n");
  CHECK_FALSE(std::filesystem::exists(search_dir / "0/termlist.glass"));  // no term lists either

  item(3, "补充：宅基地审批结果。");
  item(398, "补充：低保名单。");
  item(500, "新增事项。");
  std::filesystem::remove(dir / "content/disclosure/2024/item-7.md");
  REQUIRE(test::build_site(dir / "content", dir / "inc", now, with(gen::IndexWriter::xapian))
              .exit_code == 0);
  REQUIRE(test::read_text(search_dir / "XAPIANDB") == "glass 0\nglass 1\nglass delta\n");
  CHECK(Xapian::Database((search_dir / search::k_delta_part).string()).get_doccount() == 3);
  std::set<Xapian::docid> hidden;
  std::istringstream in(test::read_text(search_dir / search::k_hidden_file));
  for (Xapian::docid d = 0; in >> d;) hidden.insert(d);
  CHECK(hidden.size() == 3);  // the old copies of items 3, 398 and 7
  REQUIRE(
      test::build_site(dir / "content", dir / "full-direct", now, with(gen::IndexWriter::direct))
          .exit_code == 0);
  REQUIRE(
      test::build_site(dir / "content", dir / "full-xapian", now, with(gen::IndexWriter::xapian))
          .exit_code == 0);
  CHECK(index_documents(search_dir) == index_documents(dir / "full-direct/current/search"));
  CHECK(index_documents(search_dir) == index_documents(dir / "full-xapian/current/search"));

  // The next rebuild, with the default writer, updates the same index in place: a delta part
  // does not depend on who wrote the main parts.
  item(3, "补充：宅基地审批结果（更正）。");
  REQUIRE(test::build_site(dir / "content", dir / "inc", now, with(gen::IndexWriter::direct))
              .exit_code == 0);
  REQUIRE(test::build_site(dir / "content", dir / "full2", now, with(gen::IndexWriter::direct))
              .exit_code == 0);
  const auto search_now = std::filesystem::canonical(dir / "inc/current/search");
  CHECK(test::read_text(search_now / "XAPIANDB") == "glass 0\nglass 1\nglass delta\n");
  CHECK(index_documents(search_now) == index_documents(dir / "full2/current/search"));
}

using test::run_build;

TEST_CASE("index writers: --index-writer takes direct, xapian or auto, and refuses the rest") {
  TempDir dir;
  const std::string site = "--content '" + std::string(GONGKAI_EXAMPLE_CONTENT) + "' --themes '" +
                           GONGKAI_THEMES_DIR +
                           "' --now 2026-11-26T10:00:00+08:00 --no-history --verbose --output '" +
                           (dir / "out").string() + "'";
  for (const std::string bad :
       {"--index-writer=fast", "--index-writer=", "--index-writer=Xapian", "--index-writer none"}) {
    INFO(bad);
    const auto [status, said] = run_build(site + " " + bad);
    CHECK(status == 2);
    CHECK(said.find("gongkai-build: --index-writer must be direct, xapian or auto, not \"") !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "out"));  // refused before anything is written
  }
  const auto [no_value, said] = run_build(site + " --index-writer");
  CHECK(no_value == 2);
  CHECK(said.find("gongkai-build: --index-writer needs a value") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "out"));
  // The good ones, in both spellings, each a full write into a fresh output folder (only a
  // full write names its writer); auto writes directly where the format check passes.
  for (const auto& [arg, writer] :
       std::vector<std::pair<std::string, std::string>>{{"--index-writer=xapian", "xapian"},
                                                        {"--index-writer direct", "direct"},
                                                        {"--index-writer=auto", "direct"}}) {
    INFO(arg);
    std::filesystem::remove_all(dir / "out");
    const auto [status, log] = run_build(site + " " + arg);
    CHECK(status == 0);
    CHECK(log.find("parts by the " + writer + " writer") != std::string::npos);
  }
}

TEST_CASE("item memo: an unchanged file is taken from the memo, but its links are resolved again") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_text(dir / "content/pages/a.md", "+++\ntitle = \"甲\"\n+++\n\n见[乙](b.md)。\n");
  const std::string b = "+++\ntitle = \"乙\"\n+++\n\n正文。\n";
  test::write_text(dir / "content/pages/b.md", b);
  const auto first = test::build_site(dir / "content", dir / "output");
  REQUIRE(first.exit_code == 0);
  REQUIRE(std::filesystem::exists(dir / "output/cache/items.memo"));
  const std::string page = test::read_text(dir / "output/current/site/pages/a/index.html");
  CHECK(page.find("href=\"/pages/b/\"") != std::string::npos);

  // a.md is unchanged, but the file it links to is gone: the link is an error at its place.
  std::filesystem::remove(dir / "content/pages/b.md");
  const auto broken = test::build_site(dir / "content", dir / "output");
  CHECK(broken.exit_code == 1);
  bool reported = false;
  for (const std::string& line : test::diagnostic_lines(broken))
    reported = reported || (line.find("pages/a.md:5:") != std::string::npos &&
                            line.find("error") != std::string::npos);
  CHECK(reported);

  // Back again: the same page as the first time, from the memo.
  test::write_text(dir / "content/pages/b.md", b);
  const auto again = test::build_site(dir / "content", dir / "output", "2022-03-15T10:00:00+08:00",
                                      [](gen::BuildOptions& o) { o.build_id = "again"; });
  REQUIRE(again.exit_code == 0);
  CHECK(test::read_text(dir / "output/current/site/pages/a/index.html") == page);

  // A memo that is not a memo is ignored, not trusted.
  test::write_text(dir / "output/cache/items.memo", "garbage");
  const auto after_garbage =
      test::build_site(dir / "content", dir / "output", "2022-03-15T10:00:00+08:00",
                       [](gen::BuildOptions& o) { o.build_id = "garbage"; });
  REQUIRE(after_garbage.exit_code == 0);
  CHECK(test::read_text(dir / "output/current/site/pages/a/index.html") == page);
}

TEST_CASE("publishing: a release recycled by a build without an index keeps no stale index") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  for (int i = 0; i < 6; ++i) {
    test::write_text(dir / "content/pages/p.md",
                     "+++\ntitle = \"第" + std::to_string(i) + "版\"\n+++\n正文\n");
    const bool index = i < 5;
    const auto r = test::build_site(dir / "content", dir / "output", "2022-03-15T10:00:00+08:00",
                                    [&](gen::BuildOptions& o) { o.write_index = index; });
    REQUIRE(r.exit_code == 0);
    CHECK(std::filesystem::exists(dir / "output/current/search") == index);
  }
}

TEST_CASE("item memo: a memo cut short is used up to the last whole entry") {
  // Enough items for the memo to be parsed on two workers; the cut falls inside an entry.
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  for (int i = 0; i < 200; ++i)
    test::write_text(
        dir / ("content/pages/p" + std::to_string(i) + ".md"),
        "+++\ntitle = \"第" + std::to_string(i) + "页\"\n+++\n\n正文" + std::to_string(i) + "。\n");
  auto remembered = [](const std::vector<std::string>& lines) {
    for (const std::string& l : lines)
      if (auto at = l.find("memo: ");
          at != std::string::npos && l.find("remembered") != std::string::npos)
        return std::stoi(l.substr(at + 6));
    return -1;
  };
  std::vector<std::string> lines;
  auto capture = [&](gen::BuildOptions& o) {
    o.progress = [&](const std::string& l) { lines.push_back(l); };
  };
  REQUIRE(test::build_site(dir / "content", dir / "output", "2022-03-15T10:00:00+08:00", capture)
              .exit_code == 0);
  const std::string files = test::read_text(dir / "output/current/files.sha256");
  const std::filesystem::path memo = dir / "output/cache/items.memo";
  std::filesystem::resize_file(memo, std::filesystem::file_size(memo) * 2 / 3);
  lines.clear();
  const auto cut = test::build_site(dir / "content", dir / "output", "2022-03-15T10:00:00+08:00",
                                    [&](gen::BuildOptions& o) {
                                      capture(o);
                                      o.build_id = "cut";
                                    });
  REQUIRE(cut.exit_code == 0);
  const int n = remembered(lines);
  CHECK(n > 100);  // about two thirds of the entries
  CHECK(n < 200);  // but not the one cut in half, nor those after it
  CHECK(test::read_text(dir / "output/current/files.sha256") == files);
}
