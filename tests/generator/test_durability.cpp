// Durability: what a crash or a power cut can do to an output folder, tried for real.
//  - cache files (items.memo, pages) cut short, zeroed or with bytes changed: the next build
//    publishes exactly what a build without a cache publishes;
//  - gongkai-build killed with SIGKILL at random points of its run (the real binary, a child
//    process), each followed by a rebuild: `current` is always a complete release;
//  - the order of the syncs, read from strace: the release is on disk before `current` swaps,
//    and a failed sync publishes nothing.
// GONGKAI_KILL_POINTS (default 50) and GONGKAI_KILL_SEED change the SIGKILL test's run
// (bench/kill-builds runs 500).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xapian.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/search_schema.hpp"
#include "output.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;
namespace fs = std::filesystem;

namespace {

// A small but varied site: the golden fixture (consultations, a notice, a responsibility list,
// a page, an annual report) and `items` disclosure items linking to each other.
void write_site(const fs::path& content, int items) {
  fs::copy(GONGKAI_TEST_DIR "/fixtures/golden/content", content, fs::copy_options::recursive);
  for (int i = 0; i < items; ++i) {
    std::string body =
        "第" + std::to_string(i) +
        "号事项的正文，涉及农村饮水井维修与道路养护。\n\n| 项目 | 金额 |\n|---|---|\n| 维修 | " +
        std::to_string(i * 10) + " |\n";
    if (i > 0) body += "\n参见[上一条](item-" + std::to_string(i - 1) + ".md)。\n";
    test::write_text(content / ("disclosure/2022/item-" + std::to_string(i) + ".md"),
                     "+++\ntitle = \"金样镇第" + std::to_string(i) +
                         "号公开事项\"\ndepartment = \"" + (i % 2 ? "dzb" : "zhdd") +
                         "\"\ncategory = \"fzzf\"\npublished = 2022-02-1" + std::to_string(i % 10) +
                         "\n+++\n" + body);
  }
}

std::string current_id(const fs::path& out) {
  return fs::read_symlink(out / "current").filename().string();
}

// `current` is a complete release: release.json names it, every file verifies against
// files.sha256 and no file is missing from it, the index opens and answers. Returns what went
// wrong, or nothing.
std::string broken_release(const fs::path& out) {
  std::error_code ec;
  const fs::path link = fs::read_symlink(out / "current", ec);
  if (ec) return "current is not a link";
  const fs::path dir = out / link;
  if (!fs::is_directory(dir))
    return "current points at " + link.string() + ", which is not a folder";
  try {
    const auto release = nlohmann::json::parse(read_file(dir / "release.json"));
    if (release.at("build_id").get<std::string>() != dir.filename().string())
      return "release.json names another release";
    std::map<std::string, std::string> manifest;  // published path -> sha
    std::istringstream in(read_file(dir / "files.sha256"));
    for (std::string line; std::getline(in, line);) {
      if (line.size() < 67 || line.substr(64, 2) != "  ") return "files.sha256: bad line " + line;
      manifest[line.substr(66)] = line.substr(0, 64);
    }
    if (manifest.size() < 20)
      return "files.sha256 lists only " + std::to_string(manifest.size()) + " files";
    for (const auto& [path, sha] : manifest)
      if (sha256_hex(read_file(dir / path)) != sha) return path + " does not match files.sha256";
    std::size_t files = 0;
    for (const char* part : {"site", "server", "wechat"}) {
      if (!fs::exists(dir / part)) continue;
      for (const auto& e : fs::recursive_directory_iterator(dir / part)) {
        if (!e.is_regular_file()) continue;
        ++files;
        if (!manifest.count(e.path().lexically_relative(dir).generic_string()))
          return e.path().string() + " is not in files.sha256";
      }
    }
    if (files != manifest.size()) return "files.sha256 lists files that are missing";
    Xapian::Database db((dir / "search").string());
    Xapian::Enquire enquire(db);
    enquire.set_query(Xapian::Query(std::string(search::k_prefix_id) + "/disclosure/2022/item-0/"));
    if (enquire.get_mset(0, 10).empty()) return "the index does not find item 0";
    enquire.set_query(Xapian::Query("事项"));
    if (enquire.get_mset(0, 10).size() < 5)
      return "the index answers 事项 with fewer than 5 documents";
    if (release.at("documents").get<std::size_t>() < 5)
      return "release.json counts too few documents";
  } catch (const std::exception& e) {
    return e.what();
  } catch (const Xapian::Error& e) {
    return "Xapian: " + e.get_description();
  }
  return {};
}

// Runs argv as a child, stdout and stderr to `log`; returns its pid.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

std::vector<std::string> build_command(const fs::path& content, const fs::path& out,
                                       const std::string& now) {
  return {GONGKAI_BUILD_EXE, "--content",        content.string(), "--output", out.string(),
          "--themes",        GONGKAI_THEMES_DIR, "--now",          now,        "--no-history",
          "--verbose"};
}

// How many items the build's memo line says were remembered ("memo: 45 items and 30 pages remembered").
int remembered(const std::vector<std::string>& lines) {
  for (const std::string& l : lines)
    if (auto at = l.find("memo: ");
        at != std::string::npos && l.find("remembered") != std::string::npos)
      return std::stoi(l.substr(at + 6));
  return -1;
}

// A folder's canonical path: strace shows descriptors by their resolved paths.
fs::path real(const TempDir& d) { return fs::canonical(d.path()); }

}  // namespace

