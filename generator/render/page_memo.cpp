#include "page_memo.hpp"

#include <stdexcept>

#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"

namespace gongkai::gen {

namespace fs = std::filesystem;

// The file: "gongkai-pages 2" and "release <id>" lines, the pages, then "sha256 <hex>" of
// everything before that last line. Written whole through a temporary file and a rename, but
// not synced (a crash may leave it empty, cut short or with zeros in place of its data): a file
// whose checksum does not hold is ignored whole, and the build renders every page.
constexpr std::string_view k_pages_magic = "gongkai-pages 2\n";

PageMemo PageMemo::load(const fs::path& file) {
  PageMemo m;
  std::string data;
  try {
    data = read_file(file);
  } catch (const std::exception&) {
    return m;
  }
  {
    if (data.size() < k_pages_magic.size() + 72 ||
        data.compare(0, k_pages_magic.size(), k_pages_magic) != 0 || data.back() != '\n')
      return m;
    const std::size_t last = data.rfind('\n', data.size() - 2) + 1;  // the checksum line
    if (data.compare(last, 7, "sha256 ") != 0 || data.size() - last != 72 ||
        sha256_hex(std::string_view(data).substr(0, last)) !=
            std::string_view(data).substr(last + 7, 64))
      return m;
    data.resize(last);
  }
  std::size_t pos = k_pages_magic.size();
  auto line = [&](std::string_view& out) {
    if (pos >= data.size()) return false;
    std::size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) return false;
    out = std::string_view(data).substr(pos, nl - pos);
    pos = nl + 1;
    return true;
  };
  std::string_view l;
  if (!line(l) || l.substr(0, 8) != "release ") return m;
  m.release = std::string(l.substr(8));
  while (line(l)) {  // "<url>\t<key>\t<count>", then count lines "<sha256>\t<path>"
    const auto t1 = l.find('\t'), t2 = l.rfind('\t');
    if (t1 == std::string_view::npos || t2 == t1) return {};
    Pages p;
    p.key = std::string(l.substr(t1 + 1, t2 - t1 - 1));
    const std::string count(l.substr(t2 + 1));
    if (count.empty() || count.size() > 9 ||
        count.find_first_not_of("0123456789") != std::string::npos)
      return {};
    const std::size_t n = std::stoul(count);
    for (std::size_t i = 0; i < n; ++i) {
      std::string_view f;
      if (!line(f) || f.size() < 66 || f[64] != '\t') return {};
      p.files.emplace_back(std::string(f.substr(65)), std::string(f.substr(0, 64)));
    }
    m.by_url.emplace(std::string(l.substr(0, t1)), std::move(p));
  }
  return m;
}

void PageMemo::save(const fs::path& file) const {
  std::string out = std::string(k_pages_magic) + "release " + release + "\n";
  for (const auto& [url, p] : by_url) {
    out += url + "\t" + p.key + "\t" + std::to_string(p.files.size()) + "\n";
    for (const auto& [path, sha] : p.files) out += sha + "\t" + path + "\n";
  }
  out += "sha256 " + sha256_hex(out) + "\n";
  fs::create_directories(file.parent_path());
  write_file_atomic(file, out);
}

}  // namespace gongkai::gen
