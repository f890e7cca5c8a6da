// gongkai-serve's connection limits and counters (http_server.hpp enforces them).
#pragma once
#include <cstddef>
#include <filesystem>

namespace gongkai::server {

// What a client may hold. Defaults protect a small machine; the [limits] table of --config
// changes them (load_connection_limits).
struct ConnectionLimits {
  int workers = 16;                    // requests answered at once (threads)
  std::size_t max_connections = 4096;  // open at once (also bounded by RLIMIT_NOFILE)
  std::size_t max_per_address = 256;   // open from one address (IPv4, or an IPv6 /64)
  double header_timeout = 10;          // s for a whole request head, from its first byte
  double body_timeout = 10;            // s for a body, plus 1 s per body_min_rate bytes received
  std::size_t body_min_rate = 1024;    // bytes per second
  double idle_timeout = 5;             // s between requests on a keep-alive connection
  double write_timeout = 10;           // s for a response, plus 1 s per write_min_rate bytes sent
  std::size_t write_min_rate = 16 * 1024;  // bytes per second
  std::size_t max_head = 64 * 1024;        // bytes of request line and headers
  std::size_t max_body = 64 * 1024;        // bytes of a request body
  std::size_t max_requests = 1000;         // per connection, then it closes
  std::size_t output_budget = 64 << 20;  // response bytes waiting for slow readers, all connections
};

// Reads the [limits] table of a gongkai-serve config file (empty path: the defaults). Throws
// std::runtime_error "file:line:column: message" on a bad value or an unknown key.
ConnectionLimits load_connection_limits(const std::filesystem::path& file);

// Counters since start, for tests and the log.
struct ConnectionStats {
  std::size_t open = 0;  // connections open now
  std::size_t accepted = 0;
  std::size_t shed = 0;       // closed to make room for a newer connection
  std::size_t timed_out = 0;  // closed at a deadline (head, body, idle, write)
  std::size_t requests = 0;   // handed to a worker
};

}  // namespace gongkai::server
