#include "wechat_crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "gongkai/hash.hpp"

namespace gongkai::wechat {

std::string signature(std::vector<std::string> parts) {
  std::sort(parts.begin(), parts.end());
  std::string joined;
  for (const auto& p : parts) joined += p;
  return sha1_hex(joined);
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  for (char c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
      return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock keeps the bytes of '=' padding as zeros: drop them.
  if (text.size() >= 1 && text[text.size() - 1] == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

Cipher::Cipher(const std::string& encoding_aes_key, std::string appid) : m_appid(std::move(appid)) {
  auto key = encoding_aes_key.size() == 43 ? base64_decode(encoding_aes_key + "=") : std::nullopt;
  if (!key || key->size() != 32)
    throw std::invalid_argument("EncodingAESKey must be 43 Base64 characters");
  m_key = *key;
}

namespace {
struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

std::optional<std::string> aes(const std::string& key, const std::string& in, bool encrypt) {
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, k, k, encrypt ? 1 : 0) != 1)
    return std::nullopt;
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);  // WeChat pads to 32 bytes itself
  std::string out(in.size() + 32, '\0');
  int n1 = 0, n2 = 0;
  if (EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n1,
                       reinterpret_cast<const unsigned char*>(in.data()),
                       static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n1, &n2) != 1)
    return std::nullopt;
  out.resize(static_cast<std::size_t>(n1 + n2));
  return out;
}
}  // namespace

std::string Cipher::encrypt(const std::string& message, const std::string& random16) const {
  std::string plain = random16;
  const std::uint32_t len = static_cast<std::uint32_t>(message.size());
  plain += static_cast<char>((len >> 24) & 0xFF);
  plain += static_cast<char>((len >> 16) & 0xFF);
  plain += static_cast<char>((len >> 8) & 0xFF);
  plain += static_cast<char>(len & 0xFF);
  plain += message;
  plain += m_appid;
  const std::size_t pad = 32 - plain.size() % 32;
  plain.append(pad, static_cast<char>(pad));
  auto enc = aes(m_key, plain, true);
  if (!enc) throw std::runtime_error("AES encryption failed");
  return base64_encode(*enc);
}

std::optional<std::string> Cipher::decrypt(const std::string& b64) const {
  auto raw = base64_decode(b64);
  if (!raw || raw->empty() || raw->size() % 16 != 0) return std::nullopt;
  auto plain = aes(m_key, *raw, false);
  if (!plain || plain->size() < 20) return std::nullopt;
  const auto pad = static_cast<unsigned char>(plain->back());
  if (pad < 1 || pad > 32 || pad > plain->size()) return std::nullopt;
  plain->resize(plain->size() - pad);
  if (plain->size() < 20) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(plain->data()) + 16;
  const std::size_t len =
      (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
  if (20 + len > plain->size()) return std::nullopt;
  if (plain->substr(20 + len) != m_appid) return std::nullopt;
  return plain->substr(20, len);
}

}  // namespace gongkai::wechat
