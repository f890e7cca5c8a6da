#include "build.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <future>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
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

constexpr const char* k_generator_version = "0.1.0";

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

std::string release_json(const std::string& id, const DateTime& now, std::size_t documents, std::size_t pages,
                         const std::string& base_url) {
  nlohmann::json j = {{"build_id", id}, {"now", now.iso8601()}, {"base_url", base_url}, {"documents", documents}, {"pages", pages},
                      {"generator", std::string("gongkai-build ") + k_generator_version}};
  return j.dump(2) + "\n";
}

// Removing a release is slow (one unlink per file), so folders that go are renamed to
// releases/.trash-* at once and deleted by the next build, on a thread of their own while it
// renders (take_out_trash).
void to_trash(const fs::path& releases, const fs::path& dir) {
  static std::atomic<int> serial{0};
  std::error_code ec;
  fs::rename(dir, releases / (".trash-" + dir.filename().string() + "-" + std::to_string(::getpid()) + "-" + std::to_string(serial++)), ec);
  if (ec) fs::remove_all(dir, ec);
}

void take_out_trash(const fs::path& releases, const fs::path& mine) {
  std::error_code ec;
  std::vector<fs::path> trash;
  for (const auto& e : fs::directory_iterator(releases, ec)) {
    const std::string name = e.path().filename().string();
    if (e.path() == mine) continue;
    if (starts_with(name, ".trash-") || starts_with(name, ".tmp-")) trash.push_back(e.path());  // .tmp-: a build that died
  }
  for (const auto& t : trash) fs::remove_all(t, ec);
}

// Release folders (not the hidden .tmp-/.trash- ones, nor `except`), newest first.
std::vector<fs::path> releases_newest_first(const fs::path& releases, const std::string& except) {
  std::vector<std::pair<fs::file_time_type, fs::path>> all;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(releases, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || name == except || name.front() == '.') continue;
    all.push_back({e.last_write_time(ec), e.path()});
  }
  std::sort(all.begin(), all.end(), std::greater<>());
  std::vector<fs::path> out;
  for (auto& [t, p] : all) out.push_back(std::move(p));
  return out;
}

void prune_releases(const fs::path& releases, const std::string& keep_id, int keep) {
  const auto all = releases_newest_first(releases, keep_id);
  for (std::size_t i = static_cast<std::size_t>(std::max(1, keep - 1)); i < all.size(); ++i) to_trash(releases, all[i]);
}

// What every item page depends on besides its item: the generator and site.toml (in the memo
// key), every file of the theme, the site's address and the menu of fixed pages.
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
  for (const Item& it : c.items)
    if (it.section == Section::pages)
      h.update(it.url + "\t" + it.title + "\t" + std::to_string(it.menu) + std::to_string(it.weight) + std::to_string(it.is_public()) + "\n");
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

bool build_tree(const BuildOptions& o, Content& content, OutputTree& out, Diagnostics& diags,
                const std::function<void(const Content&)>& before_render, Carry* carry) {
  std::vector<ItemRecord>* records = carry ? &carry->records : nullptr;
  Memo* memo = carry ? carry->memo : nullptr;
  StageTimer timer(o);
  const std::string prefix = o.display_prefix.empty() ? o.content_dir.generic_string() + "/" : o.display_prefix;
  const fs::path themes = o.themes_dir.empty() ? find_themes_dir(o.content_dir) : o.themes_dir;
  markdown_init();

  content = load_content({o.content_dir, prefix, themes, o.threads, memo, records}, diags);
  if (!o.base_url.empty()) {
    content.site.base_url = o.base_url;
    if (content.site.base_url.back() != '/') content.site.base_url += '/';
  }
  const DateTime now = build_clock(o.now);
  for (Item& it : content.items)  // future-dated items wait for a build on or after their date
    if (it.has_published && now < it.published) it.scheduled = true;
  std::size_t remembered = 0;
  if (records)
    for (const ItemRecord& r : *records) remembered += r.from_memo;
  timer.done("load", std::to_string(content.items.size()) + " files (" + std::to_string(remembered) + " unchanged, from the memo), " +
                         std::to_string(content.lists.size()) + " responsibility lists");
  assign_index_numbers(content, prefix, diags);
  const auto reports = annual_reports(content);
  render_markdown_stage(content, o.content_dir, prefix, reports, o.threads, records, diags);
  privacy_stage(content, o.content_dir, prefix, o.threads, records, diags);
  for (Item& it : content.items) std::string().swap(it.markdown);  // rendered and checked: not needed again
  if (!diags.has_errors()) freshness_check(content, now, prefix, diags);  // no noise around real errors
  for (Item& it : content.items) {
    for (Attachment& a : it.attachments) {
      std::error_code ec;
      a.size = fs::file_size(o.content_dir / a.source, ec);
    }
  }
  timer.done("validate", std::to_string(diags.error_count()) + " errors, " + std::to_string(diags.warning_count()) + " warnings");
  if (diags.has_errors()) return false;

  Theme theme;
  if (!theme.load(themes / content.site.theme, diags)) return false;
  if (before_render) before_render(content);
  RenderOptions ro;
  ro.now = now;
  ro.content_dir = o.content_dir;
  ro.threads = o.threads;
  ro.wechat_days = o.wechat_days;
  if (carry) {
    ro.records = records;
    ro.page_key = page_key(carry->memo_key, themes / content.site.theme, content);
    ro.pages_before = carry->pages_before;
    ro.pages_after = &carry->pages_after;
  }
  if (o.git_history) ro.history = list_history(content, o.content_dir);
  render_site(content, theme, ro, out);
  for (const auto& [year, report] : reports) out.add("annual-report/" + std::to_string(year) + ".csv", annual_report_csv(report));
  timer.done("render", std::to_string(out.size()) + " files");
  return true;
}

