// Scheduled items (published after the build's clock): every content check runs on them in
// --check and in every build, at their own file:line, so that the hourly build that makes one
// live can never be the first to fail (issue 23). What applies only to live items (pages,
// lists, feeds, index, counts) still waits for the date.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

namespace {

namespace fs = std::filesystem;

// The default clock of test::build_site; every "later" item below is dated after it.
constexpr const char* k_now = "2022-03-15T10:00:00+08:00";

const char* k_live_item = R"(=== disclosure/2022/ok.md ===
+++
title = "已发布的信息"
department = "dzb"
category = "fzzf"
published = 2022-03-01
+++
正文。
)";

gen::BuildResult check(const TempDir& dir, const std::string& now = k_now) {
  return test::build_site(dir / "content", dir / "output", now,
                          [](gen::BuildOptions& o) { o.check_only = true; });
}

std::vector<std::string> errors_of(const gen::BuildResult& r) {
  std::vector<std::string> out;
  for (const auto& l : test::diagnostic_lines(r))
    if (l.find(": error: ") != std::string::npos) out.push_back(l);
  return out;
}

// Publishes the live item alone, then adds `files`: the content a push would bring.
void publish_then_add(const TempDir& dir, const std::string& files) {
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content", k_live_item);
  REQUIRE(test::build_site(dir / "content", dir / "output").exit_code == 0);
  test::write_fixture(dir / "content", files);
}

// A failed build publishes nothing: `current` and the release folders stay as they were.
void require_fails_untouched(const TempDir& dir, const std::vector<std::string>& expected,
                             const std::string& now = k_now) {
  const fs::path current = fs::read_symlink(dir / "output/current");
  std::size_t releases = 0;
  for (const auto& e : fs::directory_iterator(dir / "output/releases"))
    releases += e.path().filename().string().front() != '.';
  const auto r = test::build_site(dir / "content", dir / "output", now);
  CHECK(r.exit_code == 1);
  CHECK(errors_of(r) == expected);
  CHECK(fs::read_symlink(dir / "output/current") == current);
  std::size_t after = 0;
  for (const auto& e : fs::directory_iterator(dir / "output/releases"))
    after += e.path().filename().string().front() != '.';
  CHECK(after == releases);
}

}  // namespace

TEST_CASE(
    "scheduled items: an unmasked resident ID number fails --check and the build at its "
    "file:line:column") {
  TempDir dir;
  publish_then_add(dir, R"(=== disclosure/2022/later.md ===
+++
title = "定时发布的公示"
department = "dzb"
category = "fzzf"
published = 2022-04-01T09:00:00+08:00
+++
申请人身份证号11010519491231002X。
)");
  const std::vector<std::string> expected = {
      "content/disclosure/2022/later.md:7:8: error: unmasked resident ID number: mask it "
      "(1101**********1234) or allow it under [privacy] "
      "with a reason (身份证号须脱敏)"};
  const auto r = check(dir);
  CHECK(r.exit_code == 1);
  CHECK(errors_of(r) == expected);
  require_fails_untouched(dir, expected);
  // The build that would make it live fails the same way, not for the first time.
  require_fails_untouched(dir, expected, "2022-04-01T09:00:00+08:00");
  // An allowance with a reason works for a scheduled item as for a live one.
  test::write_fixture(dir / "content", R"(=== disclosure/2022/later.md ===
+++
title = "定时发布的公示"
department = "dzb"
category = "fzzf"
published = 2022-04-01T09:00:00+08:00
[privacy]
allow = ["id_number"]
reason = "依法须公示的法定代表人身份信息"
+++
申请人身份证号11010519491231002X。
)");
  CHECK(check(dir).exit_code == 0);
}

TEST_CASE(
    "scheduled items: a penalty naming an unmasked party fails --check and the build at its "
    "file:line:column") {
  TempDir dir;
  publish_then_add(dir, R"(=== disclosure/2022/penalty.md ===
+++
title = "行政处罚结果公示"
department = "zhdd"
category = "xzzf"
published = 2022-03-18
[penalty]
procedure = "一般"
fine = 500
decided = 2022-03-14
+++
| 序号 | 当事人 | 处罚内容 |
|---|---|---|
| 1 | 王某某 | 罚款 |
| 2 | 张三 | 罚款 |
)");
  const std::vector<std::string> expected = {
      "content/disclosure/2022/penalty.md:14:7: error: party \"张三\" of a penalty must be named "
      "masked, e.g. 王某某 (行政处罚当事人姓名须隐去)"};
  const auto r = check(dir);
  CHECK(r.exit_code == 1);
  CHECK(errors_of(r) == expected);
  require_fails_untouched(dir, expected);
}

