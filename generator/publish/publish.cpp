#include "publish.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "gongkai/fs.hpp"
#include "gongkai/hash.hpp"
#include "gongkai/release.hpp"
#include "gongkai/search_schema.hpp"
#include "gongkai/text.hpp"

namespace gongkai::gen {

namespace fs = std::filesystem;

namespace {

std::string release_json(const std::string& id, const ReleaseInfo& info) {
  const std::string generator = std::string("gongkai-build ") + k_generator_version;
  return contract::release_json(
      {id, info.now.iso8601(), info.base_url, info.documents, info.pages, generator});
}

// Removing a release is slow (one unlink per file), so folders that go are renamed to
// releases/.trash-* at once and deleted by the next build, on a thread of their own while it
// renders (take_out_trash).
void to_trash(const fs::path& releases, const fs::path& dir) {
  static std::atomic<int> serial{0};
  std::error_code ec;
  fs::rename(dir,
             releases / (".trash-" + dir.filename().string() + "-" + std::to_string(::getpid()) +
                         "-" + std::to_string(serial++)),
             ec);
  if (ec) fs::remove_all(dir, ec);
}

void take_out_trash(const fs::path& releases, const fs::path& mine) {
  std::error_code ec;
  std::vector<fs::path> trash;
  for (const auto& e : fs::directory_iterator(releases, ec)) {
    const std::string name = e.path().filename().string();
    if (e.path() == mine) continue;
    // .tmp-: the private folder of a build that died
    if (starts_with(name, ".trash-") || starts_with(name, ".tmp-")) trash.push_back(e.path());
  }
  for (const auto& t : trash) fs::remove_all(t, ec);
}

// Release folders (not the hidden .tmp-/.trash- ones, nor `except`), newest first.
std::vector<fs::path> releases_newest_first(const fs::path& releases, const std::string& except) {
  std::vector<std::pair<fs::file_time_type, fs::path>> all;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(releases, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || name == except || name.front() == '.') continue;
    all.push_back({e.last_write_time(ec), e.path()});
  }
  std::sort(all.begin(), all.end(), std::greater<>());
  std::vector<fs::path> out;
  for (auto& [t, p] : all) out.push_back(std::move(p));
  return out;
}

void prune_releases(const fs::path& releases, const std::string& keep_id, int keep) {
  const auto all = releases_newest_first(releases, keep_id);
  for (std::size_t i = static_cast<std::size_t>(std::max(1, keep - 1)); i < all.size(); ++i)
    to_trash(releases, all[i]);
}

ReleaseFiles release_files(const fs::path& dir) {
  ReleaseFiles r;
  try {
    r.manifest = std::make_shared<const Manifest>(
        OutputTree::parse_manifest(read_file(dir / contract::k_manifest_file)));
    r.root = dir;
  } catch (const std::exception&) {
    r = {};
  }
  return r;
}

// Writing a release costs one directory or link per page even when almost nothing changed, so a
// build recycles the release it is about to prune anyway: the oldest beyond those kept, never the
// current one. Its files.sha256 says what it holds; the new tree replaces what differs.
ReleaseFiles recyclable(const fs::path& releases, const fs::path& current, int keep) {
  const auto all = releases_newest_first(releases, "");
  if (all.size() <= static_cast<std::size_t>(std::max(1, keep - 1))) return {};
  std::error_code ec;
  if (!current.empty() && fs::equivalent(all.back(), current, ec)) return {};
  return release_files(all.back());
}

}  // namespace

Publisher::Publisher(const fs::path& output_dir, const DateTime& now, PublishOptions options)
    : m_output(output_dir),
      m_releases(output_dir / contract::k_releases_dir),
      m_now(now),
      m_opt(options) {
  fs::create_directories(m_releases);
  // One build at a time per output folder (the git hook and the refresh timer may overlap):
  // the second waits for the first, then shares its files.
  const fs::path lock_path = m_output / ".build.lock";
  m_lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_lock_fd < 0 || ::flock(m_lock_fd, LOCK_EX) != 0)
    throw std::runtime_error("cannot lock " + lock_path.string());
  m_tmp = m_releases / (".tmp-" + now.compact() + "-" + std::to_string(::getpid()));
  m_trash = std::async(std::launch::async,
                       [releases = m_releases, tmp = m_tmp] { take_out_trash(releases, tmp); });
  fs::remove_all(m_tmp);
  for (const char* old : {"index", "shards"})
    fs::remove_all(m_output / "cache" / old);  // earlier versions' caches
  std::error_code ec;
  const fs::path current = fs::canonical(m_output / contract::k_current_link, ec);
  if (!ec) m_previous = release_files(current);
}

