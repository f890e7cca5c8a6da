// Safe static-file resolution: a request path maps to a regular file inside the release's site
// folder or to nothing. Rejects "..", ".", backslashes, NUL and control bytes, and any path whose
// real location (after symlinks) is outside the site folder.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace gongkai::server {

struct StaticTarget {
  std::filesystem::path file;
  bool redirect_to_slash = false;  // a folder asked for without its trailing slash
};

// `path` is the already percent-decoded request path (starts with '/').
std::optional<StaticTarget> resolve_static(const std::filesystem::path& site_root,
                                           const std::string& path);
std::string content_type_for(const std::filesystem::path& file);

}  // namespace gongkai::server
