// Search parameters of any bytes (query string form) against a real index: parse, plan, rank,
// snippet. Bad input must be a 400-style error, never a crash.
#include <unistd.h>

#include "fuzz_support.hpp"
#include "search_service.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto out = fuzz::built_site();
  static gongkai::server::Release release = [] {
    gongkai::server::Release r;
    r.root = std::filesystem::canonical(out / "current");
    r.site = r.root / "site";
    r.search_db = r.root / "search";
    return r;
  }();
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto params = fuzz::query_params(input);
  std::string error;
  if (auto sp = gongkai::server::parse_search_params(params, error)) {
    try {
      auto res = gongkai::server::run_search(release, *sp);
      for (const auto& h : res.hits)
        if (h.snippet.find("<script") != std::string::npos) __builtin_trap();
    } catch (const gongkai::server::SearchUnavailable&) {
    }
  }
  gongkai::server::make_snippet(input, input.substr(0, size / 3));
  return 0;
}
