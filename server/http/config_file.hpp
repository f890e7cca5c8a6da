// Reads gongkai-serve's --config file (TOML); parse errors become "file:line:column: message".
#pragma once
#include <filesystem>
#include <stdexcept>
#include <string>
#include <toml++/toml.h>

namespace gongkai::server {

inline toml::table parse_config_file(const std::filesystem::path& file) {
  try {
    return toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(file.string() + ":" + std::to_string(e.source().begin.line) + ":" +
                             std::to_string(e.source().begin.column) + ": " +
                             std::string(e.description()));
  }
}

}  // namespace gongkai::server