namespace {

// A published release folder and what its files.sha256 says it holds (empty when unreadable).
struct ReleaseFiles {
  fs::path root;
  std::shared_ptr<const Manifest> manifest;
};

ReleaseFiles release_files(const fs::path& dir) {
  ReleaseFiles r;
  try {
    r.manifest = std::make_shared<const Manifest>(OutputTree::parse_manifest(read_file(dir / "files.sha256")));
    r.root = dir;
  } catch (const std::exception&) {
    r = {};
  }
  return r;
}

// The previous release, whose unchanged files the new one shares (hard links).
ReleaseFiles previous_release(const fs::path& output_dir) {
  std::error_code ec;
  const fs::path current = fs::canonical(output_dir / "current", ec);
  return ec ? ReleaseFiles{} : release_files(current);
}

// Writing a release costs one directory or link per page even when almost nothing changed, so a
// build recycles the release it is about to prune anyway: the oldest beyond those kept, never the
// current one. Its files.sha256 says what it holds; the new tree replaces what differs.
ReleaseFiles recyclable(const fs::path& releases, const fs::path& current, int keep) {
  const auto all = releases_newest_first(releases, "");
  if (all.size() <= static_cast<std::size_t>(std::max(1, keep - 1))) return {};
  std::error_code ec;
  if (!current.empty() && fs::equivalent(all.back(), current, ec)) return {};
  return release_files(all.back());
}

// Work that one thread offers once it can run, and that whichever thread comes for it first
// runs, once: the memo is saved by an index writer that finds no part left to write
// (write_search_index's tail), or by the main thread once the index is written.
class RunOnce {
 public:
  void offer(std::function<void()> work) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_work = std::move(work);
    m_offered = true;
    m_cv.notify_all();
  }
  // Waits for the offer, then runs the work unless another thread took it.
  void wait_and_run() {
    std::function<void()> work;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_cv.wait(lock, [&] { return m_offered; });
      work.swap(m_work);
    }
    if (work) work();
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_offered = false;
  std::function<void()> m_work;
};

std::size_t html_pages(const OutputTree& out) {
  std::size_t n = 0;
  for (const std::string& p : out.paths())
    if (ends_with(p, ".html") && !starts_with(p, k_server_prefix) && !starts_with(p, k_wechat_prefix)) ++n;
  return n;
}

}  // namespace

