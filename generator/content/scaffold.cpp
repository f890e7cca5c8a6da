#include "scaffold.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "gongkai/text.hpp"
#include "loader.hpp"

namespace gongkai::gen {

namespace fs = std::filesystem;

namespace {

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

ScaffoldResult scaffold(const fs::path& content_dir, const std::string& kind,
                        const std::string& path, const std::string& title, const DateTime& today) {
  static const std::map<std::string, std::string> k_sections = {{"disclosure", "disclosure"},
                                                                {"notice", "notices"},
                                                                {"consultation", "consultations"},
                                                                {"page", "pages"}};
  auto section = k_sections.find(kind);
  if (section == k_sections.end())
    return {2, "kind must be one of disclosure, notice, consultation, page", {}};
  if (title.empty()) return {2, "--title is required (标题)", {}};
  fs::path rel = path;
  if (rel.extension() != ".md") rel += ".md";
  fs::path target;
  if (rel.is_absolute()) {
    target = rel;
  } else {
    const std::string first = rel.begin()->string();
    target = first == section->second ? content_dir / rel : content_dir / section->second / rel;
  }
  // Department and category placeholders come from site.toml when it can be read.
  Diagnostics ignored;
  SiteConfig site;
  try {
    LoadOptions lo{content_dir, "", {}};
    site = load_content(lo, ignored).site;
  } catch (const std::exception&) {
  }
  const std::string dept = site.departments.empty() ? "dzb" : site.departments.front().id;
  const std::string cat = site.categories.empty() ? "fzzf" : site.categories.front().id;
  std::string depts, cats;
  for (const auto& d : site.departments) depts += (depts.empty() ? "" : ", ") + d.id + "=" + d.name;
  for (const auto& c : site.categories) cats += (cats.empty() ? "" : ", ") + c.id + "=" + c.name;
  const std::string date = today.date();
  std::string fm = "+++\ntitle = " + toml_string(title) + "\n";
  if (kind != "page")
    fm += "department = \"" + dept + "\"   # 发布机构：请改为实际部门 (" + depts + ")\n";
  if (kind == "disclosure") {
    fm += "category = \"" + cat + "\"   # 主题分类 (" + cats + ")\n";
    fm += "published = " + date +
          "\n# doc_no = \"\"        # 文号（如有）\n# validity = \"有效\"   # 有效 | 失效 | 废止\n";
  } else if (kind == "notice") {
    fm += "published = " + date +
          "\nlaws = []              # 所宣传的法律，如 [\"中华人民共和国行政处罚法\"]\nvillages = "
          "[\"all\"]\n";
    fm += "display_from = " + date + "T08:00:00+08:00\ndisplay_until = " +
          DateTime::from_epoch(today.local_day_start() + 30 * 86400).date() +
          "T18:00:00+08:00\n# led = \"\"            # LED屏显示的短文字\n# broadcast = \"\"      # "
          "村广播稿\n";
  } else if (kind == "consultation") {
    fm += "published = " + date + "\nopens = " + date +
          "\ncloses = " + DateTime::from_epoch(today.local_day_start() + 31 * 86400).date() +
          "   # 重大行政决策征求意见不少于30日\nrespond = \"\"          # 意见反馈方式\n";
  } else {
    fm += "weight = 10\nmenu = false\n";
  }
  fm += "draft = true           # 草稿：改为 false 或删除本行后发布\n+++\n在此填写正文。\n";
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      return {1, target.string() + " already exists; nothing was written (文件已存在)", {}};
    return {2, "cannot write " + target.string(), {}};
  }
  const ssize_t n = ::write(fd, fm.data(), fm.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(fm.size())) return {2, "cannot write " + target.string(), {}};
  return {0, "wrote " + target.string(), target};
}

}  // namespace gongkai::gen
