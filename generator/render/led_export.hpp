// LED data of a release: `_server/led.json` (screen profiles and every LED item with its
// window, read by gongkai-serve at request time) and a static snapshot per screen profile as of
// the build's now (`led/snapshot/<screen>.txt` in the screen's charset, and `.json`), for
// players that can only reach the static host.
#pragma once
#include "gongkai/content.hpp"
#include "gongkai/datetime.hpp"
#include "output.hpp"

namespace gongkai::gen {

void write_led(const Content& content, const DateTime& now, OutputTree& out);

}  // namespace gongkai::gen
