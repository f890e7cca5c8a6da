// Xapian's glass backend compresses every document's term list with zlib (level 6, 128 KB hash
// table reset per call) before storing it, with no option to turn that off. Term lists are read
// only when a document is replaced or deleted, never by a search; compressing them was 7.5 % of a
// 10,000-item full build's samples and 13 % of the index's instructions (callgrind, 1,000 items).
// Written uncompressed, the index of 10,000 items takes ~2 s less CPU and ~11 % more disk.
//
// How: this file defines zlib's deflate(). The dynamic linker binds libxapian's calls to the
// executable's definition first; on a thread inside a RawTags scope it answers Z_BUF_ERROR ("the
// output did not fit"), and Xapian, as it does for any incompressible entry, stores the entry as
// it is. Everywhere else (cpp-httplib's gzip responses, libgit2, other threads) the call goes to
// zlib's own deflate unchanged. If libxapian ever stops calling deflate() through the dynamic
// linker, entries are simply compressed as before: the format is the same either way.
#include "raw_tags.hpp"

#include <dlfcn.h>
#include <zlib.h>

namespace gongkai::gen {
namespace {
thread_local bool t_raw = false;
}  // namespace

RawTags::RawTags() : m_outer(t_raw) { t_raw = true; }
RawTags::~RawTags() { t_raw = m_outer; }

}  // namespace gongkai::gen

namespace {
// zlib's own definition of `name`, the next one after this executable's.
template <typename Fn>
Fn zlib_next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}
}  // namespace

extern "C" int deflate(z_streamp strm, int flush) {
  if (gongkai::gen::t_raw) return Z_BUF_ERROR;
  static const auto zlib_deflate = zlib_next<int (*)(z_streamp, int)>("deflate");
  return zlib_deflate ? zlib_deflate(strm, flush) : Z_STREAM_ERROR;
}

// Xapian resets its stream before each entry; the reset clears zlib's 128 KB hash table, which
// a deflate() that compresses nothing never reads. Skipped in scope: outside it, Xapian's next
// entry resets the stream again before compressing.
extern "C" int deflateReset(z_streamp strm) {
  if (gongkai::gen::t_raw) return Z_OK;
  static const auto zlib_deflate_reset = zlib_next<int (*)(z_streamp)>("deflateReset");
  return zlib_deflate_reset ? zlib_deflate_reset(strm) : Z_STREAM_ERROR;
}
