#include "wechat_export.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <set>
#include <sstream>

#include "gongkai/release.hpp"
#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"

namespace gongkai::gen {

namespace {

const std::map<std::string, std::string> k_styles = {
    {"section", "font-size:16px;line-height:1.75;color:#222;"},
    {"p", "margin:0 0 1em;text-indent:2em;"},
    {"h1", "font-size:20px;font-weight:bold;margin:1em 0 .6em;"},
    {"h2", "font-size:18px;font-weight:bold;margin:1em 0 .6em;color:#a61b1b;"},
    {"h3", "font-size:17px;font-weight:bold;margin:1em 0 .5em;"},
    {"h4", "font-size:16px;font-weight:bold;margin:1em 0 .5em;"},
    {"blockquote",
     "margin:1em 0;padding:.5em 1em;border-left:4px solid #0b4a8b;background:#f5f7fa;"},
    {"ul", "margin:0 0 1em;padding-left:2em;"},
    {"ol", "margin:0 0 1em;padding-left:2em;"},
    {"li", "margin:.2em 0;"},
    {"table", "border-collapse:collapse;width:100%;margin:1em 0;font-size:14px;"},
    {"th", "border:1px solid #999;padding:4px 6px;background:#eef2f7;"},
    {"td", "border:1px solid #999;padding:4px 6px;"},
    {"img", "max-width:100%;"},
    {"hr", "border:0;border-top:1px solid #ccc;margin:1.5em 0;"},
};
const std::set<std::string> k_allowed = {"section", "p",  "br", "span",       "strong", "em", "h1",
                                         "h2",      "h3", "h4", "blockquote", "ul",     "ol", "li",
                                         "table",   "tr", "th", "td",         "img",    "hr"};

void clean(pugi::xml_node node, const std::string& base_url) {
  for (pugi::xml_node child = node.first_child(); child;) {
    pugi::xml_node next = child.next_sibling();
    if (child.type() != pugi::node_element) {
      if (child.type() != pugi::node_pcdata && child.type() != pugi::node_cdata)
        node.remove_child(child);
      child = next;
      continue;
    }
    std::string name = child.name();
    clean(child, base_url);
    if (name == "a") {  // links do not work in articles: keep the text and show the address
      std::string href = child.attribute("href").value();
      if (!href.empty() && href[0] == '/') href = urls::absolute(base_url, href);
      child.set_name("span");
      child.remove_attribute("href");
      child.remove_attribute("title");
      const std::string text = child.text().get();
      if (!href.empty() && text != href)
        child.append_child(pugi::node_pcdata).set_value(("（" + href + "）").c_str());
      name = "span";
    } else if (name == "h5" || name == "h6") {
      child.set_name("h4");
      name = "h4";
    } else if (name == "del" || name == "s") {
      child.set_name("span");
      child.append_attribute("style") = "text-decoration:line-through;";
      name = "span";
    } else if (name == "code") {
      child.set_name("span");
      child.append_attribute("style") = "font-family:monospace;background:#f2f2f2;";
      name = "span";
    } else if (name == "pre" || name == "div") {
      child.set_name("section");
      name = "section";
    }
    if (!k_allowed.count(name)) {  // unwrap: keep the children, drop the element
      for (pugi::xml_node g = child.first_child(); g;) {
        pugi::xml_node gn = g.next_sibling();
        node.insert_move_before(g, child);
        g = gn;
      }
      node.remove_child(child);
      child = next;
      continue;
    }
    for (pugi::xml_attribute a = child.first_attribute();
         a;) {  // only src/alt on img, style everywhere
      pugi::xml_attribute an = a.next_attribute();
      const std::string an_name = a.name();
      if (!(an_name == "style" || (name == "img" && (an_name == "src" || an_name == "alt")) ||
            an_name == "colspan" || an_name == "rowspan"))
        child.remove_attribute(a);
      a = an;
    }
    if (name == "img") {
      std::string src = child.attribute("src").value();
      if (!src.empty() && src[0] == '/')
        child.attribute("src").set_value(urls::absolute(base_url, src).c_str());
    }
    if (auto st = k_styles.find(name); st != k_styles.end() && !child.attribute("style"))
      child.append_attribute("style") = st->second.c_str();
    child = next;
  }
}

}  // namespace

std::string wechat_html(const std::string& body_html, const std::string& base_url) {
  const std::string wrapped = "<section>" + body_html + "</section>";
  pugi::xml_document out;
  if (!out.load_buffer(wrapped.data(),
                       wrapped.size()))  // cmark's HTML is well-formed; this is a safety net
    return "<section style=\"" + k_styles.at("section") + "\"><p>" + html_escape(body_html) +
           "</p></section>";
  pugi::xml_node root = out.first_child();
  clean(root, base_url);
  root.append_attribute("style") = k_styles.at("section").c_str();
  std::ostringstream ss;
  root.print(ss, "", pugi::format_raw);
  return ss.str();
}

void write_wechat_articles(const Content& c, const DateTime& now, int days, OutputTree& out) {
  const std::int64_t since = now.epoch - static_cast<std::int64_t>(days) * 86400;
  for (const Item& it : c.items) {
    if (!it.is_public() || (it.section != Section::disclosure && it.section != Section::notices))
      continue;
    if (days > 0 && it.published.epoch < since) continue;
    const Department* d = c.site.department(it.department);
    const std::string canonical = urls::absolute_encoded(c.site.base_url, it.url);
    std::string head = "<h2 style=\"" + k_styles.at("h2") + "text-align:center;\">" +
                       html_escape(it.title) + "</h2>";
    head += "<p style=\"text-align:center;color:#666;font-size:14px;margin:0 0 1em;\">" +
            html_escape(d ? d->name : "") + "　" + it.published.date() +
            (it.doc_no.empty() ? "" : "　" + html_escape(it.doc_no)) + "</p>";
    const std::string html = wechat_html(head + it.html, c.site.base_url);
    std::string stem = urls::tree_path(it.url);  // "disclosure/x/index.html" -> "disclosure/x"
    stem.erase(stem.size() - std::string_view("/index.html").size());
    out.add(contract::k_wechat_prefix + stem + ".html", html + "\n");
    nlohmann::json article = {
        {"title", truncate_chars(it.title, 64, "")},
        {"author", truncate_chars(d ? d->name : c.site.organization.name, 8, "")},
        {"digest", truncate_chars(it.summary, 120)},
        {"content", html},
        {"content_source_url", canonical},
        {"thumb_media_id", ""},
        {"need_open_comment", 0},
        {"only_fans_can_comment", 0}};
    out.add(contract::k_wechat_prefix + stem + ".json",
            nlohmann::json({{"articles", nlohmann::json::array({article})}}).dump(2) + "\n");
  }
}

}  // namespace gongkai::gen
