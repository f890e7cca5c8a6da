#include "gongkai/diagnostics.hpp"

#include <algorithm>
#include <tuple>

namespace gongkai {

std::string Diagnostic::to_string() const {
  std::string out = path;
  if (line > 0) {
    out += ':' + std::to_string(line);
    out += ':' + std::to_string(column > 0 ? column : 1);
  }
  out += severity == Severity::error ? ": error: " : ": warning: ";
  out += message;
  return out;
}

void Diagnostics::error(std::string path, int line, int column, std::string message) {
  m_items.push_back({std::move(path), line, column, Severity::error, std::move(message)});
}

void Diagnostics::warning(std::string path, int line, int column, std::string message) {
  m_items.push_back({std::move(path), line, column, Severity::warning, std::move(message)});
}

void Diagnostics::add(Diagnostic d) { m_items.push_back(std::move(d)); }

void Diagnostics::merge(const Diagnostics& other) {
  m_items.insert(m_items.end(), other.m_items.begin(), other.m_items.end());
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(
      std::count_if(m_items.begin(), m_items.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

std::size_t Diagnostics::warning_count() const { return m_items.size() - error_count(); }

std::vector<Diagnostic> Diagnostics::sorted() const {
  auto out = m_items;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.path, a.line, a.column, a.message) <
           std::tie(b.path, b.line, b.column, b.message);
  });
  return out;
}

}  // namespace gongkai
