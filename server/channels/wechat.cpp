#include "wechat.hpp"

#include <openssl/rand.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <toml++/toml.h>

#include "config_file.hpp"
#include "gongkai/text.hpp"
#include "gongkai/urls.hpp"
#include "search_service.hpp"
#include "wechat_crypto.hpp"

namespace gongkai::server {

namespace {

constexpr std::size_t k_dedup_entries = 2000;

std::string param(const std::multimap<std::string, std::string>& p, const std::string& key) {
  auto it = p.find(key);
  return it == p.end() ? "" : it->second;
}

std::string absolute(const Release* r, const std::string& url) {
  return r ? urls::absolute(r->base_url, url) : url;
}

std::string text_xml(const std::string& to, const std::string& from, const DateTime& now,
                     const std::string& content) {
  return "<xml><ToUserName>" + cdata(to) + "</ToUserName><FromUserName>" + cdata(from) +
         "</FromUserName><CreateTime>" + std::to_string(now.epoch) + "</CreateTime><MsgType>" +
         cdata("text") + "</MsgType><Content>" + cdata(content) + "</Content></xml>";
}

struct Article {
  std::string title, description, url;
};

std::string news_xml(const std::string& to, const std::string& from, const DateTime& now,
                     const std::vector<Article>& articles) {
  std::string xml = "<xml><ToUserName>" + cdata(to) + "</ToUserName><FromUserName>" + cdata(from) +
                    "</FromUserName><CreateTime>" + std::to_string(now.epoch) +
                    "</CreateTime><MsgType>" + cdata("news") + "</MsgType><ArticleCount>" +
                    std::to_string(articles.size()) + "</ArticleCount><Articles>";
  for (const auto& a : articles)
    xml += "<item><Title>" + cdata(a.title) + "</Title><Description>" + cdata(a.description) +
           "</Description><PicUrl>" + cdata("") + "</PicUrl><Url>" + cdata(a.url) + "</Url></item>";
  return xml + "</Articles></xml>";
}

}  // namespace

std::string cdata(const std::string& text) {
  std::string out = "<![CDATA[";
  std::size_t pos = 0;
  for (std::size_t hit; (hit = text.find("]]>", pos)) != std::string::npos; pos = hit + 2)
    out += text.substr(pos, hit + 2 - pos) + "]]><![CDATA[";
  return out + text.substr(pos) + "]]>";
}

std::string text_reply_body(const std::string& intro,
                            const std::vector<std::pair<std::string, std::string>>& links,
                            const std::string& footer, std::size_t max_bytes) {
  std::string body = intro;
  std::size_t n = 0;
  for (const auto& [title, url] : links) {
    const std::string line = "\n" + std::to_string(++n) + ". <a href=\"" + html_escape(url) +
                             "\">" + html_escape(title) + "</a>";
    if (body.size() + line.size() + 1 + footer.size() > max_bytes) break;  // whole lines only
    body += line;
  }
  if (!footer.empty()) body += "\n" + footer;
  return truncate_utf8_bytes(body, max_bytes);
}

namespace {

// The keys of a [wechat] table (or of one [wechat.units.<id>]) over c.
void read_wechat_table(const toml::table& w, WechatConfig& c) {
  if (auto v = w["token"].value<std::string>()) c.token = *v;
  if (auto v = w["appid"].value<std::string>()) c.appid = *v;
  if (auto v = w["aes_key"].value<std::string>()) c.aes_key = *v;
  if (auto m = w["menu"].as_table()) {
    c.menu.clear();
    for (auto&& [k, v] : *m)
      if (auto s = v.value<std::string>()) c.menu[std::string(k.str())] = *s;
  }
}

}  // namespace

std::map<std::string, WechatConfig> load_wechat_unit_configs(const std::filesystem::path& file) {
  std::map<std::string, WechatConfig> out;
  if (file.empty()) return out;
  const toml::table t = parse_config_file(file);
  if (auto units = t["wechat"]["units"].as_table())
    for (auto&& [id, v] : *units)
      if (auto w = v.as_table()) {
        WechatConfig c;
        read_wechat_table(*w, c);
        if (!c.aes_key.empty()) wechat::Cipher check(c.aes_key, c.appid);
        out[std::string(id.str())] = std::move(c);
      }
  return out;
}

WechatConfig load_wechat_config(const std::filesystem::path& file) {
  WechatConfig c;
  if (const char* v = std::getenv("GONGKAI_WECHAT_TOKEN")) c.token = v;
  if (const char* v = std::getenv("GONGKAI_WECHAT_APPID")) c.appid = v;
  if (const char* v = std::getenv("GONGKAI_WECHAT_AES_KEY")) c.aes_key = v;
  if (!file.empty()) {
    const toml::table t = parse_config_file(file);
    if (auto w = t["wechat"].as_table()) read_wechat_table(*w, c);
  }
  if (!c.aes_key.empty()) wechat::Cipher check(c.aes_key, c.appid);  // throws on a malformed key
  return c;
}

WechatService::WechatService(WechatConfig config) : m_config(std::move(config)) {
  if (!m_config.random16)
    m_config.random16 = [] {
      std::string r(16, '\0');
      RAND_bytes(reinterpret_cast<unsigned char*>(r.data()), 16);
      static const char* k_alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
      for (auto& ch : r) ch = k_alnum[static_cast<unsigned char>(ch) % 62];
      return r;
    };
}

WechatReply WechatService::handle(const WechatRequest& req, const Release* release,
                                  const DateTime& now, const WechatScope& scope) {
  if (!m_config.enabled()) return {404, "WeChat is not configured on this server\n"};
  const std::string sig = param(req.params, "signature"), ts = param(req.params, "timestamp"),
                    nonce = param(req.params, "nonce");
  if (sig.empty() || ts.empty() || nonce.empty() || ts.size() > 20 || nonce.size() > 64 ||
      !wechat::constant_time_equal(wechat::signature({m_config.token, ts, nonce}), sig))
    return {403, "signature check failed\n"};
  if (req.method == "GET") return {200, param(req.params, "echostr")};
  char* end = nullptr;
  const long long t = std::strtoll(ts.c_str(), &end, 10);
  if (!end || *end || std::llabs(t - now.epoch) > m_config.max_clock_skew)
    return {403, "stale timestamp\n"};
  std::string lower = req.body.substr(0, std::min<std::size_t>(req.body.size(), 64 * 1024));
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower.find("<!doctype") != std::string::npos || lower.find("<!entity") != std::string::npos)
    return {400, "DOCTYPE is not accepted\n"};

