// Hashes (OpenSSL): SHA-1 and SHA-256 as lower-case hex, and a 64-bit FNV-1a for cheap keys.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace gongkai {

std::string sha1_hex(std::string_view data);
std::string sha256_hex(std::string_view data);
std::uint64_t fnv1a64(std::string_view data, std::uint64_t seed = 14695981039346656037ULL);

// Incremental SHA-256 (used to hash a whole output tree into a build id).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string hex();  // finishes the digest

 private:
  void* m_ctx;
};

}  // namespace gongkai
