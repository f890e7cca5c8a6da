// The build pipeline: load → validate → render pages → channel files → index → publish.
// A build either publishes a complete new release and swaps `current` to it, or leaves the
// output folder exactly as it was.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "gongkai/content.hpp"
#include "gongkai/datetime.hpp"
#include "gongkai/diagnostics.hpp"
#include "gongkai/platform.hpp"
#include "indexer.hpp"
#include "output.hpp"

namespace gongkai::gen {

struct BuildOptions {
  std::filesystem::path content_dir = "content";
  std::filesystem::path output_dir = "output";
  std::filesystem::path themes_dir;  // empty: found next to the content folder or installed
  std::string display_prefix;        // prefix of paths in diagnostics; default: content_dir + "/"
  std::optional<DateTime> now;       // the build's clock; default: SOURCE_DATE_EPOCH or wall clock
  std::string base_url;              // overrides site.toml's base_url when set
  std::string build_id;              // release folder name; default: <now>-<digest>
  bool check_only = false;           // validate everything, publish nothing
  bool write_index = true;           // the Xapian index
  IndexWriter index_writer = IndexWriter::direct;  // who writes a full index (--index-writer)
  bool git_history = true;  // 权责清单 history from the content folder's git repository
  int threads = 2;          // parallel workers (rendering, indexing)
  int wechat_days = 90;     // WeChat article exports: items of the last N days (0: all)
  int keep_releases = 5;    // releases kept for rollback (at least 2)
  bool recycle = true;      // rewrite the release about to be pruned instead of a new folder
  bool use_memo =
      true;          // take unchanged files from OUTPUT/cache/items.memo, pages from cache/pages
  bool sync = true;  // the release on disk before `current` swaps (off: benchmarks only,
                     // gongkai-build with GONGKAI_NO_SYNC=1)
  std::function<void(const std::string&)> progress;  // a line per stage, or nothing
  // A platform's unit (docs/platform.md): every URL under unit->prefix, the platform's base_url
  // and identity on every page, and server/unit.json in the release. Both or neither.
  std::optional<contract::PlatformIdentity> platform;
  std::optional<contract::UnitRef> unit;
  std::filesystem::path summary_file;  // the unit's summary also written here (--summary)
  // The server's database (--database: "sqlite:/path", "postgresql://…"): table 三 of the annual
  // reports and the consultations' response counts are read from it, aggregates only, for the
  // unit being built ("site", or unit->id). Empty: no database; the reports say table 三 is not
  // computed and the consultations show no counts.
  std::string database;
};

struct BuildResult {
  int exit_code = 0;  // 0 built, 1 content errors, 2 environment problem
  Diagnostics diagnostics;
  std::string environment_error;  // one sentence when exit_code == 2
  std::string release_id;
  std::size_t pages = 0, files = 0, documents = 0;
};

// Loads, validates and renders into `out` without publishing or remembering anything (tests,
// the fuzzers and --check). Returns false when diagnostics hold errors.
bool build_tree(const BuildOptions& options, Content& content, OutputTree& out, Diagnostics& diags);

// load → validate → render pages → channel files, with the index and the item memo written
// alongside → publish (see build.cpp).
BuildResult build(const BuildOptions& options);

std::filesystem::path find_themes_dir(const std::filesystem::path& content_dir);
DateTime build_clock(const std::optional<DateTime>& given);

}  // namespace gongkai::gen
