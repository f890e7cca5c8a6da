// The check digits of the identifiers personal and organisational data carry: what the content's
// privacy guard looks for, what the public forms check, what the published 留言 mask.
#pragma once
#include <string>

namespace gongkai {

// GB 11643-1999 居民身份证号码: 18 characters, a real birth date (1900–2100), the check character.
bool valid_resident_id(const std::string& s);
// GB 32100-2015 统一社会信用代码: 18 characters of its alphabet, the check character.
bool valid_credit_code(const std::string& s);
// The Luhn check of a bank card number (digits only).
bool luhn_valid(const std::string& digits);

}  // namespace gongkai