TEST_CASE(
    "cache files: a memo or page cache cut short, zeroed or changed never changes what is "
    "published") {
  TempDir dir;
  const fs::path content = dir / "content";
  write_site(content, 40);
  int items = 0;
  for (const auto& e : fs::recursive_directory_iterator(content))
    items += e.path().extension() == ".md";
  const std::string first = "2022-03-15T10:00:00+08:00", second = "2022-03-15T11:00:00+08:00";
  auto built = [](const gen::BuildResult& r) {
    INFO(r.environment_error);
    REQUIRE(r.exit_code == 0);
  };
  // The output a rebuild starts from: the cache files of a build of the content as it was.
  const fs::path base = dir / "base";
  built(test::build_site(content, base, first));
  const fs::path memo = base / "cache/items.memo", pages = base / "cache/pages";
  REQUIRE(fs::file_size(memo) > 10000);
  REQUIRE(fs::file_size(pages) > 1000);
  // The edit the rebuild sees: one item changed; the rest comes from the caches when they hold.
  const fs::path edited = content / "disclosure/2022/item-7.md";
  test::write_text(edited, test::read_text(edited) + "\n补充说明：维修工作已于三月完成。\n");
  const fs::path clean = dir / "clean";
  const auto reference =
      test::build_site(content, clean, second, [](gen::BuildOptions& o) { o.use_memo = false; });
  built(reference);
  const std::string files = test::read_text(clean / "current/files.sha256");
  const auto site = test::read_tree(clean / "current/site");

  // Without damage the rebuild takes nearly everything from the caches (else this test tests
  // nothing) and publishes the clean build's bytes.
  std::vector<std::string> lines;
  auto capture = [&](gen::BuildOptions& o) {
    o.progress = [&](const std::string& l) { lines.push_back(l); };
  };
  {
    const fs::path out = dir / "undamaged";
    fs::copy(base, out, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    lines.clear();
    const auto r = test::build_site(content, out, second, capture);
    built(r);
    CHECK(r.release_id == reference.release_id);
    CHECK(remembered(lines) == items);
    CHECK(test::read_text(out / "current/files.sha256") == files);
  }

  struct Damage {
    std::string name;
    std::function<void(const fs::path&)> apply;
  };
  std::vector<Damage> damages;
  for (const double at : {0.0, 0.01, 0.33, 0.5, 0.77, 0.999}) {
    const std::string where = std::to_string(static_cast<int>(at * 1000)) + "/1000";
    damages.push_back({"cut at " + where, [at](const fs::path& f) {
                         fs::resize_file(f, static_cast<std::uintmax_t>(
                                                static_cast<double>(fs::file_size(f)) * at));
                       }});
    // What a power cut leaves when the size reached the disk and the data did not: zeros,
    // whole blocks or a torn one, lengths and separators included or not.
    damages.push_back({"zeros at " + where, [at](const fs::path& f) {
                         std::string bytes = read_file(f);
                         const std::size_t from =
                             static_cast<std::size_t>(static_cast<double>(bytes.size()) * at);
                         for (std::size_t i = from; i < std::min(bytes.size(), from + 4096); ++i)
                           bytes[i] = '\0';
                         write_file(f, bytes);
                       }});
    damages.push_back({"one byte changed at " + where, [at](const fs::path& f) {
                         std::string bytes = read_file(f);
                         const std::size_t i = std::min(
                             bytes.size() - 1,
                             static_cast<std::size_t>(static_cast<double>(bytes.size()) * at));
                         bytes[i] = static_cast<char>(bytes[i] ^ 0x04);
                         write_file(f, bytes);
                       }});
  }
  // Zeros in a body's text (lengths intact): without checksums this would be trusted.
  damages.push_back({"zeros inside a rendered body", [](const fs::path& f) {
                       std::string bytes = read_file(f);
                       std::size_t at = bytes.find("农村饮水井维修", bytes.size() / 2);
                       if (at == std::string::npos)
                         at = bytes.size() / 2;  // the page cache holds no text
                       for (std::size_t i = at; i < at + 9; ++i) bytes[i] = '\0';
                       write_file(f, bytes);
                     }});
  damages.push_back({"a torn append (an entry's length, half of it)", [](const fs::path& f) {
                       std::string bytes = read_file(f);
                       const std::string tail = bytes.substr(bytes.size() / 2);
                       append_file(f, tail.substr(0, tail.size() / 2));
                     }});
  int n = 0;
  for (const fs::path* file : {&memo, &pages}) {
    for (const Damage& d : damages) {
      INFO(file->filename().string() + ": " + d.name);
      const fs::path out = dir / ("damaged-" + std::to_string(n++));
      fs::copy(base, out, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
      d.apply(out / "cache" / file->filename());
      const auto r = test::build_site(content, out, second);
      built(r);
      CHECK(r.release_id == reference.release_id);
      CHECK(test::read_text(out / "current/files.sha256") == files);
      CHECK(test::read_tree(out / "current/site") == site);
      if (file == &memo) {
        // The damaged memo was written afresh, whole: the next build takes every item from it.
        lines.clear();
        built(test::build_site(content, out, "2022-03-15T12:00:00+08:00", capture));
        CHECK(remembered(lines) == items);
      }
      fs::remove_all(out);
    }
  }
}

TEST_CASE(
    "SIGKILL: a build killed at any point leaves a complete current release, and the next build "
    "publishes the right bytes") {
  const char* points_env = std::getenv("GONGKAI_KILL_POINTS");
  const char* seed_env = std::getenv("GONGKAI_KILL_SEED");
  const int points = points_env ? std::atoi(points_env) : 50;
  const unsigned seed = seed_env ? static_cast<unsigned>(std::strtoul(seed_env, nullptr, 10))
                                 : std::random_device{}();
  std::printf("SIGKILL test: seed %u (GONGKAI_KILL_SEED=%u to repeat), %d kill points\n", seed,
              seed, points);
  std::mt19937 rng(seed);
  TempDir dir;
  const fs::path content = dir / "content", out = dir / "output", log = dir / "build.log";
  write_site(content, 40);
  int minute = 0;
  auto next_now = [&] {
    ++minute;
    char buf[64];
    std::snprintf(buf, sizeof buf, "2022-03-%02dT%02d:%02d:00+08:00", 15 + minute / 1440,
                  minute / 60 % 24, minute % 60);
    return std::string(buf);
  };
  using clock = std::chrono::steady_clock;
  // How long the last completed build after each kind of edit took: a kill's delay is spread
  // over the whole of such a build, and a little past it.
  std::map<std::string, double> duration;
  auto run_build = [&](const std::string& now, const std::string& kind) {
    const auto start = clock::now();
    const int rc = wait_for(spawn(build_command(content, out, now), log));
    duration[kind] = std::chrono::duration<double>(clock::now() - start).count();
    return rc;
  };
  REQUIRE(run_build(next_now(), "site.toml touched") == 0);  // a full build
  REQUIRE(run_build(next_now(), "") == 0);

  // The edits: each takes an incremental path (memo, page cache, recycled release, index in
  // place) or a full one (site.toml changes the memo's key).
  int serial = 0;
  std::set<int> extra;
  const std::vector<std::pair<std::string, std::function<void()>>> edits = {
      {"item changed",
       [&] {
         const fs::path f =
             content / ("disclosure/2022/item-" + std::to_string(rng() % 40) + ".md");
         test::write_text(
             f, test::read_text(f) + "\n第" + std::to_string(++serial) + "次补充说明。\n");
       }},
      {"item added",
       [&] {
         const int k = ++serial;
         extra.insert(k);
         test::write_text(
             content / ("disclosure/2022/extra-" + std::to_string(k) + ".md"),
             "+++\ntitle = \"金样镇补充事项" + std::to_string(k) +
                 "\"\ndepartment = \"dzb\"\ncategory = \"fzzf\"\n"
                 "published = 2022-03-01\n+++\n补充事项正文，见[第一号](item-1.md)。\n");
       }},
      {"item deleted",
       [&] {
         if (extra.empty()) return;
         auto it = extra.begin();
         std::advance(it, rng() % extra.size());
         fs::remove(content / ("disclosure/2022/extra-" + std::to_string(*it) + ".md"));
         extra.erase(it);
       }},
      {"site.toml touched",
       [&] {
         const fs::path f = content / "site.toml";
         std::string t = test::read_text(f);
         const std::string a = "title = \"金样镇人民政府\"", b = "title = \"某县金样镇人民政府\"";
         if (auto at = t.find(a); at != std::string::npos)
           t.replace(at, a.size(), b);
         else
           t.replace(t.find(b), b.size(), a);
         test::write_text(f, t);
       }},
  };
  std::map<std::string, int> edits_killed, last_stage;
  int killed = 0, finished_first = 0, tries = 0;
  while (killed < points && tries < 3 * points + 10) {
    ++tries;
    const auto& [edit_name, edit] = edits[rng() % edits.size()];
    edit();
    const std::string now = next_now();
    const double whole = duration.count(edit_name) ? duration[edit_name] : duration[""];
    // One kill in three falls in the last fifth, where the short publishing steps are (index
    // and memo finished, sync, renames, page cache, pruning).
    const double from = rng() % 3 == 0 ? 0.8 : 0.0;
    const auto delay = std::chrono::microseconds(static_cast<long>(
        std::uniform_real_distribution<double>(from * whole, whole * 1.05)(rng) * 1e6));
    const pid_t pid = spawn(build_command(content, out, now), log);
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    const int rc = wait_for(pid);
    INFO("seed " << seed << ", try " << tries << " (" << edit_name << "), killed after "
                 << delay.count() << " us");
    if (rc == 128 + SIGKILL) {
      ++killed;
      ++edits_killed[edit_name];
      // The last stage it finished ("     12 ms  render: 167 files"), or "start".
      std::string stage = "start";
      std::istringstream in(test::read_text(log));
      for (std::string l; std::getline(in, l);)
        if (auto ms = l.find(" ms  "); ms != std::string::npos)
          stage = l.substr(ms + 5, l.find(':', ms + 5) - ms - 5);
      ++last_stage[stage];
    } else {
      REQUIRE(rc == 0);
      ++finished_first;
    }
    {
      INFO("after the kill");
      REQUIRE(broken_release(out) == "");
    }
    // The next build, to completion, with the same clock: what a clean build publishes.
    REQUIRE(run_build(now, edit_name) == 0);
    INFO("after the rebuild");
    REQUIRE(broken_release(out) == "");
    TempDir clean;
    REQUIRE(wait_for(spawn(build_command(content, clean / "out", now), clean / "log")) == 0);
    REQUIRE(current_id(out) == current_id(clean / "out"));
    REQUIRE(test::read_text(out / "current/files.sha256") ==
            test::read_text(clean / "out/current/files.sha256"));
    REQUIRE(test::read_text(out / "current/search/docs.sha256") ==
            test::read_text(clean / "out/current/search/docs.sha256"));
  }
  std::string by_edit, by_stage;
  for (const auto& [k, v] : edits_killed) by_edit += " " + k + "=" + std::to_string(v);
  for (const auto& [k, v] : last_stage) by_stage += " " + k + "=" + std::to_string(v);
  std::printf(
      "SIGKILL test: %d builds killed, %d finished before their kill (seed %u); killed builds by "
      "edit:%s; by last "
      "stage done:%s\n",
      killed, finished_first, seed, by_edit.c_str(), by_stage.c_str());
  CHECK(killed >= points);
}

namespace {

// One system call of an strace -f -y log: its name, the line it started on and the one it
// ended on, and the text of its arguments (file descriptors shown with their paths by -y).
struct Call {
  std::string name, args;
  std::size_t start = 0, end = 0;
};

std::vector<Call> read_strace(const fs::path& log) {
  std::vector<Call> calls;
  std::map<std::string, std::size_t> open_by_pid;  // unfinished call of each thread
  std::istringstream in(read_file(log));
  std::size_t n = 0;
  for (std::string line; std::getline(in, line); ++n) {
    const std::size_t sp = line.find(' ');
    if (sp == std::string::npos) continue;
    const std::string pid = line.substr(0, sp);
    std::string rest = line.substr(line.find_first_not_of(' ', sp));
    if (rest.rfind("<... ", 0) == 0) {  // "<... write resumed>) = 5"
      auto it = open_by_pid.find(pid);
      if (it != open_by_pid.end()) {
        calls[it->second].end = n;
        calls[it->second].args += rest;
        open_by_pid.erase(it);
      }
      continue;
    }
    const std::size_t paren = rest.find('(');
    if (paren == std::string::npos || rest[0] == '+' || rest[0] == '-') continue;  // exits, signals
    Call c{rest.substr(0, paren), rest.substr(paren), n, n};
    if (rest.find("<unfinished ...>") != std::string::npos) open_by_pid[pid] = calls.size();
    calls.push_back(std::move(c));
  }
  return calls;
}

bool strace_available() { return wait_for(spawn({"strace", "-V"}, "/dev/null")) == 0; }

const char* k_strace_missing =
    "strace is needed for this test (Debian package strace; ./dev test installs it)";

// LeakSanitizer refuses to run under ptrace (strace), and aborts the traced build in the
// sanitizer suite: its children keep the other sanitizer options, without leak detection.
void no_leak_check_under_strace() {
  const char* asan = std::getenv("ASAN_OPTIONS");
  ::setenv("ASAN_OPTIONS",
           (std::string(asan ? asan : "") + (asan && *asan ? ":" : "") + "detect_leaks=0").c_str(),
           1);
}

}  // namespace

TEST_CASE(
    "sync order: a release is on disk before current points at it, and the swap is synced after") {
  if (!strace_available()) FAIL(k_strace_missing);
  no_leak_check_under_strace();
  TempDir dir;
  const fs::path content = real(dir) / "content", out = real(dir) / "output";
  write_site(content, 30);
  // Builds 1-5 make new folders (the first written, the next hard-linked to the current release,
  // its index copied and updated in place); from the sixth on, the oldest release is recycled.
  for (int b = 1; b <= 6; ++b) {
    INFO("build " << b);
    const fs::path f = content / "disclosure/2022/item-3.md";
    test::write_text(f, test::read_text(f) + "\n第" + std::to_string(b) + "次补充。\n");
    const fs::path trace = dir / ("strace-" + std::to_string(b) + ".log");
    std::vector<std::string> cmd = {
        "strace",
        "-f",
        "-y",
        "-qq",
        "-s",
        "0",
        "-o",
        trace.string(),
        "-e",
        "trace=syncfs,fsync,fdatasync,rename,renameat,renameat2,symlink,symlinkat,"
        "openat,open,creat,write,pwrite64,writev,pwritev,pwritev2,ftruncate,truncate,"
        "link,linkat,unlink,unlinkat,mkdir,mkdirat,rmdir,utimensat,copy_file_range,sendfile"};
    const auto build =
        build_command(content, out, "2022-03-15T1" + std::to_string(b) + ":00:00+08:00");
    cmd.insert(cmd.end(), build.begin(), build.end());
    REQUIRE(wait_for(spawn(cmd, dir / "build.log")) == 0);
    const std::string id = current_id(out);
    const std::string releases = (out / "releases").string(), final_dir = releases + "/" + id;
    const std::vector<Call> calls = read_strace(trace);
    // The release's working folder: the one renamed to its final name.
    std::string tmp;
    std::size_t named = 0;
    for (const Call& c : calls)
      if (c.name.rfind("rename", 0) == 0 &&
          c.args.find("\"" + final_dir + "\"") != std::string::npos) {
        const std::size_t q = c.args.find(releases + "/.tmp-");
        REQUIRE(q != std::string::npos);
        tmp = c.args.substr(q, c.args.find('"', q) - q);
        named = c.start;
      }
    REQUIRE_FALSE(tmp.empty());
    auto is_sync_of = [](const Call& c, const std::string& what, const std::string& path) {
      return c.name == what && c.args.find("<" + path + ">") != std::string::npos &&
             c.args.find("= 0") != std::string::npos;
    };
    std::size_t synced = 0, synced_end = 0, releases_synced = 0, swapped = 0, swap_end = 0,
                output_synced = 0, last_write = 0;
    int syncs = 0;
    const std::string output = out.string();
    for (const Call& c : calls) {
      if (is_sync_of(c, "syncfs", tmp)) {
        ++syncs;
        synced = c.start;
        synced_end = c.end;
      }
      if (is_sync_of(c, "fsync", releases) && c.start > named && !releases_synced)
        releases_synced = c.start;
      if (c.name.rfind("rename", 0) == 0 &&
          c.args.find("\"" + output + "/current.new\"") != std::string::npos &&
          c.args.find("\"" + output + "/current\"") != std::string::npos) {
        swapped = c.start;
        swap_end = c.end;
      }
      if (is_sync_of(c, "fsync", output) && swapped && c.start > swap_end) output_synced = c.start;
      // Everything that changes the release: writes to its files, new files, links, folders,
      // removals, times (and the link current.new, which the sync must cover too).
      const bool changes = c.name != "openat" && c.name != "open"
                               ? c.name.find("sync") == std::string::npos
                               : c.args.find("O_WRONLY") != std::string::npos ||
                                     c.args.find("O_RDWR") != std::string::npos ||
                                     c.args.find("O_CREAT") != std::string::npos;
      const bool in_release = c.args.find(tmp + "/") != std::string::npos ||
                              c.args.find(tmp + ">") != std::string::npos ||
                              c.args.find(final_dir + "/") != std::string::npos ||
                              c.args.find("\"" + output + "/current.new\"") != std::string::npos;
      if (changes && in_release && c.start != named && !(c.start == swapped))
        last_write = std::max(last_write, c.start);
    }
    INFO("working folder " << tmp << "; lines: last write " << last_write << ", syncfs " << synced
                           << "-" << synced_end << ", named " << named << ", releases fsynced "
                           << releases_synced << ", swap " << swapped << ", output fsynced "
                           << output_synced);
    CHECK(syncs == 1);
    CHECK(last_write > 0);
    CHECK(last_write < synced);  // every file, folder and link written before the sync
    CHECK(synced_end < named);   // named only once on disk
    CHECK(named < releases_synced);
    CHECK(releases_synced < swapped);
    CHECK(output_synced > swap_end);  // the swap itself made durable
  }
}

TEST_CASE(
    "sync failure: a release that cannot be synced is not published, and the build says why") {
  if (!strace_available()) FAIL(k_strace_missing);
  no_leak_check_under_strace();
  TempDir dir;
  const fs::path content = dir / "content", out = dir / "output";
  write_site(content, 5);
  REQUIRE(wait_for(spawn(build_command(content, out, "2022-03-15T10:00:00+08:00"), dir / "log")) ==
          0);
  const std::string before = current_id(out);
  const fs::path f = content / "disclosure/2022/item-3.md";
  test::write_text(f, test::read_text(f) + "\n补充。\n");
  // strace makes every syncfs(2) fail as a failing disk would (EIO).
  std::vector<std::string> cmd = {"strace",       "-f",        "-qq",
                                  "-o",           "/dev/null", "-e",
                                  "trace=syncfs", "-e",        "inject=syncfs:error=EIO"};
  const auto build = build_command(content, out, "2022-03-15T11:00:00+08:00");
  cmd.insert(cmd.end(), build.begin(), build.end());
  CHECK(wait_for(spawn(cmd, dir / "log")) == 2);
  const std::string log = test::read_text(dir / "log");
  INFO(log);
  CHECK(log.find("gongkai-build: cannot publish: syncfs of ") != std::string::npos);
  CHECK(log.find("Input/output error") != std::string::npos);
  CHECK(current_id(out) == before);
  CHECK_FALSE(fs::exists(fs::symlink_status(out / "current.new")));
  for (const auto& e : fs::directory_iterator(out / "releases")) {
    INFO(e.path());
    CHECK((e.path().filename().string() == before ||
           e.path().filename().string().rfind(".trash-", 0) == 0));
  }
  CHECK(broken_release(out) == "");
  // With the disk back, the same build publishes.
  REQUIRE(wait_for(spawn(build, dir / "log")) == 0);
  CHECK(current_id(out) != before);
  CHECK(broken_release(out) == "");
}
