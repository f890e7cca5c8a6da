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
  std::multimap<std::string, std::string> params;
  std::size_t start = 0;
  while (start <= input.size()) {
    std::size_t amp = input.find('&', start);
    if (amp == std::string::npos) amp = input.size();
    const std::string pair = input.substr(start, amp - start);
    const auto eq = pair.find('=');
    params.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    start = amp + 1;
  }
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
