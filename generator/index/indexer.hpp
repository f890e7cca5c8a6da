// The Xapian full-text index of a release: one document per published item of every section
// and per 权责清单 entry, keyed by its URL. Uses the shared schema and analyser (core).
#pragma once
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gongkai/content.hpp"

namespace gongkai::gen {

// Who writes the main parts of a full write (gongkai-build --index-writer):
// - direct: glass_writer.cpp, straight into glass files (the default, several times quicker).
//   It writes Xapian 1.4's private glass format, so it first checks that the Xapian it runs
//   with writes and reads that format (direct_writer_problem); if not, the build stops with an
//   error that names --index-writer=xapian.
// - xapian: Xapian::WritableDatabase (shards compacted into each part), slower but independent
//   of glass's private format.
// - automatic (`auto`): direct, or xapian with a warning when the check fails.
// Both writers give the same index (tests/test_glass_writer.cpp). The delta part of an update
// in place is always written by Xapian, whoever wrote the main parts.
enum class IndexWriter { direct, xapian, automatic };

// "direct", "xapian" or "auto"; nothing for any other text.
std::optional<IndexWriter> parse_index_writer(std::string_view name);
const char* index_writer_name(IndexWriter writer);

struct IndexStats {
  std::size_t documents = 0;
  bool in_place = false;                 // an earlier build's database brought up to date
  bool copied = false;                   // ... after copying the current release's
  std::size_t written = 0, removed = 0;  // documents written (added or replaced) and deleted
  std::size_t parts =
      0;  // written afresh: parts written in parallel, searched as one (search/XAPIANDB)
  double write_ms = 0, total_ms = 0;
  double cpu_ms = 0;  // written afresh: CPU time of the part writers (all threads)
  IndexWriter writer = IndexWriter::direct;  // written afresh: who wrote the main parts
  std::string warning;  // set when `auto` fell back to Xapian's writer, and why
};

// Empty when the direct writer can write for the Xapian this program runs with; otherwise why
// not. Checks more than the version: in `scratch` (removed again) Xapian writes a small glass
// database, whose version file must carry the glass magic and format the direct writer writes
// (glass::format_supported), and the direct writer writes the same documents, which Xapian
// must read back exactly as its own (every term, wdf, length, value slot and metadata).
// Throws (std::runtime_error) when `scratch` cannot be written: that is no answer.
std::string direct_writer_problem(const std::filesystem::path& scratch);

// Tests only: makes write_search_index take `problem` as the check's answer (nothing: check
// for real again).
void assume_direct_writer_problem(std::optional<std::string> problem);

// Makes the release's index at `dir`: a Xapian stub folder (XAPIANDB) naming glass databases
// 0, 1, ... that are searched as one, with docs.sha256 beside them (a digest per document).
// When `dir` already holds the index of an earlier build (a recycled release's), or `previous`
// (the current release's search folder) can be copied there, the changed documents are replaced
// and the removed ones deleted in place (see indexer.cpp). Otherwise, or when over an eighth of
// the documents changed, it is written afresh: similar documents (same section, category,
// department) are numbered together, and the parts (one per thread, up to 4 on large sites)
// are written by `threads` parallel writers straight into glass files (glass_writer.hpp).
// Both ways give the same documents. `writer` chooses who writes the main parts of a full write
// (see IndexWriter): with direct, a failed format check (run once per process) or a part that
// Xapian does not read back as written throws, naming --index-writer=xapian; with automatic,
// either makes Xapian's writer write the parts instead, and `warning` says why.
// Throws on I/O errors.
IndexStats write_search_index(const Content& content, const std::filesystem::path& dir,
                              int threads = 2, const std::filesystem::path& previous = {},
                              IndexWriter writer = IndexWriter::direct);

}  // namespace gongkai::gen
