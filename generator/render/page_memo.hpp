// The page memo: the pages of the last build, by what made them, so that a build takes a page
// whose inputs did not change from the current release instead of rendering it again (render).
#pragma once
#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gongkai::gen {

// The pages of the last build, by the url of what made them (an item, or a catalogue list page),
// under the key of their inputs; kept in OUTPUT/cache/pages beside the release they describe.
struct PageMemo {
  struct Pages {
    std::string key;
    std::vector<std::pair<std::string, std::string>> files;  // tree path, SHA-256
  };
  std::string release;                                      // the release id these pages are in
  std::unordered_map<std::string, Pages> by_url;            // item or list page url -> its files
  static PageMemo load(const std::filesystem::path& file);  // empty when missing or unreadable
  void save(const std::filesystem::path& file) const;
};

}  // namespace gongkai::gen
