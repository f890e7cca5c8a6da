#include "history.hpp"

#include <git2.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <toml++/toml.h>

namespace gongkai::gen {

namespace fs = std::filesystem;

namespace {

template <class T, void (*Free)(T*)>
struct Git {
  T* p = nullptr;
  ~Git() {
    if (p) Free(p);
  }
};

std::vector<ResponsibilityItem> parse_items(const std::string& text) {
  std::vector<ResponsibilityItem> out;
  toml::table t;
  try {
    t = toml::parse(text);
  } catch (const toml::parse_error&) {
    return out;  // a broken historical version is skipped, not fatal
  }
  if (auto arr = t["item"].as_array()) {
    for (const auto& n : *arr) {
      const auto* it = n.as_table();
      if (!it) continue;
      auto get = [&](const char* k) { return (*it)[k].value_or(std::string()); };
      out.push_back({get("code"), get("name"), get("type"), get("basis"), "", get("subject"),
                     get("office"), get("duties"), get("accountability"), get("supervision")});
    }
  }
  return out;
}

std::string key_of(const ResponsibilityItem& r) {
  return r.code.empty() ? "name:" + r.name : "code:" + r.code;
}

}  // namespace

std::vector<ItemChange> diff_lists(const std::vector<ResponsibilityItem>& before,
                                   const std::vector<ResponsibilityItem>& after) {
  std::map<std::string, const ResponsibilityItem*> old_items, new_items;
  for (const auto& r : before) old_items[key_of(r)] = &r;
  for (const auto& r : after) new_items[key_of(r)] = &r;
  std::vector<ItemChange> out;
  for (const auto& r : after) {
    auto it = old_items.find(key_of(r));
    if (it == old_items.end()) {
      out.push_back({"added", r.code, r.name, {}});
      continue;
    }
    const ResponsibilityItem& o = *it->second;
    ItemChange c{"changed", r.code, r.name, {}};
    const std::pair<const char*, std::string ResponsibilityItem::*> fields[] = {
        {"事项名称", &ResponsibilityItem::name},
        {"类型", &ResponsibilityItem::type},
        {"设定依据", &ResponsibilityItem::basis},
        {"行使主体", &ResponsibilityItem::subject},
        {"承办机构", &ResponsibilityItem::office},
        {"责任事项", &ResponsibilityItem::duties},
        {"追责情形", &ResponsibilityItem::accountability},
        {"监督方式", &ResponsibilityItem::supervision}};
    for (const auto& [label, member] : fields)
      if (o.*member != r.*member) c.fields.push_back({label, o.*member, r.*member});
    if (!c.fields.empty()) out.push_back(c);
  }
  for (const auto& r : before)
    if (!new_items.count(key_of(r))) out.push_back({"removed", r.code, r.name, {}});
  return out;
}

ListHistory list_history(const Content& content, const fs::path& content_dir) {
  ListHistory history;
  if (content.lists.empty()) return history;
  static std::once_flag init;
  std::call_once(init, [] { git_libgit2_init(); });
  Git<git_repository, git_repository_free> repo;
  if (git_repository_open_ext(&repo.p, fs::absolute(content_dir).c_str(), 0, nullptr) != 0)
    return history;
  const char* workdir = git_repository_workdir(repo.p);
  if (!workdir) return history;
  std::error_code ec;
  const fs::path rel = fs::relative(fs::canonical(content_dir, ec), fs::canonical(workdir, ec), ec);
  const std::string prefix = rel.empty() || rel == "." ? "" : rel.generic_string() + "/";

  Git<git_revwalk, git_revwalk_free> walk;
  if (git_revwalk_new(&walk.p, repo.p) != 0 || git_revwalk_push_head(walk.p) != 0) return history;
  git_revwalk_sorting(walk.p, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE);
  std::map<std::string, git_oid> last_blob;
  std::map<std::string, std::vector<ResponsibilityItem>> last_items;
  git_oid oid;
  while (git_revwalk_next(&oid, walk.p) == 0) {
    Git<git_commit, git_commit_free> commit;
    if (git_commit_lookup(&commit.p, repo.p, &oid) != 0) continue;
    Git<git_tree, git_tree_free> tree;
    if (git_commit_tree(&tree.p, commit.p) != 0) continue;
    for (const auto& list : content.lists) {
      Git<git_tree_entry, git_tree_entry_free> entry;
      const std::string path = prefix + list.source;
      if (git_tree_entry_bypath(&entry.p, tree.p, path.c_str()) != 0) continue;
      const git_oid* blob_id = git_tree_entry_id(entry.p);
      auto prev = last_blob.find(list.department);
      if (prev != last_blob.end() && git_oid_equal(&prev->second, blob_id)) continue;
      last_blob[list.department] = *blob_id;
      Git<git_blob, git_blob_free> blob;
      if (git_blob_lookup(&blob.p, repo.p, blob_id) != 0) continue;
      const std::string text(static_cast<const char*>(git_blob_rawcontent(blob.p)),
                             static_cast<std::size_t>(git_blob_rawsize(blob.p)));
      auto items = parse_items(text);
      ListVersion v;
      const git_time_t t = git_commit_time(commit.p);
      v.date = DateTime::from_epoch(t, git_commit_time_offset(commit.p));
      char buf[GIT_OID_HEXSZ + 1];
      git_oid_tostr(buf, sizeof buf, git_commit_id(commit.p));
      v.commit = std::string(buf).substr(0, 8);
      const char* msg = git_commit_summary(commit.p);
      v.message = msg ? msg : "";
      v.items = items.size();
      v.changes = diff_lists(last_items[list.department], items);
      last_items[list.department] = std::move(items);
      if (v.changes.empty() && !history[list.department].empty())
        continue;  // formatting-only change
      history[list.department].push_back(std::move(v));
    }
  }
  return history;
}

}  // namespace gongkai::gen
