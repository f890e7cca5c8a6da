#include "build.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <set>

#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/search_schema.hpp"
#include "gongkai/text.hpp"
#include "index_no.hpp"
#include "indexer.hpp"
#include "loader.hpp"
#include "markdown.hpp"
#include "parallel.hpp"
#include "publish.hpp"
#include "render.hpp"
#include "history.hpp"
#include "statutory.hpp"
#include "theme.hpp"

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

void add_attachments(Item& it, const std::vector<std::string>& linked_targets, const std::set<std::string>& attachments) {
  std::set<std::string> seen;
  for (const std::string& t : linked_targets) {
    if (!attachments.count(t) || !seen.insert(t).second) continue;
    Attachment a;
    a.source = t;
    a.url = "/" + url_encode_path(t);
    a.name = fs::path(t).filename().string();
    it.attachments.push_back(a);  // size is filled in by the caller, who knows the folder
  }
}

// Renders every Markdown body but drafts', resolving relative links to published URLs. An item
// taken from the memo keeps its rendered body when every link it has resolves as before.
// Scheduled items are rendered and their links checked like live ones (a link from any item
// to a scheduled one resolves to the page that appears on its date; to a draft, it is an error).
void render_markdown_stage(Content& c, const fs::path& content_dir, const std::string& prefix, const std::map<int, YearReport>& reports,
                           int threads, std::vector<ItemRecord>* records, Diagnostics& diags) {
  std::map<std::string, const Item*> by_source;
  for (const Item& it : c.items) by_source[it.source] = &it;
  const std::set<std::string> attachments(c.attachments.begin(), c.attachments.end());
  LinkResolver resolve = [&](const std::string& target, std::string& why) -> std::optional<std::string> {
    if (ends_with(target, ".md")) {
      auto it = by_source.find(target);
      if (it == by_source.end()) { why = "no such file in the content folder"; return std::nullopt; }
      if (it->second->draft) { why = "it is a draft and is never published"; return std::nullopt; }
      return it->second->url;
    }
    if (attachments.count(target)) return "/" + url_encode_path(target);
    for (const char* section : {"disclosure", "notices", "consultations", "responsibilities"})
      if (target == section) return "/" + target + "/";  // the generated section pages
    if (starts_with(target, "responsibilities/") && ends_with(target, ".toml")) {
      const std::string dept = target.substr(17, target.size() - 22);
      for (const auto& l : c.lists)
        if (l.department == dept) return "/responsibilities/" + dept + "/";
    }
    for (const char* idx : {"/index.md", "/_index.md"}) {
      auto it = by_source.find(target + idx);
      if (it != by_source.end() && !it->second->draft) return it->second->url;
    }
    why = "no such file in the content folder";
    return std::nullopt;
  };
  auto answer = [](const std::optional<std::string>& url, const std::string& why) { return url ? *url : "\x01" + why; };
  // Bodies are rendered on every core; each worker has its own diagnostics.
  std::vector<Diagnostics> worker_diags(static_cast<std::size_t>(std::max(1, threads)));
  parallel_for(c.items.size(), threads, [&](std::size_t i, std::size_t w) {
    Item& it = c.items[i];
    if (it.draft) return;
    ItemRecord* rec = records ? &(*records)[i] : nullptr;
    if (rec && rec->from_memo) {
      bool same = rec->markdown_done;
      for (std::size_t k = 0; same && k < rec->links.size(); ++k) {
        std::string why;
        const auto url = resolve(rec->links[k].first, why);
        same = answer(url, why) == rec->links[k].second;
      }
      it.attachments.clear();
      if (same) {
        for (const Diagnostic& x : rec->markdown_diags) worker_diags[w].add(x);
        add_attachments(it, rec->linked_targets, attachments);
        return;
      }
      // A link answers differently now (or the body has shortcodes): render it again.
      it.markdown = split_front_matter(strip_bom(read_file(content_dir / it.source))).body;
      if (rec->summary_generated) it.summary.clear();
    }
    std::vector<std::pair<std::string, std::string>> log;
    const LinkResolver recording = [&](const std::string& target, std::string& why) {
      auto url = resolve(target, why);
      log.emplace_back(target, answer(url, why));
      return url;
    };
    const std::string markdown = expand_shortcodes_before(it.markdown);
    MarkdownInput in;
    in.markdown = &markdown;
    in.source = it.source;
    in.display_path = prefix + it.source;
    in.first_line = it.body_line;
    Diagnostics mine;
    MarkdownOutput out = render_markdown(in, recording, mine);
    worker_diags[w].merge(mine);
    it.html = expand_shortcodes_after(out.html, reports);
    const bool summary_generated = it.summary.empty();
    if (summary_generated) it.summary = truncate_chars(out.first_paragraph, 200);
    add_attachments(it, out.linked_targets, attachments);
    if (rec) {
      rec->updated = true;
      rec->markdown_done = it.html == out.html;  // annual-report shortcodes change with other items
      rec->summary_generated = summary_generated;
      rec->markdown_diags = mine.all();
      rec->links = std::move(log);
      rec->linked_targets = std::move(out.linked_targets);
    }
    it.text = std::move(out.text);
    // Rendered: the body is not needed again (but for a penalty's table, read by the privacy
    // check). Freed now rather than after every body is rendered, so that the bodies, their
    // HTML and their text are never all held at once: fresh memory is what a large build
    // spends most on after the index (clear_page was a quarter of a 50,000-item --check).
    if (!it.penalty) std::string().swap(it.markdown);
  });
  for (const Diagnostics& d : worker_diags) diags.merge(d);
  for (auto& l : c.lists) {
    for (auto& r : l.items) {
      MarkdownInput in;
      in.markdown = &r.basis;
      in.source = l.source;
      in.display_path = prefix + l.source;
      in.inline_only = true;
      r.basis_html = render_markdown(in, resolve, diags).html;
    }
  }
}

