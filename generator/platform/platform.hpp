// A district platform (docs/platform.md): platform.toml, and the build of its units (each a
// child gongkai-build of its own, in parallel) followed by the platform pages.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gongkai/datetime.hpp"
#include "gongkai/diagnostics.hpp"
#include "gongkai/platform.hpp"

namespace gongkai::gen {

struct PlatformConfig {
  std::filesystem::path dir;   // the folder of platform.toml
  std::filesystem::path file;  // platform.toml
  std::string theme = "default";
  contract::PlatformIndex index;               // identity and units (output: units/<id>)
  std::vector<std::filesystem::path> content;  // each unit's content folder, aligned with units
};

// Reads DIR/platform.toml; errors at display_path:line:column. nullopt when it has errors.
std::optional<PlatformConfig> load_platform(const std::filesystem::path& file,
                                            const std::string& display_path, Diagnostics& diags);

struct PlatformBuildOptions {
  std::filesystem::path platform_file;  // platform.toml
  std::filesystem::path output_dir = "output";
  std::filesystem::path themes_dir;  // empty: beside the platform folder, or installed
  std::filesystem::path builder;     // the gongkai-build executable the units are built by
  std::optional<DateTime> now;
  bool check_only = false;
  std::vector<std::string> only;       // --unit: build only these units (the platform pages too)
  int jobs = 0;                        // units built at once (0: one per core)
  std::vector<std::string> unit_args;  // passed on to every unit's build (--no-history, ...)
  std::function<void(const std::string&)> progress;
};

struct UnitOutcome {
  std::string id, name;
  int exit_code = 0;     // the unit build's: 0 published, 1 content errors, 2 environment
  bool skipped = false;  // unchanged since its current release: not rebuilt
  double ms = 0;
  std::string output;  // what its build printed (diagnostics and summary)
};

struct PlatformBuildResult {
  int exit_code = 0;               // 0 every unit built, 1 a unit has content errors, 2 environment
  Diagnostics diagnostics;         // platform.toml's
  std::string environment_error;   // when exit_code == 2 and no unit is to blame
  std::vector<UnitOutcome> units;  // in platform.toml's order (only those asked for)
  std::string platform_release;    // the platform pages' release ("" with --check)
  std::string inspection_text;     // the inspection report as text (--check prints it)
};

// Builds the units (children in parallel), then the platform pages from the units' current
// releases; with check_only, checks every unit and reports, publishing nothing.
PlatformBuildResult build_platform(const PlatformBuildOptions& options);

}  // namespace gongkai::gen
