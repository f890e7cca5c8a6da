// Test support: temporary folders, inline fixture sites, building into a folder.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "build.hpp"

namespace gongkai::test {

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& rel) const { return m_path / rel; }

 private:
  std::filesystem::path m_path;
};

// Writes an inline fixture: sections "=== relative/path ===" followed by the file's text.
void write_fixture(const std::filesystem::path& dir, const std::string& spec);
void write_text(const std::filesystem::path& file, const std::string& text);
std::string read_text(const std::filesystem::path& file);

// A minimal valid site.toml (departments dzb/zhdd/sfs, categories fzzf/xzzf, villages bjc/dd).
std::string minimal_site_toml();

// Builds content_dir into output_dir with a fixed clock and the project's themes.
gen::BuildResult build_site(const std::filesystem::path& content_dir,
                            const std::filesystem::path& output_dir,
                            const std::string& now = "2022-03-15T10:00:00+08:00",
                            const std::function<void(gen::BuildOptions&)>& adjust = {});
// Diagnostics as "path:line:col: severity: message" lines with the content prefix "content/".
std::vector<std::string> diagnostic_lines(const gen::BuildResult& r);

// Runs the real gongkai-build (GONGKAI_BUILD_EXE) with `args`, a shell-quoted argument string:
// its exit status and what it printed (stdout and stderr).
std::pair<int, std::string> run_build(const std::string& args);
// A path or word quoted for that string.
std::string quoted(const std::string& s);

// Every regular file below dir: relative path -> bytes.
std::map<std::string, std::string> read_tree(const std::filesystem::path& dir);

}  // namespace gongkai::test
