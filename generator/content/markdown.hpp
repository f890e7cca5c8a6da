// Markdown through cmark-gfm (tables, strikethrough, autolinks, tag filter), safe by default:
// raw HTML is never passed through. Relative links are resolved against the source file and
// rewritten to published URLs through a LinkResolver; unresolvable links become diagnostics.
// The only module that includes cmark-gfm. Thread-safe after markdown_init().
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gongkai/diagnostics.hpp"

namespace gongkai::gen {

void markdown_init();  // registers the GFM extensions once; call before threads start

// Given a content-relative target path (already normalised, no fragment), returns the
// published URL, or nullopt with `why` set when the target does not exist or is not published.
using LinkResolver =
    std::function<std::optional<std::string>(const std::string& target, std::string& why)>;

struct MarkdownInput {
  const std::string* markdown = nullptr;
  std::string source;        // content-relative path of the file (for resolving relative links)
  std::string display_path;  // path shown in diagnostics
  int first_line = 1;        // file line of the Markdown's first line
  bool inline_only = false;  // a single paragraph's content without <p> (table cells)
};

struct MarkdownOutput {
  std::string html;
  std::string text;                         // plain text, blocks separated by newlines
  std::string first_paragraph;              // plain text of the first paragraph (default summary)
  std::vector<std::string> linked_targets;  // content-relative targets of rewritten links
};

MarkdownOutput render_markdown(const MarkdownInput& in, const LinkResolver& resolve,
                               Diagnostics& diags);

// Resolves `rel` (may contain ../) against the folder of `source`; nullopt when it escapes the root.
std::optional<std::string> resolve_relative(const std::string& source, const std::string& rel);
bool is_external_url(const std::string& url);

}  // namespace gongkai::gen
