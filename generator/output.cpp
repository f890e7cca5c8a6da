#include "output.hpp"

#include <stdexcept>
#include <system_error>

#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"

namespace gongkai::gen {

namespace fs = std::filesystem;

bool OutputTree::add(const std::string& path, std::string bytes) {
  if (contains(path)) return false;
  m_files.emplace(path, std::move(bytes));
  return true;
}

bool OutputTree::copy(const std::string& path, const fs::path& source) {
  if (contains(path)) return false;
  m_copies.emplace(path, source);
  return true;
}

void OutputTree::merge(OutputTree&& other) {
  m_files.merge(other.m_files);
  m_copies.merge(other.m_copies);
}

bool OutputTree::contains(const std::string& path) const { return m_files.count(path) || m_copies.count(path); }

const std::string* OutputTree::bytes(const std::string& path) const {
  auto it = m_files.find(path);
  return it == m_files.end() ? nullptr : &it->second;
}

void OutputTree::write_to(const fs::path& dir) const {
  auto ensure_parent = [&](const fs::path& p) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot create " + p.parent_path().string() + ": " + ec.message());
  };
  // `dir` is a private folder that is renamed into place whole, so files are written directly
  // (no temporary file and rename each).
  for (const auto& [rel, bytes] : m_files) {
    const fs::path p = dir / rel;
    ensure_parent(p);
    write_file(p, bytes);
  }
  for (const auto& [rel, src] : m_copies) {
    const fs::path p = dir / rel;
    ensure_parent(p);
    std::error_code ec;
    fs::copy_file(src, p, fs::copy_options::overwrite_existing, ec);
    if (ec) throw std::runtime_error("cannot copy " + src.string() + " to " + p.string() + ": " + ec.message());
  }
}

std::string OutputTree::digest() const {
  // Merge both maps in path order so the digest does not depend on how a file was produced.
  Sha256 h;
  auto fi = m_files.begin();
  auto ci = m_copies.begin();
  while (fi != m_files.end() || ci != m_copies.end()) {
    const bool take_file = ci == m_copies.end() || (fi != m_files.end() && fi->first < ci->first);
    const std::string& path = take_file ? fi->first : ci->first;
    h.update(path);
    h.update(std::string_view("\0", 1));
    if (take_file) {
      h.update(fi->second);
      ++fi;
    } else {
      h.update(read_file(ci->second));
      ++ci;
    }
    h.update(std::string_view("\0", 1));
  }
  return h.hex();
}

}  // namespace gongkai::gen
