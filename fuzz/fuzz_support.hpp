// Shared set-up for the fuzz targets: a small site built once into a scratch folder.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "build.hpp"

namespace fuzz {

inline const char* k_site_toml = R"(title = "模糊测试镇"
base_url = "https://fuzz.example.gov.cn/"
[organization]
name = "模糊测试镇人民政府"
credit_code = "11120225MB1234567X"
[[department]]
id = "dzb"
name = "党政办公室"
[[category]]
id = "fzzf"
name = "法治政府建设"
[[village]]
id = "a"
name = "甲村"
[led.screens.hall]
width = 64
height = 16
charset = "gb2312"
)";

// "a=1&b=2" -> {a: 1, b: 2} (no decoding: the fuzzer supplies raw values).
inline std::multimap<std::string, std::string> query_params(const std::string& query) {
  std::multimap<std::string, std::string> params;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(start, amp - start);
    const auto eq = pair.find('=');
    params.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    start = amp + 1;
  }
  return params;
}

inline void write(const std::filesystem::path& p, const std::string& s) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

// Builds a tiny published site once; returns its output folder.
inline std::filesystem::path built_site() {
  static std::filesystem::path out = [] {
    const auto root = std::filesystem::temp_directory_path() /
                      ("gongkai-fuzz-site-" + std::to_string(::getpid()));
    write(root / "content/site.toml", k_site_toml);
    write(root / "content/disclosure/a.md",
          "+++\ntitle = \"行政处罚结果公示\"\ndepartment = \"dzb\"\ncategory = \"fzzf\"\npublished "
          "= 2022-03-01\ndoc_no = "
          "\"蓟邦政发〔2022〕1号\"\n+++\n依法作出行政处罚决定，罚款五十元。宅基地、低保。\n");
    write(root / "content/notices/n.md",
          "+++\ntitle = \"普法公告\"\ndepartment = \"dzb\"\npublished = 2022-03-01\ndisplay_from = "
          "2022-03-01\ndisplay_until = 2030-01-01\nled = \"依法行政 执法为民\"\n+++\n正文\n");
    gongkai::gen::BuildOptions o;
    o.content_dir = root / "content";
    o.output_dir = root / "out";
    o.themes_dir = GONGKAI_FUZZ_THEMES;
    o.now = gongkai::DateTime::parse("2022-03-15T10:00:00+08:00");
    o.git_history = false;
    gongkai::gen::build(o);
    return root / "out";
  }();
  return out;
}

}  // namespace fuzz
