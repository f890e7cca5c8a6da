// gongkai-staff: the staff accounts of the console and its daily digest, over the database the
// server uses (docs/public-writes.md, "Staff console").
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gongkai/datetime.hpp"
#include "gongkai/workdays.hpp"
#include "handling.hpp"
#include "password.hpp"
#include "staff.hpp"
#include "store.hpp"

namespace {

const char* k_usage =
    "usage: gongkai-staff --database URL COMMAND ...\n"
    "  add USER --unit UNIT [--name NAME]   a member of staff of UNIT (\"*\": every unit); the\n"
    "                                       password is read from standard input (one line)\n"
    "  passwd USER                          a new password, from standard input\n"
    "  disable USER | enable USER           stops (or allows) logins; sessions end at once\n"
    "  unlock USER                          ends a lock after failed logins\n"
    "  list                                 every account: user, unit, state\n"
    "  digest [--now TIME] [--config FILE] [--sendmail PATH --to ADDR [--from ADDR]]\n"
    "                                       what is overdue or due within 5 working days, and\n"
    "                                       the calendar's missing year; printed, or mailed\n"
    "                                       through the local MTA's sendmail interface\n";

std::string read_password() {
  if (const char* v = std::getenv("GONGKAI_STAFF_PASSWORD")) return v;
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int fail(const std::string& m) {
  std::cerr << "gongkai-staff: " << m << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gongkai;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string database, unit, name, now_text, config, sendmail, to, from = "gongkai@localhost";
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto value = [&](const char* flag) {
      if (i + 1 >= args.size()) {
        std::cerr << "gongkai-staff: " << flag << " needs a value\n";
        std::exit(2);
      }
      return args[++i];
    };
    if (args[i] == "--database")
      database = value("--database");
    else if (args[i] == "--unit")
      unit = value("--unit");
    else if (args[i] == "--name")
      name = value("--name");
    else if (args[i] == "--now")
      now_text = value("--now");
    else if (args[i] == "--config")
      config = value("--config");
    else if (args[i] == "--sendmail")
      sendmail = value("--sendmail");
    else if (args[i] == "--to")
      to = value("--to");
    else if (args[i] == "--from")
      from = value("--from");
    else if (args[i] == "--help" || args[i] == "-h") {
      std::cout << k_usage;
      return 0;
    } else
      rest.push_back(args[i]);
  }
  if (database.empty() || rest.empty()) {
    std::cerr << k_usage;
    return 2;
  }
  try {
    auto db = store::Store::open(database);
    const std::string& cmd = rest[0];
    if (cmd == "add" || cmd == "passwd") {
      if (rest.size() != 2) return fail(cmd + " needs USER");
      const std::string user = rest[1];
      const std::string pw = read_password();
      if (const std::string p = server::staff::password_problem(pw); !p.empty()) return fail(p);
      if (cmd == "add") {
        if (unit.empty()) return fail("add needs --unit UNIT (or \"*\" for every unit)");
        if (user.empty() || user.size() > 64) return fail("a user name has 1 to 64 characters");
        store::StaffUser u;
        u.username = user;
        u.unit = unit;
        u.display_name = name;
        u.password_hash = server::staff::hash_password(pw);
        if (!db->add_user(u)) return fail("user " + user + " exists");
        std::cout << "added " << user << " (" << unit << ")\n";
      } else {
        auto u = db->user(user);
        if (!u) return fail("no user " + user);
        u->password_hash = server::staff::hash_password(pw);
        u->failed_logins = 0;
        u->locked_until = 0;
        db->update_user(*u);
        std::cout << "password of " << user << " changed\n";
      }
      return 0;
    }
    if (cmd == "disable" || cmd == "enable" || cmd == "unlock") {
      if (rest.size() != 2) return fail(cmd + " needs USER");
      auto u = db->user(rest[1]);
      if (!u) return fail("no user " + rest[1]);
      if (cmd == "unlock") {
        u->failed_logins = 0;
        u->locked_until = 0;
      } else {
        u->disabled = cmd == "disable";
      }
      db->update_user(*u);
      std::cout << rest[1] << ": " << cmd << "d\n";
      return 0;
    }
    if (cmd == "list") {
      for (const auto& u : db->users())
        std::cout << u.username << "\t" << u.unit << "\t" << (u.disabled ? "disabled" : "active")
                  << "\t" << u.display_name << "\n";
      return 0;
    }
    if (cmd == "digest") {
      std::int64_t now = std::time(nullptr);
      if (!now_text.empty()) {
        auto t = DateTime::parse(now_text);
        if (!t) return fail("--now " + now_text + " is not a date or date-time");
        now = t->epoch;
      }
      const auto rules = server::staff::load_staff_config(config).messages;
      std::map<std::string, std::vector<std::string>> by_unit;
      store::ListQuery q;
      q.limit = 100000;
      for (const auto& a : db->applications(q)) {
        if (a.status == "answered" || a.status == "withdrawn" || a.status == "correction") continue;
        const std::string f = server::staff::deadline_flag(a.due_date, now);
        if (!f.empty())
          by_unit[a.unit].push_back((f == "overdue" ? "已超期  " : "即将到期 ") + a.id +
                                    " 依申请公开 答复期限 " + a.due_date);
      }
      for (const auto& m : db->messages(q)) {
        if (m.status == "answered" || m.status == "closed" || m.status == "rejected") continue;
        std::string f = server::staff::age_flag(m, now, rules);
        if (f.empty()) f = server::staff::deadline_flag(m.due_date, now);
        if (!f.empty())
          by_unit[m.unit].push_back((f == "overdue" || f == "error" ? "已超期  " : "即将到期 ") +
                                    m.id + " 留言 " + m.subject +
                                    (m.due_date.empty() ? "" : " 期限 " + m.due_date));
      }
      std::string body;
      for (const auto& [u, lines] : by_unit) {
        body += "【" + u + "】\n";
        for (const auto& l : lines) body += "  " + l + "\n";
      }
      if (auto y = workdays::missing_next_year(workdays::Date::of(DateTime::from_epoch(now))))
        body += "\n" + workdays::missing_year_message(*y) + "\n";
      if (body.empty()) body = "没有即将到期或已超期的事项。\n";
      const std::string subject = "政务公开待办提醒 " + DateTime::from_epoch(now).date();
      if (sendmail.empty()) {
        std::cout << subject << "\n\n" << body;
        return 0;
      }
      if (to.empty()) return fail("--sendmail needs --to ADDR");
      // The sendmail interface every MTA offers: headers and body on stdin, recipients from them.
      std::string encoded(4 * ((subject.size() + 2) / 3) + 1, '\0');
      encoded.resize(static_cast<std::size_t>(
          EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                          reinterpret_cast<const unsigned char*>(subject.data()),
                          static_cast<int>(subject.size()))));
      const std::string message = "From: " + from + "\nTo: " + to + "\nSubject: =?UTF-8?B?" +
                                  encoded +
                                  "?=\nMIME-Version: 1.0\nContent-Type: text/plain; "
                                  "charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" +
                                  body;
      int fds[2];
      if (::pipe(fds) != 0) return fail("pipe failed");
      const pid_t pid = ::fork();
      if (pid == 0) {
        ::dup2(fds[0], 0);
        ::close(fds[0]);
        ::close(fds[1]);
        ::execl(sendmail.c_str(), sendmail.c_str(), "-t", "-i", static_cast<char*>(nullptr));
        std::_Exit(127);
      }
      ::close(fds[0]);
      std::size_t off = 0;
      while (off < message.size()) {
        const ssize_t n = ::write(fds[1], message.data() + off, message.size() - off);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      ::close(fds[1]);
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fail(sendmail + " failed (exit " + std::to_string(WEXITSTATUS(status)) + ")");
      std::cout << "digest mailed to " << to << "\n";
      return 0;
    }
    return fail("unknown command " + cmd + "\n" + k_usage);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
