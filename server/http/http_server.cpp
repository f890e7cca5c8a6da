#include "http_server.hpp"
#include "config_file.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

namespace gongkai::server {

namespace {

using Clock = std::chrono::steady_clock;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A finished answer the loop writes itself (before a worker saw the request).
std::string plain_response(int status, const char* reason, const std::string& message) {
  const std::string body = message + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nConnection: "
         "close\r\n"
         "X-Content-Type-Options: nosniff\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

ConnectionLimits load_connection_limits(const std::filesystem::path& file) {
  ConnectionLimits l;
  if (file.empty()) return l;
  const toml::table t = parse_config_file(file);
  const toml::table* limits = t["limits"].as_table();
  if (!limits) return l;
  for (auto&& entry :
       *limits) {  // not a structured binding: clang 14 cannot capture one in a lambda
    const toml::key& key = entry.first;
    const toml::node& node = entry.second;
    const auto where = [&] {
      return file.string() + ":" + std::to_string(node.source().begin.line) + ":" +
             std::to_string(node.source().begin.column) + ": [limits] " + std::string(key.str());
    };
    auto integer = [&](std::size_t& out, std::int64_t lo, std::int64_t hi) {
      const auto v = node.value<std::int64_t>();
      if (!node.is_integer() || !v || *v < lo || *v > hi)
        throw std::runtime_error(where() + " must be a whole number from " + std::to_string(lo) +
                                 " to " + std::to_string(hi));
      out = static_cast<std::size_t>(*v);
    };
    auto secs = [&](double& out) {
      const auto v = node.value<double>();
      if (!(node.is_integer() || node.is_floating_point()) || !v || !(*v >= 0.1 && *v <= 3600))
        throw std::runtime_error(where() + " must be a number of seconds from 0.1 to 3600");
      out = *v;
    };
    const std::string_view k = key.str();
    std::size_t n = 0;
    if (k == "workers") {
      integer(n, 1, 256);
      l.workers = static_cast<int>(n);
    } else if (k == "max_connections")
      integer(l.max_connections, 16, 1000000);
    else if (k == "max_connections_per_address")
      integer(l.max_per_address, 1, 1000000);
    else if (k == "header_timeout")
      secs(l.header_timeout);
    else if (k == "body_timeout")
      secs(l.body_timeout);
    else if (k == "body_min_rate")
      integer(l.body_min_rate, 1, 1LL << 30);
    else if (k == "idle_timeout")
      secs(l.idle_timeout);
    else if (k == "write_timeout")
      secs(l.write_timeout);
    else if (k == "write_min_rate")
      integer(l.write_min_rate, 1, 1LL << 30);
    else if (k == "max_requests_per_connection")
      integer(l.max_requests, 1, 1000000);
    else if (k == "output_budget_mib") {
      integer(n, 1, 1 << 16);
      l.output_budget = n << 20;
    } else
      throw std::runtime_error(
          where() +
          " is not a known limit (workers, max_connections, max_connections_per_address, "
          "header_timeout, body_timeout, body_min_rate, idle_timeout, write_timeout, "
          "write_min_rate, "
          "max_requests_per_connection, output_budget_mib)");
  }
  return l;
}

// ---------------------------------------------------------------------------------------------
// Connections and the loop.

namespace {

enum class State { Reading, Working, Writing, Draining };
enum class Phase { Idle, Head, Body };

struct Conn {
  int fd = -1;
  std::string ip, local_ip, key;  // key: the address the per-address cap counts
  int port = 0, local_port = 0;
  State state = State::Reading;
  Phase phase = Phase::Head;
  Clock::time_point since;    // entered Reading (accepted, or its last answer sent): shedding order
  Clock::time_point started;  // this phase began (head: first byte or accept; body; write)
  Clock::time_point deadline;
  bool peer_closed = false;
  std::size_t requests = 0;
  // The current request in `in`: it starts at 0 (consumed requests are erased).
  std::string in;
  std::size_t scan = 0;      // where the search for the head's end resumes
  std::size_t head_end = 0;  // just after the blank line; 0 while unknown
  bool chunked = false;
  std::size_t body_len = 0;   // Content-Length
  std::size_t chunk_pos = 0;  // next chunk-size line (chunked bodies)
  std::size_t chunk_total = 0;
  std::size_t req_end = 0;                    // end of the complete request; 0 while incomplete
  std::size_t expect_at = std::string::npos;  // offset of an "Expect: 100-continue" header name
  bool continued = false;                     // the loop answered it with 100 Continue
  std::size_t rpos = 0;                       // the worker's read position
  // What the worker could not send at once; the loop sends it.
  std::string out;
  std::size_t out_pos = 0;
  std::size_t sent = 0;  // bytes of the current answer the loop has sent
  bool close_after = false;
  bool broken = false;
  std::size_t drained = 0;
};

std::string address_key(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
    return buf;
  }
  const auto& a6 = reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&a6)) {
    in_addr v4;
    std::memcpy(&v4, a6.s6_addr + 12, 4);
    inet_ntop(AF_INET, &v4, buf, sizeof buf);
    return buf;
  }
  in6_addr prefix = a6;  // one household or customer gets a /64
  std::memset(prefix.s6_addr + 8, 0, 8);
  inet_ntop(AF_INET6, &prefix, buf, sizeof buf);
  return std::string(buf) + "/64";
}

void ip_and_port(const sockaddr_storage& ss, std::string& ip, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
    port = ntohs(a.sin_port);
  } else {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    inet_ntop(AF_INET6, &a.sin6_addr, buf, sizeof buf);
    port = ntohs(a.sin6_port);
  }
  ip = buf;
}

}  // namespace

