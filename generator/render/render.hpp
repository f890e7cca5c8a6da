// Site rendering: turns the validated Content into every page of the site (through the theme),
// the open-data files of the 权责清单 (render_pages), and the feeds, sitemap and channel files
// (render_channels).
// Pure: reads Content and the theme, writes only into the OutputTree.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "gongkai/content.hpp"
#include "gongkai/platform.hpp"
#include "gongkai/datetime.hpp"
#include "gongkai/diagnostics.hpp"
#include "history.hpp"
#include "page_memo.hpp"
#include "output.hpp"
#include "theme.hpp"

namespace gongkai::gen {

constexpr int k_page_size = 20;  // items per list page

struct YearReport;      // statutory.hpp
struct ResponseCounts;  // statutory.hpp

struct RenderOptions {
  DateTime now;                       // the build's clock (statuses, "current" notices)
  std::filesystem::path content_dir;  // to copy attachments
  ListHistory history;                // 权责清单 versions from git (may be empty)
  int threads = 2;                    // item and catalogue pages are rendered on this many cores
  // Incremental rendering (see PageMemo): an item's pages, or a catalogue list page, whose key is
  // the one recorded by the previous build are taken from the previous release, not rendered.
  // Aligned with Content::items: what each item's pages are made of besides the site (its
  // fields, its file and the answers its links got; memo.hpp item_inputs_key).
  const std::vector<std::string>* item_keys = nullptr;
  std::string page_key;  // what every page depends on outside Content: generator, site.toml, theme
  const PageMemo* pages_before = nullptr;
  PageMemo* pages_after = nullptr;
  // A platform's unit (docs/platform.md): the district's identity goes into every page's header,
  // footer and meta tags, and the unit is named in each (ColumnName, ContentSource).
  const contract::PlatformIdentity* platform = nullptr;
  const contract::UnitRef* unit = nullptr;
  // The response counts of the consultations with a [result], by consultation_id(), read from
  // the server's database (--database); null: no database, no counts shown. Part of each
  // consultation page's key.
  const std::map<std::string, ResponseCounts>* responses = nullptr;
};

// The published items as every list shows them: by section newest first, the fixed pages in menu
// order (weight, then path), and the withdrawn penalties (their page stays, with the reason).
struct Listing {
  std::map<Section, std::vector<const Item*>> by_section;
  std::vector<const Item*> menu_pages;
  std::vector<const Item*> withdrawn;
  const std::vector<const Item*>& of(Section s) const;  // empty when the section has none
};
Listing list_items(const Content& content);

// Every page of the site, through the theme, with theme assets and attachments (paths relative
// to the site root). Content must be valid.
void render_pages(const Content& content, const Listing& listing, const Theme& theme,
                  const RenderOptions& options, OutputTree& out);

// The files other channels read: feeds and sitemap, LED playlists, WeChat article exports, the
// server's WeChat lists and the annual reports' CSV. No theme is involved.
void render_channels(const Content& content, const Listing& listing, const DateTime& now,
                     int wechat_days, const std::map<int, YearReport>& reports, OutputTree& out);

// Status of a consultation at `now`: 未开始, 征求中, 已结束, 已反馈; days_left for 征求中.
struct ConsultationStatus {
  std::string label;
  std::string key;  // upcoming | open | closed | answered
  std::int64_t days_left = 0;
};
ConsultationStatus consultation_status(const Item& item, const DateTime& now);
// What the server files a consultation's responses under (server/forms.json's "id"): its URL
// without the site's root, e.g. "consultations/2026/heating/".
std::string consultation_id(const Item& item);
bool notice_on_display(const Item& item, const DateTime& now);

// Newest first, then by source path: the one order of every list.
bool newer_first(const Item* a, const Item* b);

}  // namespace gongkai::gen
