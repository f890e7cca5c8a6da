#include <catch2/catch.hpp>

#include "gongkai/analysis.hpp"
#include "gongkai/text.hpp"

using namespace gongkai;

TEST_CASE("text: HTML escaping covers every special character") {
  CHECK(html_escape("<a href=\"x\">'&'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST_CASE("text: UTF-8 validation and cutting on character boundaries") {
  CHECK(valid_utf8("邦均镇abc"));
  CHECK_FALSE(valid_utf8("\xE9\x82"));
  CHECK_FALSE(valid_utf8("\xC0\xAF"));  // overlong '/'
  CHECK(truncate_utf8_bytes("邦均镇", 7) == "邦均");
  CHECK(truncate_chars("一二三四五", 3) == "一二三…");
  CHECK(truncate_chars("一二三", 3) == "一二三");
}

TEST_CASE("text: search normalisation folds full-width forms and drops zero-width characters") {
  CHECK(normalize_for_search("ＡＢＣ１２３") == "abc123");
  CHECK(normalize_for_search("行政\u200B处罚") == "行政处罚");
  CHECK(normalize_for_search("行政\u3000处罚") == "行政 处罚");
}

TEST_CASE("analysis: CJK runs give bigrams, words stay whole") {
  const auto cs = search::chunks("行政处罚法 2021年 ＧＢ/T");
  REQUIRE(cs.size() == 5);
  CHECK(search::chunk_terms(cs[0]) == std::vector<std::string>{"行政", "政处", "处罚", "罚法"});
  CHECK(search::chunk_terms(cs[1]) == std::vector<std::string>{"2021"});
  CHECK(search::chunk_terms(cs[2]) == std::vector<std::string>{"年"});
  CHECK(search::chunk_terms(cs[3]) == std::vector<std::string>{"gb"});
  CHECK(search::title_key("中华人民共和国 行政复议法") == "行政复议法");
  CHECK(search::title_key("《行政复议法》") == "行政复议法");
}
