// The output tree: every file a build produces, keyed by its site-relative path ('/'-separated,
// never starting with '/'). Paths under `_server/` and `_wechat/` are published beside the site.
//
// Three modes:
//  - memory:  bytes are kept (tests inspect them);
//  - disk:    each file is written under a release folder as soon as it is added (site/,
//             server/, wechat/ by prefix) and only its path and SHA-256 stay in memory; a file
//             whose digest equals the previous release's is hard-linked from it instead. The
//             folder may be a recycled old release (its manifest given): files it already holds
//             with the right digest stay, others are replaced, and finish() removes the rest;
//  - discard: only paths and digests (gongkai-build --check).
// Worker threads each get a sibling tree (same mode and folder) and are merged afterwards.
#pragma once
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gongkai/release.hpp"

namespace gongkai::gen {

// Paths under these prefixes are published beside the site, not in it (gongkai/release.hpp).
inline constexpr const char* k_server_prefix = contract::k_server_prefix;
inline constexpr const char* k_wechat_prefix = contract::k_wechat_prefix;  // WeChat article exports
// The search page's template (the layout with slots) and the theme's results template.
inline const std::string k_search_page_template =
    contract::server_tree_path(contract::k_search_page_file);
inline const std::string k_search_results_template =
    contract::server_tree_path(contract::k_search_results_file);

// A release's file list: tree path → SHA-256 (hex), as written to `files.sha256`
// (contract::k_manifest_file).
using Manifest = std::unordered_map<std::string, std::string>;

class OutputTree {
 public:
  OutputTree();  // memory mode
  static OutputTree on_disk(const std::filesystem::path& release_dir,
                            const std::filesystem::path& previous_release = {},
                            std::shared_ptr<const Manifest> previous = nullptr,
                            std::shared_ptr<const Manifest> recycled = nullptr);
  static OutputTree discarding();
  OutputTree sibling() const;  // an empty tree writing to the same place (for a worker thread)

  // Adds a generated file; returns false when the path is already taken. Throws on a write error.
  bool add(const std::string& path, std::string bytes);
  bool copy(const std::string& path, const std::filesystem::path& source);
  bool contains(const std::string& path) const;
  // Adds a file known to equal the previous release's file at `path` (its digest given) without
  // its bytes (an unchanged page that was not rendered again). False when the previous release
  // does not hold exactly that file; the caller then renders it.
  bool reuse(const std::string& path, const std::string& sha);
  // Moves every file of `other` in (a worker's pages); paths must not collide.
  void merge(OutputTree&& other);
  // Disk mode with a recycled folder: removes the files of the old release that this tree does
  // not hold, and the folders they leave empty.
  void finish();
  // The digest of a path's contents, or nullptr.
  const std::string* sha(const std::string& path) const;
  const std::string* bytes(const std::string& path) const;  // memory mode only

  // Memory mode: generated files and copies (source files).
  std::map<std::string, std::string> files() const;
  std::map<std::string, std::filesystem::path> copies() const;
  std::vector<std::string> paths() const;  // every path, sorted
  std::size_t size() const { return m_entries.size(); }
  std::size_t linked() const {
    return m_linked;
  }  // disk mode: files hard-linked from the previous release
  std::size_t kept() const { return m_kept; }  // disk mode: files a recycled folder already held

  // SHA-256 over sorted paths and the contents' digests: equal trees, equal digests.
  std::string digest() const;
  // "<sha256>  <published path>\n" per file, sorted: `sha256sum -c files.sha256` in the release folder.
  std::string manifest_text() const;
  static Manifest parse_manifest(const std::string& text);
  // Where a tree path is published inside a release folder ("site/…", "server/…", "wechat/…").
  static std::string published_path(const std::string& path);

 private:
  enum class Mode { memory, disk, discard };
  struct Entry {
    std::string sha;               // hex digest of the contents
    std::string bytes;             // memory mode, generated files
    std::filesystem::path source;  // copies
    bool is_copy = false;
  };
  bool put(const std::string& path, Entry e, const std::string* data);

  Mode m_mode = Mode::memory;
  std::filesystem::path m_root, m_previous_root;
  std::shared_ptr<const Manifest> m_previous, m_recycled;
  std::map<std::string, Entry> m_entries;
  std::size_t m_linked = 0, m_kept = 0;
};

}  // namespace gongkai::gen
