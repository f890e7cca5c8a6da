// gongkai-build: parses arguments and runs the build pipeline (build.cpp).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <filesystem>
#include <vector>

#include "build.hpp"
#include "platform.hpp"
#include "gongkai/version.hpp"
#include "scaffold.hpp"

namespace {

const char* k_usage =
    "usage: gongkai-build new disclosure|notice|consultation|page PATH --title TITLE [--content "
    "DIR]\n"
    "       gongkai-build [--content DIR] [--output DIR] [--now ISO8601] [--base-url URL] "
    "[--quiet]\n"
    "                     [--verbose] [--check] [--build-id ID] [--themes DIR] [--no-index] "
    "[--no-history]\n"
    "                     [--wechat-days N] [--index-writer direct|xapian|auto] [--database URL]\n"
    "                     [--unit ID]... [--jobs N] [--threads N]\n"
    "\n"
    "Builds the content folder into a static site and a search index, and publishes it\n"
    "atomically as OUTPUT/releases/<id>, with OUTPUT/current pointing at it.\n"
    "\n"
    "  --content DIR   content folder (default: content)\n"
    "  --output DIR    output folder (default: output)\n"
    "  --now TIME      the build's clock, e.g. 2022-03-15T10:00:00+08:00 (default: "
    "SOURCE_DATE_EPOCH or now)\n"
    "  --base-url URL  overrides base_url of site.toml\n"
    "  --quiet         print only errors and warnings\n"
    "  --verbose       print a line per stage even when stderr is not a terminal\n"
    "  --check         validate everything, publish nothing\n"
    "  --build-id ID   name of the release folder (default: <time>-<digest>)\n"
    "  --themes DIR    folder holding themes (default: themes/ beside the content folder)\n"
    "  --no-index      skip the search index\n"
    "  --index-writer direct|xapian|auto\n"
    "                  who writes a full search index: direct (default; stops the build if\n"
    "                  this Xapian's glass format is not the one it writes), xapian (Xapian's\n"
    "                  own writer, slower), or auto (direct, else xapian with a warning)\n"
    "  --no-history    do not read the 权责清单 history from git\n"
    "  --wechat-days N WeChat article exports for items of the last N days (default 90; 0: all)\n"
    "  --database URL  the server's database (sqlite:/path/file.db or postgresql://...): the\n"
    "                  annual reports' table 三 and the consultations' response counts are\n"
    "                  counted from it (counts only; nothing personal is published). Without\n"
    "                  it the reports say table 三 is not computed\n"
    "\n"
    "  --unit ID       a platform (DIR/platform.toml, docs/platform.md): build only this unit,\n"
    "                  then the platform pages (repeatable)\n"
    "  --jobs N        a platform: units built at once (default: one per core)\n"
    "  --threads N     worker threads of one build (default 2)\n"
    "\n"
    "A content folder holding platform.toml is a district platform: each unit is built by a\n"
    "gongkai-build of its own into OUTPUT/units/<id>, then the platform pages into\n"
    "OUTPUT/platform; a unit with errors keeps its last release while the others publish.\n"
    "\n"
    "Exit codes: 0 built (warnings allowed), 1 content errors, 2 usage or environment problem.\n";

// A platform: its units by child builds, then its pages; prints each unit's outcome.
int build_platform(const gongkai::gen::BuildOptions& o, const std::string& platform_file,
                   const std::vector<std::string>& units, const std::vector<std::string>& unit_args,
                   int jobs, bool quiet) {
  using namespace gongkai;
  gen::PlatformBuildOptions po;
  po.platform_file = platform_file;
  po.output_dir = o.output_dir;
  po.themes_dir = o.themes_dir;
  std::error_code ec;
  po.builder = std::filesystem::read_symlink("/proc/self/exe", ec);
  po.now = gen::build_clock(o.now);
  po.check_only = o.check_only;
  po.only = units;
  po.jobs = jobs;
  po.unit_args = unit_args;
  if (o.progress) po.progress = o.progress;
  const gen::PlatformBuildResult r = gen::build_platform(po);
  for (const auto& d : r.diagnostics.sorted()) std::cerr << d.to_string() << "\n";
  if (r.units.empty() && r.exit_code != 0) {
    if (!r.environment_error.empty())
      std::cerr << "gongkai-build: " << r.environment_error << "\n";
    else
      std::cerr << "gongkai-build: platform.toml has errors; nothing was built (平台配置有错误)\n";
    return r.exit_code;
  }
  std::size_t built = 0, unchanged = 0;
  std::string failed;
  for (const auto& u : r.units) {
    std::cerr << u.output;
    if (u.skipped)
      ++unchanged;
    else if (u.exit_code == 0)
      ++built;
    else
      failed += (failed.empty() ? "" : ", ") + u.id;
    if (u.exit_code != 0)
      std::cerr << "gongkai-build: unit " << u.id << " (" << u.name << ") failed"
                << (o.check_only
                        ? ""
                        : "; its last release stays published (该单位未发布，保留上次发布内容)")
                << "\n";
  }
  if (o.check_only) std::cerr << r.inspection_text;
  if (!r.environment_error.empty()) std::cerr << "gongkai-build: " << r.environment_error << "\n";
  if (!quiet || r.exit_code != 0) {
    std::cerr << "gongkai-build: platform: " << r.units.size() << " unit(s): "
              << (o.check_only ? ""
                               : std::to_string(built) + " built, " + std::to_string(unchanged) +
                                     " unchanged, ")
              << (failed.empty() ? "none failed" : "failed: " + failed);
    if (!r.platform_release.empty()) std::cerr << "; platform pages release " << r.platform_release;
    std::cerr << "\n";
  }
  return r.exit_code;
}

}  // namespace

