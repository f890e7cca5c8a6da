// gongkai-serve's connection handling (server/http_server.cpp): total deadlines for request heads
// and bodies, per-address and total connection caps that shed the oldest idle connection,
// pipelining, 100-continue, chunked bodies, and the [limits] table of the config file.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "http_server.hpp"
#include "server_fixture.hpp"
#include "support.hpp"

using namespace gongkai;
using gongkai::test::TempDir;
using Clock = std::chrono::steady_clock;

namespace {

// A raw loopback connection, for bytes no HTTP client library would send.
class Raw {
 public:
  explicit Raw(int port, const char* source = "127.0.0.1") {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(m_fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  }
  ~Raw() { ::close(m_fd); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;

  bool send(const std::string& s) {
    return ::send(m_fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Everything that arrives within `wait`, or until the server closes.
  std::string read(std::chrono::milliseconds wait, bool* closed = nullptr) {
    std::string got;
    const auto end = Clock::now() + wait;
    if (closed) *closed = false;
    while (Clock::now() < end) {
      pollfd p{m_fd, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
      if (::poll(&p, 1, static_cast<int>(std::max<long long>(1, left))) <= 0) continue;
      char buf[65536];
      const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed) *closed = true;
        break;
      }
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }
  // Reads until `needle` has appeared `times` times (or the wait is over).
  std::string read_until(const std::string& needle, int times, std::chrono::milliseconds wait) {
    std::string got;
    const auto end = Clock::now() + wait;
    auto count = [&] {
      int n = 0;
      for (auto p = got.find(needle); p != std::string::npos; p = got.find(needle, p + 1)) ++n;
      return n;
    };
    while (Clock::now() < end && count() < times) {
      bool closed = false;
      got += read(std::chrono::milliseconds(50), &closed);
      if (closed) break;
    }
    return got;
  }
  bool closed_within(std::chrono::milliseconds wait) {
    bool closed = false;
    const auto end = Clock::now() + wait;
    while (!closed && Clock::now() < end) read(std::chrono::milliseconds(50), &closed);
    return closed;
  }

 private:
  int m_fd = -1;
};

struct Site {
  TempDir dir;
  Site() {
    test::write_text(dir / "content/site.toml", test::minimal_site_toml());
    test::write_text(dir / "content/pages/about.md", "+++\ntitle = \"关于\"\n+++\n正文。\n");
    REQUIRE(test::build_site(dir / "content", dir / "out", "2026-11-26T10:00:00+08:00").exit_code ==
            0);
  }
  server::ServerOptions options(server::ConnectionLimits l = {}) const {
    server::ServerOptions o;
    o.output_dir = dir / "out";
    o.limits = l;
    o.release_poll_ms = 0;
    return o;
  }
};

int count_of(const std::string& s, const std::string& needle) {
  int n = 0;
  for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "connections: a head trickled byte by byte is cut off at its total deadline, not reset by each "
    "byte") {
  Site site;
  server::ConnectionLimits l;
  l.header_timeout = 1.0;
  test::RunningServer srv(site.options(l));
  Raw slow(srv.port());
  REQUIRE(slow.send("GET / HTTP/1.1\r\n"));
  const auto start = Clock::now();
  std::string got;
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {  // a header line every 100 ms, for up to 3 s
    slow.send("X-Slow-" + std::to_string(i) + ": 1\r\n");
    got += slow.read(std::chrono::milliseconds(100), &closed);
  }
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  CHECK(got.rfind("HTTP/1.1 408", 0) == 0);
  CHECK(took < 2.0);
  CHECK(took > 0.8);
  CHECK(srv.client().Get("/healthz")->status == 200);
}

TEST_CASE(
    "connections: a body trickled slowly is cut off, one that arrives at a fair rate is answered") {
  Site site;
  server::ConnectionLimits l;
  l.body_timeout = 1.0;
  l.body_min_rate = 1000;
  test::RunningServer srv(site.options(l));
  {
    Raw slow(srv.port());
    REQUIRE(slow.send("POST /wechat HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"));
    const auto start = Clock::now();
    std::string got;
    bool closed = false;
    for (int i = 0; i < 40 && !closed;
         ++i) {  // 10 bytes per 100 ms: 100 B/s, under the minimum rate
      slow.send(std::string(10, 'x'));
      got += slow.read(std::chrono::milliseconds(100), &closed);
    }
    CHECK(got.rfind("HTTP/1.1 408", 0) == 0);
    CHECK(std::chrono::duration<double>(Clock::now() - start).count() < 2.5);
  }
  {
    // 3,000 bytes over 1.5 s (2,000 B/s): past body_timeout, but earning time as it comes.
    Raw fair(srv.port());
    REQUIRE(fair.send("POST /prefs/elder HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n"));
    for (int i = 0; i < 15; ++i) {
      fair.send(std::string(200, 'y'));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const std::string got = fair.read_until("\r\n\r\n", 1, std::chrono::milliseconds(2000));
    CHECK(got.rfind("HTTP/1.1 405", 0) == 0);  // POST on a page: the request arrived whole
  }
}

TEST_CASE(
    "connections: over the per-address cap the oldest unfinished connection is shed, never the "
    "newcomer") {
  Site site;
  server::ConnectionLimits l;
  l.max_per_address = 4;
  test::RunningServer srv(site.options(l));
  Raw oldest(srv.port());
  oldest.send("GET / HTTP/1.1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Raw b(srv.port()), c(srv.port()), d(srv.port());
  b.send("GET / HTTP/1.1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Another address is counted apart: it sheds nothing of 127.0.0.1.
  Raw other(srv.port(), "127.0.0.2");
  other.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(other.read_until("\r\n\r\n", 1, std::chrono::milliseconds(2000)).rfind("HTTP/1.1 200", 0) ==
        0);
  CHECK_FALSE(oldest.closed_within(std::chrono::milliseconds(100)));
  // A fifth from 127.0.0.1 is served; the oldest of its four goes.
  Raw fifth(srv.port());
  fifth.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(fifth.read_until("\r\n\r\n", 1, std::chrono::milliseconds(2000)).rfind("HTTP/1.1 200", 0) ==
        0);
  CHECK(oldest.closed_within(std::chrono::milliseconds(1000)));
  CHECK_FALSE(b.closed_within(std::chrono::milliseconds(100)));
  CHECK(srv.connection_stats().shed >= 1);
}

TEST_CASE(
    "connections: an idle keep-alive connection is shed before one still sending its request") {
  Site site;
  server::ConnectionLimits l;
  l.max_per_address = 2;
  test::RunningServer srv(site.options(l));
  Raw unfinished(srv.port());
  unfinished.send("GET / HTTP/1.1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Raw idle(srv.port());
  idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(idle.read_until("\r\n\r\n", 1, std::chrono::milliseconds(2000)).rfind("HTTP/1.1 200", 0) ==
        0);
  Raw third(srv.port());
  third.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(third.read_until("\r\n\r\n", 1, std::chrono::milliseconds(2000)).rfind("HTTP/1.1 200", 0) ==
        0);
  CHECK(idle.closed_within(std::chrono::milliseconds(1000)));
  CHECK_FALSE(unfinished.closed_within(std::chrono::milliseconds(100)));
}

TEST_CASE(
    "connections: pipelined requests are answered in order, and the request limit closes the "
    "connection") {
  Site site;
  server::ConnectionLimits l;
  l.max_requests = 3;
  test::RunningServer srv(site.options(l));
  Raw r(srv.port());
  r.send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /pages/about/ HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /no/such/page/ HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  bool closed = false;
  std::string got = r.read_until("HTTP/1.1 ", 4, std::chrono::milliseconds(2000));
  got += r.read(std::chrono::milliseconds(200), &closed);
  const auto a = got.find("HTTP/1.1 200"), b = got.find("关于"), c = got.find("HTTP/1.1 404");
  CHECK(a != std::string::npos);
  CHECK(b != std::string::npos);
  CHECK(c != std::string::npos);
  CHECK((a < b && b < c));
  CHECK(count_of(got, "HTTP/1.1 ") == 3);  // the fourth is past max_requests
  CHECK(got.find("Connection: close") != std::string::npos);
  CHECK(closed);
}

TEST_CASE(
    "connections: Expect 100-continue gets one 100, chunked bodies are read, and too large ones "
    "get 413") {
  Site site;
  test::RunningServer srv(site.options());
  {
    Raw r(srv.port());
    r.send(
        "POST /prefs/elder HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
        "5\r\n\r\n");
    CHECK(r.read_until("\r\n\r\n", 1, std::chrono::milliseconds(2000))
              .rfind("HTTP/1.1 100 Continue\r\n\r\n", 0) == 0);
    r.send("hello");
    const std::string got = r.read_until("\r\n\r\n", 1, std::chrono::milliseconds(2000));
    CHECK(got.rfind("HTTP/1.1 405", 0) == 0);
    CHECK(count_of(got, "100 Continue") == 0);
  }
  {
    Raw r(srv.port());
    r.send(
        "POST /prefs/elder HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
        "chunked\r\n\r\n5\r\nhello\r\n");
    CHECK(r.read(std::chrono::milliseconds(200)).empty());  // not whole yet: no worker has it
    r.send("6;ext=1\r\n world\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string got = r.read_until("HTTP/1.1 ", 2, std::chrono::milliseconds(2000));
    CHECK(got.rfind("HTTP/1.1 405", 0) == 0);
    CHECK(got.find("HTTP/1.1 200") != std::string::npos);  // the chunked body was framed exactly
  }
  {
    Raw r(srv.port());
    std::string big = "POST /wechat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20; ++i) big += "1000\r\n" + std::string(4096, 'z') + "\r\n";
    r.send(big);
    CHECK(r.read_until("\r\n\r\n", 1, std::chrono::milliseconds(2000)).rfind("HTTP/1.1 413", 0) ==
          0);
  }
  {
    Raw r(srv.port());
    r.send("POST /wechat HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n");
    CHECK(r.read_until("\r\n\r\n", 1, std::chrono::milliseconds(2000)).rfind("HTTP/1.1 400", 0) ==
          0);
  }
}

TEST_CASE(
    "connections: an idle keep-alive connection closes at idle_timeout, a silent new one at "
    "header_timeout") {
  Site site;
  server::ConnectionLimits l;
  l.idle_timeout = 0.5;
  l.header_timeout = 1.0;
  test::RunningServer srv(site.options(l));
  Raw idle(srv.port());
  idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(idle.read_until("\r\n\r\n", 1, std::chrono::milliseconds(2000)).rfind("HTTP/1.1 200", 0) ==
        0);
  const auto start = Clock::now();
  Raw silent(srv.port());
  CHECK(idle.closed_within(std::chrono::milliseconds(1500)));
  CHECK(std::chrono::duration<double>(Clock::now() - start).count() < 1.2);
  CHECK(silent.closed_within(std::chrono::milliseconds(2000)));
  CHECK(srv.connection_stats().timed_out >= 2);
}

TEST_CASE("connections: the [limits] table of the config file, with file:line:column errors") {
  TempDir dir;
  test::write_text(
      dir / "serve.toml",
      "[limits]\nworkers = 3\nmax_connections = 100\nmax_connections_per_address = "
      "7\nheader_timeout = 2.5\n"
      "body_timeout = 4\nidle_timeout = 1\nwrite_timeout = 6\nbody_min_rate = 10\nwrite_min_rate = "
      "20\n"
      "max_requests_per_connection = 9\noutput_budget_mib = 2\n[wechat]\ntoken = \"t\"\n");
  const auto l = server::load_connection_limits(dir / "serve.toml");
  CHECK(l.workers == 3);
  CHECK(l.max_connections == 100);
  CHECK(l.max_per_address == 7);
  CHECK(l.header_timeout == 2.5);
  CHECK(l.body_timeout == 4);
  CHECK(l.idle_timeout == 1);
  CHECK(l.write_timeout == 6);
  CHECK(l.body_min_rate == 10);
  CHECK(l.write_min_rate == 20);
  CHECK(l.max_requests == 9);
  CHECK(l.output_budget == 2u << 20);
  CHECK(server::load_connection_limits({}).max_per_address ==
        server::ConnectionLimits{}.max_per_address);

  test::write_text(dir / "bad.toml", "[limits]\nworkers = 2\nheader_timout = 3\n");
  CHECK_THROWS_WITH(server::load_connection_limits(dir / "bad.toml"),
                    Catch::Contains("bad.toml:3:17: [limits] header_timout is not a known limit"));
  test::write_text(dir / "bad2.toml", "[limits]\nmax_connections = -5\n");
  CHECK_THROWS_WITH(
      server::load_connection_limits(dir / "bad2.toml"),
      Catch::Contains("bad2.toml:2:19: [limits] max_connections must be a whole number"));
  test::write_text(dir / "bad3.toml", "[limits]\nidle_timeout = \"5s\"\n");
  CHECK_THROWS_WITH(
      server::load_connection_limits(dir / "bad3.toml"),
      Catch::Contains("bad3.toml:2:16: [limits] idle_timeout must be a number of seconds"));
}
