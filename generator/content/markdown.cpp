#include "markdown.hpp"
#include "gongkai/urls.hpp"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include <cstdlib>
#include <memory>
#include <mutex>

#include "gongkai/text.hpp"

namespace gongkai::gen {

namespace {

const char* const k_extensions[] = {"table", "strikethrough", "autolink", "tagfilter"};

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// cmark counts columns in bytes; staff count characters.
int char_column(const std::string& text, int line, int byte_column) {
  std::size_t pos = 0;
  for (int l = 1; l < line && pos != std::string::npos; ++l) {
    pos = text.find('\n', pos);
    if (pos != std::string::npos) ++pos;
  }
  if (pos == std::string::npos || byte_column <= 0) return byte_column;
  const std::size_t end = std::min(text.size(), pos + static_cast<std::size_t>(byte_column - 1));
  int col = 1;
  while (pos < end) {
    next_code_point(text, pos);
    ++col;
  }
  return col;
}

void append_separator(std::string& text) {
  if (!text.empty() && text.back() != '\n') text += '\n';
}

}  // namespace

void markdown_init() {
  static std::once_flag once;
  std::call_once(once, [] { cmark_gfm_core_extensions_ensure_registered(); });
}

bool is_external_url(const std::string& url) {
  // A scheme (letters, then ':') before any '/', or protocol-relative //host.
  if (starts_with(url, "//")) return true;
  for (std::size_t i = 0; i < url.size(); ++i) {
    const char c = url[i];
    if (c == ':') return i > 0;
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'))
      return false;
  }
  return false;
}

std::optional<std::string> resolve_relative(const std::string& source, const std::string& rel) {
  std::vector<std::string> parts = split(source, '/');
  parts.pop_back();  // the file name
  for (const std::string& seg : split(rel, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else {
      parts.push_back(seg);
    }
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

MarkdownOutput render_markdown(const MarkdownInput& in, const LinkResolver& resolve,
                               Diagnostics& diags) {
  MarkdownOutput out;
  const int options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
  std::unique_ptr<cmark_parser, decltype(&cmark_parser_free)> parser(cmark_parser_new(options),
                                                                     cmark_parser_free);
  for (const char* name : k_extensions) {
    if (cmark_syntax_extension* ext = cmark_find_syntax_extension(name))
      cmark_parser_attach_syntax_extension(parser.get(), ext);
  }
  std::unique_ptr<cmark_node, decltype(&cmark_node_free)> doc(nullptr, cmark_node_free);
  // Blocks are parsed as the text is fed in, on any thread.
  cmark_parser_feed(parser.get(), in.markdown->data(), in.markdown->size());
  {
    // cmark-gfm keeps the inline parser's special characters in one global table that every
    // parse with extensions changes and restores around its inline pass (process_inlines in
    // cmark_parser_finish; github/cmark-gfm#176): parses running at once on two threads lost
    // autolinks. That pass is serialised; block parsing (most of the parse), walking and rendering
    // are not.
    static std::mutex parse_mutex;
    std::lock_guard<std::mutex> lock(parse_mutex);
    doc.reset(cmark_parser_finish(parser.get()));
  }

  bool in_first_paragraph = false, first_paragraph_done = false;
  std::unique_ptr<cmark_iter, decltype(&cmark_iter_free)> iter(cmark_iter_new(doc.get()),
                                                               cmark_iter_free);
  cmark_event_type ev;
  while ((ev = cmark_iter_next(iter.get())) != CMARK_EVENT_DONE) {
    cmark_node* node = cmark_iter_get_node(iter.get());
    const cmark_node_type type = cmark_node_get_type(node);
    const bool is_block = (type & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK;
    if (ev == CMARK_EVENT_ENTER) {
      if (type == CMARK_NODE_PARAGRAPH && !first_paragraph_done) in_first_paragraph = true;
      if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE || type == CMARK_NODE_CODE_BLOCK) {
        const char* lit = cmark_node_get_literal(node);
        if (lit) {
          out.text += lit;
          if (in_first_paragraph) out.first_paragraph += lit;
        }
      } else if (type == CMARK_NODE_LINEBREAK) {
        out.text += '\n';
      } else if (type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE) {
        const char* url_c = cmark_node_get_url(node);
        const std::string url = url_c ? url_c : "";
        if (url.size() > 1 && url[0] == '/' && url[1] != '/' && urls::root() != "/") {
          // A platform unit's "/pages/guide/" is its own page (docs/platform.md).
          const std::string rooted = urls::root() + url.substr(1);
          cmark_node_set_url(node, rooted.c_str());
          continue;
        }
        if (url.empty() || url[0] == '#' || url[0] == '/' || is_external_url(url)) continue;
        // A relative link: resolve against the file's folder, keep ?query and #fragment.
        std::string path = url, suffix;
        if (auto cut = path.find_first_of("?#"); cut != std::string::npos) {
          suffix = path.substr(cut);
          path.erase(cut);
        }
        int line = cmark_node_get_start_line(node);
        int column = cmark_node_get_start_column(node);
        for (cmark_node* p = node; line <= 0 && p; p = cmark_node_parent(p)) {
          line = cmark_node_get_start_line(p);
          column = cmark_node_get_start_column(p);
        }
        const int file_line = line + in.first_line - 1;
        column = char_column(*in.markdown, line, column);
        const auto target = resolve_relative(in.source, percent_decode(path));
        std::string why;
        std::optional<std::string> published;
        if (!target)
          why = "it points outside the content folder";
        else
          published = resolve(*target, why);
        if (!published) {
          diags.error(in.display_path, file_line, column > 0 ? column : 1,
                      "link to \"" + url + "\" is broken: " + why + " (链接目标不存在)");
          continue;
        }
        out.linked_targets.push_back(*target);
        const std::string rewritten = *published + suffix;
        cmark_node_set_url(node, rewritten.c_str());
      }
    } else if (ev == CMARK_EVENT_EXIT && is_block) {
      if (type == CMARK_NODE_PARAGRAPH && in_first_paragraph) {
        in_first_paragraph = false;
        first_paragraph_done = true;
      }
      append_separator(out.text);
    }
    if (ev == CMARK_EVENT_EXIT && !is_block) {
      // Table cells are extension nodes; keep cells apart in the plain text.
      const char* ts = cmark_node_get_type_string(node);
      if (ts && std::string(ts) == "table_cell") out.text += ' ';
    }
  }
  char* html =
      cmark_render_html(doc.get(), options, cmark_parser_get_syntax_extensions(parser.get()));
  out.html = html;
  std::free(html);
  if (in.inline_only) {
    std::string& h = out.html;
    if (starts_with(h, "<p>") && ends_with(h, "</p>\n") && h.find("<p>", 3) == std::string::npos)
      h = h.substr(3, h.size() - 8);
  }
  out.text = trim(out.text);
  out.first_paragraph = trim(out.first_paragraph);
  return out;
}

}  // namespace gongkai::gen
