// What a build reads from the server's database (gongkai-build --database): aggregates only.
// Table 三 of the annual report, counted from the applications of a unit and year, and the
// number of responses each consultation received and adopted. This is the one layer that links
// the store (server/store): what leaves it are counts (ApplicationTable, ResponseCounts), never
// a name, a contact or a text anyone wrote, so nothing personal can reach the site, the search
// index, the memo or the caches.
#pragma once
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "statutory.hpp"

namespace gongkai::store {
class Store;
}

namespace gongkai::gen {

// The database could not be opened or read: the build stops (exit 2) and publishes nothing.
struct DatabaseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class StoreAggregates {
 public:
  // url: as Store::open takes it ("sqlite:/path", "postgresql://…"); unit: the unit id the
  // server files this site's applications under ("site" for a site of its own, else the
  // platform unit's id). Throws DatabaseError.
  StoreAggregates(const std::string& url, std::string unit);
  ~StoreAggregates();
  StoreAggregates(const StoreAggregates&) = delete;
  StoreAggregates& operator=(const StoreAggregates&) = delete;

  // Table 三 of a year (docs/statutory.md), read once per year. Throws DatabaseError.
  ApplicationTable applications(int year);
  // The responses to a consultation (its id: the item's URL without the site root, as
  // server/forms.json names it). Throws DatabaseError.
  ResponseCounts responses(const std::string& consultation);

  const std::string& unit() const { return m_unit; }

 private:
  std::unique_ptr<store::Store> m_store;
  std::string m_unit;
  std::map<int, ApplicationTable> m_years;
};

}  // namespace gongkai::gen
