// WeChat official-account message crypto (channels.md, WeChat): signatures (SHA-1 of the sorted,
// concatenated strings) and safe mode (AES-256-CBC, key = Base64(EncodingAESKey + "="), IV = the
// key's first 16 bytes, PKCS#7 to 32-byte blocks). Everything through OpenSSL.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace gongkai::wechat {

// SHA-1 hex of the byte-sorted, concatenated parts.
std::string signature(std::vector<std::string> parts);
bool constant_time_equal(const std::string& a, const std::string& b);

std::string base64_encode(const std::string& bytes);
std::optional<std::string> base64_decode(const std::string& text);

class Cipher {
 public:
  // Throws std::invalid_argument unless the key is 43 Base64 characters (32 bytes).
  Cipher(const std::string& encoding_aes_key, std::string appid);
  // Base64 of AES(random16 ‖ len32be ‖ message ‖ appid, PKCS#7/32).
  std::string encrypt(const std::string& message, const std::string& random16) const;
  // The message, or nullopt when the ciphertext, padding, length or appid is wrong.
  std::optional<std::string> decrypt(const std::string& base64) const;

 private:
  std::string m_key;
  std::string m_appid;
};

}  // namespace gongkai::wechat
