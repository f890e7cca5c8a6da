// The privacy guard of what the public wrote, before any of it is published (answered 留言):
// resident ID numbers (GB 11643 check digit), mainland mobile numbers and bank card numbers (Luhn)
// masked the way the content's privacy rule asks staff to mask them (1101**********1234,
// 138****1234, 6222********1234), and the writer's own name replaced (某某).
#pragma once
#include <string>

namespace gongkai::server::writes {

std::string mask_personal_data(const std::string& text, const std::string& name);

}  // namespace gongkai::server::writes
