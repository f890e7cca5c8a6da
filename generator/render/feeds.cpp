#include "feeds.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>

#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"
#include "render.hpp"

namespace gongkai::gen {

namespace {

std::string xml_string(const pugi::xml_document& doc) {
  std::ostringstream ss;
  doc.save(ss, "  ", pugi::format_default, pugi::encoding_utf8);
  return ss.str();
}

std::string item_summary_text(const Item& it) {
  if (!it.summary.empty()) return it.summary;
  return truncate_chars(it.text.substr(0, std::min<std::size_t>(it.text.size(), 2000)), 160);
}

struct FeedSpec {
  std::string folder;  // the URL the feed is of: "/" for the whole site, or "/disclosure/"
  std::string title;
  std::vector<const Item*> items;
};

void write_feed(const Content& c, const FeedSpec& f, const DateTime& now, OutputTree& out) {
  const std::string& base = c.site.base_url;
  auto abs = [&](const std::string& url) { return urls::absolute_encoded(base, url); };
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto rss = doc.append_child("rss");
  rss.append_attribute("version") = "2.0";
  rss.append_attribute("xmlns:atom") = "http://www.w3.org/2005/Atom";
  auto ch = rss.append_child("channel");
  ch.append_child("title").text() = f.title.c_str();
  ch.append_child("link").text() = urls::absolute(base, f.folder).c_str();
  ch.append_child("description").text() = (c.site.organization.name + " " + f.title).c_str();
  ch.append_child("language").text() = c.site.language.c_str();
  auto self = ch.append_child("atom:link");
  self.append_attribute("href") = urls::absolute(base, urls::feed_rss(f.folder)).c_str();
  self.append_attribute("rel") = "self";
  self.append_attribute("type") = "application/rss+xml";
  const std::string updated = f.items.empty() ? now.rfc822() : f.items.front()->published.rfc822();
  ch.append_child("lastBuildDate").text() = updated.c_str();

  nlohmann::json jf = {{"version", "https://jsonfeed.org/version/1.1"},
                       {"title", f.title},
                       {"home_page_url", urls::absolute(base, f.folder)},
                       {"feed_url", urls::absolute(base, urls::feed_json(f.folder))},
                       {"language", c.site.language},
                       {"authors", nlohmann::json::array({{{"name", c.site.organization.name}}})}};
  nlohmann::json items = nlohmann::json::array();
  for (std::size_t i = 0; i < f.items.size() && i < k_feed_size; ++i) {
    const Item& it = *f.items[i];
    const std::string url = abs(it.url);
    const Department* d = c.site.department(it.department);
    auto item = ch.append_child("item");
    item.append_child("title").text() = it.title.c_str();
    item.append_child("link").text() = url.c_str();
    auto guid = item.append_child("guid");
    guid.append_attribute("isPermaLink") = "true";
    guid.text() = url.c_str();
    item.append_child("pubDate").text() = it.published.rfc822().c_str();
    if (d) item.append_child("category").text() = d->name.c_str();
    item.append_child("description").text() = item_summary_text(it).c_str();
    nlohmann::json j = {{"id", url},
                        {"url", url},
                        {"title", it.title},
                        {"date_published", it.published.iso8601()},
                        {"summary", item_summary_text(it)},
                        {"content_html", it.html}};
    if (d) j["authors"] = nlohmann::json::array({{{"name", d->name}}});
    if (!it.tags.empty()) j["tags"] = it.tags;
    items.push_back(j);
  }
  jf["items"] = items;
  out.add(urls::tree_path(urls::feed_rss(f.folder)), xml_string(doc));
  out.add(urls::tree_path(urls::feed_json(f.folder)), jf.dump(2) + "\n");
}

}  // namespace

void write_feeds(const Content& c, const std::map<Section, std::vector<const Item*>>& by_section,
                 const DateTime& now, OutputTree& out) {
  auto get = [&](Section s) {
    auto it = by_section.find(s);
    return it == by_section.end() ? std::vector<const Item*>{} : it->second;
  };
  FeedSpec site{urls::home(), c.site.title, {}};
  for (Section s : {Section::disclosure, Section::notices, Section::consultations}) {
    auto v = get(s);
    site.items.insert(site.items.end(), v.begin(), v.end());
  }
  std::sort(site.items.begin(), site.items.end(), newer_first);
  write_feed(c, site, now, out);
  for (Section s : {Section::disclosure, Section::notices, Section::consultations})
    write_feed(c, {urls::section(s), c.site.title + " - " + section_title(s), get(s)}, now, out);

  // sitemap.xml: every HTML page of the site (item pages and list pages), sorted by path.
  const std::string& base = c.site.base_url;
  pugi::xml_document sm;
  auto decl = sm.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto urlset = sm.append_child("urlset");
  urlset.append_attribute("xmlns") = "http://www.sitemaps.org/schemas/sitemap/0.9";
  std::map<std::string, std::string> lastmod;
  for (const auto& [s, v] : by_section)
    for (const Item* it : v) lastmod[it->url] = it->has_published ? it->published.date() : "";
  for (const std::string& path : out.paths()) {
    if (!ends_with(path, "index.html") || starts_with(path, "search/") ||
        ends_with(path, "/print/index.html"))
      continue;
    const std::string url = urls::home() + path.substr(0, path.size() - 10);
    auto u = urlset.append_child("url");
    u.append_child("loc").text() = urls::absolute_encoded(base, url).c_str();
    if (auto it = lastmod.find(url); it != lastmod.end() && !it->second.empty())
      u.append_child("lastmod").text() = it->second.c_str();
  }
  out.add(urls::tree_path(urls::sitemap()), xml_string(sm));
  out.add(urls::tree_path(urls::robots()),
          "User-agent: *\nAllow: /\nDisallow: " + urls::home() + "api/\nDisallow: " +
              urls::search() +
              "\nSitemap: " + urls::absolute(base, urls::sitemap()) + "\n");

  pugi::xml_document os;
  auto d2 = os.append_child(pugi::node_declaration);
  d2.append_attribute("version") = "1.0";
  d2.append_attribute("encoding") = "UTF-8";
  auto desc = os.append_child("OpenSearchDescription");
  desc.append_attribute("xmlns") = "http://a9.com/-/spec/opensearch/1.1/";
  desc.append_child("ShortName").text() = truncate_utf8_bytes(c.site.title, 48).c_str();
  desc.append_child("Description").text() = (c.site.title + " 站内搜索").c_str();
  desc.append_child("InputEncoding").text() = "UTF-8";
  desc.append_child("Language").text() = c.site.language.c_str();
  auto html = desc.append_child("Url");
  html.append_attribute("type") = "text/html";
  const std::string search = urls::absolute(base, urls::search());
  html.append_attribute("template") = (search + "?q={searchTerms}").c_str();
  auto json = desc.append_child("Url");
  json.append_attribute("type") = "application/json";
  const std::string api = urls::absolute(base, urls::api_search());
  json.append_attribute("template") = (api + "?q={searchTerms}&page={startPage?}").c_str();
  out.add(urls::tree_path(urls::opensearch()), xml_string(os));
}

}  // namespace gongkai::gen