// The privacy scan of every item but drafts (reading its file), unless the memo has it.
// Scheduled items are scanned too, in every build and in --check: the build that makes one
// live (the unattended hourly refresh) must not be the first to find its personal data. The
// result depends only on the file, never on the clock, so the memo's is right on either side
// of the item's date.
void privacy_stage(const Content& c, const fs::path& content_dir, const std::string& prefix, int threads,
                   std::vector<ItemRecord>* records, Diagnostics& diags) {
  std::vector<Diagnostics> worker_diags(static_cast<std::size_t>(std::max(1, threads)));
  parallel_for(c.items.size(), threads, [&](std::size_t i, std::size_t w) {
    const Item& it = c.items[i];
    if (it.draft) return;
    ItemRecord* rec = records ? &(*records)[i] : nullptr;
    if (rec && rec->from_memo && rec->privacy_done) {
      for (const Diagnostic& x : rec->privacy_diags) worker_diags[w].add(x);
      return;
    }
    Diagnostics mine;
    privacy_check_item(it, content_dir, prefix, mine);
    worker_diags[w].merge(mine);
    if (rec) {
      rec->updated = true;
      rec->privacy_done = true;
      rec->privacy_diags = mine.all();
    }
  });
  for (const Diagnostics& d : worker_diags) diags.merge(d);
  privacy_check_others(c, content_dir, prefix, diags);
}

// What every page depends on outside the content: the generator and site.toml (in the memo
// key), the --base-url given and every file of the theme. (The renderer adds the site's view
// model, which every layout shows.)
std::string page_key(const std::string& memo_key, const fs::path& theme_dir, const Content& c) {
  Sha256 h;
  h.update(memo_key + "\n" + k_generator_version + "\n" + c.site.base_url + "\n");
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(theme_dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file()) files.push_back(it->path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    const std::string bytes = read_file(f);
    h.update(f.lexically_relative(theme_dir).generic_string() + "\n" + std::to_string(bytes.size()) + "\n");
    h.update(bytes);
  }
  return h.hex();
}

}  // namespace