TEST_CASE(
    "scheduled items: a broken relative link or a link to a draft fails --check and the build") {
  TempDir dir;
  publish_then_add(dir, R"(=== disclosure/2022/later.md ===
+++
title = "定时发布的公告"
department = "dzb"
category = "fzzf"
published = 2022-04-01T09:00:00+08:00
+++
见[规划](../2020/nosuch.md)和[草稿](secret.md)。
=== disclosure/2022/secret.md ===
+++
title = "草稿"
department = "dzb"
category = "fzzf"
published = 2022-03-01
draft = true
+++
草稿。
)");
  const std::vector<std::string> expected = {
      "content/disclosure/2022/later.md:7:2: error: link to \"../2020/nosuch.md\" is broken: no "
      "such file in the content folder (链接目标不存在)",
      "content/disclosure/2022/later.md:7:26: error: link to \"secret.md\" is broken: it is a "
      "draft and is never published (链接目标不存在)"};
  const auto r = check(dir);
  CHECK(r.exit_code == 1);
  CHECK(errors_of(r) == expected);
  require_fails_untouched(dir, expected);
}

TEST_CASE("scheduled items: a late penalty result is warned about before it goes live") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content",
                      std::string(k_live_item) + R"(=== disclosure/2022/penalty.md ===
+++
title = "迟到的处罚公示"
department = "zhdd"
category = "xzzf"
published = 2022-04-01
[penalty]
procedure = "简易"
fine = 50
decided = 2022-03-14
+++
当事人王某某。
)");
  const auto r = check(dir);
  CHECK(r.exit_code == 0);
  const auto lines = test::diagnostic_lines(r);
  CHECK(std::find(lines.begin(), lines.end(),
                  "content/disclosure/2022/penalty.md:1:1: warning: inspection rule: penalty "
                  "results must be published within 7 working days "
                  "of the decision (2022-03-14); published 14 working days later") != lines.end());
}

TEST_CASE("scheduled items: drafts are still not scanned") {
  // Drafts keep their behaviour: never published, so not held to the publishing checks.
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content",
                      std::string(k_live_item) + R"(=== disclosure/2022/draft.md ===
+++
title = "草稿"
department = "dzb"
category = "fzzf"
published = 2022-04-01
draft = true
+++
申请人身份证号11010519491231002X。
)");
  CHECK(check(dir).exit_code == 0);
}

TEST_CASE(
    "scheduled items: a correct one is checked, held back until its date, then published, also "
    "from the memo") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  // A live item linking to the scheduled one keeps today's behaviour: the link resolves to the
  // page that appears on the date.
  const std::string files = R"(=== disclosure/2022/ok.md ===
