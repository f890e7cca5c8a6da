#include "index_no.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "gongkai/hash.hpp"

namespace gongkai::gen {

int index_number_slot(const std::string& source) {
  return static_cast<int>(fnv1a64(source) % 99999) + 1;
}

void assign_index_numbers(Content& content, const std::string& prefix, Diagnostics& diags) {
  const std::string& credit = content.site.organization.credit_code;
  std::map<std::string, std::string> given;  // explicit 索引号 -> source
  for (const Item& item : content.items) {
    if (item.section != Section::disclosure || item.draft || item.index_no.empty()) continue;
    auto [it, inserted] = given.emplace(item.index_no, item.source);
    if (!inserted)
      diags.error(prefix + item.source, 1, 1,
                  "index_no \"" + item.index_no + "\" is also used by " + prefix + it->second +
                      " (索引号重复)");
  }
  std::vector<Item*> pending;
  for (Item& item : content.items)
    if (item.section == Section::disclosure && !item.draft && item.index_no.empty())
      pending.push_back(&item);
  std::sort(pending.begin(), pending.end(), [](const Item* a, const Item* b) {
    return a->published.epoch != b->published.epoch ? a->published.epoch < b->published.epoch
                                                    : a->source < b->source;
  });
  std::set<std::string> taken;
  for (const auto& [no, src] : given) taken.insert(no);
  for (Item* item : pending) {
    const std::string year_prefix = credit + "/" + std::to_string(item->published.year()) + "-";
    int slot = index_number_slot(item->source);
    const int preferred = slot;
    auto make = [&](int n) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%05d", n);
      return year_prefix + buf;
    };
    while (taken.count(make(slot))) slot = slot % 99999 + 1;
    item->index_no = make(slot);
    taken.insert(item->index_no);
    if (slot != preferred)
      diags.warning(prefix + item->source, 1, 1,
                    "generated 索引号 " + make(preferred) +
                        " is taken by another item; this item gets " + item->index_no +
                        " — add index_no = \"" + item->index_no + "\" to keep it stable");
  }
}

}  // namespace gongkai::gen
