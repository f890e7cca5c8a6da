#include "build.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>

#include "aggregates.hpp"
#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/text.hpp"
#include "indexer.hpp"
#include "loader.hpp"
#include "markdown.hpp"
#include "memo.hpp"
#include "page_memo.hpp"
#include "gongkai/parallel.hpp"
#include "publish.hpp"
#include "render.hpp"
#include "history.hpp"
#include "statutory.hpp"
#include "summary.hpp"
#include "gongkai/urls.hpp"
#include "theme.hpp"
#include "validate.hpp"

#ifndef GONGKAI_SOURCE_THEMES
#define GONGKAI_SOURCE_THEMES ""
#endif
#ifndef GONGKAI_INSTALLED_THEMES
#define GONGKAI_INSTALLED_THEMES ""
#endif

namespace gongkai::gen {

namespace fs = std::filesystem;

namespace {

class StageTimer {
 public:
  explicit StageTimer(const BuildOptions& o) : m_o(o), m_start(std::chrono::steady_clock::now()) {}
  void done(const std::string& stage, const std::string& what) {
    const auto now = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - m_start).count();
    m_start = now;
    if (m_o.progress) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%8.0f ms", ms);
      m_o.progress(std::string(buf) + "  " + stage + ": " + what);
    }
  }

 private:
  const BuildOptions& m_o;
  std::chrono::steady_clock::time_point m_start;
};

// What every page depends on outside the content: the generator and site.toml (in the memo
// key), the --base-url given and every file of the theme. (The renderer adds the site's view
// model, which every layout shows.)
std::string page_key(const std::string& memo_key, const fs::path& theme_dir, const Content& c) {
  Sha256 h;
  h.update(memo_key + "\n" + k_generator_version + "\n" + c.site.base_url + "\n");
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(theme_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file()) files.push_back(it->path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    const std::string bytes = read_file(f);
    h.update(f.lexically_relative(theme_dir).generic_string() + "\n" +
             std::to_string(bytes.size()) + "\n");
    h.update(bytes);
  }
  return h.hex();
}

}  // namespace

fs::path find_themes_dir(const fs::path& content_dir) {
  const fs::path beside = fs::absolute(content_dir).parent_path() / "themes";
  if (fs::is_directory(beside)) return beside;
  if (std::string(GONGKAI_INSTALLED_THEMES).size() && fs::is_directory(GONGKAI_INSTALLED_THEMES))
    return GONGKAI_INSTALLED_THEMES;
  return GONGKAI_SOURCE_THEMES;
}