+++
title = "已发布的信息"
department = "dzb"
category = "fzzf"
published = 2022-03-01
+++
下月见[定时公告](later.md)。
=== disclosure/2022/later.md ===
+++
title = "定时发布的公告"
department = "dzb"
category = "fzzf"
published = 2022-04-01T09:00:00+08:00
+++
申请人身份证号110105**********2X，详见[上一条](ok.md)。
=== disclosure/2022/penalty.md ===
+++
title = "定时发布的处罚公示"
department = "zhdd"
category = "xzzf"
published = 2022-04-01T09:00:00+08:00
[penalty]
procedure = "一般"
fine = 500
decided = 2022-03-29
+++
| 序号 | 当事人 | 处罚内容 |
|---|---|---|
| 1 | 王某某 | 罚款 |
| 2 | 某某商贸有限公司 | 罚款 |
)";
  test::write_fixture(dir / "content", files);
  const std::string before = "2022-03-31T23:00:00+08:00", on = "2022-04-01T09:00:00+08:00";
  const auto checked = check(dir, before);
  CHECK(checked.exit_code == 0);
  CHECK(errors_of(checked).empty());

  auto r = test::build_site(dir / "content", dir / "output", before);
  REQUIRE(r.exit_code == 0);
  CHECK(errors_of(r).empty());
  const fs::path site = dir / "output/current/site";
  CHECK(fs::exists(site / "disclosure/2022/ok/index.html"));
  CHECK(test::read_text(site / "disclosure/2022/ok/index.html")
            .find("href=\"/disclosure/2022/later/\"") != std::string::npos);
  for (const char* held :
       {"disclosure/2022/later/index.html", "disclosure/2022/penalty/index.html"})
    CHECK_FALSE(fs::exists(site / held));
  for (const char* list : {"index.xml", "feed.json", "disclosure/index.html", "index.html"}) {
    INFO(list);
    const std::string text = test::read_text(site / list);
    CHECK(text.find("定时发布的公告") == std::string::npos);
    CHECK(text.find("定时发布的处罚公示") == std::string::npos);
  }
  const std::size_t documents_before = r.documents;
  REQUIRE(fs::exists(dir / "output/cache/items.memo"));

  // The hourly refresh after the date: every file is unchanged and taken from the memo, the
  // checks it recorded while the items were scheduled are reused, and the items go live.
  std::vector<std::string> progress;
  r = test::build_site(dir / "content", dir / "output", on, [&](gen::BuildOptions& o) {
    o.build_id = "incremental";
    o.progress = [&](const std::string& line) { progress.push_back(line); };
  });
  REQUIRE(r.exit_code == 0);
  CHECK(errors_of(r).empty());
  bool from_memo = false;
  for (const std::string& line : progress)
    from_memo = from_memo || line.find("3 files (3 unchanged, from the memo)") != std::string::npos;
  CHECK(from_memo);
  CHECK(r.documents == documents_before + 2);
  CHECK(fs::exists(site / "disclosure/2022/later/index.html"));
  CHECK(fs::exists(site / "disclosure/2022/penalty/index.html"));
  CHECK(test::read_text(site / "disclosure/2022/later/index.html")
            .find("href=\"/disclosure/2022/ok/\"") != std::string::npos);
  CHECK(test::read_text(site / "index.xml").find("定时发布的公告") != std::string::npos);
  CHECK(test::read_text(site / "disclosure/index.html").find("定时发布的处罚公示") !=
        std::string::npos);

  // The same bytes as a full build without any memo.
  TempDir fresh;
  const auto full =
      test::build_site(dir / "content", fresh / "output", on, [](gen::BuildOptions& o) {
        o.build_id = "incremental";
        o.use_memo = false;
      });
  REQUIRE(full.exit_code == 0);
  CHECK(test::read_tree(fresh / "output/current/site") == test::read_tree(site));
}

TEST_CASE(
    "scheduled items: an error found while scheduled is found again by the build that would make "
    "the item live") {
  // The failed build saves no memo, so nothing recorded about the item can hide the error.
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_fixture(dir / "content", k_live_item);
  REQUIRE(test::build_site(dir / "content", dir / "output").exit_code == 0);
  test::write_fixture(dir / "content", R"(=== disclosure/2022/later.md ===
+++
title = "定时发布的公示"
department = "dzb"
category = "fzzf"
published = 2022-04-01T09:00:00+08:00
+++
联系电话13812345678。
)");
  const std::vector<std::string> expected = {
      "content/disclosure/2022/later.md:7:5: error: unmasked mobile number: mask it (138****1234) "
      "or allow it under [privacy] with a reason (手机号须脱敏)"};
  require_fails_untouched(dir, expected);
  require_fails_untouched(dir, expected, "2022-04-01T10:00:00+08:00");
  // Fixed while still scheduled: the next build passes and keeps it back until its date.
  test::write_text(dir / "content/disclosure/2022/later.md",
                   "+++\ntitle = \"定时发布的公示\"\ndepartment = \"dzb\"\ncategory = "
                   "\"fzzf\"\npublished = 2022-04-01T09:00:00+08:00\n+++\n联系电话138****5678。\n");
  auto r = test::build_site(dir / "content", dir / "output");
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(fs::exists(dir / "output/current/site/disclosure/2022/later/index.html"));
  r = test::build_site(dir / "content", dir / "output", "2022-04-01T10:00:00+08:00");
  REQUIRE(r.exit_code == 0);
  CHECK(fs::exists(dir / "output/current/site/disclosure/2022/later/index.html"));
}
