#include <catch2/catch.hpp>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <thread>

#include "gongkai/text.hpp"
#include "server_fixture.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;

namespace {

struct Served {
  TempDir dir;
  std::unique_ptr<test::RunningServer> server;
  Served() {
    REQUIRE(test::build_site(GONGKAI_EXAMPLE_CONTENT, dir / "out", "2026-11-26T10:00:00+08:00")
                .exit_code == 0);
    server::ServerOptions o;
    o.output_dir = dir / "out";
    o.threads = 4;
    server = std::make_unique<test::RunningServer>(o);
  }
};

// Sends raw bytes on a fresh loopback connection and returns the status line.
std::string raw_request(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  char buf[512];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ::close(fd);
  if (n <= 0) return "";
  const std::string head(buf, static_cast<std::size_t>(n));
  return head.substr(0, head.find("\r\n"));
}

}  // namespace

TEST_CASE("hostile HTTP: oversized URLs, headers and bodies get 414, 431/400 and 413") {
  Served s;
  const int port = s.server->port();
  CHECK(raw_request(port, "GET /" + std::string(10000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n")
            .find(" 414 ") != std::string::npos);
  const std::string big_header =
      "GET / HTTP/1.1\r\nHost: x\r\nX-Junk: " + std::string(20000, 'b') + "\r\n\r\n";
  const std::string status = raw_request(port, big_header);
  CHECK((status.find(" 431 ") != std::string::npos || status.find(" 400 ") != std::string::npos ||
         status.empty()));
  CHECK(raw_request(port, "POST /wechat HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                              std::string(100000, 'c'))
            .find(" 413 ") != std::string::npos);
  CHECK(raw_request(port, "GARBAGE\r\n\r\n").find(" 400 ") != std::string::npos);
  // The server is still fine afterwards.
  CHECK(s.server->client().Get("/healthz")->status == 200);
}

TEST_CASE(
    "hostile HTTP: malformed percent-encoding, NUL, overlong UTF-8 and operator floods never give "
    "500") {
  Served s;
  auto c = s.server->client();
  for (const char* path :
       {"/%", "/%zz", "/%E4%B8", "/a%00b", "/%c0%af", "/%ff%fe", "/search?q=%", "/search?q=%E4%B8",
        "/api/search?q=%00", "/api/search?q=%c0%af", "/api/search?section=%ff",
        "/led/v1/feed.txt?charset=%00",
        "/api/search?q=AND%20OR%20NOT%20NEAR%20ADJ%20XOR%20((((((%22%22%22*~^&page=1",
        "/api/search?q="
        "title:x%20site:y%20-z%20+a%20%22b%20c%22",
        "/prefs/elder?back=//evil.example", "/prefs/elder?back=%0d%0aSet-Cookie:%20x=1"}) {
    INFO(path);
    auto res = c.Get(path);
    REQUIRE(res);
    CHECK(res->status < 500);
    CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
  }
  auto res = c.Get("/prefs/elder?back=//evil.example");
  CHECK(res->get_header_value("Location") == "/");
  res = c.Get(("/api/search?q=" + std::string(10000, 'x')).c_str());
  CHECK(res->status == 414);  // longer than the server's URI limit
  res = c.Get(("/api/search?q=" + std::string(3000, 'x')).c_str());
  CHECK(res->status == 400);
  CHECK(res->body.find("too long") != std::string::npos);
  std::string ops;
  for (int i = 0; i < 50; ++i) ops += "(a OR b) AND NOT ";
  res = c.Get(("/api/search?q=" + url_encode_component(ops)).c_str());
  CHECK(res->status == 200);
  res = c.Get(("/api/search?q=" + url_encode_component(std::string(300, '*'))).c_str());
  CHECK(res->status == 200);
}

TEST_CASE("hostile HTTP: XSS probes are escaped in every parameter and in snippets") {
  Served s;
  auto c = s.server->client();
  const std::string probe = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";
  const std::string enc = url_encode_component(probe);
  for (const std::string& path :
       {"/search?q=" + enc, "/search?q=x&section=" + enc,
        "/search?q=%E8%A1%8C%E6%94%BF&department=" + enc,
        "/search?q=%E8%A1%8C%E6%94%BF&category=" + enc, "/search?q=x&sort=" + enc,
        "/search?q=x&page=" + enc, "/api/search?q=" + enc, "/api/search?department=" + enc,
        "/led/v1/feed.txt?screen=" + enc, "/led/v1/feed.json?mode=" + enc, "/" + enc,
        "/wechat?echostr=" + enc}) {
    INFO(path);
    auto res = c.Get(path.c_str());
    REQUIRE(res);
    CHECK(res->status < 500);
    CHECK(res->body.find("<script>alert(1)") == std::string::npos);
    CHECK(res->body.find("<img src=x") == std::string::npos);
    CHECK(res->get_header_value("Content-Security-Policy").find("script-src 'self'") !=
          std::string::npos);
  }
}

TEST_CASE("hostile HTTP: a slow client is cut off by the read timeout and does not block others") {
  Served s;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(s.server->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::send(fd, "GET / HTTP/1.1\r\nHo", 18, MSG_NOSIGNAL);  // and then nothing
  CHECK(s.server->client().Get("/healthz")->status == 200);
  ::close(fd);
}

TEST_CASE(
    "publishing under load: ten releases one after another, zero failed answers, each from one "
    "complete release") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  auto publish = [&](int v) {
    test::write_text(dir / "content/pages/version.md",
                     "+++\ntitle = \"版本页\"\nmenu = true\n+++\n当前版本标记VERSION" +
                         std::to_string(v) + "END\n");
    test::write_text(dir / "content/disclosure/v.md",
                     "+++\ntitle = \"版本公告" + std::to_string(v) +
                         "\"\ndepartment = \"dzb\"\ncategory = \"fzzf\"\npublished = "
                         "2022-03-01\n+++\n版本正文。\n");
    const auto r = test::build_site(dir / "content", dir / "out");
    REQUIRE(r.exit_code == 0);
    return r.release_id;
  };
  std::set<std::string> releases = {publish(0)};
  server::ServerOptions o;
  o.output_dir = dir / "out";
  o.threads = 8;
  o.release_poll_ms = 0;
  test::RunningServer srv(o);
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, bad{0}, torn{0};
  std::vector<std::thread> clients;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);  // bounded in time
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      auto c = srv.client();
      int n = 0;
      while (!stop && std::chrono::steady_clock::now() < deadline && n < 5000) {
        ++n;
        const char* path = t % 3 == 0   ? "/pages/version/"
                           : t % 3 == 1 ? "/api/search?q=%E7%89%88%E6%9C%AC%E5%85%AC%E5%91%8A"
                                        : "/healthz";
        auto res = c.Get(path);
        if (!res || res->status != 200) {
          ++bad;
          continue;
        }
        ++ok;
        if (t % 3 == 0) {
          // One complete page of one release: exactly one version marker, and the whole document.
          const auto a = res->body.find("VERSION"), b = res->body.rfind("VERSION");
          if (a == std::string::npos || a != b || res->body.find("</html>") == std::string::npos)
            ++torn;
        } else if (t % 3 == 1) {
          const auto j = nlohmann::json::parse(res->body, nullptr, false);
          if (!j.is_object() || j["results"].size() != 1)
            ++torn;  // one item per release, never zero or two
        }
      }
    });
  }
  for (int v = 1; v <= 10; ++v) releases.insert(publish(v));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (auto& th : clients) th.join();
  CHECK(releases.size() == 11);
  CHECK(bad == 0);
  CHECK(torn == 0);
  CHECK(ok > 100);
  const auto j = nlohmann::json::parse(srv.client().Get("/healthz")->body);
  CHECK(j["release"] == std::filesystem::read_symlink(dir / "out/current").filename().string());
}