struct HttpServer::Loop {
  HttpServer& server;
  const ConnectionLimits& lim;
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  std::size_t max_conns = 0;
  bool accept_paused = false;
  Clock::time_point accept_resume;

  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  std::unordered_map<std::string, std::size_t> per_key;

  // Workers take complete requests from `queue` and give connections back through `returned`.
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Conn*> queue;
  std::vector<Conn*> returned;
  bool stopping = false;
  std::vector<std::thread> workers;
  std::atomic<std::size_t> pending_out{0};

  std::atomic<bool> stop_requested{false};
  mutable std::mutex stats_mutex;
  ConnectionStats stats;

  Loop(HttpServer& s, const ConnectionLimits& l) : server(s), lim(l) {}
  ~Loop() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void count(std::size_t ConnectionStats::*field, long delta = 1) {
    std::lock_guard<std::mutex> lock(stats_mutex);
    stats.*field = static_cast<std::size_t>(static_cast<long>(stats.*field) + delta);
  }

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd, &one, sizeof one);
  }

  void watch(Conn& c, std::uint32_t events, bool add) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = c.fd;
    if (::epoll_ctl(epoll_fd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev) != 0 && !add)
      ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c.fd, &ev);
  }
  void unwatch(Conn& c) { ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr); }

  void close_conn(Conn& c) {
    unwatch(c);
    ::close(c.fd);
    pending_out -= c.out.size() - c.out_pos;
    if (auto it = per_key.find(c.key); it != per_key.end() && --it->second == 0) per_key.erase(it);
    count(&ConnectionStats::open, -1);
    conns.erase(c.fd);  // c is gone
  }

  // ----- accepting

  // The connection to close for a newcomer: the oldest idle keep-alive one, else the oldest that
  // has not finished sending its request; of one address when `key` is given. Connections a
  // worker holds or that are being answered are never shed.
  Conn* victim(const std::string* key) {
    Conn* best = nullptr;
    for (auto& [fd, p] : conns) {
      Conn& c = *p;
      if (c.state != State::Reading && c.state != State::Draining) continue;
      if (key && c.key != *key) continue;
      if (!best) {
        best = &c;
        continue;
      }
      const bool idle = c.phase == Phase::Idle || c.state == State::Draining;
      const bool best_idle = best->phase == Phase::Idle || best->state == State::Draining;
      if (idle != best_idle ? idle : c.since < best->since) best = &c;
    }
    return best;
  }

  // Frees one slot for a newcomer. A candidate gets a last read first: a request that has
  // arrived but that the loop has not read yet (the client was quick, the loop was busy
  // accepting) is dispatched instead of shed, and the next candidate is tried.
  void shed(const std::string* key) {
    for (int tries = 0; tries < 8; ++tries) {
      Conn* v = victim(key);
      if (!v) return;
      const int fd = v->fd;
      if (v->state == State::Reading) {
        on_readable(*v);
        const auto it = conns.find(fd);
        if (it == conns.end()) return;                      // it closed by itself: a slot is free
        if (it->second->state != State::Reading) continue;  // its request is complete: spared
      }
      count(&ConnectionStats::shed);
      close_conn(*conns.at(fd));
      return;
    }
  }

  void accept_all() {
    for (int round = 0; round < 32; ++round) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) {
          if (Conn* v = victim(nullptr)) {  // out of descriptors: make room, then try again
            count(&ConnectionStats::shed);
            close_conn(*v);
            continue;
          }
          pause_accept();
        }
        return;
      }
      const std::string key = address_key(ss);
      if (auto it = per_key.find(key); it != per_key.end() && it->second >= lim.max_per_address)
        shed(&key);
      if (conns.size() >= max_conns) shed(nullptr);
      const bool full = conns.size() >= max_conns || per_key[key] >= lim.max_per_address;
      if (full) {  // everything is busy answering: this one is told so
        const std::string r = plain_response(503, "Service Unavailable",
                                             "服务器繁忙，请稍后再试 (too many connections)");
        [[maybe_unused]] const auto n = ::send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::close(fd);
        if (per_key[key] == 0) per_key.erase(key);
        continue;
      }
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->key = key;
      ip_and_port(ss, c->ip, c->port);
      sockaddr_storage local{};
      socklen_t llen = sizeof local;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) == 0)
        ip_and_port(local, c->local_ip, c->local_port);
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
                   sizeof one);  // a head and a body are two writes
      const auto now = Clock::now();
      c->since = c->started = now;
      c->phase = Phase::Head;  // a new connection owes its first request head from the start
      c->deadline = now + seconds(lim.header_timeout);
      ++per_key[key];
      Conn& ref = *c;
      conns.emplace(fd, std::move(c));
      count(&ConnectionStats::open);
      count(&ConnectionStats::accepted);
      watch(ref, EPOLLIN, true);
    }
  }

  void pause_accept() {
    accept_paused = true;
    accept_resume = Clock::now() + std::chrono::milliseconds(100);
    epoll_event ev{};
    ev.data.fd = listen_fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
  }

  // ----- reading a request

  // Answers from the loop and closes after a short drain (so the client reads the answer
  // rather than a reset while it is still sending).
  void refuse(Conn& c, int status, const char* reason, const std::string& message) {
    const std::string r = plain_response(status, reason, message);
    [[maybe_unused]] const auto n = ::send(c.fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(c.fd, SHUT_WR);
    c.state = State::Draining;
    c.deadline = Clock::now() + std::chrono::seconds(2);
    c.in.clear();
    watch(c, EPOLLIN, false);
  }

  // Looks at what has arrived: returns false when the connection was answered and is closing.
  bool parse(Conn& c) {
    if (c.head_end == 0) {
      std::size_t start = 0;  // empty lines before a request line are allowed (RFC 9112 2.2)
      while (start + 1 < c.in.size() && c.in[start] == '\r' && c.in[start + 1] == '\n') start += 2;
      if (start) {
        c.in.erase(0, start);
        c.scan = 0;
      }
      const auto pos = c.in.find("\r\n\r\n", c.scan);
      if (pos == std::string::npos) {
        if (c.in.size() > lim.max_head) {
          refuse(c, 431, "Request Header Fields Too Large",
                 "请求头过长 (request head over " + std::to_string(lim.max_head / 1024) + " KiB)");
          return false;
        }
        c.scan = c.in.size() >= 3 ? c.in.size() - 3 : 0;
        return true;
      }
      c.head_end = pos + 4;
      if (c.head_end > lim.max_head) {
        refuse(c, 431, "Request Header Fields Too Large",
               "请求头过长 (request head over " + std::to_string(lim.max_head / 1024) + " KiB)");
        return false;
      }
      // The headers the framing depends on, read as httplib reads them: Transfer-Encoding
      // "chunked" wins over Content-Length.
      bool have_length = false, have_te = false;
      std::size_t line = c.in.find("\r\n") + 2;
      while (line < pos + 2) {
        const std::size_t eol = c.in.find("\r\n", line);
        const std::string_view h(c.in.data() + line, eol - line);
        const auto colon = h.find(':');
        if (colon != std::string_view::npos) {
          const std::string_view name = h.substr(0, colon), value = trim(h.substr(colon + 1));
          if (iequals(name, "Content-Length") && !have_length) {
            have_length = true;
            if (value.empty() || value.size() > 18 ||
                value.find_first_not_of("0123456789") != std::string_view::npos) {
              refuse(c, 400, "Bad Request", "Content-Length 无效 (invalid Content-Length)");
              return false;
            }
            c.body_len = std::stoull(std::string(value));
          } else if (iequals(name, "Transfer-Encoding") && !have_te) {
            have_te = true;
            c.chunked = iequals(value, "chunked");
          } else if (iequals(name, "Expect") && iequals(value, "100-continue")) {
            c.expect_at = line;
          }
        }
        line = eol + 2;
      }
      if (c.chunked) c.body_len = 0;
      if (c.body_len > lim.max_body) {
        refuse(c, 413, "Payload Too Large",
               "请求内容过大 (request body over " + std::to_string(lim.max_body / 1024) + " KiB)");
        return false;
      }
      c.chunk_pos = c.head_end;
      const auto now = Clock::now();
      c.phase = Phase::Body;
      c.started = now;
      c.deadline = now + seconds(lim.body_timeout);
    }
    if (c.chunked) {
      while (true) {
        const auto eol = c.in.find("\r\n", c.chunk_pos);
        if (eol == std::string::npos) {
          if (c.in.size() - c.chunk_pos > 1024) {
            refuse(c, 400, "Bad Request", "分块格式错误 (malformed chunked body)");
            return false;
          }
          break;
        }
        std::string_view size_line(c.in.data() + c.chunk_pos, eol - c.chunk_pos);
        size_line = trim(size_line.substr(0, size_line.find(';')));
        std::size_t size = 0;
        if (size_line.empty() || size_line.size() > 8 ||
            size_line.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
          refuse(c, 400, "Bad Request", "分块格式错误 (malformed chunked body)");
          return false;
        }
        size = std::stoul(std::string(size_line), nullptr, 16);
        if (size == 0) {  // trailers end at an empty line
          const std::size_t after = eol + 2;
          std::size_t end = std::string::npos;
          if (c.in.compare(after, 2, "\r\n") == 0)
            end = after + 2;
          else if (const auto t = c.in.find("\r\n\r\n", after); t != std::string::npos)
            end = t + 4;
          if (end != std::string::npos)
            c.req_end = end;
          else if (c.in.size() - after > lim.max_head) {
            refuse(c, 431, "Request Header Fields Too Large", "请求尾部过长 (trailers too long)");
            return false;
          }
          break;
        }
        c.chunk_total += size;
        if (c.chunk_total > lim.max_body) {
          refuse(
              c, 413, "Payload Too Large",
              "请求内容过大 (request body over " + std::to_string(lim.max_body / 1024) + " KiB)");
          return false;
        }
        if (c.in.size() < eol + 2 + size + 2) {
          c.chunk_total -= size;  // counted again when the whole chunk is here
          break;
        }
        c.chunk_pos = eol + 2 + size + 2;
      }
    } else if (c.in.size() >= c.head_end + c.body_len) {
      c.req_end = c.head_end + c.body_len;
    }
    if (!c.req_end && c.expect_at != std::string::npos && !c.continued) {
      // The client waits for leave to send its body: the loop gives it (dispatch() then hides the
      // header, so that httplib does not answer it a second time).
      static const char k_continue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      [[maybe_unused]] const auto n =
          ::send(c.fd, k_continue, sizeof k_continue - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      c.continued = true;
    }
    return true;
  }

  void on_readable(Conn& c) {
    char buf[16384];
    while (true) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        if (c.state == State::Draining) {
          c.drained += static_cast<std::size_t>(n);
          if (c.drained > (1u << 20)) return close_conn(c);
          continue;
        }
        if (c.phase == Phase::Idle) {  // the next request's first byte: its head is owed from now
          const auto now = Clock::now();
          c.phase = Phase::Head;
          c.started = now;
          c.deadline = now + seconds(lim.header_timeout);
        }
        c.in.append(buf, static_cast<std::size_t>(n));
        if (!parse(c)) return;
        if (c.req_end) break;
        if (c.phase == Phase::Body)  // a body earns time as it arrives, at body_min_rate
          c.deadline =
              c.started + seconds(lim.body_timeout + static_cast<double>(c.in.size() - c.head_end) /
                                                         lim.body_min_rate);
        if (static_cast<std::size_t>(n) < sizeof buf) break;
        continue;
      }
      if (n == 0) {
        c.peer_closed = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return close_conn(c);
    }
    if (c.state == State::Draining) {
      if (c.peer_closed) close_conn(c);
      return;
    }
    if (c.req_end) return dispatch(c);
    if (c.peer_closed) close_conn(c);
  }

  void dispatch(Conn& c) {
    if (c.expect_at != std::string::npos) c.in[c.expect_at] = 'X';  // "Xxpect": the body is here
    unwatch(c);
    c.state = State::Working;  // the worker's until it gives the connection back
    c.rpos = 0;
    count(&ConnectionStats::requests);
    {
      std::lock_guard<std::mutex> lock(mutex);
      queue.push_back(&c);
    }
    cv.notify_one();
  }

  // Back from a worker, or done writing: the next request, or close.
  void after_answer(Conn& c) {
    if (c.broken) return close_conn(c);
    if (c.out_pos < c.out.size()) {
      c.state = State::Writing;
      c.started = Clock::now();
      c.sent = 0;
      c.deadline =
          c.started + seconds(lim.write_timeout +
                              static_cast<double>(c.out.size() - c.out_pos) / lim.write_min_rate);
      return watch(c, EPOLLOUT, true);
    }
    c.out.clear();
    c.out_pos = 0;
    if (c.close_after || (c.peer_closed && c.in.empty())) {
      ::shutdown(c.fd, SHUT_WR);
      return close_conn(c);
    }
    const auto now = Clock::now();
    c.state = State::Reading;
    c.phase = Phase::Idle;
    c.since = c.started = now;
    c.deadline = now + seconds(lim.idle_timeout);
    c.head_end = c.body_len = c.chunk_pos = c.chunk_total = c.req_end = c.scan = 0;
    c.chunked = c.continued = false;
    c.expect_at = std::string::npos;
    if (!c.in.empty()) {  // pipelined: the next request may be here already
      c.phase = Phase::Head;
      c.deadline = now + seconds(lim.header_timeout);
      if (!parse(c)) return;
      if (c.req_end) return dispatch(c);
      if (c.peer_closed) return close_conn(c);
    }
    watch(c, EPOLLIN, true);
  }

  void on_writable(Conn& c) {
    while (c.out_pos < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.out_pos += static_cast<std::size_t>(n);
        c.sent += static_cast<std::size_t>(n);
        pending_out -= static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c.deadline = c.started +
                     seconds(lim.write_timeout + static_cast<double>(c.sent) / lim.write_min_rate);
        return;
      }
      return close_conn(c);
    }
    c.out.clear();
    c.out_pos = 0;
    unwatch(c);
    after_answer(c);
  }

  void sweep() {
    const auto now = Clock::now();
    std::vector<int> expired;
    for (auto& [fd, p] : conns) {
      const Conn& c = *p;
      if (c.state != State::Working && c.deadline <= now) expired.push_back(fd);
    }
    for (const int fd : expired) {
      Conn& c = *conns.at(fd);
      count(&ConnectionStats::timed_out);
      if (c.state == State::Reading && c.phase != Phase::Idle && !c.in.empty()) {
        refuse(c, 408, "Request Timeout", "请求超时 (the request did not arrive in time)");
        c.deadline = now + std::chrono::milliseconds(500);
      } else {
        close_conn(c);
      }
    }
    if (accept_paused && now >= accept_resume) {
      accept_paused = false;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = listen_fd;
      ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
    }
  }

  // ----- workers

  // A worker's view of a connection: the buffered request to read, the socket to write.
  class Stream final : public httplib::Stream {
   public:
    Stream(Loop& loop, Conn& c) : m_loop(loop), m_c(c) {}
    bool is_readable() const override { return m_c.rpos < m_c.req_end; }
    bool is_writable() const override { return !m_c.broken; }
    ssize_t read(char* ptr, size_t size) override {  // never past the request the loop framed
      const std::size_t n = std::min(size, m_c.req_end - m_c.rpos);
      std::memcpy(ptr, m_c.in.data() + m_c.rpos, n);
      m_c.rpos += n;
      return static_cast<ssize_t>(n);
    }
    ssize_t write(const char* ptr, size_t size) override {
      if (m_c.broken) return -1;
      std::size_t done = 0;
      if (m_c.out_pos == m_c.out.size()) {  // nothing waiting: straight to the socket
        while (done < size) {
          const ssize_t n = ::send(m_c.fd, ptr + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
          if (n > 0)
            done += static_cast<std::size_t>(n);
          else if (n < 0 && errno == EINTR)
            continue;
          else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
          else {
            m_c.broken = true;
            return -1;
          }
        }
      }
      const std::size_t rest = size - done;
      if (rest == 0) return static_cast<ssize_t>(size);
      if (m_loop.pending_out.load() + rest <= m_loop.lim.output_budget) {  // the loop sends it
        m_c.out.append(ptr + done, rest);
        m_loop.pending_out += rest;
        return static_cast<ssize_t>(size);
      }
      // Over the budget: this worker waits for the client, within the write deadline.
      if (!block_until_sent(m_c.out.data() + m_c.out_pos, m_c.out.size() - m_c.out_pos)) return -1;
      m_loop.pending_out -= m_c.out.size() - m_c.out_pos;
      m_c.out.clear();
      m_c.out_pos = 0;
      return block_until_sent(ptr + done, rest) ? static_cast<ssize_t>(size) : -1;
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
      ip = m_c.ip;
      port = m_c.port;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
      ip = m_c.local_ip;
      port = m_c.local_port;
    }
    socket_t socket() const override { return m_c.fd; }

   private:
    bool block_until_sent(const char* p, std::size_t size) {
      const auto deadline =
          Clock::now() +
          seconds(m_loop.lim.write_timeout + static_cast<double>(size) / m_loop.lim.write_min_rate);
      std::size_t done = 0;
      while (done < size) {
        const ssize_t n = ::send(m_c.fd, p + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
          done += static_cast<std::size_t>(n);
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) break;
        pollfd pfd{m_c.fd, POLLOUT, 0};
        ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1000)));
      }
      if (done < size) m_c.broken = true;
      return done == size;
    }
    Loop& m_loop;
    Conn& m_c;
  };

  void work() {
    while (true) {
      Conn* c = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        c = queue.front();
        queue.pop_front();
      }
      ++c->requests;
      const bool last = c->requests >= lim.max_requests || c->peer_closed || stop_requested.load();
      bool closed = false;
      bool ok = false;
      {
        Stream s(*this, *c);
        try {
          ok = server.answer(s, last, closed);
        } catch (...) {  // httplib turns handler exceptions into answers; anything else closes
          ok = false;
        }
      }
      c->close_after = !ok || closed || last;
      c->in.erase(0, c->req_end);
      {
        std::lock_guard<std::mutex> lock(mutex);
        returned.push_back(c);
      }
      wake();
    }
  }

  void take_returned() {
    std::vector<Conn*> back;
    {
      std::lock_guard<std::mutex> lock(mutex);
      back.swap(returned);
    }
    for (Conn* c : back) after_answer(*c);
  }

  bool run() {
    epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd < 0 || wake_fd < 0) return false;
    // Every connection is a descriptor: take what the system allows, keep some for files.
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
      if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 1 << 20);
        ::setrlimit(RLIMIT_NOFILE, &rl);
        ::getrlimit(RLIMIT_NOFILE, &rl);
      }
    }
    const std::size_t fd_room =
        rl.rlim_cur > 256 ? static_cast<std::size_t>(rl.rlim_cur) - 128 - 4 * lim.workers : 64;
    max_conns = std::max<std::size_t>(16, std::min(lim.max_connections, fd_room));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
    ev.data.fd = wake_fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev);
    for (int i = 0; i < std::max(1, lim.workers); ++i) workers.emplace_back([this] { work(); });
    server.m_serving = true;

    std::vector<epoll_event> events(256);
    auto last_sweep = Clock::now();
    while (!stop_requested.load()) {
      const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), 100);
      bool accept_ready = false;
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        const std::uint32_t e = events[static_cast<std::size_t>(i)].events;
        if (fd == listen_fd) {
          accept_ready = true;
          continue;
        }
        if (fd == wake_fd) {
          std::uint64_t v;
          [[maybe_unused]] const auto r = ::read(wake_fd, &v, sizeof v);
          take_returned();
          continue;
        }
        auto it = conns.find(fd);
        if (it == conns.end()) continue;
        Conn& c = *it->second;
        if (c.state == State::Writing) {
          if (e & (EPOLLERR | EPOLLHUP))
            close_conn(c);
          else
            on_writable(c);
        } else if (c.state == State::Reading || c.state == State::Draining) {
          if ((e & EPOLLERR) || ((e & EPOLLHUP) && !(e & EPOLLIN)))
            close_conn(c);
          else
            on_readable(c);
        }
      }
      // Accepting comes after reading, a batch at a time: a newcomer's request is read in the next
      // round, before a flood of newer connections could make it the oldest one to shed.
      if (accept_ready) accept_all();
      const auto now = Clock::now();
      if (now - last_sweep >= std::chrono::milliseconds(100)) {
        sweep();
        last_sweep = now;
      }
    }
    // Shutting down: no new connections; requests in progress finish, then everything closes.
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
    ::close(listen_fd);
    listen_fd = -1;
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    cv.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
    std::vector<int> fds;
    for (auto& [fd, p] : conns) fds.push_back(fd);
    for (const int fd : fds) close_conn(*conns.at(fd));
    server.m_serving = false;
    return true;
  }
};

