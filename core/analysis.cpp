#include "gongkai/analysis.hpp"

#include <map>

#include "gongkai/text.hpp"

namespace gongkai::search {

namespace {

bool is_word_char(char32_t cp) {
  return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_' ||
         (cp >= 0xC0 && cp < 0x2000 && cp != 0xD7 && cp != 0xF7);  // Latin letters with accents, Greek, Cyrillic
}

bool is_cjk_char(char32_t cp) {
  return is_cjk(cp) || (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF) || cp == 0x3007;  // 〇
}

}  // namespace

char32_t fold_char(char32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;
  if (cp == 0x3000) cp = ' ';
  if (cp >= 'A' && cp <= 'Z') cp += 32;
  return cp;
}

std::vector<Chunk> chunks_normalized(std::u32string_view s) {
  std::vector<Chunk> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char32_t cp = s[i];
    if (is_cjk_char(cp)) {
      Chunk c{true, {}};
      while (i < s.size() && is_cjk_char(s[i])) c.text += s[i++];
      out.push_back(std::move(c));
    } else if (is_word_char(cp)) {
      Chunk c{false, {}};
      while (i < s.size() && is_word_char(s[i])) c.text += s[i++];
      out.push_back(std::move(c));
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<Chunk> chunks(std::string_view text) {
  return chunks_normalized(to_u32(normalize_for_search(text)));
}

std::vector<std::string> chunk_terms(const Chunk& c) {
  std::vector<std::string> out;
  if (!c.cjk) {
    out.push_back(truncate_utf8_bytes(to_utf8(c.text), 64));
    return out;
  }
  if (c.text.size() == 1) {
    out.push_back(to_utf8(c.text));
    return out;
  }
  for (std::size_t i = 0; i + 1 < c.text.size(); ++i) out.push_back(to_utf8(c.text.substr(i, 2)));
  return out;
}

std::vector<std::string> chunk_unigrams(const Chunk& c) {
  std::vector<std::string> out;
  if (!c.cjk) return out;
  for (char32_t cp : c.text) out.push_back(to_utf8(std::u32string(1, cp)));
  return out;
}

std::string title_key(std::string_view title) {
  std::u32string s = to_u32(normalize_for_search(title));
  std::u32string out;
  for (char32_t cp : s)
    if (is_cjk_char(cp) || is_word_char(cp)) out += cp;
  static const std::u32string k_prc = U"中华人民共和国";
  if (out.rfind(k_prc, 0) == 0 && out.size() > k_prc.size()) out.erase(0, k_prc.size());
  return to_utf8(out);
}

std::vector<std::string> everyday_synonyms(const std::string& chunk) {
  // A small built-in vocabulary of what villagers type and what the documents say.
  static const std::map<std::string, std::vector<std::string>> k_table = {
      {"打架", {"殴打", "斗殴"}},         {"打人", {"殴打"}},           {"家暴", {"家庭暴力"}},
      {"假货", {"欺诈", "假冒"}},         {"买到假货", {"欺诈"}},       {"工资", {"劳动报酬"}},
      {"欠薪", {"拖欠工资", "劳动报酬"}}, {"拖欠工资", {"劳动报酬"}},   {"低保", {"最低生活保障"}},
      {"离婚", {"解除婚姻"}},             {"盖房", {"建设", "宅基地"}}, {"罚钱", {"罚款"}},
      {"打官司", {"诉讼"}},               {"告状", {"诉讼", "信访"}},   {"上访", {"信访"}},
      {"酒驾", {"饮酒后驾驶"}},           {"醉驾", {"醉酒驾驶"}},       {"偷东西", {"盗窃"}},
      {"骗钱", {"诈骗"}},                 {"养老金", {"养老保险"}},     {"看病", {"医疗"}},
      {"医保", {"医疗保障", "医疗保险"}}, {"工伤", {"工伤保险"}},       {"拆迁", {"征收"}},
      {"占地", {"征收", "占用"}},         {"污染", {"环境污染"}},       {"乱扔垃圾", {"垃圾"}},
      {"房子", {"房屋"}},                 {"孩子", {"未成年人"}},       {"小孩", {"未成年人"}},
      {"老人", {"老年人"}},               {"残疾", {"残疾人"}},         {"当兵", {"兵役"}},
      {"开店", {"个体工商户", "营业执照"}}, {"办证", {"许可"}},         {"吸毒", {"毒品"}},
      {"赌博", {"赌博"}},                 {"借钱", {"借款"}},           {"彩礼", {"婚约财产"}},
      {"遗产", {"继承"}},                 {"分家", {"继承", "分割"}},   {"种地", {"承包土地", "农村土地承包"}},
  };
  auto it = k_table.find(chunk);
  return it == k_table.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace gongkai::search
