// The item memo: what a build learnt about each content file (parsed fields, rendered body,
// diagnostics), kept in OUTPUT/cache/items.memo so that the next build need not read, parse,
// render and check a file that has not changed since.
//
// A file is unchanged when its stamp (size, modification and change times in nanoseconds,
// inode, device) is the same, as git's index decides. Everything a file's results depend on
// besides the file is either in the memo's key (site.toml, the generator binary, the display
// prefix) or checked again on reuse: the links of the body are resolved again and must give the
// same answers; index numbers, attachment sizes, schedules and annual-report shortcodes are
// recomputed every build. A memo that does not match is ignored, never trusted.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gongkai/content.hpp"
#include "gongkai/diagnostics.hpp"

namespace gongkai::gen {

struct FileStamp {
  std::uint64_t size = 0, mtime_ns = 0, ctime_ns = 0, ino = 0, dev = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp stamp_of(const std::filesystem::path& file);  // all zero when it cannot be read

// What one build records about an item, aligned with Content::items.
struct ItemRecord {
  FileStamp stamp;
  bool from_memo = false;  // fields came from the memo, the file was not read
  std::vector<Diagnostic> load_diags;
  bool markdown_done = false;  // html, text, summary are the body's
  bool summary_generated = false;
  std::vector<Diagnostic> markdown_diags;
  std::vector<std::pair<std::string, std::string>> links;  // target -> url, or "\x01" + why not
  std::vector<std::string> linked_targets;
  bool privacy_done = false;
  std::vector<Diagnostic> privacy_diags;
  std::string loaded_index_no;  // before generated index numbers were assigned
  bool updated = false;         // (not kept) something was worked out again in this build
};

struct MemoEntry {
  Item item;
  ItemRecord record;
};

class Memo {
 public:
  // The key of a memo for these inputs: a memo made under another key is ignored.
  static std::string key_for(const std::filesystem::path& content_dir,
                             const std::string& display_prefix);
  // Reads the memo; empty when missing, unreadable or made under another key.
  static Memo load(const std::filesystem::path& file, const std::string& key, int threads = 2);
  // Records what this build learnt (items with their records; the items' Markdown must have
  // been dropped): appends what was worked out again to the memo this one was loaded from, or
  // writes it afresh. Only reads `content`: it may run while the index is being written.
  void save(const std::filesystem::path& file, const std::string& key, const Content& content,
            const std::vector<ItemRecord>& records);

  // Takes the entry of `source` out when its stamp matches; nullptr otherwise.
  MemoEntry* find(const std::string& source, const FileStamp& stamp);
  std::size_t size() const { return m_entries.size(); }

 private:
  std::unordered_map<std::string, MemoEntry> m_entries;
  bool m_valid = false;            // loaded from a memo made under the same key
  bool m_damaged = false;          // an entry of that file was cut short or failed its checksum
  std::size_t m_file_entries = 0;  // entries in that file, stale ones included
};

// Where the memo's field list (memo.cpp) and the structs it keeps disagree: a member added to
// Item, ItemRecord or one of their parts and not to the memo. Empty when all is well; while it is
// not, loading and saving a memo throw std::logic_error with the first problem.
std::vector<std::string> memo_schema_problems();

// What depends on the item alone among the inputs of its pages: its fields (not the bodies),
// its file's stamp and the answers its links got (which, with the file, make the body); and
// the rendered body itself when the file alone does not make it (annual-report shortcodes).
std::string item_inputs_key(const Item& item, const ItemRecord& record);

}  // namespace gongkai::gen
