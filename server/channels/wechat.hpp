// The WeChat official-account callback (/wechat): verification, plain and safe mode, replies
// from the same search index and lists as the site, retries answered identically. Any internal
// failure answers "success" (WeChat shows users an error for anything else); forged requests 403.
#pragma once
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "gongkai/datetime.hpp"
#include "release.hpp"

namespace gongkai::server {

struct WechatConfig {
  std::string token, appid, aes_key;  // secrets: environment or --config, never content
  std::map<std::string, std::string> menu = {
      {"LATEST", "latest"}, {"NOTICES", "notices"}, {"GUIDE", "guide"}};
  std::function<std::string()> random16;  // 16 random bytes for safe-mode replies (tests fix it)
  std::int64_t max_clock_skew = 300;      // seconds a request's timestamp may differ from now
  bool enabled() const { return !token.empty(); }
};

// Environment (GONGKAI_WECHAT_TOKEN, _APPID, _AES_KEY) overridden by a TOML file's [wechat]
// table and [wechat.menu]. Throws std::runtime_error with the file's line on a bad file.
WechatConfig load_wechat_config(const std::filesystem::path& config_file);

// Per-unit accounts of a platform: [wechat.units.<id>] tables with the keys of [wechat] (the
// environment is not read for them). Throws std::runtime_error like load_wechat_config.
std::map<std::string, WechatConfig> load_wechat_unit_configs(
    const std::filesystem::path& config_file);

struct SearchParams;
struct SearchResult;

// Whom an account speaks for: a site of its own (the defaults), a platform's unit, the platform.
struct WechatScope {
  std::function<SearchResult(const SearchParams&)> search;  // empty: the release's own index
  std::string root = "/";  // the URL prefix of the account's site (its search page's links)
  std::string browse_url;  // where "no hit" replies send people ("": <root>disclosure/)
};

struct WechatRequest {
  std::string method;  // GET | POST
  std::multimap<std::string, std::string> params;
  std::string body;
};

struct WechatReply {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

class WechatService {
 public:
  explicit WechatService(WechatConfig config);
  WechatReply handle(const WechatRequest& req, const Release* release, const DateTime& now,
                     const WechatScope& scope = {});

 private:
  WechatReply handle_message(const std::string& xml, const Release* release, const DateTime& now,
                             const WechatScope& scope);
  std::string reply_for(const std::map<std::string, std::string>& msg, const Release* release,
                        const DateTime& now, const WechatScope& scope);

  WechatConfig m_config;
  std::mutex m_mutex;
  std::map<std::string, std::string> m_replies;  // dedup key -> body, for retries
  std::deque<std::string> m_order;
};

// Pieces exposed for tests.
std::string cdata(const std::string& text);  // <![CDATA[…]]> with "]]>" split safely
std::string text_reply_body(const std::string& intro,
                            const std::vector<std::pair<std::string, std::string>>& links,
                            const std::string& footer, std::size_t max_bytes = 2047);

}  // namespace gongkai::server
