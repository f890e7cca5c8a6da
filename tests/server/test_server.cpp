#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

namespace {

struct ServedExample {
  TempDir dir;
  std::unique_ptr<test::RunningServer> server;
  ServedExample() {
    const auto r =
        test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00");
    REQUIRE(r.exit_code == 0);
    server::ServerOptions o;
    o.output_dir = dir / "out";
    o.threads = 4;
    o.release_poll_ms = 0;
    server = std::make_unique<test::RunningServer>(o);
  }
};

}  // namespace

TEST_CASE(
    "server: static files with content types, index.html for folders, and a redirect to the "
    "slash") {
  ServedExample s;
  auto c = s.server->client();
  struct Case {
    const char* path;
    int status;
    const char* type;
  };
  const Case cases[] = {
      {"/", 200, "text/html; charset=utf-8"},
      {"/disclosure/", 200, "text/html; charset=utf-8"},
      {"/static/style.css", 200, "text/css; charset=utf-8"},
      {"/index.xml", 200, "application/rss+xml; charset=utf-8"},
      {"/feed.json", 200, "application/json; charset=utf-8"},
      {"/sitemap.xml", 200, "application/xml; charset=utf-8"},
      {"/robots.txt", 200, "text/plain; charset=utf-8"},
      {"/responsibilities/zhdd.csv", 200, "text/csv; charset=utf-8"},
      {"/no/such/page/", 404, "text/html; charset=utf-8"},
  };
  for (const auto& cs : cases) {
    INFO(cs.path);
    auto res = c.Get(cs.path);
    REQUIRE(res);
    CHECK(res->status == cs.status);
    CHECK(res->get_header_value("Content-Type") == cs.type);
    CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(res->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'") !=
          std::string::npos);
  }
  auto res = c.Get("/disclosure");
  REQUIRE(res);
  CHECK(res->status == 301);
  CHECK(res->get_header_value("Location") == "/disclosure/");
  res = c.Get("/no/such/page/");
  CHECK(res->body.find("抱歉，您访问的页面不存在") != std::string::npos);
}

TEST_CASE("server: ETag and 304, and gzip when asked") {
  ServedExample s;
  auto c = s.server->client();
  auto first = c.Get("/");
  REQUIRE(first);
  const std::string etag = first->get_header_value("ETag");
  REQUIRE_FALSE(etag.empty());
  auto again = c.Get("/", {{"If-None-Match", etag}});
  REQUIRE(again);
  CHECK(again->status == 304);
  CHECK(again->body.empty());
  auto other = c.Get("/", {{"If-None-Match", "\"something-else\""}});
  CHECK(other->status == 200);

  httplib::Client raw("127.0.0.1", s.server->port());
  raw.set_decompress(false);
  auto gz = raw.Get("/", {{"Accept-Encoding", "gzip"}});
  REQUIRE(gz);
  CHECK(gz->get_header_value("Content-Encoding") == "gzip");
  CHECK(gz->body.size() < first->body.size());
}

TEST_CASE("server: no path ever escapes the site folder") {
  ServedExample s;
  // A symlink inside the site that points outside it.
  test::write_text(s.dir / "secret.txt", "TOP SECRET");
  std::filesystem::create_symlink(s.dir / "secret.txt", s.dir / "out/current/site/leak.txt");
  auto c = s.server->client();
  for (const char* path :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2E%2E/etc/passwd",
        "/static/..%2f..%2f..%2fsecret.txt", "/..%5c..%5csecret.txt",
        "/static%5c..%5c..%5csecret.txt", "/leak.txt", "//etc/passwd", "/%00/etc/passwd",
        "/static/style.css%00.html", "/%c0%ae%c0%ae/secret.txt", "/.well-known/../../secret.txt",
        "/etc/passwd", "/release.json", "/../release.json"}) {
    INFO(path);
    auto res = c.Get(path);
    REQUIRE(res);
    CHECK((res->status == 404 || res->status == 400));
    CHECK(res->body.find("TOP SECRET") == std::string::npos);
    CHECK(res->body.find("root:") == std::string::npos);
    CHECK(res->body.find("build_id") == std::string::npos);
  }
}

