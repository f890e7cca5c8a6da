#include "validate.hpp"

#include "memo.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "gongkai/fs.hpp"
#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"
#include "index_no.hpp"
#include "loader.hpp"
#include "markdown.hpp"
#include "gongkai/parallel.hpp"

namespace gongkai::gen {

namespace fs = std::filesystem;

namespace {

void add_attachments(Item& it, const std::vector<std::string>& linked_targets,
                     const std::set<std::string>& attachments) {
  std::set<std::string> seen;
  for (const std::string& t : linked_targets) {
    if (!attachments.count(t) || !seen.insert(t).second) continue;
    Attachment a;
    a.source = t;
    a.url = urls::attachment(t);
    a.name = fs::path(t).filename().string();
    it.attachments.push_back(a);  // size is filled in by the caller, who knows the folder
  }
}

// Renders every Markdown body but drafts', resolving relative links to published URLs. An item
// taken from the memo keeps its rendered body when every link it has resolves as before.
// Scheduled items are rendered and their links checked like live ones (a link from any item
// to a scheduled one resolves to the page that appears on its date; to a draft, it is an error).
// Annual-report shortcodes are left as placeholders by the workers and expanded afterwards, on
// this thread: table 三 may have to be read from the server's database.
void render_markdown_stage(Content& c, const fs::path& content_dir, const std::string& prefix,
                           const std::function<YearReport(int)>& report_of, int threads,
                           std::vector<ItemRecord>* records, Diagnostics& diags) {
  std::map<std::string, const Item*> by_source;
  for (const Item& it : c.items) by_source[it.source] = &it;
  const std::set<std::string> attachments(c.attachments.begin(), c.attachments.end());
  LinkResolver resolve = [&](const std::string& target,
                             std::string& why) -> std::optional<std::string> {
    if (ends_with(target, ".md")) {
      auto it = by_source.find(target);
      if (it == by_source.end()) {
        why = "no such file in the content folder";
        return std::nullopt;
      }
      if (it->second->draft) {
        why = "it is a draft and is never published";
        return std::nullopt;
      }
      return it->second->url;
    }
    if (attachments.count(target)) return urls::attachment(target);
    for (const char* section : {"disclosure", "notices", "consultations", "responsibilities"})
      if (target == section) return "/" + target + "/";  // the generated section pages
    if (starts_with(target, "responsibilities/") && ends_with(target, ".toml")) {
      const std::string dept = target.substr(17, target.size() - 22);
      for (const auto& l : c.lists)
        if (l.department == dept) return urls::responsibility_list(dept);
    }
    for (const char* idx : {"/index.md", "/_index.md"}) {
      auto it = by_source.find(target + idx);
      if (it != by_source.end() && !it->second->draft) return it->second->url;
    }
    why = "no such file in the content folder";
    return std::nullopt;
  };
  auto answer = [](const std::optional<std::string>& url, const std::string& why) {
    return url ? *url : "\x01" + why;
  };
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
    it.html = std::move(out.html);
    const bool summary_generated = it.summary.empty();
    if (summary_generated) it.summary = truncate_chars(out.first_paragraph, 200);
    add_attachments(it, out.linked_targets, attachments);
    if (rec) {
      rec->updated = true;
      // Annual-report shortcodes change with other items (and the database): not remembered.
      rec->markdown_done = !has_shortcodes(it.html);
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
  for (Item& it : c.items)
    if (has_shortcodes(it.html)) it.html = expand_shortcodes_after(it.html, report_of);
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
void privacy_stage(const Content& c, const fs::path& content_dir, const std::string& prefix,
                   int threads, std::vector<ItemRecord>* records, Diagnostics& diags) {
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

}  // namespace

std::map<int, YearReport> validate_content(Content& content, const ValidateInputs& in,
                                           std::vector<ItemRecord>& records, Diagnostics& diags) {
  assign_index_numbers(content, in.prefix, diags);
  auto reports = annual_reports(content);
  if (in.application_table)
    for (auto& [year, r] : reports) r.applications = in.application_table(year);
  // A year a shortcode names is a report's year even when no content counts in it (its tables
  // 一 and 二 are zeros): it gets its CSV, which the tables link to.
  const auto report_of = [&](int year) {
    auto [it, added] = reports.try_emplace(year);
    if (added) {
      it->second.year = year;
      if (in.application_table) it->second.applications = in.application_table(year);
    }
    return it->second;
  };
  std::vector<ItemRecord>* recs = records.size() == content.items.size() ? &records : nullptr;
  render_markdown_stage(content, in.content_dir, in.prefix, report_of, in.threads, recs, diags);
  privacy_stage(content, in.content_dir, in.prefix, in.threads, recs, diags);
  for (Item& it : content.items)
    std::string().swap(it.markdown);  // rendered and checked: not needed again
  if (!diags.has_errors())
    freshness_check(content, in.now, in.prefix, diags);  // no noise around real errors
  for (Item& it : content.items) {
    for (Attachment& a : it.attachments) {
      std::error_code ec;
      a.size = fs::file_size(in.content_dir / a.source, ec);
    }
  }
  return reports;
}

}  // namespace gongkai::gen
