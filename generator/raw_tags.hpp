// Xapian writes without zlib: while a RawTags object lives, the Xapian tables this thread writes
// store their entries uncompressed (see raw_tags.cpp for how and why).
#pragma once

namespace gongkai::gen {

class RawTags {
 public:
  RawTags();
  ~RawTags();
  RawTags(const RawTags&) = delete;
  RawTags& operator=(const RawTags&) = delete;

 private:
  bool m_outer;
};

}  // namespace gongkai::gen
