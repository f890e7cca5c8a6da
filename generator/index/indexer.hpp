// The Xapian full-text index of a release: one document per published item of every section
// and per 权责清单 entry, keyed by its URL. Uses the shared schema and analyser (core).
#pragma once
#include <cstddef>
#include <filesystem>
#include <functional>

#include "gongkai/content.hpp"

namespace gongkai::gen {

struct IndexStats {
  std::size_t documents = 0;
  bool in_place = false;            // an earlier build's database brought up to date
  bool copied = false;              // ... after copying the current release's
  std::size_t written = 0, removed = 0;  // documents written (added or replaced) and deleted
  std::size_t parts = 0;            // written afresh: parts written in parallel, searched as one (search/XAPIANDB)
  double write_ms = 0, total_ms = 0;
  double cpu_ms = 0;                // written afresh: CPU time of the part writers (all threads)
};

// Makes the release's index at `dir`: a Xapian stub folder (XAPIANDB) naming glass databases
// 0, 1, ... that are searched as one, with docs.sha256 beside them (a digest per document).
// When `dir` already holds the index of an earlier build (a recycled release's), or `previous`
// (the current release's search folder) can be copied there, the changed documents are replaced
// and the removed ones deleted in place (see indexer.cpp). Otherwise, or when over an eighth of
// the documents changed, it is written afresh: similar documents (same section, category,
// department) are numbered together, and the parts (one per thread, up to 4 on large sites)
// are written by `threads` parallel writers straight into glass files (glass_writer.hpp).
// Both ways give the same documents. Throws on I/O errors (and passes on an exception of `tail`).
// `tail`, when given, is work of the caller's that a full write runs once on the first core
// that finds no part left to start; an update in place does not run it.
IndexStats write_search_index(const Content& content, const std::filesystem::path& dir, int threads = 2,
                              const std::filesystem::path& previous = {}, const std::function<void()>& tail = {});

}  // namespace gongkai::gen
