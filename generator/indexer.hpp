// The Xapian full-text index of a release: one document per published item of every section
// and per 权责清单 entry, keyed by its URL. Uses the shared schema and analyser (core).
#pragma once
#include <filesystem>

#include "gongkai/content.hpp"

namespace gongkai::gen {

// Writes a new database at `dir`; returns the number of documents. Throws on I/O errors.
// Writes with `threads` parallel writers into shards, then compacts them into one database.
std::size_t write_search_index(const Content& content, const std::filesystem::path& dir, int threads = 2);

}  // namespace gongkai::gen
