// JSON text safe to embed anywhere: <, > and & escaped (\u003c …), so no echoed input reads as markup.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace gongkai::server {

inline std::string safe_json(const nlohmann::json& j) {
  const std::string raw = j.dump();
  std::string out;
  out.reserve(raw.size() + 16);
  for (char c : raw) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

}  // namespace gongkai::server
