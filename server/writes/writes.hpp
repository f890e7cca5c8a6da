// The public write paths of gongkai-serve (docs/public-writes.md): each unit's 依申请公开 form,
// 留言 form, consultation response forms and their lookup pages, answered from the unit's release
// (its themed page shell, the theme's forms.mustache, server/forms.json) and stored in the
// database (store.hpp). Every POST passes the shared defences (guard.hpp) before anything is
// stored; every failure is a 4xx page that says what to do, or a 503 when the database cannot
// answer. Nothing here writes to the site, the content or the search index.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace gongkai::store {
class Store;
}

namespace gongkai::server::writes {

struct WritesConfig {
  std::string database;  // store URL ("sqlite:/var/lib/gongkai/gongkai.db"); "": forms are off
  std::string secret;    // the CSRF key; nodes sharing a database share it ("": per process)
  std::vector<std::string> trusted_proxies = {"127.0.0.1", "::1"};  // X-Forwarded-For from these
  int post_limit = 10;               // POSTs per address and form ...
  std::int64_t post_window = 600;    // ... per this many seconds
  int lookup_limit = 20;             // lookups per address ...
  std::int64_t lookup_window = 600;  // ... per this many seconds
  bool secure_cookies = false;       // Secure on cookies (the site is served over https)
  // POSTs (submissions, lookups) answered at once; one more gets 503 at once. Keeps a
  // stalled database (a long write by another process, a slow disk) from taking every worker
  // and stalling the pages and search too.
  int max_in_flight = 4;
  int message_ack_days = 1;  // a 留言 is reviewed (受理 or 不予受理) within this many working days
};

// What a request's unit gives the forms: its identity and its current release's files.
struct UnitContext {
  std::string unit_id;   // the platform's unit id; "site" for a site of its own
  std::string prefix;    // "/" or "/towns/bangjun/"
  std::string base_url;  // the unit's absolute base URL (canonical links)
  const std::string* page_template = nullptr;   // server/form.mustache ("" or null: none)
  const std::string* forms_template = nullptr;  // server/forms.mustache
  const std::string* forms_json = nullptr;      // server/forms.json
};

// The [writes] table of a gongkai-serve config file (empty path: the defaults), and the
// GONGKAI_WRITES_SECRET environment variable for the secret. Throws std::runtime_error
// "file:line:column: message" on a bad value or an unknown key.
WritesConfig load_writes_config(const std::filesystem::path& config_file);

class WritesService {
 public:
  // Opens the database (runs its migrations) when config.database is set. Throws
  // store::StoreError when it cannot.
  WritesService(WritesConfig config, std::function<std::int64_t()> clock);
  ~WritesService();
  WritesService(const WritesService&) = delete;
  WritesService& operator=(const WritesService&) = delete;

  // True for the paths (inside a unit's site) these forms answer.
  static bool handles(const std::string& local_path);
  // Answers GET/HEAD/POST on such a path.
  void handle(const UnitContext& unit, const std::string& local_path, const httplib::Request& req,
              httplib::Response& res);

  store::Store* store() const;  // null when the forms are off

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace gongkai::server::writes
