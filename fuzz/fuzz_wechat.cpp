// WeChat bodies of any bytes with a valid signature (plain mode), and safe-mode ciphertexts:
// XML parsing, dedup, replies, decryption. Never a crash; forged input never decrypts.
#include "fuzz_support.hpp"
#include "wechat.hpp"
#include "wechat_crypto.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static gongkai::server::WechatService service([] {
    gongkai::server::WechatConfig c;
    c.token = "fuzztoken";
    c.appid = "wx0123456789abcdef";
    c.aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    c.random16 = [] { return std::string("0123456789abcdef"); };
    return c;
  }());
  static gongkai::wechat::Cipher cipher("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                                        "wx0123456789abcdef");
  const std::string body(reinterpret_cast<const char*>(data), size);
  const auto now = gongkai::DateTime::from_epoch(1764122400);
  const std::string ts = "1764122400", nonce = "n";
  gongkai::server::WechatRequest req{
      "POST",
      {{"signature", gongkai::wechat::signature({"fuzztoken", ts, nonce})},
       {"timestamp", ts},
       {"nonce", nonce}},
      body};
  service.handle(req, nullptr, now);
  // Safe mode: the body as the Encrypt value, with a correct msg_signature.
  req.params.emplace("encrypt_type", "aes");
  req.params.emplace("msg_signature", gongkai::wechat::signature({"fuzztoken", ts, nonce, body}));
  req.body = "<xml><Encrypt><![CDATA[" + body + "]]></Encrypt></xml>";
  service.handle(req, nullptr, now);
  cipher.decrypt(body);
  const std::string enc = cipher.encrypt(body, "0123456789abcdef");
  if (cipher.decrypt(enc) != body) __builtin_trap();  // round trip
  return 0;
}
