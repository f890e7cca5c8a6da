// The output tree: every file a build produces, in memory (bytes) or as a file to copy
// (attachments, theme assets), keyed by its site-relative path. One writer puts it on disk;
// tests can inspect it directly. Paths use '/' and never start with '/'.
#pragma once
#include <filesystem>
#include <map>
#include <string>

namespace gongkai::gen {

class OutputTree {
 public:
  // Adds a generated file; returns false when the path is already taken.
  bool add(const std::string& path, std::string bytes);
  bool copy(const std::string& path, const std::filesystem::path& source);
  bool contains(const std::string& path) const;
  // Moves every file of `other` in (a worker's pages); paths must not collide.
  void merge(OutputTree&& other);
  const std::string* bytes(const std::string& path) const;

  const std::map<std::string, std::string>& files() const { return m_files; }
  const std::map<std::string, std::filesystem::path>& copies() const { return m_copies; }
  std::size_t size() const { return m_files.size() + m_copies.size(); }

  // Writes every file under `dir` (which must exist and be empty). Throws std::runtime_error.
  void write_to(const std::filesystem::path& dir) const;
  // SHA-256 over sorted paths and contents: equal trees, equal digests.
  std::string digest() const;

 private:
  std::map<std::string, std::string> m_files;
  std::map<std::string, std::filesystem::path> m_copies;
};

}  // namespace gongkai::gen
