#include "platform.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <toml++/toml.h>

#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/release.hpp"
#include "gongkai/text.hpp"
#include "pages.hpp"
#include "publish.hpp"

extern char** environ;

namespace gongkai::gen {

namespace fs = std::filesystem;

// ---- platform.toml ----------------------------------------------------------------------------

namespace {

struct Reader {
  const toml::table& t;
  const std::string& path;
  Diagnostics& diags;
  std::set<std::string> known;
  int line(const toml::node& n) const { return static_cast<int>(n.source().begin.line); }
  int column(const toml::node& n) const { return static_cast<int>(n.source().begin.column); }
  int table_line() const { return std::max(1, static_cast<int>(t.source().begin.line)); }
  int line_of(const std::string& key) const {  // the key's line, else the table's
    const toml::node* n = t.get(key);
    return n ? std::max(1, line(*n)) : table_line();
  }

  std::string text(const std::string& key, bool required, const std::string& what) {
    known.insert(key);
    const toml::node* n = t.get(key);
    if (!n) {
      if (required)
        diags.error(path, table_line(), 1, "missing `" + key + "` (" + what + ") (缺少必填项)");
      return "";
    }
    if (!n->is_string()) {
      diags.error(path, line(*n), column(*n), "`" + key + "` must be a string (" + what + ")");
      return "";
    }
    return **n->as_string();
  }
  bool flag(const std::string& key) {
    known.insert(key);
    const toml::node* n = t.get(key);
    if (!n) return false;
    if (!n->is_boolean()) {
      diags.error(path, line(*n), column(*n), "`" + key + "` must be true or false");
      return false;
    }
    return **n->as_boolean();
  }
  void warn_unknown(const std::string& where) {
    for (auto&& [k, v] : t)
      if (!known.count(std::string(k.str())))
        diags.warning(path, static_cast<int>(k.source().begin.line),
                      static_cast<int>(k.source().begin.column),
                      "unknown key `" + std::string(k.str()) + "` in " + where + " is ignored");
  }
};

}  // namespace

std::optional<PlatformConfig> load_platform(const fs::path& file, const std::string& display,
                                            Diagnostics& diags) {
  const std::size_t errors_before = diags.error_count();
  std::string bytes;
  try {
    bytes = read_file(file);
  } catch (const std::exception&) {
    diags.error(display, 0, 0, "cannot read the platform file (无法读取平台配置)");
    return std::nullopt;
  }
  toml::table root;
  try {
    root = toml::parse(bytes, display);
  } catch (const toml::parse_error& e) {
    diags.error(display, static_cast<int>(e.source().begin.line),
                static_cast<int>(e.source().begin.column),
                std::string(e.description()) + " (TOML 格式错误)");
    return std::nullopt;
  }
  PlatformConfig pc;
  pc.file = file;
  pc.dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  Reader top{root, display, diags, {}};
  auto& id = pc.index.identity;
  id.title = top.text("title", true, "the district site's name, 网站名称");
  id.base_url =
      top.text("base_url", true, "the site's address, such as https://www.example.gov.cn/");
  if (!id.base_url.empty() && id.base_url.back() != '/') id.base_url += '/';
  id.description = top.text("description", false, "");
  if (const std::string theme = top.text("theme", false, "themes/<theme>"); !theme.empty())
    pc.theme = theme;
  pc.index.inspection_public = top.flag("inspection_public");
  top.known.insert("organization");
  top.known.insert("unit");
  if (const toml::node* org = root.get("organization"); org && org->is_table()) {
    Reader r{*org->as_table(), display, diags, {}};
    id.org_name = r.text("name", true, "主办单位");
    id.site_code = r.text("site_code", true, "网站标识码");
    id.icp = r.text("icp", false, "ICP备案号");
    id.police_record = r.text("police_record", false, "公安备案号");
    id.address = r.text("address", false, "");
    id.phone = r.text("phone", false, "");
    id.email = r.text("email", false, "");
    r.warn_unknown("[organization]");
  } else {
    diags.error(
        display, 1, 1,
        "missing [organization] (主办单位 and 网站标识码 of the district site) (缺少主办单位)");
  }
  const toml::node* units = root.get("unit");
  if (!units || !units->is_array_of_tables() || units->as_array()->empty()) {
    diags.error(display, units ? top.line(*units) : 1, 1,
                "a platform needs at least one [[unit]] (公开主体)");
  } else {
    std::map<std::string, int> ids, prefixes;
    for (const toml::node& n : *units->as_array()) {
      const toml::table& t = *n.as_table();
      Reader r{t, display, diags, {}};
      const int at = r.line_of("id");
      contract::UnitRef u;
      u.id = r.text("id", true, "the unit's id, such as bangjun");
      u.name = r.text("name", true, "its full name, such as 天津市蓟州区邦均镇人民政府");
      u.short_name = r.text("short_name", false, "");
      if (u.short_name.empty()) u.short_name = u.name;
      u.kind = r.text("kind", true, "乡镇, 街道, 区政府部门 or 区政府");
      u.prefix = r.text("prefix", true, "its URL prefix, such as /towns/bangjun/");
      const std::string content = r.text("content", true, "its content folder");
      r.warn_unknown("[[unit]]");
      if (!u.id.empty() && !contract::valid_unit_id(u.id))
        diags.error(display, at, 1,
                    "unit id \"" + u.id + "\" must be lower-case letters, digits and '-'");
      if (!u.id.empty() && !ids.emplace(u.id, at).second)
        diags.error(
            display, at, 1,
            "unit id \"" + u.id + "\" is used twice (also line " + std::to_string(ids[u.id]) + ")");
      const auto& kinds = contract::unit_kinds();
      if (!u.kind.empty() && std::find(kinds.begin(), kinds.end(), u.kind) == kinds.end())
        diags.error(display, r.line_of("kind"), 1,
                    "unit kind \"" + u.kind + "\" must be one of 区政府, 区政府部门, 乡镇, 街道");
      if (!u.prefix.empty()) {
        if (!contract::valid_unit_prefix(u.prefix))
          diags.error(display, r.line_of("prefix"), 1,
                      "unit prefix \"" + u.prefix +
                          "\" must look like /towns/bangjun/ (lower-case letters, digits, '-')");
        for (const auto& [other, line] : prefixes)
          if (starts_with(other, u.prefix) || starts_with(u.prefix, other))
            diags.error(display, r.line_of("prefix"), 1,
                        "unit prefix \"" + u.prefix + "\" overlaps \"" + other + "\" (line " +
                            std::to_string(line) + ")");
        static const std::set<std::string> k_platform_urls = {
            "/xxgk/", "/nianbao/", "/latest/", "/static/", "/search/",
            "/api/",  "/led/",     "/wechat/", "/prefs/",  "/inspection/"};
        for (const std::string& mine : k_platform_urls)
          if (starts_with(u.prefix, mine))
            diags.error(display, r.line_of("prefix"), 1,
                        "unit prefix \"" + u.prefix + "\" is a platform page's address");
        prefixes.emplace(u.prefix, r.line_of("prefix"));
      }
      const fs::path dir = pc.dir / content;
      if (!content.empty() && !fs::is_regular_file(dir / "site.toml"))
        diags.error(display, r.line_of("content"), 1,
                    "unit " + u.id + ": content folder " +
                        (fs::path(display).parent_path() / content).string() +
                        " has no site.toml (内容目录不存在)");
      u.output = std::string(contract::k_units_dir) + "/" + u.id;
      pc.index.units.push_back(u);
      pc.content.push_back(dir);
    }
  }
  top.warn_unknown("platform.toml");
  if (diags.error_count() > errors_before) return std::nullopt;
  return pc;
}

// ---- building the units -----------------------------------------------------------------------

namespace {

// Runs argv with stdout and stderr into `output`; returns its exit status (2 when it could not run).
int run_child(const std::vector<std::string>& args, std::string& output) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    output = "cannot create a pipe";
    return 2;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    output = "cannot run " + args[0] + ": " + std::strerror(rc);
    return 2;
  }
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

// What a unit's release is made of, outside its own content: a unit whose fingerprint is the
// one recorded at its current release, and which holds no publication due by now, is not
// rebuilt.
std::string fingerprint(const fs::path& content, const fs::path& theme_dir, const fs::path& builder,
                        const std::string& platform_toml, const std::vector<std::string>& args,
                        const DateTime& now) {
  Sha256 h;
  h.update(std::string(k_generator_version) + "\n" + platform_toml + "\n");
  for (const std::string& a : args) h.update(a + "\n");
  // The day: lists that change with the date (open consultations, notices on display) are
  // remade by the first build of each day.
  h.update(now.date() + "\n");
  auto stamp = [&](const fs::path& root) {
    std::vector<std::string> lines;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename() == ".git") {
        it.disable_recursion_pending();
        continue;
      }
      struct stat st {};
      if (::lstat(it->path().c_str(), &st) != 0) continue;
      lines.push_back(it->path().lexically_relative(root).string() + "\t" +
                      std::to_string(st.st_size) + "\t" + std::to_string(st.st_mtim.tv_sec) + "." +
                      std::to_string(st.st_mtim.tv_nsec) + "\t" + std::to_string(st.st_mode));
    }
    std::sort(lines.begin(), lines.end());
    for (const std::string& l : lines) h.update(l + "\n");
  };
  stamp(content);
  h.update("--theme--\n");
  stamp(theme_dir);
  struct stat st {};
  if (::stat(builder.c_str(), &st) == 0)
    h.update(std::to_string(st.st_size) + "." + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec) + "\n");
  return h.hex();
}

