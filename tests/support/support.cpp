#include "support.hpp"

#include <sys/wait.h>

#include <cstdio>

#include <functional>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "gongkai/fs.hpp"

namespace gongkai::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  m_path = fs::temp_directory_path() /
           ("gongkai-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(m_path);
  fs::create_directories(m_path);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(m_path, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(m_path, ec);
}

void write_text(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::string read_text(const fs::path& file) { return read_file(file); }

void write_fixture(const fs::path& dir, const std::string& spec) {
  std::istringstream in(spec);
  std::string line, current, body;
  auto flush = [&] {
    if (!current.empty()) write_text(dir / current, body);
    body.clear();
  };
  while (std::getline(in, line)) {
    if (line.rfind("=== ", 0) == 0 && line.size() > 8 && line.substr(line.size() - 4) == " ===") {
      flush();
      current = line.substr(4, line.size() - 8);
      continue;
    }
    body += line + "\n";
  }
  flush();
}

std::string minimal_site_toml() {
  return R"(title = "测试镇人民政府"
base_url = "https://www.example.gov.cn/"

[organization]
name = "测试市测试镇人民政府"
credit_code = "11120225MB1234567X"
site_code = "1202250011"
icp = "津ICP备00000000号"
police_record = "津公网安备 12022502000000号"

[[department]]
id = "dzb"
name = "党政办公室"

[[department]]
id = "zhdd"
name = "综合执法大队"

[[department]]
id = "sfs"
name = "司法所"

[[category]]
id = "fzzf"
name = "法治政府建设"

[[category]]
id = "xzzf"
name = "行政执法"

[[village]]
id = "bjc"
name = "邦均村"

[[village]]
id = "dd"
name = "东店村"
)";
}

gen::BuildResult build_site(const fs::path& content_dir, const fs::path& output_dir,
                            const std::string& now,
                            const std::function<void(gen::BuildOptions&)>& adjust) {
  gen::BuildOptions o;
  o.content_dir = content_dir;
  o.output_dir = output_dir;
  o.themes_dir = GONGKAI_THEMES_DIR;
  o.display_prefix = "content/";
  o.now = DateTime::parse(now);
  if (adjust) adjust(o);
  return gen::build(o);
}

std::vector<std::string> diagnostic_lines(const gen::BuildResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.sorted()) out.push_back(d.to_string());
  return out;
}

std::map<std::string, std::string> read_tree(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      out[fs::relative(e.path(), dir).generic_string()] = read_file(e.path());
  return out;
}

std::pair<int, std::string> run_build(const std::string& args) {
  std::string out;
  FILE* p = ::popen((quoted(GONGKAI_BUILD_EXE) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return {-1, "cannot run gongkai-build"};
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace gongkai::test
