// WeChat-ready articles: every disclosure item and notice as HTML with inline styles only and
// the safe tag set of channels.md (no script, style or class), plus a JSON body shaped like the
// draft API's (`draft/add`), with the canonical page as content_source_url. Written to the
// release's wechat/ folder for staff or an offline tool to upload; never published by the server.
#pragma once
#include <string>

#include "gongkai/content.hpp"
#include "output.hpp"

namespace gongkai::gen {

// Converts rendered body HTML (cmark output) to WeChat-safe HTML with inline styles.
std::string wechat_html(const std::string& body_html, const std::string& base_url);
// Articles for the disclosure items and notices published in the `days` days up to `now`
// (0: every one). Older items were on the account long ago, or never will be.
void write_wechat_articles(const Content& content, const DateTime& now, int days, OutputTree& out);

}  // namespace gongkai::gen
