// A content file of any bytes: loader (front matter, TOML), Markdown, links, privacy guard,
// rendering. Must never crash; diagnostics are fine.
#include <unistd.h>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto root = std::filesystem::temp_directory_path() /
                           ("gongkai-fuzz-content-" + std::to_string(::getpid()));
  static bool once = [] {
    fuzz::write(root / "site.toml", fuzz::k_site_toml);
    return true;
  }();
  (void)once;
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::write(root / "disclosure/x.md", text);
  fuzz::write(root / "responsibilities/dzb.toml",
              size > 0 && data[0] == '#' ? text : "department = \"dzb\"\nupdated = 2021-01-01\n");
  gongkai::gen::BuildOptions o;
  o.content_dir = root;
  o.themes_dir = GONGKAI_FUZZ_THEMES;
  o.now = gongkai::DateTime::parse("2022-03-15T10:00:00+08:00");
  o.git_history = false;
  gongkai::Content c;
  gongkai::gen::OutputTree out;
  gongkai::Diagnostics d;
  gongkai::gen::build_tree(o, c, out, d);
  return 0;
}
