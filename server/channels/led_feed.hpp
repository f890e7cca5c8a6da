// /led/v1/…: LED feeds computed at request time from the current release's led.json, so a
// notice appears and disappears at the moment its window opens or closes, without a rebuild.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gongkai/datetime.hpp"
#include "gongkai/led.hpp"
#include "gongkai/release.hpp"

namespace gongkai::server {

// Screen profiles and LED items, as the generator writes them to `_server/led.json`.
using LedScreenProfile = contract::LedScreenProfile;
using LedData = contract::LedData;

// Parses `_server/led.json` as the generator wrote it (contract::parse_led_json); throws
// std::runtime_error.
LedData parse_led_data(const std::string& json);

struct LedRequest {
  std::optional<LedScreenProfile> screen;
  led::Layout layout;
  std::size_t limit = 50;
};

// Validates parameters against the profiles. Returns nullopt with `status` (400 or 404) and
// `error` set when they are wrong.
std::optional<LedRequest> parse_led_params(const LedData& data,
                                           const std::multimap<std::string, std::string>& params,
                                           int& status, std::string& error);

struct LedResponse {
  std::string body;          // encoded
  std::string content_type;  // with charset
};

LedResponse led_feed(const LedData& data, const LedRequest& req, const std::string& format,
                     const DateTime& now, const std::string& base_url);
// `root`: the URL prefix of the site the screens belong to (a platform's unit), "/" for a site.
std::string led_screens_json(const LedData& data, const std::string& root = "/");

}  // namespace gongkai::server