constexpr const char* k_fingerprint_file = "platform-inputs";

std::optional<contract::UnitSummary> current_summary(const fs::path& unit_output) {
  try {
    const fs::path file =
        contract::server_file(unit_output / contract::k_current_link, contract::k_unit_file);
    if (!fs::exists(file)) return std::nullopt;
    return contract::parse_unit_summary(read_file(file));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

PlatformBuildResult build_platform(const PlatformBuildOptions& o) {
  PlatformBuildResult r;
  const std::string display = o.platform_file.generic_string();
  const auto pc = load_platform(o.platform_file, display, r.diagnostics);
  if (!pc) {
    r.exit_code = 1;
    return r;
  }
  for (const std::string& id : o.only)
    if (std::none_of(pc->index.units.begin(), pc->index.units.end(),
                     [&](const contract::UnitRef& u) { return u.id == id; })) {
      r.exit_code = 2;
      r.environment_error = "--unit " + id + ": " + display + " names no such unit (没有该单位)";
      return r;
    }
  const DateTime now =
      o.now ? *o.now
            : DateTime::from_epoch(std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  const fs::path themes = o.themes_dir.empty() ? pc->dir.parent_path() / "themes" : o.themes_dir;
  const fs::path theme_dir = themes / pc->theme;
  if (!fs::is_directory(theme_dir)) {
    r.exit_code = 2;
    r.environment_error = "theme folder " + theme_dir.string() + " does not exist (主题不存在)";
    return r;
  }
  const std::string platform_toml = read_file(o.platform_file);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t jobs = o.jobs > 0 ? static_cast<std::size_t>(o.jobs) : cores;
  std::error_code ec;
  fs::create_directories(o.output_dir / contract::k_units_dir, ec);

  // The units asked for, in platform.toml's order.
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < pc->index.units.size(); ++i)
    if (o.only.empty() ||
        std::find(o.only.begin(), o.only.end(), pc->index.units[i].id) != o.only.end())
      todo.push_back(i);
  r.units.resize(todo.size());
  std::vector<std::optional<contract::UnitSummary>> checked(pc->index.units.size());
  // Each unit builds on one core when several build at once, on all when it is alone.
  const int threads = static_cast<int>(
      std::max<std::size_t>(1, cores / std::min(jobs, std::max<std::size_t>(1, todo.size()))));
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  auto worker = [&] {
    for (std::size_t k; (k = next++) < todo.size();) {
      const std::size_t i = todo[k];
      const contract::UnitRef& u = pc->index.units[i];
      UnitOutcome& out = r.units[k];
      out.id = u.id;
      out.name = u.name;
      const auto t0 = std::chrono::steady_clock::now();
      const fs::path unit_out = o.output_dir / u.output;
      const fs::path fp_file = unit_out / "cache" / k_fingerprint_file;
      std::string fp;
      // A unit built with --database is always built: the database is not in the fingerprint,
      // and the unit's own page memo rebuilds nothing when neither it nor the content changed.
      const bool reads_database =
          std::find(o.unit_args.begin(), o.unit_args.end(), "--database") != o.unit_args.end();
      if (!o.check_only && !reads_database) {
        fp = fingerprint(pc->content[i], theme_dir, o.builder, platform_toml, o.unit_args, now);
        std::string before;
        try {
          if (fs::exists(fp_file)) before = read_file(fp_file);
        } catch (const std::exception&) {
        }
        const auto summary = before == fp ? current_summary(unit_out) : std::nullopt;
        const bool due = summary && !summary->next_due.empty() &&
                         DateTime::parse(summary->next_due) &&
                         !(now < *DateTime::parse(summary->next_due));
        if (summary && !due) {
          out.skipped = true;
          out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                       .count();
          continue;
        }
      }
      const fs::path summary_file =
          fs::temp_directory_path() /
          ("gongkai-unit-" + std::to_string(::getpid()) + "-" + u.id + ".json");
      std::vector<std::string> args = {o.builder.string(),
                                       "--platform",
                                       o.platform_file.string(),
                                       "--unit",
                                       u.id,
                                       "--content",
                                       pc->content[i].lexically_normal().string(),
                                       "--output",
                                       unit_out.string(),
                                       "--themes",
                                       themes.string(),
                                       "--now",
                                       now.iso8601(),
                                       "--threads",
                                       std::to_string(threads),
                                       "--summary",
                                       summary_file.string(),
                                       "--quiet"};
      if (o.check_only) args.push_back("--check");
      args.insert(args.end(), o.unit_args.begin(), o.unit_args.end());
      out.exit_code = run_child(args, out.output);
      if (fs::exists(summary_file)) {
        try {
          checked[i] = contract::parse_unit_summary(read_file(summary_file));
        } catch (const std::exception&) {
        }
        fs::remove(summary_file, ec);
      }
      if (out.exit_code == 0 && !o.check_only) {
        try {
          write_file(fp_file, fp);  // "" after a --database build: the next one never skips
        } catch (const std::exception&) {
        }
      }
      out.ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (o.progress) {
        std::lock_guard<std::mutex> lock(mutex);
        o.progress("unit " + u.id + ": " + (out.exit_code == 0 ? "built" : "FAILED") + " in " +
                   std::to_string(static_cast<int>(out.ms)) + " ms");
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < std::min(jobs, todo.size()); ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  for (const UnitOutcome& u : r.units)
    r.exit_code = std::max(r.exit_code, u.exit_code == 0 ? 0 : (u.exit_code == 1 ? 1 : 2));

  // The platform pages: from each unit's current release (with --check, from this check).
  std::vector<std::optional<contract::UnitSummary>> summaries(pc->index.units.size());
  for (std::size_t i = 0; i < pc->index.units.size(); ++i)
    summaries[i] = o.check_only && checked[i]
                       ? checked[i]
                       : current_summary(o.output_dir / pc->index.units[i].output);
  PlatformPagesInput in{*pc, summaries, theme_dir, now};
  r.inspection_text = inspection_text(inspect_units(in));
  if (o.check_only) return r;
  try {
    r.platform_release =
        publish_platform_pages(in, o.output_dir / contract::k_platform_dir, r.diagnostics);
  } catch (const std::exception& e) {
    r.exit_code = 2;
    r.environment_error =
        std::string("cannot publish the platform pages: ") + e.what() + " (平台页面发布失败)";
  }
  return r;
}

}  // namespace gongkai::gen
