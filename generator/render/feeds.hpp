// Feeds and machine-readable files: RSS 2.0 and JSON Feed 1.1 (whole site and per section),
// sitemap.xml, robots.txt, an OpenSearch description. Absolute URLs from site.base_url.
#pragma once
#include <map>
#include <vector>

#include "gongkai/content.hpp"
#include "output.hpp"

namespace gongkai::gen {

constexpr std::size_t k_feed_size = 50;

void write_feeds(const Content& content,
                 const std::map<Section, std::vector<const Item*>>& by_section, const DateTime& now,
                 OutputTree& out);

}  // namespace gongkai::gen
