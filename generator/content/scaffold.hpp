// `gongkai-build new KIND PATH --title "…"`: writes a content file with the required fields
// filled in (today's date, the first department and category as placeholders with a comment).
// Never overwrites a file.
#pragma once
#include <filesystem>
#include <string>

#include "gongkai/datetime.hpp"

namespace gongkai::gen {

struct ScaffoldResult {
  int exit_code = 0;  // 0 written, 1 refused (exists), 2 usage
  std::string message;
  std::filesystem::path written;
};

// kind: disclosure | notice | consultation | page. `path` is relative to the content folder
// (the section folder is added when missing) or absolute.
ScaffoldResult scaffold(const std::filesystem::path& content_dir, const std::string& kind,
                        const std::string& path, const std::string& title, const DateTime& today);

}  // namespace gongkai::gen
