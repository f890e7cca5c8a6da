// The Xapian full-text index of a release: one document per published item of every section
// and per 权责清单 entry, keyed by its URL. Uses the shared schema and analyser (core).
#pragma once
#include <cstddef>
#include <filesystem>

#include "gongkai/content.hpp"

namespace gongkai::gen {

struct IndexStats {
  std::size_t documents = 0;
  std::size_t shards = 0, shards_written = 0;  // shards reused from the cache = shards - shards_written
  std::size_t groups = 0, groups_written = 0;  // compacted groups of shards, likewise
  double prepare_ms = 0, write_ms = 0, compact_ms = 0, total_ms = 0;
};

// Writes a new database at `dir`. Throws on I/O errors.
// Documents go into shards by a hash of their id (so an edit touches one shard), written by
// `threads` parallel writers and compacted into up to 16 groups; `dir` is a stub database
// (XAPIANDB) over the groups, whose files are hard-linked in. With `shard_cache`, a shard whose
// documents are unchanged since the last build is taken from there instead of being written
// again, and the cache keeps exactly this build's shards; the database is the same either way.
IndexStats write_search_index(const Content& content, const std::filesystem::path& dir, int threads = 2,
                              const std::filesystem::path& shard_cache = {});

}  // namespace gongkai::gen
