# The one place where gongkai names its dependencies (all Debian 12 packages; see README).
# Each becomes an imported target `dep::<name>` that modules link against.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# cmark-gfm and its extensions (libcmark-gfm-dev, libcmark-gfm-extensions-dev)
pkg_check_modules(CMARK_GFM REQUIRED IMPORTED_TARGET libcmark-gfm)
find_library(CMARK_GFM_EXTENSIONS_LIB NAMES cmark-gfm-extensions REQUIRED)
add_library(dep::cmark INTERFACE IMPORTED)
target_link_libraries(dep::cmark INTERFACE PkgConfig::CMARK_GFM ${CMARK_GFM_EXTENSIONS_LIB})

# Xapian (libxapian-dev): 1.4.22 <= xapian-core < 1.5. The direct index writer
# (generator/glass_writer.cpp) writes Xapian 1.4's private glass format (GLASS_FORMAT_VERSION
# 2016-03-14, unchanged through 1.4) and was checked against 1.4.22, Debian 12's, by
# tests/test_glass_writer.cpp; the server uses the 1.4 API. A build also checks the format at
# run time (indexer.hpp, direct_writer_problem); --index-writer=xapian needs no such check.
# Widening this range: run the whole suite with the other Xapian first.
set(GONGKAI_XAPIAN_MIN 1.4.22)
set(GONGKAI_XAPIAN_BELOW 1.5)
pkg_check_modules(XAPIAN REQUIRED IMPORTED_TARGET xapian-core>=${GONGKAI_XAPIAN_MIN})
if(NOT XAPIAN_VERSION VERSION_LESS GONGKAI_XAPIAN_BELOW)
  message(FATAL_ERROR "xapian-core ${XAPIAN_VERSION} found, but gongkai needs "
                      "${GONGKAI_XAPIAN_MIN} <= xapian-core < ${GONGKAI_XAPIAN_BELOW}: its direct "
                      "index writer writes Xapian 1.4's glass format")
endif()
add_library(dep::xapian ALIAS PkgConfig::XAPIAN)

# cpp-httplib (libcpp-httplib-dev): its pkg-config flags carry OpenSSL/zlib/brotli defines.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
add_library(dep::httplib ALIAS PkgConfig::HTTPLIB)

# toml++ 3 (libtomlplusplus-dev)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
add_library(dep::toml ALIAS PkgConfig::TOMLPP)

# ICU (libicu-dev): normalisation, break iteration, GB2312/GBK conversion
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc icu-i18n)
add_library(dep::icu ALIAS PkgConfig::ICU)

# OpenSSL (libssl-dev): SHA-1/SHA-256, AES, Base64, random
find_package(OpenSSL REQUIRED)
add_library(dep::openssl INTERFACE IMPORTED)
target_link_libraries(dep::openssl INTERFACE OpenSSL::Crypto)

# libqrencode (libqrencode-dev): QR codes on print views
pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode)
add_library(dep::qrencode ALIAS PkgConfig::QRENCODE)

# libgit2 (libgit2-dev): 权责清单 history from the content folder's git history
pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2)
add_library(dep::git2 ALIAS PkgConfig::LIBGIT2)

# pugixml (libpugixml-dev): WeChat XML
pkg_check_modules(PUGIXML REQUIRED IMPORTED_TARGET pugixml)
add_library(dep::pugixml ALIAS PkgConfig::PUGIXML)

# SQLite (libsqlite3-dev): the embedded store of what the public writes in (server/store). 3.35
# for RETURNING; Debian 12 has 3.40.
pkg_check_modules(SQLITE REQUIRED IMPORTED_TARGET sqlite3>=3.35)
add_library(dep::sqlite ALIAS PkgConfig::SQLITE)

# libpq (libpq-dev): the same store on PostgreSQL, for several web nodes sharing one database
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
add_library(dep::pq ALIAS PkgConfig::LIBPQ)

# libargon2 (libargon2-dev): Argon2id, the staff console's password hashes (server/staff)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
add_library(dep::argon2 ALIAS PkgConfig::ARGON2)

# jemalloc (libjemalloc-dev): gongkai-build's allocator (see generator/main.cpp). Not with the
# sanitizers or fuzzing, which bring their own.
if(NOT GONGKAI_SANITIZE AND NOT GONGKAI_FUZZ)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
  add_library(dep::jemalloc ALIAS PkgConfig::JEMALLOC)
endif()

# Header-only: nlohmann-json (nlohmann-json3-dev), kainjow mustache (libkainjow-mustache-dev)
find_package(nlohmann_json 3 REQUIRED)
add_library(dep::json ALIAS nlohmann_json::nlohmann_json)
find_path(MUSTACHE_INCLUDE_DIR kainjow/mustache.hpp REQUIRED)
add_library(dep::mustache INTERFACE IMPORTED)
target_include_directories(dep::mustache INTERFACE ${MUSTACHE_INCLUDE_DIR})

# Catch2 2.13 (catch2) for the tests
if(GONGKAI_TESTS)
  find_package(Catch2 2 REQUIRED)
endif()