DateTime build_clock(const std::optional<DateTime>& given) {
  if (given) return *given;
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde) {
    char* end = nullptr;
    const long long v = std::strtoll(sde, &end, 10);
    if (end && *end == '\0') return DateTime::from_epoch(v);
  }
  const auto now = std::chrono::system_clock::now();
  return DateTime::from_epoch(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

namespace {

// What every stage needs to know about where it runs.
struct Inputs {
  std::string prefix;  // of paths in diagnostics
  fs::path themes;
  DateTime now;
};

Inputs inputs_of(const BuildOptions& o) {
  return {o.display_prefix.empty() ? o.content_dir.generic_string() + "/" : o.display_prefix,
          o.themes_dir.empty() ? find_themes_dir(o.content_dir) : o.themes_dir, build_clock(o.now)};
}

// What the build reads from the server's database (--database): counts for the pages, never
// anything personal (aggregates.hpp). Nothing when no database was given.
struct Database {
  std::unique_ptr<StoreAggregates> store;
  std::map<std::string, ResponseCounts> responses;  // by consultation_id(), with a [result]

  explicit Database(const BuildOptions& o) {
    if (!o.database.empty())
      store = std::make_unique<StoreAggregates>(o.database, o.unit ? o.unit->id : "site");
  }
  ValidateInputs validate_inputs(const BuildOptions& o, const Inputs& in) {
    ValidateInputs v{o.content_dir, in.prefix, in.now, o.threads, {}};
    if (store) v.application_table = [this](int year) { return store->applications(year); };
    return v;
  }
  // The consultations with a result, read before their pages are rendered on many threads.
  void read_responses(const Content& c) {
    if (!store) return;
    for (const Item& it : c.items)
      if (it.section == Section::consultations && it.result && it.is_public())
        responses[consultation_id(it)] = store->responses(consultation_id(it));
  }
};

// What a build takes from the last one and leaves for the next (see memo.hpp): the item memo
// (OUTPUT/cache/items.memo) and the page memo of the current release (OUTPUT/cache/pages).
// A build that publishes nothing starts with an empty one and saves nothing.
struct Incremental {
  fs::path memo_file, pages_file;  // empty: nothing is saved
  std::string memo_key;
  Memo memo;
  std::size_t remembered = 0;          // entries in the memo as loaded
  std::vector<ItemRecord> records;     // aligned with Content::items: what this build learnt
  PageMemo pages_before;               // the current release's pages (empty when not theirs)
  PageMemo pages_after;                // this build's
  std::vector<std::string> item_keys;  // aligned with Content::items (memo.hpp item_inputs_key)

  bool memo_changed() const {
    if (memo_file.empty()) return false;
    bool changed = remembered != records.size();
    for (const ItemRecord& r : records) changed = changed || !r.from_memo || r.updated;
    return changed;
  }
  void save_memo(const Content& c) { memo.save(memo_file, memo_key, c, records); }
  void save_pages(const std::string& release) {
    pages_after.release = release;
    pages_after.save(pages_file);
  }
};

Incremental recall(const BuildOptions& o, const Inputs& in, const ReleaseFiles& current) {
  Incremental inc;
  inc.memo_file = o.output_dir / "cache" / "items.memo";
  inc.pages_file = o.output_dir / "cache" / "pages";
  inc.memo_key = Memo::key_for(o.content_dir, in.prefix + "\n" + urls::root());
  if (!o.use_memo) return inc;
  inc.memo = Memo::load(inc.memo_file, inc.memo_key, o.threads);
  inc.remembered = inc.memo.size();
  if (current.manifest) {
    inc.pages_before = PageMemo::load(inc.pages_file);
    if (inc.pages_before.release != current.root.filename().string()) inc.pages_before = {};
  }
  return inc;
}

Content load_stage(const BuildOptions& o, const Inputs& in, Incremental& inc, Diagnostics& diags) {
  markdown_init();
  Content content = load_content(
      {o.content_dir, in.prefix, in.themes, o.threads, &inc.memo, &inc.records}, diags);
  const std::string& base_url = o.platform ? o.platform->base_url : o.base_url;
  if (!base_url.empty()) {
    content.site.base_url = base_url;
    if (content.site.base_url.back() != '/') content.site.base_url += '/';
  }
  for (Item& it : content.items)  // future-dated items wait for a build on or after their date
    if (it.has_published && in.now < it.published) it.scheduled = true;
  return content;
}

std::string load_summary(const Content& c, const Incremental& inc) {
  std::size_t remembered = 0;
  for (const ItemRecord& r : inc.records) remembered += r.from_memo;
  return std::to_string(c.items.size()) + " files (" + std::to_string(remembered) +
         " unchanged, from the memo), " + std::to_string(c.lists.size()) + " responsibility lists";
}

std::string diagnostics_summary(const Diagnostics& d) {
  return std::to_string(d.error_count()) + " errors, " + std::to_string(d.warning_count()) +
         " warnings";
}

// `inc` given: pages whose inputs are the current release's are taken from it (see PageMemo).
RenderOptions render_options(const BuildOptions& o, const Inputs& in, const Content& content,
                             const Database& db, Incremental* inc) {
  RenderOptions ro;
  if (db.store) ro.responses = &db.responses;
  ro.now = in.now;
  ro.content_dir = o.content_dir;
  ro.threads = o.threads;
  if (inc) {
    inc->item_keys.assign(content.items.size(), {});
    parallel_for(content.items.size(), o.threads, [&](std::size_t i, std::size_t) {
      inc->item_keys[i] = item_inputs_key(content.items[i], inc->records[i]);
    });
    ro.item_keys = &inc->item_keys;
    ro.page_key = page_key(inc->memo_key, in.themes / content.site.theme, content);
    ro.pages_before = inc->pages_before.by_url.empty() ? nullptr : &inc->pages_before;
    ro.pages_after = &inc->pages_after;
  }
  if (o.git_history) ro.history = list_history(content, o.content_dir);
  if (o.platform && o.unit) {
    ro.platform = &*o.platform;
    ro.unit = &*o.unit;
  }
  return ro;
}

std::size_t html_pages(const OutputTree& out) {
  std::size_t n = 0;
  for (const std::string& p : out.paths())
    if (ends_with(p, ".html") && !starts_with(p, k_server_prefix) &&
        !starts_with(p, k_wechat_prefix))
      ++n;
  return n;
}

std::string index_summary(const IndexStats& st) {
  const std::string how =
      st.in_place ? std::string(st.copied ? "copied from the current release and "
                                          : "the recycled release's ") +
                        "updated in place, " + std::to_string(st.written) + " written and " +
                        std::to_string(st.removed) + " deleted"
                  : std::to_string(st.written) + " written afresh in " + std::to_string(st.parts) +
                        " parts by the " + index_writer_name(st.writer) + " writer in " +
                        std::to_string(static_cast<int>(st.write_ms)) + " ms, " +
                        std::to_string(static_cast<int>(st.cpu_ms)) + " ms of CPU";
  return std::to_string(st.documents) + " documents: " + how + " (" +
         std::to_string(static_cast<int>(st.total_ms)) + " ms alongside the pages)";
}

// Work on a thread of its own from here until wait(); nothing when `run` is false. A future
// left unwaited (a stage threw) is waited for when it goes out of scope.
template <class F>
auto in_background(bool run, F work) {
  return run ? std::async(std::launch::async, std::move(work)) : std::future<decltype(work())>{};
}
template <class T>
T wait(std::future<T>& f) {
  if (!f.valid()) return T{};
  return f.get();
}
void wait(std::future<void>& f) {
  if (f.valid()) f.get();
}

// Every URL of a platform's unit starts with its prefix while it is built (urls::set_root).
class RootScope {
 public:
  explicit RootScope(const BuildOptions& o) {
    if (o.unit) urls::set_root(o.unit->prefix);
  }
  ~RootScope() { urls::set_root("/"); }
  RootScope(const RootScope&) = delete;
  RootScope& operator=(const RootScope&) = delete;
};

// server/unit.json: what the platform pages learn of a unit (summary.hpp).
void add_unit_summary(const BuildOptions& o, const Content& content, const Listing& listing,
                      const Diagnostics& diags, const DateTime& now, OutputTree& out) {
  if (!o.unit) return;
  const std::string json =
      contract::unit_summary_json(summarize_unit(content, listing, diags, *o.unit, now));
  if (!o.summary_file.empty()) write_file(o.summary_file, json);
  out.add(contract::server_tree_path(contract::k_unit_file), json);
}

}  // namespace

bool build_tree(const BuildOptions& o, Content& content, OutputTree& out, Diagnostics& diags) {
  const RootScope root(o);
  StageTimer timer(o);
  const Inputs in = inputs_of(o);
  Database db(o);
  Incremental nothing;
  content = load_stage(o, in, nothing, diags);
  timer.done("load", load_summary(content, nothing));
  const auto reports = validate_content(content, db.validate_inputs(o, in), nothing.records, diags);
  timer.done("validate", diagnostics_summary(diags));
  Theme theme;
  if (diags.has_errors() || !theme.load(in.themes / content.site.theme, diags)) return false;
  db.read_responses(content);
  const Listing listing = list_items(content);
  render_pages(content, listing, theme, render_options(o, in, content, db, nullptr), out);
  timer.done("pages", std::to_string(out.size()) + " files");
  render_channels(content, listing, in.now, o.wechat_days, reports, out);
  add_unit_summary(o, content, listing, diags, in.now, out);
  timer.done("channels", std::to_string(out.size()) + " files in all");
  return true;
}

// The pipeline. Each stage is one line and is timed; the index and the item memo are written on
// threads of their own while the pages and channel files are rendered (the two in_background
// lines), and publishing waits for both.
BuildResult build(const BuildOptions& o) {
  BuildResult r;
  if (!fs::is_directory(o.content_dir)) {
    r.exit_code = 2;
    r.environment_error =
        "content folder " + o.content_dir.string() + " does not exist (内容目录不存在)";
    return r;
  }
  Content content;
  if (o.check_only) {  // every stage but publishing, into a tree that keeps no bytes
    OutputTree out = OutputTree::discarding();
    try {
      if (!build_tree(o, content, out, r.diagnostics)) r.exit_code = 1;
    } catch (const std::exception& e) {
      r.exit_code = 2;
      r.environment_error = e.what();
    }
    r.files = out.size();
    r.pages = html_pages(out);
    return r;
  }
  const RootScope root(o);
  try {
    StageTimer timer(o);
    const Inputs in = inputs_of(o);
    Database db(o);  // before anything is written: a database that cannot be read stops here
    Publisher release(o.output_dir, in.now, {o.keep_releases, o.recycle, o.sync});
    Incremental inc = recall(o, in, release.previous());
    timer.done("memo", std::to_string(inc.remembered) + " items and " +
                           std::to_string(inc.pages_before.by_url.size()) + " pages remembered");
    content = load_stage(o, in, inc, r.diagnostics);
    timer.done("load", load_summary(content, inc));
    const auto reports =
        validate_content(content, db.validate_inputs(o, in), inc.records, r.diagnostics);
    timer.done("validate", diagnostics_summary(r.diagnostics));
    Theme theme;
    if (r.diagnostics.has_errors() || !theme.load(in.themes / content.site.theme, r.diagnostics)) {
      r.exit_code = 1;
      return r;
    }
    db.read_responses(content);
    if (db.store)
      timer.done("database", "table 三 of " + std::to_string(reports.size()) +
                                 " years and the responses of " +
                                 std::to_string(db.responses.size()) + " consultations read");
    OutputTree out = release.open_tree(o.write_index);
    auto index = in_background(o.write_index, [&] {
      return write_search_index(content, release.index_dir(), o.threads, release.previous_index(),
                                o.index_writer);
    });
    auto memo = in_background(inc.memo_changed(), [&] { inc.save_memo(content); });
    const Listing listing = list_items(content);
    render_pages(content, listing, theme, render_options(o, in, content, db, &inc), out);
    timer.done("pages", std::to_string(out.size()) + " files");
    render_channels(content, listing, in.now, o.wechat_days, reports, out);
    add_unit_summary(o, content, listing, r.diagnostics, in.now, out);
    out.finish();
    timer.done("channels", std::to_string(out.size()) + " files in all, release folder complete");
    const IndexStats st = wait(index);
    if (!st.warning.empty()) r.diagnostics.warning("search", 0, 0, st.warning);
    if (o.write_index) timer.done("index", index_summary(st));
    wait(memo);
    timer.done("memo",
               inc.memo_changed() ? "cache/items.memo updated" : "cache/items.memo unchanged");
    r.files = out.size();
    r.pages = html_pages(out);
    r.documents = st.documents;
    r.release_id =
        release.publish(out, {in.now, o.build_id, r.documents, r.pages, content.site.base_url});
    inc.save_pages(r.release_id);
    timer.done("publish", release.summary(out));
  } catch (const Publisher::NotDurable& e) {
    r.exit_code = 2;
    r.environment_error = e.what();
  } catch (const DatabaseError& e) {
    r.exit_code = 2;
    r.environment_error = e.what();
  } catch (const std::exception& e) {
    r.exit_code = 2;
    r.environment_error =
        std::string("cannot publish: ") + e.what() + " (发布失败，原网站保持不变)";
  }
  return r;
}

}  // namespace gongkai::gen
