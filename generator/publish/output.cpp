#include "output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/text.hpp"

namespace gongkai::gen {

namespace fs = std::filesystem;

OutputTree::OutputTree() = default;

OutputTree OutputTree::on_disk(const fs::path& release_dir, const fs::path& previous_release,
                               std::shared_ptr<const Manifest> previous,
                               std::shared_ptr<const Manifest> recycled) {
  OutputTree t;
  t.m_mode = Mode::disk;
  t.m_root = release_dir;
  t.m_previous_root = previous_release;
  t.m_previous = previous_release.empty() ? nullptr : std::move(previous);
  t.m_recycled = std::move(recycled);
  return t;
}

namespace {

// A recycled folder may hold a file where a folder is now needed, or the other way round.
void make_parent(const fs::path& target) {
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (!ec) return;
  fs::path p;
  for (const auto& part : target.parent_path()) {
    p /= part;
    if (fs::exists(fs::symlink_status(p)) && !fs::is_directory(fs::symlink_status(p)))
      fs::remove(p, ec);
  }
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    throw std::runtime_error("cannot create " + target.parent_path().string() + ": " +
                             ec.message());
}

}  // namespace

OutputTree OutputTree::discarding() {
  OutputTree t;
  t.m_mode = Mode::discard;
  return t;
}

OutputTree OutputTree::sibling() const {
  OutputTree t;
  t.m_mode = m_mode;
  t.m_root = m_root;
  t.m_previous_root = m_previous_root;
  t.m_previous = m_previous;
  t.m_recycled = m_recycled;
  return t;
}

std::string OutputTree::published_path(const std::string& path) {
  return contract::published_path(path);
}

bool OutputTree::put(const std::string& path, Entry e, const std::string* data) {
  if (m_entries.count(path)) return false;
  if (m_mode == Mode::disk) {
    const std::string rel = published_path(path);
    const fs::path target = m_root / rel;
    bool done = false;
    if (m_recycled) {
      auto it = m_recycled->find(path);
      if (it != m_recycled->end()) {
        if (it->second == e.sha) {  // the recycled folder holds this very file
          done = true;
          ++m_kept;
        } else if (::unlink(target.c_str()) != 0 &&
                   errno != ENOENT) {  // replaced, never written through
          throw std::runtime_error("cannot replace " + target.string() + ": " +
                                   std::strerror(errno));
        }
      } else if (fs::is_directory(fs::symlink_status(target))) {
        std::error_code ec;
        fs::remove_all(target, ec);
      }
    }
    if (!done) make_parent(target);
    if (!done && m_previous) {  // unchanged since the previous release: share its file
      auto it = m_previous->find(path);
      if (it != m_previous->end() && it->second == e.sha) {
        const fs::path old = m_previous_root / rel;
        if (::link(old.c_str(), target.c_str()) == 0) {
          done = true;
          ++m_linked;
        }
      }
    }
    if (!done) {
      if (data) {
        write_new_file(target, *data);  // never through a link into the previous release
      } else {
        std::error_code ec;
        fs::copy_file(e.source, target, fs::copy_options::none, ec);
        if (ec)
          throw std::runtime_error("cannot copy " + e.source.string() + " to " + target.string() +
                                   ": " + ec.message());
      }
    }
    e.bytes.clear();
  }
  m_entries.emplace(path, std::move(e));
  return true;
}

bool OutputTree::reuse(const std::string& path, const std::string& sha) {
  if (m_mode != Mode::disk || !m_previous || m_entries.count(path)) return false;
  auto it = m_previous->find(path);
  if (it == m_previous->end() || it->second != sha) return false;
  Entry e;
  e.sha = sha;
  return put(path, std::move(e), nullptr);
}

void OutputTree::finish() {
  if (m_mode != Mode::disk || !m_recycled) return;
  std::set<fs::path> parents;
  for (const auto& [path, sha] : *m_recycled) {
    if (m_entries.count(path)) continue;
    const fs::path target = m_root / published_path(path);
    if (::unlink(target.c_str()) != 0 && errno != ENOENT && errno != EISDIR)
      throw std::runtime_error("cannot remove " + target.string() + ": " + std::strerror(errno));
    parents.insert(target.parent_path());
  }
  // Deepest first, so that a folder emptied by its children's removal goes too.
  std::set<std::string> all;
  for (fs::path p : parents)
    for (; p != m_root && p.string().size() > m_root.string().size(); p = p.parent_path())
      all.insert(p.string());
  std::vector<std::string> dirs(all.begin(), all.end());
  std::stable_sort(dirs.begin(), dirs.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& d : dirs) ::rmdir(d.c_str());  // fails, as it should, while not empty
}

const std::string* OutputTree::sha(const std::string& path) const {
  auto it = m_entries.find(path);
  return it == m_entries.end() ? nullptr : &it->second.sha;
}

bool OutputTree::add(const std::string& path, std::string bytes) {
  if (m_entries.count(path)) return false;
  Entry e;
  e.sha = sha256_hex(bytes);
  if (m_mode == Mode::memory) {
    e.bytes = std::move(bytes);
    return put(path, std::move(e), nullptr);
  }
  return put(path, std::move(e), &bytes);
}

bool OutputTree::copy(const std::string& path, const fs::path& source) {
  if (m_entries.count(path)) return false;
  Entry e;
  e.sha = sha256_hex(read_file(source));
  e.source = source;
  e.is_copy = true;
  return put(path, std::move(e), nullptr);
}

void OutputTree::merge(OutputTree&& other) {
  m_entries.merge(other.m_entries);
  m_linked += other.m_linked;
  m_kept += other.m_kept;
}

bool OutputTree::contains(const std::string& path) const { return m_entries.count(path) > 0; }

const std::string* OutputTree::bytes(const std::string& path) const {
  auto it = m_entries.find(path);
  return it == m_entries.end() || it->second.is_copy || m_mode != Mode::memory ? nullptr
                                                                               : &it->second.bytes;
}

std::map<std::string, std::string> OutputTree::files() const {
  std::map<std::string, std::string> out;
  for (const auto& [p, e] : m_entries)
    if (!e.is_copy) out.emplace(p, e.bytes);
  return out;
}

std::map<std::string, fs::path> OutputTree::copies() const {
  std::map<std::string, fs::path> out;
  for (const auto& [p, e] : m_entries)
    if (e.is_copy) out.emplace(p, e.source);
  return out;
}

std::vector<std::string> OutputTree::paths() const {
  std::vector<std::string> out;
  out.reserve(m_entries.size());
  for (const auto& [p, e] : m_entries) out.push_back(p);
  return out;
}

std::string OutputTree::digest() const {
  Sha256 h;
  for (const auto& [path, e] : m_entries) {
    h.update(path);
    h.update(std::string_view("\0", 1));
    h.update(e.sha);
    h.update(std::string_view("\n", 1));
  }
  return h.hex();
}

std::string OutputTree::manifest_text() const {
  std::map<std::string, const std::string*> published;
  for (const auto& [path, e] : m_entries) published.emplace(published_path(path), &e.sha);
  std::string out;
  out.reserve(m_entries.size() * 120);
  for (const auto& [p, sha] : published) out.append(*sha).append("  ").append(p).append("\n");
  return out;
}

Manifest OutputTree::parse_manifest(const std::string& text) {
  Manifest m;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.size() < 67 || line.substr(64, 2) != "  ") continue;
    std::optional<std::string> p = contract::tree_path_of(line.substr(66));
    if (!p) continue;
    m.emplace(std::move(*p), std::string(line.substr(0, 64)));
  }
  return m;
}

}  // namespace gongkai::gen
