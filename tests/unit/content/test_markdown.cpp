#include <catch2/catch.hpp>

#include "markdown.hpp"

using namespace gongkai;

namespace {

gen::MarkdownOutput md(const std::string& text, Diagnostics& diags) {
  gen::markdown_init();
  gen::MarkdownInput in;
  in.markdown = &text;
  in.source = "disclosure/2021/a.md";
  in.display_path = "content/disclosure/2021/a.md";
  in.first_line = 7;
  auto resolve = [](const std::string& target, std::string& why) -> std::optional<std::string> {
    if (target == "disclosure/2021/b.md") return "/disclosure/2021/b/";
    if (target == "disclosure/2021/表.pdf") return "/disclosure/2021/%E8%A1%A8.pdf";
    why = "no such file in the content folder";
    return std::nullopt;
  };
  return gen::render_markdown(in, resolve, diags);
}

}  // namespace

TEST_CASE("markdown: GFM tables, strikethrough and autolinks render") {
  Diagnostics d;
  const auto out =
      md("| 项目 | 金额 |\n|---|---|\n| 预算 | 10 |\n\n~~旧~~ 见 https://www.gov.cn\n", d);
  CHECK(out.html.find("<table>") != std::string::npos);
  CHECK(out.html.find("<td>预算</td>") != std::string::npos);
  CHECK(out.html.find("<del>旧</del>") != std::string::npos);
  CHECK(out.html.find("<a href=\"https://www.gov.cn\">") != std::string::npos);
  CHECK_FALSE(d.has_errors());
}

TEST_CASE("markdown: raw HTML is never passed through") {
  Diagnostics d;
  const auto out = md(
      "<script>alert(1)</script>\n\n段落<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n",
      d);
  CHECK(out.html.find("<script") == std::string::npos);
  CHECK(out.html.find("onerror") == std::string::npos);
  CHECK(out.html.find("javascript:") == std::string::npos);
}

TEST_CASE(
    "markdown: relative links are rewritten to published URLs, broken ones reported at their "
    "line") {
  Diagnostics d;
  const auto out = md("见[另一篇](b.md#part2)与[附件](表.pdf)。\n\n第二段[坏链接](c.md)\n", d);
  CHECK(out.html.find("href=\"/disclosure/2021/b/#part2\"") != std::string::npos);
  CHECK(out.html.find("href=\"/disclosure/2021/%E8%A1%A8.pdf\"") != std::string::npos);
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].to_string() ==
        "content/disclosure/2021/a.md:9:4: error: link to \"c.md\" is broken: no such file in the "
        "content folder (链接目标不存在)");
  CHECK(out.first_paragraph == "见另一篇与附件。");
}

TEST_CASE("markdown: relative paths resolve against the file's folder and never escape the root") {
  CHECK(gen::resolve_relative("disclosure/2021/a.md", "../2020/b.md") ==
        std::optional<std::string>("disclosure/2020/b.md"));
  CHECK(gen::resolve_relative("disclosure/a.md", "./x/../y.pdf") ==
        std::optional<std::string>("disclosure/y.pdf"));
  CHECK_FALSE(gen::resolve_relative("disclosure/a.md", "../../etc/passwd"));
  CHECK(gen::is_external_url("https://x"));
  CHECK(gen::is_external_url("mailto:a@b"));
  CHECK_FALSE(gen::is_external_url("a:b/c.md") == false);
  CHECK_FALSE(gen::is_external_url("b.md"));
}
