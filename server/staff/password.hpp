// Staff passwords: Argon2id (libargon2, the reference implementation), encoded with its
// parameters and salt so they can be raised later without invalidating stored hashes.
#pragma once
#include <string>

namespace gongkai::server::staff {

// At least 10 characters; "" when acceptable, else why not (shown to whoever sets it).
std::string password_problem(const std::string& password);
// An encoded "$argon2id$v=19$m=19456,t=2,p=1$…" string. Throws std::runtime_error on failure.
std::string hash_password(const std::string& password);
bool verify_password(const std::string& encoded, const std::string& password);

}  // namespace gongkai::server::staff
