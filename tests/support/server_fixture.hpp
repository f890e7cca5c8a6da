// A gongkai-serve App running on a free loopback port in a background thread.
#pragma once
#include <httplib.h>

#include <memory>
#include <thread>

#include "app.hpp"

namespace gongkai::test {

class RunningServer {
 public:
  explicit RunningServer(server::ServerOptions o)
      : m_app(std::make_unique<server::App>(std::move(o))) {
    m_port = m_app->bind("127.0.0.1", 0);
    m_thread = std::thread([this] { m_app->run(); });
    m_app->wait_until_ready();
  }
  ~RunningServer() {
    m_app->stop();
    m_thread.join();
  }
  int port() const { return m_port; }
  server::ConnectionStats connection_stats() const { return m_app->connection_stats(); }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", m_port);
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    return c;
  }

 private:
  std::unique_ptr<server::App> m_app;
  std::thread m_thread;
  int m_port = 0;
};

}  // namespace gongkai::test
