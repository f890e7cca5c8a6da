// 权责清单 history: every adjustment of a department's list, read from the git history of the
// content folder (libgit2), with a field-by-field diff between consecutive versions. Without a
// git repository the history is empty and the site builds as before. The only libgit2 user.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gongkai/content.hpp"

namespace gongkai::gen {

struct FieldChange {
  std::string field;  // 事项名称, 类型, 设定依据, ...
  std::string before, after;
};

struct ItemChange {
  std::string kind;  // added | removed | changed
  std::string code, name;
  std::vector<FieldChange> fields;
};

struct ListVersion {
  DateTime date;        // commit time
  std::string commit;   // short id
  std::string message;  // first line of the commit message
  std::size_t items = 0;
  std::vector<ItemChange> changes;  // against the previous version (all "added" for the first)
};

// department id -> versions, oldest first.
using ListHistory = std::map<std::string, std::vector<ListVersion>>;

ListHistory list_history(const Content& content, const std::filesystem::path& content_dir);
std::vector<ItemChange> diff_lists(const std::vector<ResponsibilityItem>& before,
                                   const std::vector<ResponsibilityItem>& after);

}  // namespace gongkai::gen