Publisher::~Publisher() {
  if (m_swapping) ::unlink((m_output / contract::k_next_link).c_str());
  std::error_code ec;
  if (!m_tmp.empty()) fs::remove_all(m_tmp, ec);
  if (m_trash.valid()) {
    try {
      m_trash.get();
    } catch (...) {
    }
  }
  if (m_lock_fd >= 0) ::close(m_lock_fd);
}

OutputTree Publisher::open_tree(bool keep_index) {
  if (m_opt.recycle) m_recycled = recyclable(m_releases, m_previous.root, m_opt.keep_releases);
  if (m_recycled.manifest) {
    fs::rename(m_recycled.root, m_tmp);
    for (const char* stale : {contract::k_release_file, contract::k_manifest_file})
      fs::remove(m_tmp / stale);
    if (!keep_index) fs::remove_all(m_tmp / contract::k_search_dir);  // otherwise updated in place
  }
  fs::create_directories(m_tmp / contract::k_site_dir);
  fs::create_directories(m_tmp / contract::k_server_dir);
  return OutputTree::on_disk(m_tmp, m_previous.root, m_previous.manifest, m_recycled.manifest);
}

fs::path Publisher::index_dir() const { return m_tmp / contract::k_search_dir; }

fs::path Publisher::previous_index() const {
  return m_previous.root.empty() ? fs::path() : m_previous.root / contract::k_search_dir;
}

std::string Publisher::publish(const OutputTree& tree, ReleaseInfo info) {
  // The id names the site's bytes and the index format: a new analyser makes a new release.
  const std::string digest = sha256_hex(tree.digest() + search::k_analyzer + k_generator_version);
  m_id = info.build_id.empty() ? m_now.compact() + "-" + digest.substr(0, 10) : info.build_id;
  const fs::path final_dir = m_releases / m_id;
  if (fs::exists(final_dir)) {  // the same bytes were published before (and synced before named)
    to_trash(m_releases, m_tmp);
    m_tmp.clear();
  } else {
    write_file(m_tmp / contract::k_manifest_file, tree.manifest_text());
    write_file_atomic(m_tmp / contract::k_release_file, release_json(m_id, info));
    fs::last_write_time(m_tmp, fs::file_time_type::clock::now());  // newest, whatever it recycled
  }
  // On disk before it is live, whichever way it was made (written, hard-linked, a recycled
  // release patched, its index updated in place): current.new is made first, then one
  // syncfs(2) writes every file, folder and that link; only then does the release get its
  // name and `current` swap to it, each rename made durable by an fsync of its folder. A
  // crash at any point leaves `current` on a complete release, and a release folder is never
  // named before it is on disk (a later build of the same bytes takes it as it is, above).
  const fs::path link_new = m_output / contract::k_next_link;
  ::unlink(link_new.c_str());
  if (::symlink(contract::release_link_target(m_id).c_str(), link_new.c_str()) != 0)
    throw std::runtime_error("cannot create link " + link_new.string() + ": " +
                             std::strerror(errno));
  m_swapping = true;
  if (m_opt.sync) sync_file_system(m_tmp.empty() ? final_dir : m_tmp);
  if (!m_tmp.empty()) {
    fs::rename(m_tmp, final_dir);
    m_tmp.clear();
  }
  if (m_opt.sync) fsync_dir(m_releases);
  const fs::path link = m_output / contract::k_current_link;
  if (::rename(link_new.c_str(), link.c_str()) != 0)
    throw std::runtime_error("cannot replace " + link.string() + ": " + std::strerror(errno));
  m_swapping = false;
  try {
    if (m_opt.sync) fsync_dir(m_output);
  } catch (const std::exception& e) {  // live already: say so rather than that nothing changed
    throw NotDurable(std::string("published release ") + m_id +
                     ", but the swap of current may not survive a power cut: " + e.what() +
                     " (已发布，但可能未写入磁盘)");
  }
  prune_releases(m_releases, m_id, m_opt.keep_releases);
  if (m_trash.valid()) m_trash.get();
  return m_id;
}

std::string Publisher::summary(const OutputTree& tree) const {
  return "current -> releases/" + m_id + " (" + std::to_string(tree.linked()) + " of " +
         std::to_string(tree.size()) + " files shared with the previous release" +
         (m_recycled.manifest ? ", " + std::to_string(tree.kept()) + " kept in the recycled " +
                                    m_recycled.root.filename().string()
                              : std::string()) +
         ")";
}

}  // namespace gongkai::gen
