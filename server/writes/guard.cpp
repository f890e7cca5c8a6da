#include "guard.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <arpa/inet.h>
#include <stdexcept>

#include "gongkai/text.hpp"

namespace gongkai::server::writes {
namespace {

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1)
    throw std::runtime_error("no random bytes (RAND_bytes)");
  return hex(b.data(), b.size());
}

bool is_hex(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

FormGuard::FormGuard(std::string secret, std::int64_t lifetime_seconds)
    : m_secret(secret.empty() ? random_hex(32) : std::move(secret)), m_lifetime(lifetime_seconds) {}

std::string FormGuard::new_cookie() { return random_hex(16); }

std::string FormGuard::token(const std::string& form, const std::string& cookie,
                             std::int64_t now) const {
  const std::string issued = std::to_string(now);
  const std::string msg = form + '\n' + cookie + '\n' + issued;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), m_secret.data(), static_cast<int>(m_secret.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  return issued + "." + hex(mac, len);
}

std::string FormGuard::check(const std::string& form, const std::string& cookie,
                             const std::string& field, std::int64_t now) const {
  if (cookie.size() != 32 || !is_hex(cookie))
    return "缺少表单凭证 Cookie，请启用 Cookie 后重新打开表单 (no form cookie)";
  const auto dot = field.find('.');
  if (field.empty() || dot == std::string::npos || dot == 0 || dot > 12)
    return "表单凭证缺失或无效，请重新打开表单 (missing or malformed CSRF token)";
  const std::string issued = field.substr(0, dot);
  if (!std::all_of(issued.begin(), issued.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "表单凭证无效，请重新打开表单 (malformed CSRF token)";
  const std::int64_t at = std::stoll(issued);
  const std::string expected = token(form, cookie, at);
  if (expected.size() != field.size() ||
      CRYPTO_memcmp(expected.data(), field.data(), field.size()) != 0)
    return "表单凭证不匹配，请重新打开表单 (CSRF token does not match)";
  if (at > now + 300 || now - at > m_lifetime)
    return "表单已过期，请重新打开表单后再提交 (the form has expired)";
  return "";
}

std::string FormGuard::cookie_of(const std::string& header) {
  const std::string name = std::string(k_csrf_cookie) + "=";
  std::size_t pos = 0;
  while (pos < header.size()) {
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == ';')) ++pos;
    const auto end = header.find(';', pos);
    const std::string part = header.substr(pos, end == std::string::npos ? end : end - pos);
    if (starts_with(part, name)) {
      std::string v = part.substr(name.size());
      return v.size() == 32 && is_hex(v) ? v : "";
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return "";
}

std::string FormGuard::set_cookie(const std::string& value, bool secure) {
  return std::string(k_csrf_cookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict" +
         (secure ? "; Secure" : "");
}

std::string cross_site_problem(const std::string& origin, const std::string& sec_fetch_site,
                               const std::string& host) {
  if (!sec_fetch_site.empty() && sec_fetch_site != "same-origin" && sec_fetch_site != "none")
    return "拒绝来自其他网站的提交 (cross-site form submission refused)";
  if (!origin.empty() && origin != "null") {
    // Origin is scheme://host[:port]; compare its host[:port] with Host.
    const auto p = origin.find("://");
    const std::string o = p == std::string::npos ? origin : origin.substr(p + 3);
    if (!host.empty() && o != host)
      return "拒绝来自其他网站的提交 (Origin " + origin + " is not this site)";
  }
  return "";
}

RateLimiter::RateLimiter(int limit, std::int64_t window, std::size_t max_keys)
    : m_limit(limit), m_window(window), m_max_keys(max_keys) {}

void RateLimiter::trim(std::deque<std::int64_t>& q, std::int64_t now) const {
  while (!q.empty() && q.front() <= now - m_window) q.pop_front();
}

bool RateLimiter::allow(const std::string& key, std::int64_t now) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_events.size() >= m_max_keys && !m_events.count(key)) {
    // Bounded memory: forget the keys whose windows have passed; when every key is still live,
    // refuse newcomers rather than grow (a flood of addresses is refused, not remembered).
    for (auto it = m_events.begin(); it != m_events.end();) {
      trim(it->second, now);
      it = it->second.empty() ? m_events.erase(it) : std::next(it);
    }
    if (m_events.size() >= m_max_keys) return false;
  }
  auto& q = m_events[key];
  trim(q, now);
  if (static_cast<int>(q.size()) >= m_limit) return false;
  q.push_back(now);
  return true;
}

std::int64_t RateLimiter::retry_after(const std::string& key, std::int64_t now) {
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_events.find(key);
  if (it == m_events.end()) return 0;
  trim(it->second, now);
  if (static_cast<int>(it->second.size()) < m_limit || it->second.empty()) return 0;
  return it->second.front() + m_window - now;
}

namespace {

std::string address_key(std::string a) {
  a = trim(a);
  if (starts_with(a, "::ffff:") && a.find('.') != std::string::npos) a = a.substr(7);
  in6_addr v6{};
  if (a.find(':') != std::string::npos && inet_pton(AF_INET6, a.c_str(), &v6) == 1) {
    for (int i = 8; i < 16; ++i) v6.s6_addr[i] = 0;  // the /64
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &v6, buf, sizeof buf);
    return std::string(buf) + "/64";
  }
  return a;
}

}  // namespace

std::string client_address(const std::string& remote_addr, const std::string& x_forwarded_for,
                           const std::string& x_real_ip,
                           const std::vector<std::string>& trusted_proxies) {
  const std::string remote = address_key(remote_addr);
  const bool trusted =
      std::find(trusted_proxies.begin(), trusted_proxies.end(), remote) != trusted_proxies.end();
  if (trusted) {
    if (!x_forwarded_for.empty()) {
      const auto comma = x_forwarded_for.rfind(',');
      const std::string last =
          comma == std::string::npos ? x_forwarded_for : x_forwarded_for.substr(comma + 1);
      if (!trim(last).empty()) return address_key(last);
    }
    if (!x_real_ip.empty()) return address_key(x_real_ip);
  }
  return remote;
}

}  // namespace gongkai::server::writes