#ifdef GONGKAI_JEMALLOC
// gongkai-build allocates with jemalloc. With glibc's malloc, ~40 % of a 50,000-item build went
// into the allocator's own bookkeeping (_int_malloc, unlink_chunk, malloc_consolidate) and its
// cost grew faster than the site. Measured on this project's 2-core VM: 10,000 items 13.6-14.8 s
// -> 10.3-11.5 s, 50,000 items 74-77 s -> 62 s. A build is one short batch, so freed memory is
// kept for reuse instead of being handed back to the kernel (fresh pages are expensive on small
// VMs), and jemalloc's extents may use transparent huge pages.
extern "C" const char* malloc_conf;
const char* malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1,thp:always";
void prefer_huge_pages(char**) {}
#else
// Without jemalloc (sanitizer builds): a build touches a few hundred megabytes of fresh memory,
// and on small virtual machines each 4 KiB page fault is expensive: glibc's malloc may back its
// arenas with transparent huge pages (tunable glibc.malloc.hugetlb, glibc >= 2.35), which the
// process can only ask for at start. GLIBC_TUNABLES set by the caller wins.
void prefer_huge_pages(char** argv) {
  if (std::getenv("GLIBC_TUNABLES")) return;
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
}
#endif

int main(int argc, char** argv) {
  using namespace gongkai;
  prefer_huge_pages(argv);
  if (argc >= 2 && std::string(argv[1]) == "new") {
    // gongkai-build new KIND PATH --title "…" [--content DIR]
    std::string kind, path, title, content = "content";
    for (int i = 2; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--title" && i + 1 < argc)
        title = argv[++i];
      else if (a == "--content" && i + 1 < argc)
        content = argv[++i];
      else if (kind.empty())
        kind = a;
      else if (path.empty())
        path = a;
      else {
        std::cerr << "gongkai-build new: unexpected argument " << a << "\n";
        return 2;
      }
    }
    if (kind.empty() || path.empty()) {
      std::cerr << "usage: gongkai-build new disclosure|notice|consultation|page PATH --title "
                   "\"标题\" [--content DIR]\n";
      return 2;
    }
    const auto r = gen::scaffold(content, kind, path, title, gen::build_clock(std::nullopt));
    (r.exit_code == 0 ? std::cout : std::cerr) << "gongkai-build new: " << r.message << "\n";
    return r.exit_code;
  }
  gen::BuildOptions o;
  bool quiet = false, verbose = false, content_given = false;
  std::string platform_file;           // --platform: build one unit of it (the platform's children)
  std::vector<std::string> units;      // --unit
  std::vector<std::string> unit_args;  // passed on to a platform's unit builds
  int jobs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "gongkai-build: " << name << " needs a value\n" << k_usage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << k_usage;
      return 0;
    } else if (a == "--version") {
      std::cout << "gongkai-build " << k_version << "\n";
      return 0;
    } else if (a == "--content") {
      o.content_dir = value("--content");
      content_given = true;
    } else if (a == "--platform") {
      platform_file = value("--platform");
    } else if (a == "--unit") {
      units.push_back(value("--unit"));
    } else if (a == "--summary") {
      o.summary_file = value("--summary");
    } else if (a == "--threads" || a == "--jobs") {
      const std::string v = value(a.c_str());
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || !end || *end || n < 1 || n > 256) {
        std::cerr << "gongkai-build: " << a << " must be a whole number from 1 to 256\n";
        return 2;
      }
      (a == "--jobs" ? jobs : o.threads) = static_cast<int>(n);
    } else if (a == "--output") {
      o.output_dir = value("--output");
    } else if (a == "--now") {
      const std::string v = value("--now");
      o.now = DateTime::parse(v);
      if (!o.now) {
        std::cerr << "gongkai-build: --now \"" << v
                  << "\" is not a date or date-time such as 2022-03-15T10:00:00+08:00\n";
        return 2;
      }
    } else if (a == "--base-url") {
      o.base_url = value("--base-url");
    } else if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else if (a == "--quiet" || a == "-q") {
      quiet = true;
    } else if (a == "--check") {
      o.check_only = true;
    } else if (a == "--build-id") {
      o.build_id = value("--build-id");
      if (o.build_id.empty() || o.build_id.find_first_of("/\\") != std::string::npos ||
          o.build_id[0] == '.') {
        std::cerr << "gongkai-build: --build-id must be a plain folder name\n";
        return 2;
      }
    } else if (a == "--themes") {
      o.themes_dir = value("--themes");
    } else if (a == "--wechat-days") {
      const std::string v = value("--wechat-days");
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || !end || *end || n < 0 || n > 100000) {
        std::cerr
            << "gongkai-build: --wechat-days must be a whole number of days (0: every item)\n";
        return 2;
      }
      o.wechat_days = static_cast<int>(n);
      unit_args.insert(unit_args.end(), {"--wechat-days", v});
    } else if (a == "--index-writer" || a.rfind("--index-writer=", 0) == 0) {
      const std::string v =
          a == "--index-writer" ? value("--index-writer") : a.substr(a.find('=') + 1);
      const auto writer = gen::parse_index_writer(v);
      if (!writer) {
        std::cerr << "gongkai-build: --index-writer must be direct, xapian or auto, not \"" << v
                  << "\"\n";
        return 2;
      }
      o.index_writer = *writer;
      unit_args.insert(unit_args.end(), {"--index-writer", v});
    } else if (a == "--database") {
      o.database = value("--database");
      if (o.database.empty()) {
        std::cerr
            << "gongkai-build: --database needs a URL such as sqlite:/srv/gongkai/data/store.db\n";
        return 2;
      }
      unit_args.insert(unit_args.end(), {"--database", o.database});
    } else if (a == "--no-history") {
      o.git_history = false;
      unit_args.push_back("--no-history");
    } else if (a == "--no-index") {
      o.write_index = false;
      unit_args.push_back("--no-index");
    } else {
      std::cerr << "gongkai-build: unknown argument " << a << "\n" << k_usage;
      return 2;
    }
  }
  if (verbose || (!quiet && ::isatty(STDERR_FILENO)))
    o.progress = [](const std::string& line) { std::cerr << line << "\n"; };

  // Measuring what the sync costs (bench/sync-cost) is the only use: a release published this
  // way may be torn by a power cut.
  if (const char* v = std::getenv("GONGKAI_NO_SYNC"); v && std::string(v) == "1") o.sync = false;

  if (platform_file.empty() &&
      std::filesystem::is_regular_file(o.content_dir / contract::k_platform_toml))
    return build_platform(o, (o.content_dir / contract::k_platform_toml).string(), units, unit_args,
                          jobs, quiet);
  if (!units.empty() && platform_file.empty()) {
    std::cerr << "gongkai-build: --unit needs a platform: " << o.content_dir.string()
              << " has no platform.toml\n";
    return 2;
  }
  if (!platform_file.empty()) {  // one unit of a platform: what the platform build runs
    if (units.size() != 1) {
      std::cerr << "gongkai-build: --platform needs exactly one --unit\n";
      return 2;
    }
    Diagnostics diags;
    const auto pc = gen::load_platform(platform_file, platform_file, diags);
    for (const auto& d : diags.sorted()) std::cerr << d.to_string() << "\n";
    if (!pc) return 1;
    for (std::size_t i = 0; i < pc->index.units.size(); ++i)
      if (pc->index.units[i].id == units[0]) {
        o.platform = pc->index.identity;
        o.unit = pc->index.units[i];
        if (!content_given) o.content_dir = pc->content[i];
      }
    if (!o.unit) {
      std::cerr << "gongkai-build: " << platform_file << " names no unit " << units[0] << "\n";
      return 2;
    }
  }
  const gen::BuildResult r = gen::build(o);
  for (const auto& d : r.diagnostics.sorted()) std::cerr << d.to_string() << "\n";
  if (r.exit_code == 2) {
    std::cerr << "gongkai-build: " << r.environment_error << "\n";
    return 2;
  }
  if (r.exit_code == 1) {
    std::cerr << "gongkai-build: " << r.diagnostics.error_count() << " error(s), "
              << r.diagnostics.warning_count()
              << " warning(s); nothing was published (有错误，未发布)\n";
    return 1;
  }
  if (!quiet) {
    if (o.check_only)
      std::cerr << "gongkai-build: check passed: " << r.pages << " pages, "
                << r.diagnostics.warning_count() << " warning(s)\n";
    else
      std::cerr << "gongkai-build: published release " << r.release_id << ": " << r.pages
                << " pages, " << r.files << " files, " << r.documents << " search documents, "
                << r.diagnostics.warning_count() << " warning(s)\n";
  }
  return 0;
}
