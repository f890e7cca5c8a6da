#include "gongkai/identifiers.hpp"

#include <cctype>
#include <cstdlib>

#include "gongkai/datetime.hpp"

namespace gongkai {

bool valid_resident_id(const std::string& s) {
  if (s.size() != 18) return false;
  static const int k_weights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static const char k_check[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    sum += (s[i] - '0') * k_weights[i];
  }
  const int year = std::atoi(s.substr(6, 4).c_str()), month = std::atoi(s.substr(10, 2).c_str()),
            day = std::atoi(s.substr(12, 2).c_str());
  if (year < 1900 || year > 2100 || !valid_civil_date(year, month, day)) return false;
  return std::toupper(static_cast<unsigned char>(s[17])) == k_check[sum % 11];
}

bool valid_credit_code(const std::string& s) {
  static const std::string k_alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";  // 31, no I O Z S V
  static const int k_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  if (s.size() != 18) return false;
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    const auto pos = k_alphabet.find(s[i]);
    if (pos == std::string::npos) return false;
    sum += static_cast<int>(pos) * k_weights[i];
  }
  return s[17] == k_alphabet[(31 - sum % 31) % 31];
}

bool luhn_valid(const std::string& d) {
  int sum = 0;
  bool dbl = false;
  for (auto it = d.rbegin(); it != d.rend(); ++it) {
    if (!std::isdigit(static_cast<unsigned char>(*it))) return false;
    int v = *it - '0';
    if (dbl && (v *= 2) > 9) v -= 9;
    sum += v;
    dbl = !dbl;
  }
  return !d.empty() && sum % 10 == 0;
}

}  // namespace gongkai
