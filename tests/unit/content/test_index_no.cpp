#include <catch2/catch.hpp>

#include <map>

#include "index_no.hpp"

using namespace gongkai;

namespace {

Content corpus(int n, int skip = -1) {
  Content c;
  c.site.organization.credit_code = "11120225MB1234567X";
  for (int i = 0; i < n; ++i) {
    if (i == skip) continue;
    Item it;
    it.section = Section::disclosure;
    it.source = "disclosure/2021/item-" + std::to_string(i) + ".md";
    it.title = "事项" + std::to_string(i);
    it.published = *DateTime::parse("2021-01-01");
    it.published.epoch += i * 3600;
    c.items.push_back(it);
  }
  return c;
}

std::map<std::string, std::string> numbers(Content c) {
  Diagnostics d;
  gen::assign_index_numbers(c, "content/", d);
  std::map<std::string, std::string> out;
  for (const auto& it : c.items) out[it.source] = it.index_no;
  return out;
}

}  // namespace

TEST_CASE("索引号: adding, removing or editing other items never changes an item's number") {
  const auto base = numbers(corpus(600));
  REQUIRE(base.size() == 600);
  for (const auto& [src, no] : base) {
    CHECK(no.rfind("11120225MB1234567X/2021-", 0) == 0);
    CHECK(no.size() == std::string("11120225MB1234567X/2021-00000").size());
  }
  // More items: everything that existed keeps its number.
  const auto more = numbers(corpus(900));
  for (const auto& [src, no] : base) CHECK(more.at(src) == no);
  // One removed: the others keep theirs.
  const auto fewer = numbers(corpus(600, 17));
  for (const auto& [src, no] : fewer) CHECK(base.at(src) == no);
  // Another item edited (title, date): unchanged numbers.
  Content edited = corpus(600);
  edited.items[3].title = "改过的标题";
  edited.items[3].published.epoch += 86400;
  const auto after_edit = numbers(edited);
  for (const auto& [src, no] : base) CHECK(after_edit.at(src) == no);
}

TEST_CASE("索引号: numbers are unique, and a given index_no is kept") {
  Content c = corpus(2000);
  c.items[5].index_no = "11120225MB1234567X/2021-00001";
  Diagnostics d;
  gen::assign_index_numbers(c, "content/", d);
  std::map<std::string, int> seen;
  for (const auto& it : c.items) ++seen[it.index_no];
  for (const auto& [no, n] : seen) CHECK(n == 1);
  CHECK(c.items[5].index_no == "11120225MB1234567X/2021-00001");
  // Collisions among 2,000 hashed numbers are expected; each is a warning naming how to pin it.
  for (const auto& diag : d.all()) {
    CHECK(diag.severity == Severity::warning);
    CHECK(diag.message.find("add index_no = ") != std::string::npos);
  }
}

TEST_CASE("索引号: a number given twice is an error") {
  Content c = corpus(3);
  c.items[0].index_no = c.items[1].index_no = "X/2021-00009";
  Diagnostics d;
  gen::assign_index_numbers(c, "content/", d);
  REQUIRE(d.error_count() == 1);
  CHECK(d.all()[0].to_string() ==
        "content/disclosure/2021/item-1.md:1:1: error: index_no \"X/2021-00009\" is also used by "
        "content/disclosure/2021/item-0.md (索引号重复)");
}
