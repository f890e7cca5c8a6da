#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <set>

#include "gongkai/text.hpp"
#include "server_fixture.hpp"
#include "support.hpp"
#include "wechat.hpp"
#include "wechat_crypto.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

TEST_CASE("WeChat vectors: plain signature") {
  CHECK(wechat::signature({"test", "1410685589", "test"}) ==
        "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff");
}

TEST_CASE("WeChat vectors: encrypt with a fixed random (official sample)") {
  wechat::Cipher c("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxb11529c136998cb6");
  CHECK(c.encrypt("我是中文abcd123", "aaaabbbbccccdddd") ==
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==");
  CHECK(c.decrypt("jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+"
                  "3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==") ==
        std::optional<std::string>("我是中文abcd123"));
}

const char* k_decrypt_vector =
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+"
    "LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn"
    "896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+"
    "WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSV"
    "CZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/"
    "HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5"
    "MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";

TEST_CASE("WeChat vectors: decrypt and msg_signature (official Python sample)") {
  CHECK(wechat::signature({"spamtest", "1409735669", "1320562132", k_decrypt_vector}) ==
        "5d197aaffba7e9b25a30732f161a50dee96bd5fa");
  wechat::Cipher c("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2");
  const auto plain = c.decrypt(k_decrypt_vector);
  REQUIRE(plain);
  pugi::xml_document doc;
  REQUIRE(doc.load_string(plain->c_str()));
  const auto x = doc.child("xml");
  CHECK(std::string(x.child_value("ToUserName")) == "gh_10f6c3c3ac5a");
  CHECK(std::string(x.child_value("FromUserName")) == "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
  CHECK(std::string(x.child_value("Content")) == "abcdteT");
  CHECK(std::string(x.child_value("MsgId")) == "6054768590064713728");
  // The wrong appid is refused.
  CHECK_FALSE(wechat::Cipher("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx_other")
                  .decrypt(k_decrypt_vector));
}

TEST_CASE("WeChat vectors: reply envelope (official docs)") {
  wechat::Cipher c(std::string(43, 'A'), "wx134c8103faa5a59e");
  const std::string enc =
      c.encrypt("<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>", "999951349e8ee746");
  CHECK(enc ==
        "hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+"
        "3HAZbSvPT9t/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7");
  CHECK(wechat::signature({"AAAAA", "1713424427", "415670741", enc}) ==
        "03e0812039325c2712ef5f0f980fd14c70d6e307");
}

TEST_CASE(
    "WeChat replies: CDATA escaping and the 2,047-byte limit cut on whole lines and characters") {
  CHECK(server::cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>");
  pugi::xml_document doc;
  REQUIRE(doc.load_string(("<x>" + server::cdata("a]]>b]]>") + "</x>").c_str()));
  std::string joined;
  for (const auto& part : doc.child("x").children()) joined += part.value();
  CHECK(joined == "a]]>b]]>");
  std::vector<std::pair<std::string, std::string>> links;
  for (int i = 0; i < 40; ++i)
    links.push_back({"邦均镇综合执法大队行政处罚结果公示第" + std::to_string(i) + "期",
                     "https://x.gov.cn/disclosure/" + std::to_string(i) + "/"});
  const std::string body = server::text_reply_body(
      "找到约40条：", links, "<a href=\"https://x.gov.cn/search?q=x\">查看全部结果</a>");
  CHECK(body.size() <= 2047);
  CHECK(valid_utf8(body));
  CHECK(ends_with(body, "查看全部结果</a>"));
  const std::string cut = server::text_reply_body(std::string(3000, 'x') + "汉字", {}, "");
  CHECK(cut.size() <= 2047);
  CHECK(valid_utf8(cut));
}

namespace {

// A test client that speaks exactly as WeChat does.
struct WechatClient {
  const test::RunningServer& srv;
  std::string token, aes_key, appid;
  bool safe = false;
  std::int64_t now = 0;

  httplib::Result post(const std::string& inner_xml, const std::string& nonce = "123456") {
    const std::string ts = std::to_string(now);
    std::string body = inner_xml;
    std::string query = "signature=" + wechat::signature({token, ts, nonce}) + "&timestamp=" + ts +
                        "&nonce=" + nonce + "&openid=oUser";
    if (safe) {
      wechat::Cipher c(aes_key, appid);
      const std::string enc = c.encrypt(inner_xml, "0123456789abcdef");
      body = "<xml><ToUserName><![CDATA[gh_town]]></ToUserName><Encrypt><![CDATA[" + enc +
             "]]></Encrypt></xml>";
      query += "&encrypt_type=aes&msg_signature=" + wechat::signature({token, ts, nonce, enc});
    }
    return srv.client().Post(("/wechat?" + query).c_str(), body, "text/xml");
  }

  // The reply's inner XML (decrypted and signature-checked in safe mode).
  std::string open(const httplib::Result& res, const std::string& nonce = "123456") {
    REQUIRE(res);
    REQUIRE(res->status == 200);
    if (!safe || res->body == "success") return res->body;
    pugi::xml_document env;
    REQUIRE(env.load_string(res->body.c_str()));
    const auto x = env.child("xml");
    const std::string enc = x.child_value("Encrypt");
    CHECK(std::string(x.child_value("MsgSignature")) ==
          wechat::signature({token, x.child_value("TimeStamp"), nonce, enc}));
    CHECK(std::string(x.child_value("Nonce")) == nonce);
    auto plain = wechat::Cipher(aes_key, appid).decrypt(enc);
    REQUIRE(plain);
    return *plain;
  }

  static std::string text(const std::string& content, const std::string& msgid) {
    return "<xml><ToUserName><![CDATA[gh_town]]></ToUserName><FromUserName><![CDATA[oUser]]></"
           "FromUserName><CreateTime>1764120000</CreateTime>"
           "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" +
           content + "]]></Content><MsgId>" + msgid + "</MsgId></xml>";
  }
  static std::string event(const std::string& ev, const std::string& key, const std::string& time) {
    return "<xml><ToUserName><![CDATA[gh_town]]></ToUserName><FromUserName><![CDATA[oUser]]></"
           "FromUserName><CreateTime>" +
           time + "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[" + ev +
           "]]></Event><EventKey><![CDATA[" + key + "]]></EventKey></xml>";
  }
};

std::map<std::string, std::string> fields(const std::string& xml) {
  pugi::xml_document d;
  REQUIRE(d.load_string(xml.c_str()));
  std::map<std::string, std::string> m;
  for (const auto& c : d.child("xml").children()) m[c.name()] = c.child_value();
  return m;
}

struct WechatSite {
  TempDir dir;
  std::unique_ptr<test::RunningServer> server;
  std::int64_t now = DateTime::parse("2026-11-26T10:00:00+08:00")->epoch;
  WechatSite() {
    REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00")
                .exit_code == 0);
    server::ServerOptions o;
    o.output_dir = dir / "out";
    o.now = DateTime::from_epoch(now);
    o.wechat.token = "towntoken";
    o.wechat.appid = "wx0123456789abcdef";
    o.wechat.aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    server = std::make_unique<test::RunningServer>(o);
  }
};

}  // namespace

TEST_CASE("WeChat conversation: plain and safe mode get correct, signed replies") {
  WechatSite site;
  for (const bool safe : {false, true}) {
    INFO((safe ? "safe mode" : "plain mode"));
    WechatClient wx{
        *site.server,         "towntoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "wx0123456789abcdef", safe,        site.now};
    const std::string id = safe ? "2" : "1";

    auto m = fields(wx.open(wx.post(WechatClient::event("subscribe", "", "1764120001" + id))));
    CHECK(m["MsgType"] == "text");
    CHECK(m["ToUserName"] == "oUser");
    CHECK(m["FromUserName"] == "gh_town");
    CHECK(m["CreateTime"] == std::to_string(site.now));
    CHECK(m["Content"].find("欢迎关注蓟州区邦均镇人民政府") != std::string::npos);

    const auto first = wx.post(WechatClient::text("行政处罚", "600000000000000000" + id));
    m = fields(wx.open(first));
    CHECK(m["MsgType"] == "text");
    CHECK(m["Content"].find("<a href=\"https://www.bangjun.example.gov.cn/disclosure/") !=
          std::string::npos);
    CHECK(m["Content"].find("查看全部结果") != std::string::npos);
    CHECK(m["Content"].size() <= 2047);
    // A retry (same MsgId) gets the identical reply.
    const auto retry = wx.post(WechatClient::text("行政处罚", "600000000000000000" + id));
    CHECK(wx.open(retry) == wx.open(first));
    if (!safe) CHECK(retry->body == first->body);

    m = fields(wx.open(wx.post(WechatClient::text("xyzzyqwv", "600000000000000001" + id))));
    CHECK(m["Content"].find("没有找到") != std::string::npos);
    CHECK(m["Content"].find("/disclosure/") != std::string::npos);

    m = fields(wx.open(wx.post(WechatClient::text("帮助", "600000000000000002" + id))));
    CHECK(m["Content"].find("使用方法") != std::string::npos);

    m = fields(wx.open(wx.post(WechatClient::event("CLICK", "LATEST", "1764120002" + id))));
    CHECK(m["MsgType"] == "news");
    CHECK(m["ArticleCount"] == "8");  // an event reply carries at most 8 articles
    m = fields(wx.open(wx.post(WechatClient::event("CLICK", "GUIDE", "1764120003" + id))));
    CHECK(m["ArticleCount"] == "1");

    CHECK(wx.open(wx.post("<xml><ToUserName>gh</ToUserName><FromUserName>u</"
                          "FromUserName><MsgType>image</MsgType><MsgId>9" +
                          id + "</MsgId></xml>")) == "success");
  }
}

TEST_CASE("WeChat: verification, forgeries, stale timestamps, DOCTYPE and oversize bodies") {
  WechatSite site;
  auto c = site.server->client();
  const std::string ts = std::to_string(site.now);
  const std::string good =
      "signature=" + wechat::signature({"towntoken", ts, "n1"}) + "&timestamp=" + ts + "&nonce=n1";
  auto res = c.Get(("/wechat?" + good + "&echostr=hello%20world").c_str());
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "hello world");
  for (const std::string& bad : {"signature=0000&timestamp=" + ts + "&nonce=n1&echostr=x",
                                 "timestamp=" + ts + "&nonce=n1&echostr=x",
                                 "signature=" + wechat::signature({"wrongtoken", ts, "n1"}) +
                                     "&timestamp=" + ts + "&nonce=n1&echostr=x"}) {
    INFO(bad);
    CHECK(c.Get(("/wechat?" + bad).c_str())->status == 403);
    CHECK(c.Post(("/wechat?" + bad).c_str(), WechatClient::text("x", "1"), "text/xml")->status ==
          403);
  }
  // A replayed old request (valid signature, timestamp far in the past) is refused.
  const std::string old_ts = std::to_string(site.now - 3600);
  CHECK(c.Post(("/wechat?signature=" + wechat::signature({"towntoken", old_ts, "n1"}) +
                "&timestamp=" + old_ts + "&nonce=n1")
                   .c_str(),
               WechatClient::text("x", "2"), "text/xml")
            ->status == 403);
  // Safe mode with a forged msg_signature.
  CHECK(c.Post(("/wechat?" + good + "&encrypt_type=aes&msg_signature=abc").c_str(),
               "<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>", "text/xml")
            ->status == 403);
  CHECK(c.Post(("/wechat?" + good).c_str(),
               "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml>&e;</xml>", "text/xml")
            ->status == 400);
  CHECK(c.Post(("/wechat?" + good).c_str(), std::string(70 * 1024, 'x'), "text/xml")->status ==
        413);
  // Garbage that passes the signature check is answered "success", never a 500.
  auto r = c.Post(("/wechat?" + good).c_str(), "not xml at all <<<", "text/xml");
  CHECK(r->status == 200);
  CHECK(r->body == "success");
}

TEST_CASE(
    "WeChat export: article HTML uses only the safe tag set with inline styles, and a draft-API "
    "body") {
  TempDir dir;
  // By default only the last 90 days are exported: the 2021 budget is not, a 2026 item is.
  REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "recent", "2026-11-26T10:00:00+08:00")
              .exit_code == 0);
  const auto recent = test::read_tree(dir / "recent/current/wechat");
  CHECK_FALSE(recent.count("disclosure/2021/budget-2021.json"));
  CHECK_FALSE(recent.empty());
  for (const auto& [path, bytes] : recent) CHECK(path.find("/2026/") != std::string::npos);

  REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00",
                           [](gen::BuildOptions& o) { o.wechat_days = 0; })
              .exit_code == 0);
  const auto tree = test::read_tree(dir / "out/current/wechat");
  REQUIRE(tree.count("disclosure/2021/budget-2021.json"));
  REQUIRE(tree.count("notices/2021/xzcff.html"));
  static const std::set<std::string> k_safe = {
      "section",    "p",  "br", "span", "strong", "em", "h1", "h2", "h3",  "h4",
      "blockquote", "ul", "ol", "li",   "table",  "tr", "th", "td", "img", "hr"};
  int articles = 0;
  for (const auto& [path, bytes] : tree) {
    if (!ends_with(path, ".html")) continue;
    ++articles;
    INFO(path);
    pugi::xml_document d;
    REQUIRE(d.load_string(bytes.c_str()));
    for (const auto& n : d.select_nodes("//*")) {
      CHECK(k_safe.count(n.node().name()));
      CHECK_FALSE(n.node().attribute("class"));
      CHECK_FALSE(n.node().attribute("href"));
    }
    CHECK(bytes.find("<script") == std::string::npos);
    CHECK(bytes.find("<style") == std::string::npos);
  }
  CHECK(articles > 20);
  const auto j = nlohmann::json::parse(tree.at("disclosure/2021/budget-2021.json"));
  CHECK(j["articles"][0]["content_source_url"] ==
        "https://www.bangjun.example.gov.cn/disclosure/2021/budget-2021/");
  CHECK(j["articles"][0]["title"] == "邦均镇人民政府2021年部门预算公开");
  CHECK(j["articles"][0]["content"].get<std::string>().find("style=") != std::string::npos);
  // A link becomes its text with the absolute address (links do not work inside articles).
  CHECK(tree.at("disclosure/2021/budget-2021.html")
            .find("（https://www.bangjun.example.gov.cn/disclosure/2021/budget-2021.csv）") !=
        std::string::npos);
}
