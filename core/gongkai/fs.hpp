// File helpers. Reading throws std::runtime_error with the path; AtomicFile writes a temporary
// file beside the target and renames it, so a failed write never leaves half a file.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace gongkai {

std::string read_file(const std::filesystem::path& path);
// Writes `data` to `path` (created or truncated). Throws std::runtime_error on failure.
void write_file(const std::filesystem::path& path, std::string_view data);
// Creates `path`, which must not exist yet (never writes through a hard link into another file).
void write_new_file(const std::filesystem::path& path, std::string_view data);
void append_file(const std::filesystem::path& path, std::string_view data);  // created when missing
// Writes `data` to `path` through a temporary file and rename(2). Throws on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view data);
// Replaces the symlink `link` so it points at `target`, atomically (symlink + rename).
void replace_symlink_atomic(const std::filesystem::path& link, const std::filesystem::path& target);

}  // namespace gongkai
