#include "static_files.hpp"

#include <map>

#include "gongkai/text.hpp"

namespace gongkai::server {

namespace fs = std::filesystem;

std::optional<StaticTarget> resolve_static(const fs::path& site_root, const std::string& path) {
  if (path.empty() || path[0] != '/' || path.size() > 2048) return std::nullopt;
  for (unsigned char c : path)
    if (c < 0x20 || c == 0x7F || c == '\\') return std::nullopt;
  if (!valid_utf8(path)) return std::nullopt;
  std::string rel;
  for (const std::string& seg : split(path.substr(1), '/')) {
    if (seg.empty()) continue;
    if (seg == "." || seg == ".." || seg[0] == '.')
      return std::nullopt;  // no dot files, no traversal
    if (!rel.empty()) rel += '/';
    rel += seg;
  }
  fs::path candidate = site_root / rel;
  std::error_code ec;
  StaticTarget t;
  if (fs::is_directory(candidate, ec)) {
    if (path.back() != '/') {
      t.redirect_to_slash = true;
      candidate /= "index.html";
      if (!fs::is_regular_file(candidate, ec)) return std::nullopt;
      t.file = candidate;
      return t;
    }
    candidate /= "index.html";
  }
  const fs::path real = fs::canonical(candidate, ec);
  if (ec) return std::nullopt;
  const std::string root = site_root.string() + "/";
  if (!starts_with(real.string(), root)) return std::nullopt;  // a symlink out of the site
  if (!fs::is_regular_file(real, ec)) return std::nullopt;
  t.file = real;
  return t;
}

std::string content_type_for(const fs::path& file) {
  static const std::map<std::string, std::string> k_types = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".xml", "application/xml; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".csv", "text/csv; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".pdf", "application/pdf"},
      {".woff2", "font/woff2"},
      {".doc", "application/msword"},
      {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {".xls", "application/vnd.ms-excel"},
      {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {".zip", "application/zip"},
      {".mp3", "audio/mpeg"},
      {".mp4", "video/mp4"}};
  std::string ext = file.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (file.filename() == "index.xml" || ext == ".rss") return "application/rss+xml; charset=utf-8";
  if (file.filename() == "opensearch.xml")
    return "application/opensearchdescription+xml; charset=utf-8";
  auto it = k_types.find(ext);
  return it == k_types.end() ? "application/octet-stream" : it->second;
}

}  // namespace gongkai::server
