// The HTTP front of gongkai-serve: an event loop that owns every connection and hands a request
// to a worker only once all of it has arrived.
//
// cpp-httplib's own server gives each connection a worker thread from accept() to close, and its
// read timeout restarts with every byte: a few dozen clients that trickle their headers hold every
// worker. Here one thread (epoll) accepts, reads and writes without blocking, enforces total
// deadlines on the request head and body, caps connections per client address and in all (shedding
// the oldest idle or unfinished connection, never refusing the newcomer), and only a complete
// request reaches a worker, which parses and answers it with httplib's own code (routes, handlers,
// logger) over the buffered bytes. A response the socket cannot take at once is sent by the loop.
#pragma once
#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

#include "limits.hpp"

namespace gongkai::server {

class HttpServer : public httplib::Server {
 public:
  explicit HttpServer(ConnectionLimits limits);
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (0: a free port) with the kernel's full accept backlog. Returns the port, or
  // -1 (the reason in *error when given).
  int listen_on(const std::string& host, int port, std::string* error = nullptr);
  // Runs the loop and the workers on this thread until shutdown(); false when not bound.
  bool serve();
  // Stops accepting, lets requests in progress finish, closes every connection. Any thread.
  void shutdown();
  bool serving() const { return m_serving.load(); }
  ConnectionStats stats() const;
  const ConnectionLimits& limits() const { return m_limits; }

 private:
  struct Loop;
  ConnectionLimits m_limits;
  std::unique_ptr<Loop> m_loop;
  std::atomic<bool> m_serving{false};
  friend struct Loop;
  bool answer(httplib::Stream& stream, bool close, bool& closed) {
    return process_request(stream, close, closed, nullptr);
  }
};

}  // namespace gongkai::server