TEST_CASE("server: /healthz names the release and picks up a new one without a restart") {
  ServedExample s;
  auto c = s.server->client();
  auto res = c.Get("/healthz");
  REQUIRE(res);
  auto j = nlohmann::json::parse(res->body);
  CHECK(j["status"] == "ok");
  const std::string first = j["release"];
  CHECK(j["documents"].get<int>() > 40);

  const auto r =
      test::build_site(GONGKAI_EXAMPLE_CONTENT, s.dir / "out", "2026-12-05T10:00:00+08:00");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.release_id != first);
  res = c.Get("/healthz");
  j = nlohmann::json::parse(res->body);
  CHECK(j["release"] == r.release_id);
}

TEST_CASE("server: a burst of new connections waits in the listen queue instead of being dropped") {
  // Clients that reconnect together (keep-alive connections close after 1000 requests) must not
  // overflow the accept queue: the kernel would drop their handshakes and stall them for 0.2-1 s.
  // Before the server accepts anything, 64 connections must all complete their handshake.
  TempDir dir;
  server::ServerOptions opt;
  opt.output_dir = dir / "out";
  server::App app(opt);
  const int port = app.bind("127.0.0.1", 0);
  REQUIRE(port > 0);
  std::vector<int> socks;
  for (int i = 0; i < 64; ++i) {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    REQUIRE(s >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socks.push_back(s);
  }
  int connected = 0;
  for (int s : socks) {
    pollfd p{s, POLLOUT, 0};
    int err = -1;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, 500) == 1 && ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
        err == 0)
      ++connected;
  }
  CHECK(connected == 64);  // a backlog of 5 (cpp-httplib's) lets 6 through in time
  for (int s : socks) ::close(s);
  std::thread t([&] { app.run(); });
  app.wait_until_ready();
  app.stop();
  t.join();
}

TEST_CASE("server: other methods are refused, never a 500") {
  ServedExample s;
  auto c = s.server->client();
  auto res = c.Post("/", "x", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 405);
  res = c.Post("/", std::string(200 * 1024, 'x'), "text/plain");
  REQUIRE(res);
  CHECK(res->status == 413);
}

TEST_CASE("server: with nothing published it answers 503 and a clear message") {
  TempDir dir;
  server::ServerOptions o;
  o.output_dir = dir.path();
  test::RunningServer srv(o);
  auto c = srv.client();
  auto res = c.Get("/");
  REQUIRE(res);
  CHECK(res->status == 503);
  res = c.Get("/healthz");
  CHECK(res->status == 503);
}

TEST_CASE(
    "server: the search page fills the theme's slots: query in the title and header box, results "
    "in the page") {
  ServedExample s;
  auto c = s.server->client();
  auto res = c.Get("/search?q=%3Cb%3E%E4%BD%8E%E4%BF%9D");  // <b>低保
  REQUIRE(res);
  CHECK(res->status == 200);
  const std::string& page = res->body;
  CHECK(page.find("<title>站内搜索 - 蓟州区邦均镇人民政府 - &lt;b&gt;低保</title>") !=
        std::string::npos);
  CHECK(page.find("id=\"header-q\" type=\"search\" name=\"q\" value=\"&lt;b&gt;低保\"") !=
        std::string::npos);
  CHECK(page.find("id=\"search-q\" type=\"search\" name=\"q\" value=\"&lt;b&gt;低保\"") !=
        std::string::npos);
  CHECK(page.find("class=\"count\"") !=
        std::string::npos);  // the results template, inside the layout
  CHECK(page.find("<footer") != std::string::npos);
  CHECK(page.find("{{") == std::string::npos);
  CHECK(page.find("<b>") == std::string::npos);
  // Without a query: the plain page, the header box empty.
  res = c.Get("/search");
  REQUIRE(res);
  CHECK(res->body.find("<title>站内搜索 - 蓟州区邦均镇人民政府</title>") != std::string::npos);
  CHECK(res->body.find("id=\"header-q\" type=\"search\" name=\"q\" value=\"\"") !=
        std::string::npos);
}

TEST_CASE(
    "build: a site text carrying a Mustache tag is refused, since the search page template would "
    "read it") {
  TempDir dir;
  std::string site = test::minimal_site_toml();
  site.replace(site.find("测试镇人民政府"), std::string("测试镇人民政府").size(),
               "测试镇{{x}}人民政府");
  test::write_text(dir / "content/site.toml", site);
  const auto r = test::build_site(dir / "content", dir / "out", "2026-11-26T10:00:00+08:00");
  CHECK(r.exit_code != 0);
  CHECK_FALSE(std::filesystem::exists(dir / "out/current"));
}