BuildResult build(const BuildOptions& o) {
  BuildResult r;
  Content content;
  if (!fs::is_directory(o.content_dir)) {
    r.exit_code = 2;
    r.environment_error = "content folder " + o.content_dir.string() + " does not exist (内容目录不存在)";
    return r;
  }
  if (o.check_only) {
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

  // Files go straight into a private folder that is renamed into place whole once complete;
  // a failed build removes it and leaves `current` as it was.
  const DateTime now = build_clock(o.now);
  const fs::path releases = o.output_dir / "releases";
  fs::path tmp;
  RunOnce memo_saving;  // offered once the content is valid (see RunOnce); outlives `index`
  std::future<IndexStats> index;
  std::future<void> trash;
  int lock_fd = -1;  // released when the process exits, or below
  struct Unlock {
    int& fd;
    ~Unlock() {
      if (fd >= 0) ::close(fd);
    }
  } unlock{lock_fd};
  bool swapping = false;  // current.new made, not yet renamed over `current`
  auto discard = [&] {
    memo_saving.offer({});  // an index writer waiting for it goes on
    if (swapping) ::unlink((o.output_dir / "current.new").c_str());
    if (index.valid()) {
      try { index.get(); } catch (...) {}
    }
    std::error_code ec;
    if (!tmp.empty()) fs::remove_all(tmp, ec);
  };
  try {
    fs::create_directories(releases);
    // One build at a time per output folder (the git hook and the refresh timer may overlap):
    // the second waits for the first, then shares its files.
    const fs::path lock_path = o.output_dir / ".build.lock";
    lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + lock_path.string());
    tmp = releases / (".tmp-" + now.compact() + "-" + std::to_string(::getpid()));
    trash = std::async(std::launch::async, [releases, tmp] { take_out_trash(releases, tmp); });
    fs::remove_all(tmp);
    for (const char* old : {"index", "shards"}) fs::remove_all(o.output_dir / "cache" / old);  // shards of earlier versions
    const ReleaseFiles prev = previous_release(o.output_dir);
    ReleaseFiles recycled;
    OutputTree out = OutputTree::discarding();
    StageTimer timer(o);
    // What the last build learnt about each file and page (see memo.hpp).
    const fs::path memo_file = o.output_dir / "cache" / "items.memo";
    const std::string memo_key = Memo::key_for(o.content_dir, o.display_prefix.empty() ? o.content_dir.generic_string() + "/" : o.display_prefix);
    Memo memo = o.use_memo ? Memo::load(memo_file, memo_key, o.threads) : Memo{};
    const std::size_t memo_size = memo.size();
    const fs::path pages_file = o.output_dir / "cache" / "pages";
    const PageMemo pages_before = o.use_memo && prev.manifest ? PageMemo::load(pages_file) : PageMemo{};
    Carry carry;
    carry.memo = &memo;
    carry.memo_key = memo_key;
    if (pages_before.release == prev.root.filename().string()) carry.pages_before = &pages_before;
    std::vector<ItemRecord>& records = carry.records;
    bool memo_changed = false;  // set once the content is valid
    timer.done("memo", std::to_string(memo_size) + " items and " + std::to_string(pages_before.by_url.size()) + " pages remembered");
    const bool ok = build_tree(o, content, out, r.diagnostics, [&](const Content& c) {
      // Content is valid: only now is an old release given up for recycling.
      if (o.recycle) recycled = recyclable(releases, prev.root, o.keep_releases);
      if (recycled.manifest) {
        fs::rename(recycled.root, tmp);
        for (const char* stale : {"release.json", "files.sha256"}) fs::remove(tmp / stale);
        if (!o.write_index) fs::remove_all(tmp / "search");  // otherwise updated in place below
      }
      fs::create_directories(tmp / "site");
      fs::create_directories(tmp / "server");
      out = OutputTree::on_disk(tmp, prev.root, prev.manifest, recycled.manifest);
      // The memo describes the content files, not the release, and is complete once the
      // content is valid (rendering only reads it): it is saved now, while the pages are
      // rendered, by the first index writer left without a part to write (parallel_groups'
      // tail), or else by the main thread once the index is written.
      memo_changed = memo_size != records.size();
      for (const ItemRecord& rec : records) memo_changed = memo_changed || !rec.from_memo || rec.updated;
      memo_saving.offer([&] {
        if (memo_changed) memo.save(memo_file, memo_key, content, records);
      });
      // The index is written on its own threads while the pages are rendered and written.
      if (o.write_index)
        index = std::async(std::launch::async, [&] {
          return write_search_index(c, tmp / "search", o.threads, prev.root.empty() ? fs::path() : prev.root / "search",
                                    [&] { memo_saving.wait_and_run(); }, o.index_writer);
        });
    }, &carry);
    if (!ok) {
      discard();
      r.exit_code = 1;
      return r;
    }
    out.finish();
    timer.done("tree", "release folder complete");
    r.files = out.size();
    r.pages = html_pages(out);
    if (index.valid()) {
      const IndexStats st = index.get();
      r.documents = st.documents;
      if (!st.warning.empty()) r.diagnostics.warning("search", 0, 0, st.warning);
      timer.done("index", std::to_string(r.documents) + " documents: " +
                              (st.in_place ? std::string(st.copied ? "copied from the current release and " : "the recycled release's ") +
                                                 "updated in place, " + std::to_string(st.written) + " written and " +
                                                 std::to_string(st.removed) + " deleted"
                                           : std::to_string(st.written) + " written afresh in " + std::to_string(st.parts) +
                                                 " parts by the " + index_writer_name(st.writer) +
                                                 " writer in " +
                                                 std::to_string(static_cast<int>(st.write_ms)) +
                                                 " ms, " +
                                                 std::to_string(static_cast<int>(st.cpu_ms)) + " ms of CPU") +
                              " (" + std::to_string(static_cast<int>(st.total_ms)) + " ms alongside the pages)");
    }
    memo_saving.wait_and_run();
    timer.done("memo", memo_changed ? "cache/items.memo updated" : "cache/items.memo unchanged");
    // The id names the site's bytes and the index format: a new analyser makes a new release.
    const std::string digest = sha256_hex(out.digest() + search::k_analyzer + k_generator_version);
    const std::string id = o.build_id.empty() ? now.compact() + "-" + digest.substr(0, 10) : o.build_id;
    r.release_id = id;
    const fs::path final_dir = releases / id;
    if (fs::exists(final_dir)) {  // the same bytes were published before (and synced before renamed)
      to_trash(releases, tmp);
      tmp.clear();
    } else {
      write_file(tmp / "files.sha256", out.manifest_text());
      write_file_atomic(tmp / "release.json", release_json(id, now, r.documents, r.pages, content.site.base_url));
      fs::last_write_time(tmp, fs::file_time_type::clock::now());  // newest, whatever it recycled
    }
    // On disk before it is live, whichever way it was made (written, hard-linked, a recycled
    // release patched, its index updated in place): current.new is made first, then one
    // syncfs(2) writes every file, folder and that link; only then does the release get its
    // name and `current` swap to it, each rename made durable by an fsync of its folder. A
    // crash at any point leaves `current` on a complete release, and a release folder is never
    // named before it is on disk (a later build of the same bytes takes it as it is, above).
    const fs::path link_new = o.output_dir / "current.new";
    ::unlink(link_new.c_str());
    if (::symlink((fs::path("releases") / id).c_str(), link_new.c_str()) != 0)
      throw std::runtime_error("cannot create link " + link_new.string() + ": " + std::strerror(errno));
    swapping = true;
    if (o.sync) sync_file_system(tmp.empty() ? final_dir : tmp);
    if (!tmp.empty()) {
      fs::rename(tmp, final_dir);
      tmp.clear();
    }
    if (o.sync) fsync_dir(releases);
    timer.done("sync", o.sync ? "release on disk (syncfs)" : "skipped (GONGKAI_NO_SYNC=1)");
    if (::rename(link_new.c_str(), (o.output_dir / "current").c_str()) != 0)
      throw std::runtime_error("cannot replace " + (o.output_dir / "current").string() + ": " + std::strerror(errno));
    swapping = false;
    try {
      if (o.sync) fsync_dir(o.output_dir);
    } catch (const std::exception& e) {  // live already: say so rather than that nothing changed
      r.exit_code = 2;
      r.environment_error = std::string("published release ") + id + ", but the swap of current may not survive a power cut: " +
                            e.what() + " (已发布，但可能未写入磁盘)";
      return r;
    }
    carry.pages_after.release = id;
    carry.pages_after.save(pages_file);
    prune_releases(releases, id, o.keep_releases);
    if (trash.valid()) trash.get();
    timer.done("publish", "current -> releases/" + id + " (" + std::to_string(out.linked()) + " of " + std::to_string(r.files) +
                              " files shared with the previous release" +
                              (recycled.manifest ? ", " + std::to_string(out.kept()) + " kept in the recycled " + recycled.root.filename().string() : std::string()) +
                              ")");
  } catch (const std::exception& e) {
    discard();
    r.exit_code = 2;
    r.environment_error = std::string("cannot publish: ") + e.what() + " (发布失败，原网站保持不变)";
  }
  return r;
}

}  // namespace gongkai::gen