HttpServer::HttpServer(ConnectionLimits limits)
    : m_limits(limits), m_loop(std::make_unique<Loop>(*this, m_limits)) {
  set_payload_max_length(m_limits.max_body);
  set_keep_alive_max_count(m_limits.max_requests);
  set_keep_alive_timeout(static_cast<time_t>(std::max(1.0, m_limits.idle_timeout)));
}

HttpServer::~HttpServer() = default;

int HttpServer::listen_on(const std::string& host, int port, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error) *error = why;
    return -1;
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc =
          ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
      rc != 0)
    return fail(std::string("cannot resolve ") + host + ": " + ::gai_strerror(rc));
  std::string last = "no address";
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a->ai_family == AF_INET6) {
      const int v6only = 0;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) break;
    last = std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0) return fail(last);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  std::string ip;
  int bound = 0;
  ip_and_port(ss, ip, bound);
  if (m_loop->listen_fd >= 0) ::close(m_loop->listen_fd);
  m_loop->listen_fd = fd;
  return bound;
}

bool HttpServer::serve() {
  if (m_loop->listen_fd < 0) return false;
  // httplib stops streaming content providers once svr_sock_ is invalid ("shutting down").
  svr_sock_ = m_loop->listen_fd;
  const bool ok = m_loop->run();
  svr_sock_ = INVALID_SOCKET;
  return ok;
}

void HttpServer::shutdown() {
  svr_sock_ = INVALID_SOCKET;  // streams in progress end
  m_loop->stop_requested = true;
  if (m_loop->wake_fd >= 0) m_loop->wake();
}

ConnectionStats HttpServer::stats() const {
  std::lock_guard<std::mutex> lock(m_loop->stats_mutex);
  return m_loop->stats;
}

}  // namespace gongkai::server
