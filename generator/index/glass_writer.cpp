#include "glass_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <system_error>

#include "gongkai/fs.hpp"
#include "gongkai/text.hpp"

namespace gongkai::gen::glass {

namespace {

// Xapian 1.4's glass format (backends/glass in xapian-core; names as there).
constexpr unsigned k_block_size = 8192;  // GLASS_DEFAULT_BLOCKSIZE
constexpr int k_dir_start =
    11;  // block header: revision 4, level 1, max free 2, total free 2, dir end 2
constexpr int k_max_item =
    (k_block_size - k_dir_start - 4 * 2) / 4;  // BLOCK_CAPACITY 4 items per block
constexpr std::uint32_t k_revision = 1;
constexpr std::size_t k_postlist_chunk = 2000;  // CHUNKSIZE in glass_postlist.cc
constexpr std::size_t k_value_chunk = 2000;     // CHUNK_SIZE_THRESHOLD in glass_values.cc
constexpr std::uint8_t k_first_bit = 0x20, k_last_bit = 0x40;
// The version file begins with the magic and the format (GlassVersion::write, glass_version.cc).
constexpr std::string_view k_version_magic{"\x0f\x0dXapian Glass", 14};
constexpr unsigned k_format =
    (2016u - 2014u) << 9 | 3u << 5 | 14u;  // GLASS_FORMAT_VERSION, 2016-03-14

void pack_uint(std::string& s, std::uint64_t v) {
  while (v >= 128) {
    s += static_cast<char>(static_cast<unsigned char>(v) | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
}

void pack_string(std::string& s, std::string_view v) {
  pack_uint(s, v.size());
  s.append(v);
}

// A term in a key: zero bytes doubled as "\0\xff", and "\0" after it unless it ends the key.
void pack_string_preserving_sort(std::string& s, std::string_view v, bool last) {
  for (char c : v) {
    s += c;
    if (c == '\0') s += '\xff';
  }
  if (!last) s += '\0';
}

void pack_uint_preserving_sort(std::string& s, std::uint64_t v) {
  if (v < 0x8000) {
    s += static_cast<char>(v >> 8);
    s += static_cast<char>(v & 0xff);
    return;
  }
  const std::size_t len = ((64 + 5) - static_cast<std::size_t>(__builtin_clzll(v))) / 7;
  const unsigned mask = 0xffu << (10 - len);
  std::string tmp(len, '\0');
  for (std::size_t i = 1; i != len; ++i) {
    tmp[len - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  tmp[0] = static_cast<char>((v | mask) & 0xff);
  s += tmp;
}

void put2(std::uint8_t* p, unsigned v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put4(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

[[noreturn]] void fail(const std::filesystem::path& p, const char* what) {
  throw std::system_error(errno, std::generic_category(), std::string(what) + " " + p.string());
}

// pwrite(2) / pread(2) of the whole range, or an exception naming `p`.
void write_at(int fd, const void* data, std::size_t size, std::uint64_t offset,
              const std::filesystem::path& p) {
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::pwrite(fd, static_cast<const char*>(data) + done, size - done,
                               static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(p, "cannot write");
    done += static_cast<std::size_t>(n);
  }
}
void read_at(int fd, void* data, std::size_t size, std::uint64_t offset,
             const std::filesystem::path& p) {
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::pread(fd, static_cast<char*>(data) + done, size - done,
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(p, "cannot read");
    done += static_cast<std::size_t>(n);
  }
}

// A glass B-tree written in key order (what GlassTable does in sequential mode): leaf blocks
// filled one after another, then each level of branch blocks above them, the root last.
class TableWriter {
 public:
  explicit TableWriter(const std::filesystem::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0666);
    if (fd_ < 0) fail(path, "cannot create");
    start_leaf();
    // Every table begins with the null item (an empty key) in its first leaf.
    const std::uint8_t null_item[3] = {k_first_bit | k_last_bit, 0, 0};
    place(null_item, 3);
  }
  ~TableWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;

  // Keys strictly ascending, 1 to 255 bytes.
  void add(const std::string& key, std::string_view tag) {
    if (key.empty() || key.size() > 255 || (!last_key_.empty() && key <= last_key_))
      throw std::logic_error("glass writer: keys must ascend (" + std::to_string(key.size()) +
                             " bytes)");
    ++entries_;
    // Tags longer than an item holds are split into components (GlassTable::add).
    const std::size_t cd = key.size() + 1 + 2 + 2;  // key length, item size, component number
    const std::size_t room = k_max_item - cd;
    const std::size_t first_room = room + 2;  // the first component has no component number
    std::size_t components = 1;
    if (tag.size() > first_room) components = (tag.size() - first_room + room - 1) / room + 1;
    if (components >= 0x10000) throw std::length_error("glass writer: value too large");
    std::size_t offset = 0;
    for (std::size_t i = 1; i <= components; ++i) {
      const std::size_t len = i == components ? tag.size() - offset : (i == 1 ? first_room : room);
      std::uint8_t item[k_max_item + 8];
      const std::size_t size = 2 + 1 + key.size() + (i > 1 ? 2 : 0) + len;
      put2(item, static_cast<unsigned>(size - 3));
      if (i == 1) item[0] |= k_first_bit;
      if (i == components) item[0] |= k_last_bit;
      item[2] = static_cast<std::uint8_t>(key.size());
      std::memcpy(item + 3, key.data(), key.size());
      std::size_t at = 3 + key.size();
      if (i > 1) {
        put2(item + at, static_cast<unsigned>(i));
        at += 2;
      }
      std::memcpy(item + at, tag.data() + offset, len);
      offset += len;
      if (!fits(size)) {
        finish_leaf();
        start_leaf();
        // The separator above the new leaf: the shortest prefix of its first key that sorts
        // after the last key of the previous leaf (enter_key_above_leaf), with the component.
        std::size_t common = 0;
        while (common < key.size() && common < last_key_.size() && key[common] == last_key_[common])
          ++common;
        if (common < key.size()) ++common;
        level1_.push_back({key.substr(0, common), static_cast<unsigned>(i), 0});
      }
      place(item, size);
      last_key_ = key;
    }
  }

  // Writes the branch levels; returns the root's block number and level.
  std::pair<std::uint32_t, int> finish() {
    finish_leaf();
    std::vector<Branch> below = std::move(level1_);
    int level = 0;
    while (below.size() > 1) {
      ++level;
      std::vector<Branch> above;
      std::size_t i = 0;
      while (i < below.size()) {
        start_block(level);
        const std::uint32_t block = next_block_;
        // The first item of a branch block has a null key; the block's separator in the level
        // above is the key it would have had (enter_key_above_branch).
        above.push_back({below[i].key, below[i].component, block});
        place_branch("", 0, below[i].block);
        ++i;
        while (i < below.size() && fits(4 + 1 + below[i].key.size() + 2)) {
          place_branch(below[i].key, below[i].component, below[i].block);
          ++i;
        }
        write_block();
      }
      below = std::move(above);
    }
    if (::close(fd_) != 0) {
      fd_ = -1;
      fail(path_, "cannot write");
    }
    fd_ = -1;
    return {below.empty() ? 0 : below[0].block, level};
  }

  std::uint32_t blocks() const { return next_block_; }
  std::uint64_t entries() const { return entries_; }

 private:
  struct Branch {
    std::string key;
    unsigned component;
    std::uint32_t block;  // the child block (leaf level: set when the leaf is written)
  };

  void start_block(int level) {
    std::memset(block_, 0, sizeof block_);
    put4(block_, k_revision);
    block_[4] = static_cast<std::uint8_t>(level);
    dir_end_ = k_dir_start;
    low_ = k_block_size;
  }
  void start_leaf() {
    start_block(0);
    if (!level1_.empty() || next_block_ > 0) return;
    level1_.push_back({"", 0, 0});
  }
  bool fits(std::size_t size) const { return static_cast<int>(size) + 2 <= low_ - dir_end_; }
  void place(const std::uint8_t* item, std::size_t size) {
    low_ -= static_cast<int>(size);
    std::memcpy(block_ + low_, item, size);
    put2(block_ + dir_end_, static_cast<unsigned>(low_));
    dir_end_ += 2;
  }
  void place_branch(const std::string& key, unsigned component, std::uint32_t child) {
    std::uint8_t item[4 + 1 + 255 + 2];
    put4(item, child);
    item[4] = static_cast<std::uint8_t>(key.size());
    std::memcpy(item + 5, key.data(), key.size());
    put2(item + 5 + key.size(), component);
    place(item, 4 + 1 + key.size() + 2);
  }
  void finish_leaf() {
    level1_.back().block = next_block_;
    write_block();
  }
  void write_block() {
    const unsigned free = static_cast<unsigned>(low_ - dir_end_);
    put2(block_ + 5, free);  // MAX_FREE: the free space is all between directory and items
    put2(block_ + 7, free);  // TOTAL_FREE
    put2(block_ + 9, static_cast<unsigned>(dir_end_));
    write_at(fd_, block_, k_block_size, std::uint64_t{next_block_} * k_block_size, path_);
    ++next_block_;
  }

  std::filesystem::path path_;
  int fd_ = -1;
  alignas(8) std::uint8_t block_[k_block_size];
  int dir_end_ = k_dir_start, low_ = k_block_size;
  std::uint32_t next_block_ = 0;
  std::uint64_t entries_ = 0;
  std::string last_key_;
  std::vector<Branch> level1_;
};

std::uint32_t hash_pair(std::uint32_t key, unsigned bits) {
  return (key * 0x9E3779B1u) >> (32 - bits);
}

}  // namespace

bool format_supported(const std::filesystem::path& db, std::string* why) {
  auto no = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return false;
  };
  const std::filesystem::path file = db / "iamglass";
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return no("no glass version file " + file.string());
  char head[k_version_magic.size() + 2];
  std::size_t got = 0;
  while (got < sizeof head) {
    const ssize_t n = ::read(fd, head + got, sizeof head - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got < sizeof head || std::string_view(head, k_version_magic.size()) != k_version_magic)
    return no(file.string() + " is not a glass version file");
  const unsigned format =
      static_cast<unsigned>(static_cast<unsigned char>(head[k_version_magic.size()])) << 8 |
      static_cast<unsigned char>(head[k_version_magic.size() + 1]);
  if (format != k_format) {
    auto date = [](unsigned f) {  // DATE_TO_VERSION in glass_version.cc
      char s[16];
      std::snprintf(s, sizeof s, "%04u-%02u-%02u", 2014 + (f >> 9), (f >> 5) & 15u, f & 31u);
      return std::string(s);
    };
    return no("glass format " + date(format) + ", the direct writer writes " + date(k_format));
  }
  return true;
}

PartWriter::PartWriter(std::filesystem::path dir) : pairs_(1u << 14), dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  const std::filesystem::path spill = dir_ / "values.spill";
  spill_fd_ = ::open(spill.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
  if (spill_fd_ < 0) fail(spill, "cannot create");
  ::unlink(spill.c_str());
}

PartWriter::~PartWriter() {
  if (spill_fd_ >= 0) ::close(spill_fd_);
}

void PartWriter::spill(ValueStream& v) {
  v.done.push_back(
      {v.first, spilled_ + spill_buffer_.size(), static_cast<std::uint32_t>(v.tag.size())});
  spill_buffer_ += v.tag;
  v.tag.clear();
  if (spill_buffer_.size() >= (1u << 20)) flush_spill();
}

void PartWriter::flush_spill() {
  write_at(spill_fd_, spill_buffer_.data(), spill_buffer_.size(), spilled_, dir_ / "values.spill");
  spilled_ += spill_buffer_.size();
  spill_buffer_.clear();
}

void PartWriter::begin_document(std::uint32_t docid) {
  if (docid <= last_did_) throw std::logic_error("glass writer: document ids must ascend");
  did_ = docid;
  doclen_ = 0;
}

void PartWriter::flush(Postings& p, bool doclen) {
  if (!p.pend_did) return;
  const std::uint32_t did = p.pend_did, wdf = p.pend_wdf;
  p.pend_did = 0;
  if (!p.chunk_first) {
    p.chunk_first = did;
  } else if (p.entries.size() >= k_postlist_chunk) {  // a new chunk (PostlistChunkWriter::append)
    chunks_.push_back({p.chunk_first, p.prev, p.newest_done, std::move(p.entries)});
    p.newest_done = static_cast<std::uint32_t>(chunks_.size() - 1);
    p.entries.clear();
    p.chunk_first = did;
  } else {
    pack_uint(p.entries, did - p.prev - 1);
  }
  pack_uint(p.entries, wdf);
  p.prev = did;
  ++p.termfreq;
  p.collfreq += wdf;
  if (!doclen) wdf_ubound_ = std::max(wdf_ubound_, wdf);
}

void PartWriter::post(Postings& p, std::uint32_t wdf) {
  doclen_ += wdf;
  if (p.pend_did == did_) {
    p.pend_wdf += wdf;
    return;
  }
  flush(p);
  p.pend_did = did_;
  p.pend_wdf = wdf;
}

void PartWriter::add_term(std::string_view term, std::uint32_t wdf) {
  if (term.empty() || term.size() > 245)
    throw std::invalid_argument("glass writer: term of " + std::to_string(term.size()) + " bytes");
  if (term.size() <= 6) {  // two characters of the BMP: the same posting list as add_pair's
    std::uint32_t cps[2];
    std::size_t n = 0, i = 0;
    while (i < term.size() && n < 2) {
      const auto c = static_cast<unsigned char>(term[i]);
      std::uint32_t cp;
      std::size_t len;
      if (c < 0x80)
        cp = c, len = 1;
      else if ((c & 0xe0) == 0xc0)
        cp = c & 0x1fu, len = 2;
      else if ((c & 0xf0) == 0xe0)
        cp = c & 0x0fu, len = 3;
      else
        break;
      if (i + len > term.size()) break;
      for (std::size_t k = 1; k < len; ++k)
        cp = cp << 6 | (static_cast<unsigned char>(term[i + k]) & 0x3fu);
      cps[n++] = cp;
      i += len;
    }
    if (n == 2 && i == term.size() && cps[0] != 0) {
      std::string again;
      gongkai::append_utf8(again, cps[0]);
      gongkai::append_utf8(again, cps[1]);
      if (again == term) return add_pair(cps[0] << 16 | cps[1], wdf);  // well-formed, shortest form
    }
  }
  auto [it, added] =
      terms_.try_emplace(std::string(term), static_cast<std::uint32_t>(others_.size()));
  if (added) others_.emplace_back();
  post(others_[it->second], wdf);
}

void PartWriter::reserve_pairs(std::size_t more) {
  if ((pair_count_ + more) * 2 <= pairs_.size()) return;
  std::size_t size = pairs_.size();
  while ((pair_count_ + more) * 2 > size) size *= 2;  // at most half full
  std::vector<Postings> grown(size);
  const unsigned bits = static_cast<unsigned>(__builtin_ctzll(size));
  const std::uint32_t mask = static_cast<std::uint32_t>(size - 1);
  for (Postings& p : pairs_) {
    if (!p.key) continue;
    std::uint32_t g = hash_pair(p.key, bits);
    while (grown[g].key) g = (g + 1) & mask;
    grown[g] = std::move(p);
  }
  pairs_.swap(grown);
}

// The table has room (reserve_pairs).
inline void PartWriter::add_reserved_pair(std::uint32_t key, std::uint32_t wdf) {
  if (key >> 16 == 0) throw std::invalid_argument("glass writer: a pair term starts with U+0000");
  const unsigned bits = static_cast<unsigned>(__builtin_ctzll(pairs_.size()));
  const std::uint32_t mask = static_cast<std::uint32_t>(pairs_.size() - 1);
  std::uint32_t h = hash_pair(key, bits);
  while (pairs_[h].key != key && pairs_[h].key != 0) h = (h + 1) & mask;
  if (pairs_[h].key == 0) {
    pairs_[h].key = key;
    ++pair_count_;
  }
  post(pairs_[h], wdf);
}

void PartWriter::add_pair(std::uint32_t key, std::uint32_t wdf) {
  reserve_pairs(1);
  add_reserved_pair(key, wdf);
}

void PartWriter::add_pairs(const std::uint32_t* keys, const std::uint32_t* wdfs, std::size_t n) {
  // Nearly every pair of a document is a cache miss in a table of megabytes, then another at
  // the end of its posting list: both are prefetched some pairs ahead, so that the misses of
  // consecutive pairs overlap instead of following one another.
  reserve_pairs(n);
  const unsigned bits = static_cast<unsigned>(__builtin_ctzll(pairs_.size()));
  constexpr std::size_t ahead = 8;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + 2 * ahead < n) __builtin_prefetch(&pairs_[hash_pair(keys[i + 2 * ahead], bits)], 1);
    if (i + ahead < n) {
      const Postings& next = pairs_[hash_pair(keys[i + ahead], bits)];
      __builtin_prefetch(next.entries.data() + next.entries.size(), 1);
    }
    add_reserved_pair(keys[i], wdfs[i]);
  }
}

void PartWriter::add_value(unsigned slot, std::string_view value) {
  if (value.empty()) return;
  ValueStream& v = values_[slot];
  if (v.tag.empty()) {
    v.first = did_;
  } else {
    pack_uint(v.tag, did_ - v.prev - 1);
  }
  v.prev = did_;
  pack_string(v.tag, value);
  if (v.tag.size() >= k_value_chunk) spill(v);
  if (v.freq == 0 || value < v.lower) v.lower = value;
  if (v.freq == 0 || value > v.upper) v.upper = value;
  ++v.freq;
}

void PartWriter::end_document() {
  doclens_.pend_did = did_;
  doclens_.pend_wdf = doclen_;
  flush(doclens_, true);
  ++doccount_;
  total_doclen_ += doclen_;
  if (doclen_ && (!doclen_lbound_ || doclen_ < doclen_lbound_)) doclen_lbound_ = doclen_;
  doclen_ubound_ = std::max(doclen_ubound_, doclen_);
  last_did_ = did_;
}

void PartWriter::set_metadata(const std::string& key, const std::string& value) {
  if (value.empty())
    metadata_.erase(key);
  else
    metadata_[key] = value;
}

void PartWriter::write() {
  const std::filesystem::path& dir = dir_;
  TableWriter table(dir / "postlist.glass");
  std::string key, tag;
  for (const auto& [name, value] : metadata_) {
    key.assign("\0\xc0", 2);
    key += name;
    table.add(key, value);
  }
  for (const auto& [slot, v] : values_) {  // value statistics (GlassValueManager::set_value_stats)
    key.assign("\0\xd0", 2);
    for (unsigned s = slot; s; s >>= 8) key += static_cast<char>(s & 0xff);  // pack_uint_last
    tag.clear();
    pack_uint(tag, v.freq);
    pack_string(tag, v.lower);
    if (v.lower != v.upper) tag += v.upper;
    table.add(key, tag);
  }
  for (auto& [slot, v] : values_)  // value streams, in chunks
    if (!v.tag.empty()) spill(v);
  flush_spill();
  for (auto& [slot, v] : values_) {
    for (const Spilled& chunk : v.done) {
      key.assign("\0\xd8", 2);
      pack_uint(key, slot);
      pack_uint_preserving_sort(key, chunk.first);
      tag.resize(chunk.size);
      read_at(spill_fd_, tag.data(), chunk.size, chunk.offset, dir / "values.spill");
      table.add(key, tag);
    }
  }
  ::close(spill_fd_);
  spill_fd_ = -1;
  // A posting list: the first chunk under the term's own key, with the term's frequencies;
  // further chunks under the term and their first docid.
  auto write_list = [&](const std::string& first_key, const std::string& term_prefix, Postings& p,
                        bool doclen) {
    flush(p, doclen);
    if (!p.chunk_first) return;
    std::vector<Chunk*> list;  // oldest first
    Chunk last{p.chunk_first, p.prev, k_none, std::move(p.entries)};
    for (std::uint32_t c = p.newest_done; c != k_none; c = chunks_[c].older)
      list.push_back(&chunks_[c]);
    std::reverse(list.begin(), list.end());
    list.push_back(&last);
    for (std::size_t c = 0; c < list.size(); ++c) {
      const Chunk& ch = *list[c];
      tag.clear();
      if (c == 0) {
        pack_uint(tag, doclen ? 0 : p.termfreq);
        pack_uint(tag, doclen ? 0 : p.collfreq);
        pack_uint(tag, ch.first - 1);
        key = first_key;
      } else {
        key = term_prefix;
        pack_uint_preserving_sort(key, ch.first);
      }
      tag += c + 1 == list.size() ? '1' : '0';
      pack_uint(tag, ch.last - ch.first);
      tag += ch.entries;
      table.add(key, tag);
      if (list[c] != &last) std::string().swap(list[c]->entries);
    }
    p = Postings{};
  };
  write_list(std::string("\0\xe0", 2), std::string("\0\xe0", 2), doclens_, true);
  std::vector<std::pair<std::string, Postings*>> names;
  names.reserve(pair_count_ + terms_.size());
  for (Postings& p : pairs_) {
    if (!p.key) continue;
    std::string t;
    gongkai::append_utf8(t, p.key >> 16);
    gongkai::append_utf8(t, p.key & 0xffffu);
    names.emplace_back(std::move(t), &p);
  }
  for (auto& [t, i] : terms_) names.emplace_back(t, &others_[i]);
  terms_.clear();
  std::sort(names.begin(), names.end());
  for (std::size_t i = 1; i < names.size(); ++i)  // add_term sends two-character terms to add_pair
    if (names[i].first == names[i - 1].first) throw std::logic_error("glass writer: a term twice");
  std::string first_key, prefix;
  for (auto& [t, list] : names) {
    first_key.clear();
    pack_string_preserving_sort(first_key, t, true);
    prefix.clear();
    pack_string_preserving_sort(prefix, t, false);
    write_list(first_key, prefix, *list, false);
  }
  const auto [root, level] = table.finish();

  // The version file (GlassVersion::write): magic and format, UUID, revision, the six tables'
  // root info, the statistics.
  std::string v(k_version_magic);
  v += static_cast<char>(k_format >> 8);
  v += static_cast<char>(k_format & 0xff);
  std::random_device rd;
  std::string uuid;
  for (int i = 0; i < 4; ++i) {
    const std::uint32_t r = rd();
    for (int b = 0; b < 4; ++b) uuid += static_cast<char>((r >> (8 * b)) & 0xff);
  }
  uuid[6] = static_cast<char>((uuid[6] & 0x0f) | 0x40);  // version 4
  uuid[8] = static_cast<char>((uuid[8] & 0x3f) | 0x80);  // RFC 4122 variant
  v += uuid;
  pack_uint(v, k_revision);
  // postlist: root, level << 2 | sequential, entries, block size / 2048, compress_min, free list
  // (revision, first unused block, two empty cursors).
  pack_uint(v, root);
  pack_uint(v, static_cast<unsigned>(level) << 2 | 0x02);
  pack_uint(v, table.entries());
  pack_uint(v, k_block_size >> 11);
  pack_uint(v, 0);
  std::string free_list;
  pack_uint(free_list, k_revision);
  pack_uint(free_list, table.blocks());
  free_list.append(4, '\0');
  pack_string(v, free_list);
  // docdata, termlist, position, spelling, synonym: absent (a fake root, no entries).
  for (unsigned compress_min : {18u, 18u, 0u, 18u, 18u}) {
    pack_uint(v, 0);
    pack_uint(v, 0x03);
    pack_uint(v, 0);
    pack_uint(v, k_block_size >> 11);
    pack_uint(v, compress_min);
    pack_uint(v, 0);
  }
  pack_uint(v, doccount_);
  pack_uint(v, last_did_ - doccount_);
  pack_uint(v, doclen_lbound_);
  pack_uint(v, wdf_ubound_);
  pack_uint(v, doclen_ubound_ - std::min(doclen_ubound_, wdf_ubound_));
  pack_uint(v, 0);  // oldest changeset
  pack_uint(v, total_doclen_);
  pack_uint(v, 0);  // spelling word frequency bound
  write_file_atomic(dir / "iamglass", v);
  write_file(dir / "flintlock",
             "");  // what Xapian's writers lock; present as in a database Xapian writes
}

}  // namespace gongkai::gen::glass