  const bool safe = param(req.params, "encrypt_type") == "aes";
  std::string xml = req.body;
  std::optional<wechat::Cipher> cipher;
  if (safe) {
    if (m_config.aes_key.empty()) return {403, "safe mode is not configured\n"};
    pugi::xml_document env;
    if (!env.load_buffer(req.body.data(), req.body.size())) return {400, "body is not XML\n"};
    const std::string encrypted = env.child("xml").child_value("Encrypt");
    const std::string msg_sig = param(req.params, "msg_signature");
    if (encrypted.empty() || msg_sig.empty() ||
        !wechat::constant_time_equal(wechat::signature({m_config.token, ts, nonce, encrypted}),
                                     msg_sig))
      return {403, "msg_signature check failed\n"};
    cipher.emplace(m_config.aes_key, m_config.appid);
    auto plain = cipher->decrypt(encrypted);
    if (!plain) return {403, "cannot decrypt the message (wrong key or appid)\n"};
    xml = *plain;
  }
  WechatReply reply;
  try {
    reply = handle_message(xml, release, now, scope);
  } catch (const std::exception& e) {
    std::cerr << "gongkai-serve: wechat: " << e.what() << "\n";
    return {200, "success"};
  }
  if (!safe || reply.body == "success") return reply;
  // The encrypted envelope; retries reuse the cached plain reply, so they decrypt identically.
  const std::string encrypted = cipher->encrypt(reply.body, m_config.random16());
  const std::string rts = std::to_string(now.epoch);
  const std::string msg_sig = wechat::signature({m_config.token, rts, nonce, encrypted});
  return {200,
          "<xml><Encrypt>" + cdata(encrypted) + "</Encrypt><MsgSignature>" + cdata(msg_sig) +
              "</MsgSignature><TimeStamp>" + rts + "</TimeStamp><Nonce>" + cdata(nonce) +
              "</Nonce></xml>",
          "application/xml; charset=utf-8"};
}

