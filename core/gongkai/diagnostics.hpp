// Diagnostics: content problems reported as `path:line:column: severity: message`.
// A Diagnostics collector is filled by every stage of a build; the build stops before
// publishing when it holds any error. Not thread-safe: each worker keeps its own and merges.
#pragma once
#include <string>
#include <vector>

namespace gongkai {

enum class Severity { warning, error };

struct Diagnostic {
  std::string
      path;  // relative to the content folder's parent as the user named it, e.g. content/site.toml
  int line = 0;    // 1-based; 0 when the problem concerns the whole file
  int column = 0;  // 1-based; 0 when unknown
  Severity severity = Severity::error;
  std::string message;

  std::string to_string() const;  // "path:line:column: error: message"
};

class Diagnostics {
 public:
  void error(std::string path, int line, int column, std::string message);
  void warning(std::string path, int line, int column, std::string message);
  void add(Diagnostic d);
  void merge(const Diagnostics& other);

  bool has_errors() const;
  std::size_t error_count() const;
  std::size_t warning_count() const;
  // Sorted by path, line, column, then message: a stable order for output and tests.
  std::vector<Diagnostic> sorted() const;
  const std::vector<Diagnostic>& all() const { return m_items; }

 private:
  std::vector<Diagnostic> m_items;
};

}  // namespace gongkai
