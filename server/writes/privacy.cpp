#include "privacy.hpp"

#include "gongkai/identifiers.hpp"
#include "gongkai/text.hpp"

namespace gongkai::server::writes {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::size_t chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string mask_personal_data(const std::string& text_in, const std::string& name) {
  std::string s = text_in;
  if (chars(name) >= 2) s = replace_all(s, name, "某某");
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (!is_digit(s[i])) {
      out += s[i++];
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && is_digit(s[j])) ++j;
    std::string run = s.substr(i, j - i);
    if (run.size() == 17 && j < s.size() && (s[j] == 'X' || s[j] == 'x')) {
      run += s[j];
      ++j;
    }
    auto keep = [&](std::size_t head, std::size_t tail) {
      return run.substr(0, head) + std::string(run.size() - head - tail, '*') +
             run.substr(run.size() - tail);
    };
    if (run.size() == 18 && valid_resident_id(run))
      out += keep(4, 4);
    else if (run.size() == 11 && run[0] == '1' && run[1] >= '3' && run[1] <= '9')
      out += keep(3, 4);
    else if (run.size() >= 16 && run.size() <= 19 && luhn_valid(run))
      out += keep(4, 4);
    else
      out += run;
    i = j;
  }
  return out;
}

}  // namespace gongkai::server::writes
