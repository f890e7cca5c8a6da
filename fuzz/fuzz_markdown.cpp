// Markdown of any bytes through cmark-gfm with link resolution and plain-text extraction.
#include "markdown.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = [] {
    gongkai::gen::markdown_init();
    return true;
  }();
  (void)init;
  const std::string md(reinterpret_cast<const char*>(data), size);
  gongkai::gen::MarkdownInput in;
  in.markdown = &md;
  in.source = "disclosure/2021/a.md";
  in.display_path = "content/disclosure/2021/a.md";
  in.first_line = 5;
  gongkai::Diagnostics d;
  auto resolve = [](const std::string& t, std::string& why) -> std::optional<std::string> {
    if (t.size() % 2) return "/" + t;
    why = "missing";
    return std::nullopt;
  };
  auto out = gongkai::gen::render_markdown(in, resolve, d);
  if (out.html.find("<script") != std::string::npos) __builtin_trap();  // raw HTML must never pass
  return 0;
}
