// gongkai-store-tool: writes and reads a store from the shell, for tests/store/backup_test.sh
// and quick measurements. Not installed.
//   gongkai-store-tool URL seed N [UNIT]     N applications and N messages (2026-03-02), timed
//   gongkai-store-tool URL count TABLE       rows in TABLE
//   gongkai-store-tool URL status ID         an application's or message's status
//   gongkai-store-tool URL set-status ID S   sets an application's status (one event more)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "store.hpp"

using namespace gongkai::store;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: gongkai-store-tool URL seed N [UNIT] | count TABLE | status ID | "
                 "set-status ID STATUS\n";
    return 2;
  }
  try {
    auto store = Store::open(argv[1]);
    std::string cmd = argv[2];
    if (cmd == "seed" && argc >= 4) {
      int n = std::atoi(argv[3]);
      std::string unit = argc >= 5 ? argv[4] : "bangjun";
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < n; ++i) {
        Application a;
        a.unit = unit;
        a.applicant_type = "自然人";
        a.name = "申请人 " + std::to_string(i) + " '; DROP TABLE applications; --";
        a.description = "所需信息 " + std::to_string(i);
        a.submitted_at = 1772416800 + i;  // 2026-03-02 10:00 +08:00
        store->create_application(a, "已提交");
        Message m;
        m.unit = unit;
        m.type = "咨询";
        m.subject = "留言 " + std::to_string(i);
        m.body = "内容 😀";
        m.submitted_at = 1772416800 + i;
        store->create_message(m, "");
      }
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("%s: %d applications + %d messages in %.2f s (%.0f submissions/s)\n",
                  store->backend().c_str(), n, n, s, s > 0 ? 2 * n / s : 0.0);
    } else if (cmd == "count" && argc >= 4) {
      std::printf("%lld\n", static_cast<long long>(store->count(argv[3])));
    } else if (cmd == "status" && argc >= 4) {
      if (auto a = store->application(argv[3]))
        std::printf("%s\n", a->status.c_str());
      else if (auto m = store->message(argv[3]))
        std::printf("%s\n", m->status.c_str());
      else
        return std::fprintf(stderr, "no %s\n", argv[3]), 1;
    } else if (cmd == "set-status" && argc >= 5) {
      auto a = store->application(argv[3]);
      if (!a) return std::fprintf(stderr, "no %s\n", argv[3]), 1;
      std::int64_t expected = a->updated_at;
      a->status = argv[4];
      Event e;
      e.actor = "tool";
      e.action = argv[4];
      if (!store->update_application(*a, expected, e)) return 1;
    } else {
      std::cerr << "gongkai-store-tool: unknown command " << cmd << "\n";
      return 2;
    }
  } catch (const StoreError& e) {
    std::cerr << "gongkai-store-tool: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
