#include "indexer.hpp"

#include <xapian.h>

#include <nlohmann/json.hpp>

#include "gongkai/analysis.hpp"
#include "gongkai/search_schema.hpp"
#include "gongkai/text.hpp"

namespace gongkai::gen {

namespace sch = gongkai::search;

namespace {

constexpr std::size_t k_stored_text = 64 * 1024;  // body text kept for snippets

void index_text(Xapian::Document& doc, std::string_view text, Xapian::termpos& pos, bool title) {
  for (const auto& c : sch::chunks(text)) {
    for (const std::string& t : sch::chunk_terms(c)) {
      doc.add_posting(t, ++pos, title ? 3 : 1);
      if (title) doc.add_term(std::string(sch::k_prefix_title) + t);
    }
    if (c.cjk && c.text.size() > 1) {
      for (const std::string& u : sch::chunk_unigrams(c)) {
        doc.add_term(u);
        if (title) doc.add_term(std::string(sch::k_prefix_title) + u);
      }
    }
    ++pos;  // chunks are not adjacent: a phrase never spans punctuation
  }
}

struct DocFields {
  std::string id, url, title, section, department_id, department, category_id, category, validity = "有效",
      index_no, doc_no;
  DateTime published;
  std::string text;
};

Xapian::Document make_document(const DocFields& f) {
  Xapian::Document doc;
  Xapian::termpos pos = 0;
  index_text(doc, f.title, pos, true);
  pos = sch::k_body_position;
  index_text(doc, f.text, pos, false);
  doc.add_boolean_term(std::string(sch::k_prefix_id) + f.id);
  doc.add_boolean_term(std::string(sch::k_prefix_section) + f.section);
  if (!f.department_id.empty()) doc.add_boolean_term(std::string(sch::k_prefix_department) + f.department_id);
  if (!f.department.empty()) doc.add_boolean_term(std::string(sch::k_prefix_department) + f.department);
  if (!f.category_id.empty()) doc.add_boolean_term(std::string(sch::k_prefix_category) + f.category_id);
  if (!f.category.empty()) doc.add_boolean_term(std::string(sch::k_prefix_category) + f.category);
  const std::string year = std::to_string(f.published.year());
  doc.add_boolean_term(std::string(sch::k_prefix_year) + year);
  doc.add_boolean_term(std::string(sch::k_prefix_validity) + f.validity);
  if (!f.doc_no.empty()) doc.add_boolean_term(truncate_utf8_bytes(std::string(sch::k_prefix_doc_no) + sch::title_key(f.doc_no), 240));
  if (!f.index_no.empty()) doc.add_boolean_term(truncate_utf8_bytes(std::string(sch::k_prefix_index_no) + sch::title_key(f.index_no), 240));
  const std::string key = sch::title_key(f.title);
  doc.add_boolean_term(truncate_utf8_bytes(std::string(sch::k_prefix_exact_title) + key, 240));
  doc.add_value(sch::k_slot_published, Xapian::sortable_serialise(static_cast<double>(f.published.epoch)));
  doc.add_value(sch::k_slot_section, f.section);
  doc.add_value(sch::k_slot_department, f.department);
  doc.add_value(sch::k_slot_category, f.category);
  doc.add_value(sch::k_slot_year, year);
  doc.add_value(sch::k_slot_validity, f.validity);
  doc.add_value(sch::k_slot_title_key, key);
  nlohmann::json data = {{"url", f.url}, {"title", f.title}, {"section", f.section}, {"department", f.department},
                         {"category", f.category}, {"published", f.published.date()}, {"index_no", f.index_no},
                         {"doc_no", f.doc_no}, {"validity", f.validity},
                         {"text", truncate_utf8_bytes(f.text, k_stored_text)}};
  doc.set_data(data.dump());
  return doc;
}

}  // namespace

std::size_t write_search_index(const Content& c, const std::filesystem::path& dir) {
  Xapian::WritableDatabase db(dir.string(), Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
  db.set_metadata(sch::k_analyzer_key, sch::k_analyzer);
  std::size_t n = 0;
  auto dept_name = [&](const std::string& id) {
    const Department* d = c.site.department(id);
    return d ? d->name : id;
  };
  for (const Item& it : c.items) {
    if (it.draft) continue;
    DocFields f;
    f.id = it.url;
    f.url = it.url;
    f.title = it.title;
    f.section = section_name(it.section);
    f.department_id = it.department;
    f.department = it.department.empty() ? "" : dept_name(it.department);
    f.category_id = it.category;
    if (const Category* cat = c.site.category(it.category)) f.category = cat->name;
    f.validity = it.validity;
    f.index_no = it.index_no;
    f.doc_no = it.doc_no;
    f.published = it.published;
    f.text = it.text;
    if (!it.laws.empty()) {
      for (const auto& l : it.laws) f.text += "\n" + l;
    }
    db.add_document(make_document(f));
    ++n;
  }
  for (const auto& l : c.lists) {
    int i = 0;
    for (const auto& r : l.items) {
      ++i;
      DocFields f;
      f.url = "/responsibilities/" + l.department + "/#item-" + std::to_string(i);
      f.id = f.url;
      f.title = r.name;
      f.section = "responsibilities";
      f.department_id = l.department;
      f.department = dept_name(l.department);
      f.published = l.updated;
      f.index_no = r.code;
      f.text = r.type + "\n" + r.basis + "\n" + r.subject + "\n" + r.office + "\n" + r.duties + "\n" + r.accountability + "\n" + r.supervision;
      db.add_document(make_document(f));
      ++n;
    }
  }
  db.commit();
  return n;
}

}  // namespace gongkai::gen
