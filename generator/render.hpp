// Site rendering: turns the validated Content into every page of the site (through the theme),
// the open-data files of the 权责清单, feeds, sitemap and the files the server needs.
// Pure: reads Content and the theme, writes only into the OutputTree.
#pragma once
#include <string>

#include "gongkai/content.hpp"
#include "gongkai/datetime.hpp"
#include "gongkai/diagnostics.hpp"
#include "history.hpp"
#include "memo.hpp"
#include "output.hpp"
#include "theme.hpp"

namespace gongkai::gen {

constexpr int k_page_size = 20;  // items per list page

struct RenderOptions {
  DateTime now;                          // the build's clock (statuses, "current" notices)
  std::filesystem::path content_dir;     // to copy attachments
  ListHistory history;                   // 权责清单 versions from git (may be empty)
  int threads = 2;                       // item and catalogue pages are rendered on this many cores
  int wechat_days = 90;                  // WeChat article exports: items of the last N days (0: all)
  // Incremental rendering (see PageMemo): an item's pages, or a catalogue list page, whose key is
  // the one recorded by the previous build are taken from the previous release, not rendered.
  const std::vector<ItemRecord>* records = nullptr;  // aligned with Content::items
  std::string page_key;                  // what every page depends on outside Content: generator, site.toml, theme
  const PageMemo* pages_before = nullptr;
  PageMemo* pages_after = nullptr;
};

// Renders the site into out (paths relative to the site root). Content must be valid.
void render_site(const Content& content, const Theme& theme, const RenderOptions& options, OutputTree& out);

// Status of a consultation at `now`: 未开始, 征求中, 已结束, 已反馈; days_left for 征求中.
struct ConsultationStatus {
  std::string label;
  std::string key;  // upcoming | open | closed | answered
  std::int64_t days_left = 0;
};
ConsultationStatus consultation_status(const Item& item, const DateTime& now);
bool notice_on_display(const Item& item, const DateTime& now);

// Newest first, then by source path: the one order of every list.
bool newer_first(const Item* a, const Item* b);

}  // namespace gongkai::gen