WechatReply WechatService::handle_message(const std::string& xml, const Release* release,
                                          const DateTime& now, const WechatScope& scope) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return {200, "success"};
  std::map<std::string, std::string> msg;
  for (const auto& child : doc.child("xml").children()) msg[child.name()] = child.child_value();
  const std::string key = !msg["MsgId"].empty()
                              ? "m:" + msg["MsgId"]
                              : "e:" + msg["FromUserName"] + "|" + msg["CreateTime"];
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (auto it = m_replies.find(key); it != m_replies.end())
      return {200, it->second, "application/xml; charset=utf-8"};
  }
  std::string body = reply_for(msg, release, now, scope);
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_replies.emplace(key, body).second) {
      m_order.push_back(key);
      if (m_order.size() > k_dedup_entries) {
        m_replies.erase(m_order.front());
        m_order.pop_front();
      }
    }
  }
  if (body == "success") return {200, body};
  return {200, body, "application/xml; charset=utf-8"};
}

std::string WechatService::reply_for(const std::map<std::string, std::string>& msg_in,
                                     const Release* release, const DateTime& now,
                                     const WechatScope& scope) {
  auto msg = msg_in;
  const std::string to = msg["FromUserName"], from = msg["ToUserName"], type = msg["MsgType"];
  const std::string site = release && !release->site_title.empty() ? release->site_title : "本站";
  if (to.empty() || from.empty()) return "success";
  if (type == "event") {
    const std::string event = msg["Event"];
    if (event == "subscribe")
      return text_xml(to, from, now,
                      "欢迎关注" + site +
                          "！\n直接回复关键词即可查询政府信息公开内容，例如：低保、宅基地、行政处罚"
                          "。\n回复“帮助”查看用法。");
    if (event == "CLICK" && release) {
      auto it = m_config.menu.find(msg["EventKey"]);
      if (it == m_config.menu.end()) return "success";
      std::vector<Article> articles;
      if (it->second == "latest") {
        for (const auto& a : release->wechat_latest)
          articles.push_back({a.title, a.summary, absolute(release, a.url)});
      } else if (it->second == "notices") {
        for (const auto& n : led::current_items(release->led.items, now))
          articles.push_back({n.title, n.text, absolute(release, n.id)});
      } else if (it->second == "guide" && !release->wechat_guide.url.empty()) {
        articles.push_back({release->wechat_guide.title, release->wechat_guide.summary,
                            absolute(release, release->wechat_guide.url)});
      }
      if (articles.empty()) return text_xml(to, from, now, "暂无内容。");
      if (articles.size() > 8) articles.resize(8);  // an event reply carries at most 8 articles
      return news_xml(to, from, now, articles);
    }
    return "success";
  }
  if (type != "text") return "success";
  std::string q = trim(msg["Content"]);
  if (q == "帮助" || q == "?" || q == "？" || q == "help" || q == "帮助？")
    return text_xml(to, from, now,
                    "使用方法：\n1. 回复关键词搜索，如“低保”“宅基地”“蓟邦政发〔2022〕1号”\n2. "
                    "点击菜单查看最新信息、正在展示的普法公告和政府信息公开指南\n3. 网站：" +
                        (release ? release->base_url : std::string()));
  if (!release) return "success";
  q = truncate_chars(q, 50, "");
  std::string error;
  auto sp = parse_search_params({{"q", q}, {"per_page", "5"}}, error);
  if (!sp) return "success";
  const SearchResult res = scope.search ? scope.search(*sp) : run_search(*release, *sp);
  const std::string more = absolute(release, scope.root + urls::search_query(q).substr(1));
  const std::string browse = !scope.browse_url.empty()
                                 ? scope.browse_url
                                 : scope.root + urls::section(Section::disclosure).substr(1);
  if (res.hits.empty())
    return text_xml(to, from, now,
                    "没有找到与“" + q + "”相关的信息。\n可以换个说法再试，或浏览<a href=\"" +
                        html_escape(absolute(release, browse)) +
                        "\">政府信息公开目录</a>。回复“帮助”查看用法。");
  std::vector<std::pair<std::string, std::string>> links;
  for (const auto& h : res.hits) links.push_back({h.title, absolute(release, h.url)});
  const std::string intro = "找到约" + std::to_string(res.total) + "条与“" + q + "”相关的信息：";
  const std::string footer = "<a href=\"" + html_escape(more) + "\">查看全部结果</a>";
  return text_xml(to, from, now, text_reply_body(intro, links, footer));
}

}  // namespace gongkai::server
