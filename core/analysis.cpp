#include "gongkai/analysis.hpp"

#include <map>

#include "gongkai/text.hpp"

namespace gongkai::search {

namespace {

bool is_word_char(char32_t cp) {
  return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
         cp == '_' ||
         (cp >= 0xC0 && cp < 0x2000 && cp != 0xD7 &&
          cp != 0xF7);  // Latin letters with accents, Greek, Cyrillic
}

bool is_cjk_char(char32_t cp) {
  return is_cjk(cp) || (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
         cp == 0x3007;  // 〇
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
    const std::size_t start = i;
    if (is_cjk_char(cp)) {
      while (i < s.size() && is_cjk_char(s[i])) ++i;
      out.push_back(Chunk{true, std::u32string(s.substr(start, i - start))});
    } else if (is_word_char(cp)) {
      while (i < s.size() && is_word_char(s[i])) ++i;
      out.push_back(Chunk{false, std::u32string(s.substr(start, i - start))});
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

std::vector<std::string> chunk_pieces(const Chunk& c) {
  if (!c.cjk || c.text.size() <= 2) return chunk_terms(c);
  std::vector<std::string> out;
  std::size_t i = 0;
  for (; i + 2 <= c.text.size(); i += 2) out.push_back(to_utf8(c.text.substr(i, 2)));
  if (i < c.text.size()) out.push_back(to_utf8(c.text.substr(c.text.size() - 2, 2)));
  return out;
}

namespace {
int digit_value(char32_t cp) {
  switch (cp) {
    case U'零':
    case U'〇': return 0;
    case U'一': return 1;
    case U'二':
    case U'两': return 2;
    case U'三': return 3;
    case U'四': return 4;
    case U'五': return 5;
    case U'六': return 6;
    case U'七': return 7;
    case U'八': return 8;
    case U'九': return 9;
    default: return -1;
  }
}
int unit_value(char32_t cp) {
  switch (cp) {
    case U'十': return 10;
    case U'百': return 100;
    case U'千': return 1000;
    case U'万': return 10000;
    default: return 0;
  }
}
bool counter_after(char32_t cp) {
  static const std::u32string k_counters = U"条款项章节编岁周年月日天元次个名人倍份";
  return k_counters.find(cp) != std::u32string::npos;
}
}  // namespace

long long chinese_number(std::u32string_view run) {
  if (run.empty()) return -1;
  long long total = 0, section = 0, digit = 0;
  bool any_unit = false;
  for (char32_t cp : run) {
    const int d = digit_value(cp);
    if (d >= 0) {
      digit = d;
      continue;
    }
    const int u = unit_value(cp);
    if (!u) return -1;
    any_unit = true;
    if (u == 10000) {
      total = (total + section + digit) * 10000;
      section = 0;
    } else {
      section += (digit == 0 && u == 10 ? 1 : digit) * u;  // 十二 = 12
    }
    digit = 0;
  }
  if (!any_unit && run.size() > 1) {  // 二〇二一 = 2021: digit by digit
    long long v = 0;
    for (char32_t cp : run) v = v * 10 + digit_value(cp);
    return v;
  }
  return total + section + digit;
}

std::vector<std::string> numeral_terms(const Chunk& c) {
  std::vector<std::string> out;
  if (!c.cjk) return out;
  const auto& t = c.text;
  std::size_t i = 0;
  while (i < t.size()) {
    if (digit_value(t[i]) < 0 && !unit_value(t[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < t.size() && (digit_value(t[j]) >= 0 || unit_value(t[j]))) ++j;
    const bool ordinal = i > 0 && t[i - 1] == U'第';
    const bool counted = j < t.size() && counter_after(t[j]);
    if ((ordinal || counted) && j - i <= 12) {
      const long long v = chinese_number(t.substr(i, j - i));
      if (v >= 0) out.push_back(std::to_string(v));
    }
    i = j;
  }
  return out;
}

namespace {
const std::u32string k_provinces[] = {
    U"北京",   U"天津", U"上海", U"重庆",   U"河北", U"山西", U"辽宁", U"吉林",
    U"黑龙江", U"江苏", U"浙江", U"安徽",   U"福建", U"江西", U"山东", U"河南",
    U"湖北",   U"湖南", U"广东", U"海南",   U"四川", U"贵州", U"云南", U"陕西",
    U"甘肃",   U"青海", U"台湾", U"内蒙古", U"广西", U"西藏", U"宁夏", U"新疆"};

std::u32string cjk_only(std::string_view s) {
  std::u32string out;
  for (char32_t cp : to_u32(s))
    if (is_cjk(cp)) out += cp;
  return out;
}
}  // namespace

std::string locality_of(std::string_view organization) {
  const std::u32string org = cjk_only(organization);
  for (const auto& p : k_provinces)
    if (org.rfind(p, 0) == 0) return to_utf8(p);
  const auto pos = org.find_first_of(U"省市县");
  return pos != std::u32string::npos && pos >= 2 && pos <= 4 ? to_utf8(org.substr(0, pos)) : "";
}

bool is_local_title(std::string_view title, std::string_view own_locality) {
  const std::u32string t = cjk_only(title);
  const std::u32string own = to_u32(own_locality);
  if (!own.empty() && t.rfind(own, 0) == 0) return false;
  for (const auto& p : k_provinces)
    if (t.rfind(p, 0) == 0) return true;
  if (t.rfind(U"城市", 0) == 0 || t.rfind(U"中华", 0) == 0) return false;
  for (std::size_t n = 2; n <= 3 && n < t.size(); ++n) {
    const char32_t unit = t[n];
    if (unit == U'市' || unit == U'县' || unit == U'州' || unit == U'盟') return true;
  }
  return false;
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
      {"打架", {"殴打", "斗殴"}},
      {"打人", {"殴打"}},
      {"家暴", {"家庭暴力"}},
      {"假货", {"假冒", "欺诈", "消费者权益"}},
      {"买到假货", {"消费者权益", "欺诈"}},
      {"工资", {"劳动报酬"}},
      {"欠薪", {"拖欠工资", "劳动报酬"}},
      {"拖欠工资", {"劳动报酬"}},
      {"低保", {"最低生活保障"}},
      {"离婚", {"解除婚姻"}},
      {"盖房", {"建设", "宅基地"}},
      {"罚钱", {"罚款"}},
      {"打官司", {"诉讼"}},
      {"告状", {"诉讼", "信访"}},
      {"上访", {"信访"}},
      {"酒驾", {"饮酒后驾驶", "醉酒驾驶"}},
      {"醉驾", {"醉酒驾驶"}},
      {"偷东西", {"盗窃"}},
      {"骗钱", {"诈骗"}},
      {"养老金", {"养老保险"}},
      {"看病", {"医疗"}},
      {"医保", {"医疗保障", "医疗保险"}},
      {"工伤", {"工伤保险"}},
      {"拆迁", {"征收"}},
      {"占地", {"征收", "占用"}},
      {"污染", {"环境污染"}},
      {"乱扔垃圾", {"垃圾"}},
      {"房子", {"房屋"}},
      {"孩子", {"未成年人"}},
      {"小孩", {"未成年人"}},
      {"老人", {"老年人"}},
      {"残疾", {"残疾人"}},
      {"当兵", {"兵役"}},
      {"开店", {"个体工商户", "营业执照"}},
      {"办证", {"许可"}},
      {"吸毒", {"毒品"}},
      {"赌博", {"赌博"}},
      {"借钱", {"借款"}},
      {"彩礼", {"婚约财产"}},
      {"遗产", {"继承"}},
      {"分家", {"继承", "分割"}},
      {"种地", {"承包土地", "农村土地承包"}},
  };
  auto it = k_table.find(chunk);
  return it == k_table.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace gongkai::search