TEST_CASE("staff mistakes: duplicate keys, tabs, huge and empty files get clear diagnostics") {
  TempDir dir;
  test::write_text(dir / "content/site.toml", test::minimal_site_toml());
  test::write_text(dir / "content/disclosure/dup.md", "+++\ntitle = \"甲\"\ntitle = \"乙\"\n+++\n");
  test::write_text(dir / "content/disclosure/tabs.md",
                   "+++\ntitle\t=\t\"制表符\"\ndepartment = \"dzb\"\ncategory = "
                   "\"fzzf\"\npublished = 2021-01-01\n+++\n正文\n");
  test::write_text(dir / "content/disclosure/empty.md", "");
  test::write_text(dir / "content/disclosure/huge.md",
                   "+++\ntitle = \"大\"\n+++\n" + std::string(9 << 20, 'x'));
  const auto r = test::build_site(dir / "content", dir / "out");
  CHECK(r.exit_code == 1);
  const auto lines = test::diagnostic_lines(r);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].rfind("content/disclosure/dup.md:3:9: error: invalid TOML: ", 0) == 0);
  CHECK(lines[0].find("title") != std::string::npos);
  CHECK(lines[1] ==
        "content/disclosure/empty.md: error: file is empty; add +++ front matter with at least a "
        "title");
  CHECK(lines[2] ==
        "content/disclosure/huge.md: error: file is larger than 8 MiB; split it or attach the "
        "document as a file");
}
