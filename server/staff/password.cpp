#include "password.hpp"

#include <argon2.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace gongkai::server::staff {
namespace {
// OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane): about 30 ms a login on a small server.
constexpr std::uint32_t k_t = 2, k_m = 19456, k_p = 1, k_salt = 16, k_hash = 32;
}  // namespace

std::string password_problem(const std::string& password) {
  std::size_t chars = 0;
  for (unsigned char c : password) chars += (c & 0xC0) != 0x80;
  if (chars < 10) return "密码至少 10 个字符 (at least 10 characters)";
  if (password.size() > 1024) return "密码过长 (at most 1024 bytes)";
  return "";
}

std::string hash_password(const std::string& password) {
  unsigned char salt[k_salt];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("no random bytes for a salt");
  std::vector<char> out(argon2_encodedlen(k_t, k_m, k_p, k_salt, k_hash, Argon2_id) + 1);
  const int rc = argon2id_hash_encoded(k_t, k_m, k_p, password.data(), password.size(), salt,
                                       sizeof salt, k_hash, out.data(), out.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
  return out.data();
}

bool verify_password(const std::string& encoded, const std::string& password) {
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace gongkai::server::staff
