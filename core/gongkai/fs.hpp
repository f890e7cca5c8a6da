// File helpers. Reading throws std::runtime_error with the path; AtomicFile writes a temporary
// file beside the target and renames it, so a failed write never leaves half a file.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace gongkai {

std::string read_file(const std::filesystem::path& path);
// A read-only view of a whole file through mmap(2), for large caches that are parsed once: no
// copy of the file is made in fresh memory. The file must not be truncated while mapped
// (replace it by rename instead). Throws std::runtime_error when it cannot be read.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view view() const { return {static_cast<const char*>(m_data), m_size}; }

 private:
  void* m_data = nullptr;
  std::size_t m_size = 0;
};
// Writes `data` to `path` (created or truncated). Throws std::runtime_error on failure.
void write_file(const std::filesystem::path& path, std::string_view data);
// Creates `path`, which must not exist yet (never writes through a hard link into another file).
void write_new_file(const std::filesystem::path& path, std::string_view data);
void append_file(const std::filesystem::path& path, std::string_view data);  // created when missing
// Writes `data` to `path` through a temporary file and rename(2). Throws on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view data);
// Replaces the symlink `link` so it points at `target`, atomically (symlink + rename).
void replace_symlink_atomic(const std::filesystem::path& link, const std::filesystem::path& target);

// Durability. Both throw std::runtime_error naming the path and the error.
// syncfs(2) on a descriptor of `dir`: every file, folder and link of the file system holding it
// reaches the disk (one call, however many files a release has; Linux >= 5.8 reports write-back
// errors of the whole file system).
void sync_file_system(const std::filesystem::path& dir);
// fsync(2) of a folder: its entries (a rename, a new link inside it) reach the disk.
void fsync_dir(const std::filesystem::path& dir);

}  // namespace gongkai
