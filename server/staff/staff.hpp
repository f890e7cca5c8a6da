// The staff console (docs/public-writes.md, "Staff console"): its own listener, meant for the
// district's intranet or a VPN and never the public port. Real login (Argon2id passwords, a lock
// after repeated failures, per-address throttling), sessions in the database with HttpOnly,
// SameSite=Strict (and, unless turned off for plain-http intranets, Secure) cookies, a CSRF token
// per session on every form, and roles per unit: a unit's staff see and handle only their unit's
// applications, 留言 and responses; a platform administrator (unit "*") sees every unit. Every
// action goes into the audit log.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "handling.hpp"
#include "limits.hpp"

namespace gongkai::store {
class Store;
}

namespace gongkai::server::staff {

struct StaffConfig {
  bool secure_cookies = true;             // false only for a console on plain http
  int max_failures = 5;                   // failed logins of one account before it is locked ...
  std::int64_t lock_seconds = 15 * 60;    // ... for this long
  int address_attempts = 20;              // login attempts per address ...
  std::int64_t address_window = 10 * 60;  // ... per this many seconds
  std::int64_t session_seconds = 8 * 3600;
  MessageRules messages;
};

// The [staff] table of a gongkai-serve config file; throws "file:line:column: message".
StaffConfig load_staff_config(const std::filesystem::path& config_file);

class StaffConsole {
 public:
  StaffConsole(store::Store& store, StaffConfig config, std::function<std::int64_t()> clock);
  ~StaffConsole();
  StaffConsole(const StaffConsole&) = delete;
  StaffConsole& operator=(const StaffConsole&) = delete;

  int bind(const std::string& host, int port);  // the bound port, or -1
  bool run();                                   // serves until stop()
  void stop();
  void wait_until_ready() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace gongkai::server::staff
