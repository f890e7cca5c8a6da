// What the public writes in (docs/public-writes.md): 依申请公开 applications, 留言 and consultation
// responses, and the staff who handle them, behind one small interface with two backends:
// SQLite (embedded default, WAL mode) and PostgreSQL (libpq, for several web nodes sharing one
// database). Both run the same tests (tests/store/). Nothing here ever reaches the content
// repository, the static site or the search index: applicants' personal data stays in the database.
//
// Times are epoch seconds (UTC); dates are "YYYY-MM-DD" in China Standard Time. Every method is
// safe to call from many threads at once; a Store owns its own connections. Errors that are the
// caller's (a duplicate user, an unknown id) come back as std::nullopt / false; errors of the
// database itself throw StoreError, which the server turns into a 503, never a 500.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gongkai::store {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- 依申请公开 (条例 Art. 29 asks these) --------------------------------------------------------
struct Application {
  std::string id;        // receipt number, e.g. "YSQ-bangjun-2026-00017" (assigned by the store)
  std::string unit;      // the 公开主体's unit id
  std::string secret_hash;  // SHA-256 hex of the lookup secret (the caller hashes)
  // Applicant. applicant_type is one of the annual report's table 三 rows: "自然人", "商业企业",
  // "科研机构", "社会公益组织", "法律服务机构", "其他".
  std::string applicant_type;
  std::string name;         // 姓名 (自然人) or 名称 (organisation)
  std::string id_type;      // 身份证 / 护照 / ... (自然人)
  std::string id_number;    // 证件号码 (自然人)
  std::string credit_code;  // 统一社会信用代码 (organisation)
  std::string contact_person;  // organisation's contact
  std::string phone, email, address, postcode;
  std::string description;  // 所需政府信息的名称、文号或者便于查询的其他特征性描述
  std::string form;         // 纸质 / 电子文档 / ...
  std::string delivery;     // 邮寄 / 电子邮件 / 当面领取 / 网站下载
  std::int64_t submitted_at = 0;
  std::string source_address;  // the client's address (for abuse handling; never published)
  // Handling state: "submitted" (提交, not yet received), "received" (已受理), "correction"
  // (补正中, clock stopped), "extended" (已延期), "answered" (已答复), "withdrawn" (撤回).
  std::string status = "submitted";
  std::string received_date;  // 收到申请之日 (the clock's day 0); "" until known
  std::string due_date;       // 答复期限; "" until known
  bool extended = false;
  std::string reply_type;     // set with "answered": one of Art. 36's types (docs list them)
  std::string reply_ground;   // legal ground (不予公开 needs one)
  std::string reply_text;     // the answer as sent
  std::string answered_date;
  std::int64_t updated_at = 0;
};

// One step in an application's or message's history: what the lookup page shows (public_note)
// and what the audit log keeps (actor, detail).
struct Event {
  std::int64_t id = 0;
  std::string object_id;   // application or message id
  std::int64_t at = 0;
  std::string actor;       // "public", a staff username, or "system"
  std::string action;      // submitted / received / correction / corrected / extended / answered / ...
  std::string public_note; // shown to the applicant ("" for none)
  std::string detail;      // staff-only detail
};

// ---- 留言 (互动交流) -------------------------------------------------------------------------------
struct Message {
  std::string id;        // "LY-bangjun-2026-00003"
  std::string unit;
  std::string secret_hash;
  std::string type;      // 咨询 / 建议 / 投诉 / 求助
  std::string subject, body;
  std::string related;   // related village or department (its id or name)
  std::string name, phone, email;  // private, never published
  bool consent_publish = false;
  std::int64_t submitted_at = 0;
  std::string source_address;
  // "pending" 待审核, "accepted" 已受理, "rejected" 不予受理, "in_progress" 办理中, "answered" 已答复,
  // "closed" 办结
  std::string status = "pending";
  std::string reject_reason;    // 不予受理: the reason or where to go instead
  std::string department;       // assigned / answering department
  std::string complexity;       // "simple" | "complex" (sets the due date)
  std::string received_date, due_date;
  std::string answer, answered_date;
  std::string published_body;   // the masked message as published ("" until answered+consented)
  std::int64_t updated_at = 0;
};

// ---- 征求意见 responses ----------------------------------------------------------------------------
struct ConsultationResponse {
  std::int64_t id = 0;
  std::string unit;
  std::string consultation;  // the consultation's item id (its content path without .md)
  std::string name, contact; // optional, private
  std::string body;
  std::int64_t submitted_at = 0;
  std::string source_address;
  std::optional<bool> adopted;  // staff mark: 采纳 / 未采纳; nullopt until decided
};