fs::path find_themes_dir(const fs::path& content_dir) {
  const fs::path beside = fs::absolute(content_dir).parent_path() / "themes";
  if (fs::is_directory(beside)) return beside;
  if (std::string(GONGKAI_INSTALLED_THEMES).size() && fs::is_directory(GONGKAI_INSTALLED_THEMES)) return GONGKAI_INSTALLED_THEMES;
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
  return DateTime::from_epoch(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
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

// What a build takes from the last one and leaves for the next (see memo.hpp): the item memo
// (OUTPUT/cache/items.memo) and the page memo of the current release (OUTPUT/cache/pages).
// A build that publishes nothing starts with an empty one and saves nothing.
struct Incremental {
  fs::path memo_file, pages_file;  // empty: nothing is saved
  std::string memo_key;
  Memo memo;
  std::size_t remembered = 0;         // entries in the memo as loaded
  std::vector<ItemRecord> records;    // aligned with Content::items: what this build learnt
  PageMemo pages_before;              // the current release's pages (empty when not theirs)
  PageMemo pages_after;               // this build's

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
  inc.memo_key = Memo::key_for(o.content_dir, in.prefix);
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
  Content content = load_content({o.content_dir, in.prefix, in.themes, o.threads, &inc.memo, &inc.records}, diags);
  if (!o.base_url.empty()) {
    content.site.base_url = o.base_url;
    if (content.site.base_url.back() != '/') content.site.base_url += '/';
  }
  for (Item& it : content.items)  // future-dated items wait for a build on or after their date
    if (it.has_published && in.now < it.published) it.scheduled = true;
  return content;
}

std::string load_summary(const Content& c, const Incremental& inc) {
  std::size_t remembered = 0;
  for (const ItemRecord& r : inc.records) remembered += r.from_memo;
  return std::to_string(c.items.size()) + " files (" + std::to_string(remembered) + " unchanged, from the memo), " +
         std::to_string(c.lists.size()) + " responsibility lists";
}

// Index numbers, Markdown bodies and their links, personal data, freshness, attachment sizes.
// Returns the annual reports (their shortcodes are expanded into bodies here, their CSV is a
// channel file).
std::map<int, YearReport> validate_stage(const BuildOptions& o, const Inputs& in, Content& content, Incremental& inc,
                                         Diagnostics& diags) {
  assign_index_numbers(content, in.prefix, diags);
  auto reports = annual_reports(content);
  render_markdown_stage(content, o.content_dir, in.prefix, reports, o.threads, &inc.records, diags);
  privacy_stage(content, o.content_dir, in.prefix, o.threads, &inc.records, diags);
  for (Item& it : content.items) std::string().swap(it.markdown);  // rendered and checked: not needed again
  if (!diags.has_errors()) freshness_check(content, in.now, in.prefix, diags);  // no noise around real errors
  for (Item& it : content.items) {
    for (Attachment& a : it.attachments) {
      std::error_code ec;
      a.size = fs::file_size(o.content_dir / a.source, ec);
    }
  }
  return reports;
}

std::string diagnostics_summary(const Diagnostics& d) {
  return std::to_string(d.error_count()) + " errors, " + std::to_string(d.warning_count()) + " warnings";
}

// `inc` given: pages whose inputs are the current release's are taken from it (see PageMemo).
RenderOptions render_options(const BuildOptions& o, const Inputs& in, const Content& content, Incremental* inc) {
  RenderOptions ro;
  ro.now = in.now;
  ro.content_dir = o.content_dir;
  ro.threads = o.threads;
  if (inc) {
    ro.records = &inc->records;
    ro.page_key = page_key(inc->memo_key, in.themes / content.site.theme, content);
    ro.pages_before = inc->pages_before.by_url.empty() ? nullptr : &inc->pages_before;
    ro.pages_after = &inc->pages_after;
  }
  if (o.git_history) ro.history = list_history(content, o.content_dir);
  return ro;
}

std::size_t html_pages(const OutputTree& out) {
  std::size_t n = 0;
  for (const std::string& p : out.paths())
    if (ends_with(p, ".html") && !starts_with(p, k_server_prefix) && !starts_with(p, k_wechat_prefix)) ++n;
  return n;
}

std::string index_summary(const IndexStats& st) {
  const std::string how =
      st.in_place ? std::string(st.copied ? "copied from the current release and " : "the recycled release's ") +
                        "updated in place, " + std::to_string(st.written) + " written and " +
                        std::to_string(st.removed) + " deleted"
                  : std::to_string(st.written) + " written afresh in " + std::to_string(st.parts) + " parts in " +
                        std::to_string(static_cast<int>(st.write_ms)) + " ms, " +
                        std::to_string(static_cast<int>(st.cpu_ms)) + " ms of CPU";
  return std::to_string(st.documents) + " documents: " + how + " (" + std::to_string(static_cast<int>(st.total_ms)) +
         " ms alongside the pages)";
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

}  // namespace

bool build_tree(const BuildOptions& o, Content& content, OutputTree& out, Diagnostics& diags) {
  StageTimer timer(o);
  const Inputs in = inputs_of(o);
  Incremental nothing;
  content = load_stage(o, in, nothing, diags);
  timer.done("load", load_summary(content, nothing));
  const auto reports = validate_stage(o, in, content, nothing, diags);
  timer.done("validate", diagnostics_summary(diags));
  Theme theme;
  if (diags.has_errors() || !theme.load(in.themes / content.site.theme, diags)) return false;
  const Listing listing = list_items(content);
  render_pages(content, listing, theme, render_options(o, in, content, nullptr), out);
  timer.done("pages", std::to_string(out.size()) + " files");
  render_channels(content, listing, in.now, o.wechat_days, reports, out);
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
    r.environment_error = "content folder " + o.content_dir.string() + " does not exist (内容目录不存在)";
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
  try {
    StageTimer timer(o);
    const Inputs in = inputs_of(o);
    Publisher release(o.output_dir, in.now, {o.keep_releases, o.recycle, o.sync});
    Incremental inc = recall(o, in, release.previous());
    timer.done("memo", std::to_string(inc.remembered) + " items and " + std::to_string(inc.pages_before.by_url.size()) +
                           " pages remembered");
    content = load_stage(o, in, inc, r.diagnostics);
    timer.done("load", load_summary(content, inc));
    const auto reports = validate_stage(o, in, content, inc, r.diagnostics);
    timer.done("validate", diagnostics_summary(r.diagnostics));
    Theme theme;
    if (r.diagnostics.has_errors() || !theme.load(in.themes / content.site.theme, r.diagnostics)) {
      r.exit_code = 1;
      return r;
    }
    OutputTree out = release.open_tree(o.write_index);
    auto index = in_background(o.write_index, [&] {
      return write_search_index(content, release.index_dir(), o.threads, release.previous_index());
    });
    auto memo = in_background(inc.memo_changed(), [&] { inc.save_memo(content); });
    const Listing listing = list_items(content);
    render_pages(content, listing, theme, render_options(o, in, content, &inc), out);
    timer.done("pages", std::to_string(out.size()) + " files");
    render_channels(content, listing, in.now, o.wechat_days, reports, out);
    out.finish();
    timer.done("channels", std::to_string(out.size()) + " files in all, release folder complete");
    const IndexStats st = wait(index);
    if (o.write_index) timer.done("index", index_summary(st));
    wait(memo);
    timer.done("memo", inc.memo_changed() ? "cache/items.memo updated" : "cache/items.memo unchanged");
    r.files = out.size();
    r.pages = html_pages(out);
    r.documents = st.documents;
    r.release_id = release.publish(out, {in.now, o.build_id, r.documents, r.pages, content.site.base_url});
    inc.save_pages(r.release_id);
    timer.done("publish", release.summary(out));
  } catch (const Publisher::NotDurable& e) {
    r.exit_code = 2;
    r.environment_error = e.what();
  } catch (const std::exception& e) {
    r.exit_code = 2;
    r.environment_error = std::string("cannot publish: ") + e.what() + " (发布失败，原网站保持不变)";
  }
  return r;
}

}  // namespace gongkai::gen
