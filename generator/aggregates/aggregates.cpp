#include "aggregates.hpp"

#include <algorithm>

#include "gongkai/datetime.hpp"
#include "store.hpp"

namespace gongkai::gen {

namespace {

int year_of(const std::string& date) {  // "YYYY-MM-DD"; 0 when empty or not a date
  return date.size() >= 4 ? std::atoi(date.substr(0, 4).c_str()) : 0;
}

template <class F>
auto reading(F f) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw DatabaseError(std::string("cannot read the database given with --database: ") + e.what() +
                        " (无法读取在线申请数据库，未发布)");
  }
}

}  // namespace

StoreAggregates::StoreAggregates(const std::string& url, std::string unit)
    : m_unit(std::move(unit)) {
  m_store = reading([&] { return store::Store::open(url); });
}

StoreAggregates::~StoreAggregates() = default;

ApplicationTable StoreAggregates::applications(int year) {
  if (auto it = m_years.find(year); it != m_years.end()) return it->second;
  return m_years[year] = reading([&] {
           const store::ApplicationYear y = m_store->application_year(m_unit, year);
           std::vector<ApplicationFacts> facts;
           auto add = [&](const store::Application& a, bool carried) {
             ApplicationFacts f;
             f.applicant_type = a.applicant_type;
             f.carried_over = carried;
             f.answered = !a.answered_date.empty() && year_of(a.answered_date) == year;
             if (f.answered) {
               f.reply_type = a.reply_type;
               f.reply_ground = a.reply_ground;
             } else if (a.status == "withdrawn") {
               // The day of its withdrawal: the event the console writes ("withdraw"; older
               // records say "withdrawn"), else its last change.
               std::int64_t at = a.updated_at;
               for (const store::Event& e : m_store->events(a.id))
                 if (e.action == "withdraw" || e.action == "withdrawn") at = e.at;
               f.withdrawn = DateTime::from_epoch(at).year() == year;
             }
             facts.push_back(std::move(f));
           };
           for (const auto& a : y.received_in_year) add(a, false);
           for (const auto& a : y.carried_over) add(a, true);
           return count_applications(facts);
         });
}

ResponseCounts StoreAggregates::responses(const std::string& consultation) {
  return reading([&] {
    ResponseCounts c;
    for (const store::ConsultationResponse& r : m_store->responses(m_unit, consultation)) {
      ++c.received;
      c.adopted += r.adopted.value_or(false);
    }
    return c;
  });
}

}  // namespace gongkai::gen
