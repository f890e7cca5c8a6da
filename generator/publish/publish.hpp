// Publishing into an output folder: one build at a time (a lock), a private folder that becomes
// a release (new, or the oldest release recycled), and the swap of `current` to it, on disk
// before it is live. A build either publishes a complete release or leaves the folder as it was.
//
//   OUTPUT/releases/<id>/   site/, server/, wechat/, search/, files.sha256, release.json
//   OUTPUT/current          -> releases/<id>
//   OUTPUT/cache/           what builds remember (memo.hpp); never needed to serve
#pragma once
#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "gongkai/datetime.hpp"
#include "gongkai/version.hpp"
#include "output.hpp"

namespace gongkai::gen {

inline constexpr const char* k_generator_version = k_version;  // gongkai/version.hpp, from CMake

// A release folder and what its files.sha256 says it holds (empty when unreadable).
struct ReleaseFiles {
  std::filesystem::path root;
  std::shared_ptr<const Manifest> manifest;
};

struct PublishOptions {
  int keep_releases = 5;  // releases kept for rollback (at least 2)
  bool recycle = true;    // rewrite the release about to be pruned instead of a new folder
  bool sync = true;       // the release on disk before `current` swaps
};

// What release.json says about a release.
struct ReleaseInfo {
  DateTime now;
  std::string build_id;  // empty: <now>-<digest of the tree>
  std::size_t documents = 0, pages = 0;
  std::string base_url;
};

class Publisher {
 public:
  // Takes the output folder's lock (waiting for a build that holds it) and starts removing what
  // earlier builds left in releases/.trash-*. Throws when the folder cannot be used.
  Publisher(const std::filesystem::path& output_dir, const DateTime& now, PublishOptions options);
  ~Publisher();  // not published: the private folder is removed, `current` is as it was
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  const ReleaseFiles& previous() const { return m_previous; }  // the current release
  // The tree the release is written into: the oldest release recycled when allowed, else a
  // new private folder; files equal to the current release's are hard-linked from it. Call
  // once the content is known to be valid (only then is an old release given up).
  OutputTree open_tree(bool keep_index);
  std::filesystem::path index_dir() const;       // where this release's search index goes
  std::filesystem::path previous_index() const;  // the current release's, or empty

  // Completes the release (files.sha256, release.json), syncs it, names it and swaps `current`
  // to it; prunes old releases. Returns the release id. Throws when it cannot; when the swap
  // happened but could not be made durable, throws NotDurable (the release is live).
  std::string publish(const OutputTree& tree, ReleaseInfo info);
  struct NotDurable : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  // What publishing did, for the build's progress line.
  std::string summary(const OutputTree& tree) const;

 private:
  std::filesystem::path m_output, m_releases, m_tmp;
  DateTime m_now;
  PublishOptions m_opt;
  int m_lock_fd = -1;
  ReleaseFiles m_previous, m_recycled;
  std::string m_id;
  bool m_swapping = false;  // current.new made, not yet renamed over `current`
  std::future<void> m_trash;
};

}  // namespace gongkai::gen
