// Writes a Xapian glass database in one pass, without Xapian's inverter: the documents' terms
// are gathered per term in memory and the postlist table is written as a B-tree, block after
// block, the way `xapian-compact` writes one. The result is a glass database like a compacted
// one (postings, document lengths, value streams and statistics, user metadata, the version
// file), without term list, positions or document data, which the main parts of the search
// index never have (indexer.cpp). The format is Xapian 1.4's glass format (GLASS_FORMAT_VERSION
// 2016-03-14, the format of every 1.4 release); the tests compare a database written here with
// one Xapian writes from the same documents, through the Xapian API and Database::check().
//
// Why: Xapian's own writer costs ~450 ns per posting (a std::map node per term and document
// in its inverter, then a B-tree merge per term at each commit); most of a full build's CPU.
#pragma once
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gongkai::gen::glass {

// Whether the glass database at `db` has the format this writer writes: its version file
// (`iamglass`) begins with glass's magic and the format identifier, GLASS_FORMAT_VERSION, which
// Xapian checks when it opens a database. Given a database Xapian has just made itself, this
// says whether that Xapian writes (and so reads) the format written here. `why`, when given,
// is set to the reason on false.
bool format_supported(const std::filesystem::path& db, std::string* why = nullptr);

class PartWriter {
 public:
  // Writes into `dir` (created if missing; files of the same names replaced) on write().
  explicit PartWriter(std::filesystem::path dir);
  ~PartWriter();
  PartWriter(const PartWriter&) = delete;
  PartWriter& operator=(const PartWriter&) = delete;
  // Documents in ascending id order, each: begin, its terms and values, end. A term added twice
  // to a document adds up its wdf (as Xapian::Document does); an empty value is no value.
  void begin_document(std::uint32_t docid);
  void add_term(std::string_view term, std::uint32_t wdf);
  // A term of two code points of the Basic Multilingual Plane, (a << 16) | b: no string needed.
  void add_pair(std::uint32_t key, std::uint32_t wdf);
  // A document's pairs at once (quicker: their cache misses overlap).
  void add_pairs(const std::uint32_t* keys, const std::uint32_t* wdfs, std::size_t n);
  void add_value(unsigned slot, std::string_view value);
  void end_document();
  void set_metadata(const std::string& key, const std::string& value);
  // Writes the database.
  void write();

  std::uint32_t documents() const { return doccount_; }

 private:
  static constexpr std::uint32_t k_none = 0xffffffffu;
  struct Chunk {  // a finished chunk of a long posting list
    std::uint32_t first, last;
    std::uint32_t older;  // the term's chunk before this one in chunks_, or k_none
    std::string entries;
  };
  // A term's posting list, one cache line: adding a posting touches this line and, for a term
  // in many documents, the end of its entries.
  struct alignas(64) Postings {
    std::uint32_t key = 0;  // in the pair table: the pair (0: an empty slot)
    std::uint32_t termfreq = 0, collfreq = 0;
    std::uint32_t chunk_first = 0, prev = 0;   // current chunk's first and last docids (0: none)
    std::uint32_t pend_did = 0, pend_wdf = 0;  // the current document's entry, not yet encoded
    std::uint32_t newest_done = k_none;        // the term's newest finished chunk in chunks_
    std::string entries;                       // the current chunk's encoded entries
  };
  struct Spilled {
    std::uint32_t first;  // docid
    std::uint64_t offset;
    std::uint32_t size;
  };
  struct ValueStream {
    std::uint32_t first = 0, prev = 0;
    std::string tag;
    std::vector<Spilled> done;  // finished chunks, in the spill file
    std::uint32_t freq = 0;
    std::string lower, upper;
  };
  void post(Postings& p, std::uint32_t wdf);
  void reserve_pairs(std::size_t more);
  void add_reserved_pair(std::uint32_t key, std::uint32_t wdf);
  void spill(ValueStream& v);
  void flush_spill();
  void flush(Postings& p, bool doclen = false);

  // Pair terms (nine in ten postings): open addressing on the pair, the posting lists in the
  // slots themselves, so that finding a term is finding its list (one cache miss, not three).
  std::vector<Postings> pairs_;
  std::size_t pair_count_ = 0;
  std::unordered_map<std::string, std::uint32_t> terms_;  // other terms -> index in others_
  std::deque<Postings> others_;                           // a deque never moves them as terms come
  std::vector<Chunk> chunks_;
  Postings doclens_;
  std::map<unsigned, ValueStream> values_;
  // Finished value chunks (the text kept for snippets is most of a part's bytes) wait in an
  // unlinked file in `dir_`, not in memory: they are written to the table after the value
  // statistics, which only the last document completes.
  std::filesystem::path dir_;
  int spill_fd_ = -1;
  std::string spill_buffer_;
  std::uint64_t spilled_ = 0;
  std::map<std::string, std::string> metadata_;
  std::uint32_t did_ = 0, doclen_ = 0, doccount_ = 0, last_did_ = 0;
  std::uint64_t total_doclen_ = 0;
  std::uint32_t doclen_lbound_ = 0, doclen_ubound_ = 0, wdf_ubound_ = 0;
};

}  // namespace gongkai::gen::glass