// ---- staff --------------------------------------------------------------------------------------
struct StaffUser {
  std::string username;
  std::string unit;           // unit id, or "*" for a platform administrator (sees every unit)
  std::string display_name;
  std::string password_hash;  // an Argon2id encoded string (the caller hashes and verifies)
  int failed_logins = 0;
  std::int64_t locked_until = 0;
  bool disabled = false;
};

struct Session {
  std::string token_hash;  // SHA-256 hex of the cookie's token
  std::string username;
  std::string csrf;        // the session's CSRF token (plain; it is not a credential alone)
  std::int64_t created_at = 0, expires_at = 0;
};

struct AuditEntry {
  std::int64_t id = 0;
  std::int64_t at = 0;
  std::string actor, unit, action, object_id, detail;
};

// A file attached to an application or a message (the reply as sent): kept in the database, so
// every node serves it; handed to the applicant through the lookup page only.
struct Attachment {
  std::int64_t id = 0;
  std::string object_id;     // application or message id
  std::string name;          // file name as uploaded (shown, and offered on download)
  std::string content_type;  // as uploaded (informational: downloads are served as octet-stream)
  std::int64_t size = 0;
  std::string sha256;        // hex of the bytes
  std::int64_t created_at = 0;
  std::string actor;         // the staff username
  std::string data;          // the bytes; empty in lists (attachments())
};

struct ListQuery {
  std::string unit;    // "" or "*": every unit
  std::string status;  // "" for any
  int limit = 100, offset = 0;
};

// The annual report's table 三 as counted from the stored applications of one unit and year.
struct ApplicationYear {
  std::vector<Application> received_in_year;  // received_date in the year
  std::vector<Application> carried_over;      // received in an earlier year, not answered by 1 Jan
};

class Store {
 public:
  virtual ~Store() = default;
  // "sqlite:/path/to/file.db" (created if missing, WAL mode) or "postgresql://user@host:port/db"
  // (or any libpq conninfo after "postgresql:"). Runs the pending migrations. Throws StoreError.
  static std::unique_ptr<Store> open(const std::string& url);

  virtual std::string backend() const = 0;  // "sqlite" | "postgresql"
  virtual int schema_version() const = 0;   // the newest migration applied

  // Applications. create assigns id (per unit and year: YSQ-<unit>-<year>-<5 digits>), stores
  // the application and its "submitted" event in one transaction, and returns the id.
  virtual std::string create_application(Application a, const std::string& public_note) = 0;
  virtual std::optional<Application> application(const std::string& id) = 0;
  virtual std::vector<Application> applications(const ListQuery& q) = 0;
  // Writes every handling field of a (status, dates, reply...) and appends the event, in one
  // transaction; false when the id is unknown or its updated_at no longer matches expected_updated_at
  // (someone else changed it first).
  virtual bool update_application(const Application& a, std::int64_t expected_updated_at,
                                  const Event& e) = 0;
  virtual std::vector<Event> events(const std::string& object_id) = 0;
  virtual ApplicationYear application_year(const std::string& unit, int year) = 0;

  // 留言: the same shape (LY-<unit>-<year>-<5 digits>).
  virtual std::string create_message(Message m, const std::string& public_note) = 0;
  virtual std::optional<Message> message(const std::string& id) = 0;
  virtual std::vector<Message> messages(const ListQuery& q) = 0;
  virtual bool update_message(const Message& m, std::int64_t expected_updated_at, const Event& e) = 0;

  // Attachments (any bytes). add fills size, sha256 and created_at when 0; returns the id.
  virtual std::int64_t add_attachment(Attachment a) = 0;
  virtual std::vector<Attachment> attachments(const std::string& object_id) = 0;  // no data
  virtual std::optional<Attachment> attachment(std::int64_t id) = 0;              // with data

  // Consultation responses.
  virtual std::int64_t add_response(ConsultationResponse r) = 0;
  virtual std::vector<ConsultationResponse> responses(const std::string& unit,
                                                      const std::string& consultation) = 0;
  virtual bool set_response_adopted(std::int64_t id, std::optional<bool> adopted) = 0;

  // Staff and sessions.
  virtual bool add_user(const StaffUser& u) = 0;  // false: the username exists
  virtual bool update_user(const StaffUser& u) = 0;
  virtual std::optional<StaffUser> user(const std::string& username) = 0;
  virtual std::vector<StaffUser> users() = 0;
  virtual void add_session(const Session& s) = 0;
  virtual std::optional<Session> session(const std::string& token_hash, std::int64_t now) = 0;
  virtual void delete_session(const std::string& token_hash) = 0;
  virtual void delete_expired_sessions(std::int64_t now) = 0;

  // Audit log: append-only.
  virtual void audit(const AuditEntry& e) = 0;
  virtual std::vector<AuditEntry> audit_log(const std::string& unit, int limit) = 0;

  // Counts for tests and the load test: rows per table.
  virtual std::int64_t count(const std::string& table) = 0;
};

}  // namespace gongkai::store
