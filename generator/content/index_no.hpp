// 索引号 generation: <credit_code>/<year of published>-<NNNNN>. The number is derived from the
// item's own source path (a hash), so adding, removing or editing other items never changes it.
// When two items of a year hash to the same number, the older one (published, then path) keeps
// it, the other takes the next free number and a warning asks staff to pin it with `index_no`.
#pragma once
#include <string>

#include "gongkai/content.hpp"
#include "gongkai/diagnostics.hpp"

namespace gongkai::gen {

void assign_index_numbers(Content& content, const std::string& display_prefix, Diagnostics& diags);
int index_number_slot(const std::string& source);  // 1..99999, the preferred number of a path

}  // namespace gongkai::gen
