// The defences every public form shares (docs/public-writes.md, "Defences"):
//   - a CSRF token: a random cookie (gk_form, HttpOnly, SameSite=Strict) and a hidden field that
//     is an HMAC-SHA256, under the server's secret, of the form's name, that cookie and the time
//     the form was served. A POST without both, with a field made for another form or cookie, or
//     older than the token's lifetime is refused (403). A cross-site Origin or Sec-Fetch-Site is
//     refused too. Nodes that share a database share the secret ([writes] secret of --config).
//   - per-address rate limits: a sliding window per form and client address (IPv4, or an IPv6
//     /64), bounded in memory. Each node counts its own (a platform behind a load balancer gets
//     nodes × the limit; nginx's limit_req in front is the shared one, docs/deploy.md).
//   - a honeypot field that people never see and bots fill in.
#pragma once
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace gongkai::server::writes {

inline constexpr const char* k_csrf_cookie = "gk_form";
inline constexpr const char* k_csrf_field = "csrf";
inline constexpr const char* k_honeypot_field = "website";

class FormGuard {
 public:
  // secret: any length; empty picks a random one for this process (one node only).
  explicit FormGuard(std::string secret, std::int64_t lifetime_seconds = 4 * 3600);

  // A fresh random cookie value (32 hex digits).
  static std::string new_cookie();
  // The hidden field's value for `form`, bound to `cookie`, issued at `now`.
  std::string token(const std::string& form, const std::string& cookie, std::int64_t now) const;
  // "" when the pair is good, else why not (for the 403 page).
  std::string check(const std::string& form, const std::string& cookie, const std::string& field,
                    std::int64_t now) const;
  // The cookie value from a Cookie header ("" when absent or malformed).
  static std::string cookie_of(const std::string& cookie_header);
  // Set-Cookie for a cookie value (path "/", HttpOnly, SameSite=Strict; Secure when https).
  static std::string set_cookie(const std::string& value, bool secure);

 private:
  std::string m_secret;
  std::int64_t m_lifetime;
};

// Same-origin check on a POST's Origin / Sec-Fetch-Site headers: "" when acceptable (absent
// headers are accepted: old browsers send neither), else why not.
std::string cross_site_problem(const std::string& origin, const std::string& sec_fetch_site,
                               const std::string& host);

// At most `limit` events per `window` seconds for one key (a form and an address).
class RateLimiter {
 public:
  RateLimiter(int limit, std::int64_t window_seconds, std::size_t max_keys = 100000);
  // Records the event and returns true, or returns false (and records nothing) when over.
  bool allow(const std::string& key, std::int64_t now);
  // Seconds until the key may try again (0 when it may now).
  std::int64_t retry_after(const std::string& key, std::int64_t now);

 private:
  void trim(std::deque<std::int64_t>& q, std::int64_t now) const;
  int m_limit;
  std::int64_t m_window;
  std::size_t m_max_keys;
  std::mutex m_mutex;
  std::unordered_map<std::string, std::deque<std::int64_t>> m_events;
};

// The client's address for limits: the connection's, or, when that is one of `trusted_proxies`
// (nginx in front), the last address of X-Forwarded-For (X-Real-IP when no X-Forwarded-For). IPv6
// addresses are cut to their /64.
std::string client_address(const std::string& remote_addr, const std::string& x_forwarded_for,
                           const std::string& x_real_ip,
                           const std::vector<std::string>& trusted_proxies);

}  // namespace gongkai::server::writes
