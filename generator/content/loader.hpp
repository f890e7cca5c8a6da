// Content loading and validation: reads a content folder into the Content model, reporting every
// problem as a diagnostic with the file, line and column of the offending key. Never throws for
// content problems; throws std::runtime_error only when the folder cannot be read at all.
#pragma once
#include <filesystem>
#include <string>

#include "gongkai/content.hpp"
#include "gongkai/diagnostics.hpp"

namespace gongkai::gen {

class Memo;  // incremental/memo.hpp (content links it privately: the layers above do not see it)
struct ItemRecord;

struct LoadOptions {
  std::filesystem::path content_dir;
  std::string display_prefix;        // prefix for paths in diagnostics, e.g. "content/"
  std::filesystem::path themes_dir;  // where themes live, to check site.theme
  int threads = 2;                   // items are parsed on this many threads
  Memo* memo = nullptr;              // unchanged files are taken from it (entries are moved out)
  std::vector<ItemRecord>* records = nullptr;  // filled alongside Content::items
};

Content load_content(const LoadOptions& options, Diagnostics& diags);

// Splits a Markdown file into TOML front matter (between +++ lines) and body.
struct FrontMatter {
  bool found = false;
  std::string toml;
  int toml_first_line = 2;  // file line of the first TOML line
  std::string body;
  int body_first_line = 1;
  bool unterminated = false;
};
FrontMatter split_front_matter(const std::string& file);
std::string strip_bom(std::string s);  // drops a UTF-8 byte order mark

}  // namespace gongkai::gen
