#include "memo.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "gongkai/fs.hpp"
#include "gongkai/parallel.hpp"
#include "gongkai/hash.hpp"

namespace gongkai::gen {

namespace fs = std::filesystem;

namespace {

// The format's version is in the magic (and so in the key), the schema (the shape of every field
// below) follows it in the header: a memo of another version or schema is ignored.
constexpr std::string_view k_magic = "gongkai-item-memo-4\n";
constexpr std::size_t k_checksum_size = 64;  // an entry's SHA-256 (hex) follows it

// One description of every field serves both directions (Writer and Reader below). A field
// added to a struct and forgotten here would make reused items lose it: schema_problems()
// compares each fields() with the struct's own member count, and a memo is neither read nor
// written while they disagree.

template <class A>
void fields(A& a, DateTime& d) {
  a(d.epoch);
  a(d.offset_minutes);
  a(d.has_time);
}
template <class A>
void fields(A& a, Withdrawal& w) {
  a(w.date);
  a(w.reason);
}
template <class A>
void fields(A& a, Penalty& p) {
  a(p.procedure);
  a(p.count);
  a(p.fine);
  a(p.confiscated);
  a(p.decided);
  a(p.withdrawn);
}
template <class A>
void fields(A& a, Decision& d) {
  a(d.type);
  a(d.count);
  a(d.decided);
}
template <class A>
void fields(A& a, ConsultationResult& r) {
  a(r.published);
  a(r.summary);
}
template <class A>
void fields(A& a, Attachment& x) {
  a(x.source);
  a(x.url);
  a(x.name);
  a(x.size);
}
template <class A>
void fields(A& a, Diagnostic& d) {
  a(d.path);
  a(d.line);
  a(d.column);
  a(d.severity);
  a(d.message);
}
template <class A>
void fields(A& a, FileStamp& s) {
  a(s.size);
  a(s.mtime_ns);
  a(s.ctime_ns);
  a(s.ino);
  a(s.dev);
}
// A field the build changes after loading is written as the loader made it (see write_entry).
template <class A, class T>
void loaded(A& a, T& field, const T& as_loaded) {
  if constexpr (A::writes) {
    a(a.as_loaded ? as_loaded : field);
  } else {
    a(field);
  }
}

template <class A>
void fields(A& a, Item& it) {
  a(it.section);
  a(it.source);
  a(it.url);
  a(it.slug);
  a(it.title);
  a(it.department);
  a(it.category);
  a(it.published);
  a(it.has_published);
  a(it.written);
  a(it.doc_no);
  loaded(a, it.index_no, a.as_loaded ? a.as_loaded->loaded_index_no : it.index_no);
  a(it.validity);
  a(it.tags);
  a(it.summary);
  a(it.draft);
  loaded(a, it.scheduled, false);
  a(it.repealed);
  a(it.penalty);
  a(it.decision);
  a(it.privacy_allow);
  a(it.privacy_reason);
  a(it.laws);
  a(it.villages);
  a(it.display_from);
  a(it.display_until);
  a(it.led);
  a(it.priority);
  a(it.broadcast);
  a(it.opens);
  a(it.closes);
  a(it.respond);
  a(it.result);
  a(it.weight);
  a(it.menu);
  a(it.body_line);
  if (!a.skip_bodies) {
    a(it.markdown);
    a(it.html);
    a(it.text);
  }
  loaded(a, it.attachments, {});
}
template <class A>
void fields(A& a, ItemRecord& r) {
  a(r.stamp);
  a(r.load_diags);
  a(r.markdown_done);
  a(r.summary_generated);
  a(r.markdown_diags);
  a(r.links);
  a(r.linked_targets);
  a(r.privacy_done);
  a(r.privacy_diags);
  a(r.loaded_index_no);
}

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

// ---- The schema

}  // namespace

// Outside the anonymous namespace: Any's conversion is declared, never defined (it is only named
// in a requires-expression), which clang reports for a function of internal linkage.
namespace member_counting {
// The number of members of an aggregate T: the most initialisers T{...} takes (as Boost.PFR
// counts). `Any` converts to every member type but T itself and std::optional (whose converting
// constructor would make the conversion ambiguous; optional<X> is made from Any through X).
template <class Self>
struct Any {
  template <class U, class = std::enable_if_t<!std::is_same_v<std::decay_t<U>, Self> &&
                                              !is_optional<std::decay_t<U>>::value>>
  operator U() const;
};
template <class T, std::size_t... I>
constexpr bool takes(std::index_sequence<I...>) {
  return requires { T{(void(I), Any<T>{})...}; };
}
template <class T, std::size_t N = 0>
constexpr std::size_t member_count() {
  if constexpr (takes<T>(std::make_index_sequence<N + 1>{}))
    return member_count<T, N + 1>();
  else
    return N;
}

}  // namespace member_counting

namespace {
using member_counting::member_count;

// Walks fields(): the address of each field listed (a member listed twice, or missed, shows) and
// its shape, which is the memo's schema.
class Shape {
 public:
  static constexpr bool writes = false;
  static constexpr bool skip_bodies = false;
  static constexpr const ItemRecord* as_loaded = nullptr;
  std::string out;
  std::vector<const void*> seen;
  template <class T>
  void operator()(T& v) {
    seen.push_back(&v);
    out += tag<T>();
  }
  template <class T>
  static std::string tag() {
    if constexpr (std::is_same_v<T, std::string>) {
      return "s";
    } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      return "n" + std::to_string(sizeof(T));
    } else if constexpr (is_vector<T>::value) {
      return "v(" + tag<typename T::value_type>() + ")";
    } else if constexpr (is_optional<T>::value) {
      return "o(" + tag<typename T::value_type>() + ")";
    } else if constexpr (is_pair<T>::value) {
      return "p(" + tag<typename T::first_type>() + tag<typename T::second_type>() + ")";
    } else {
      T x{};
      Shape s;
      fields(s, x);
      return "{" + s.out + "}";
    }
  }
};

// What is wrong between a struct and its fields(): empty when they agree. `not_kept` members
// are deliberately left out of the memo.
template <class T>
std::string schema_problem(const char* name, std::size_t not_kept = 0) {
  T x{};
  Shape s;
  fields(s, x);
  std::vector<const void*> distinct = s.seen;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const std::size_t members = member_count<T>();
  if (distinct.size() != s.seen.size())
    return std::string("memo.cpp: fields(") + name + ") lists a member twice";
  if (s.seen.size() + not_kept != members)
    return std::string("memo.cpp: fields(") + name + ") lists " + std::to_string(s.seen.size()) +
           " members and leaves out " + std::to_string(not_kept) + ", but " + name + " has " +
           std::to_string(members) + ": add the new member to fields()";
  return {};
}

class Writer {
 public:
  static constexpr bool writes = true;
  std::string out;
  bool skip_bodies = false;
  const ItemRecord* as_loaded = nullptr;  // write the item as the loader made it
  template <class T>
  void operator()(const T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      size(v.size());
      out.append(v);
    } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      char buf[sizeof(T)];
      std::memcpy(buf, &v, sizeof(T));
      out.append(buf, sizeof(T));
    } else if constexpr (is_vector<T>::value) {
      size(v.size());
      for (const auto& x : v) (*this)(x);
    } else if constexpr (is_optional<T>::value) {
      (*this)(v.has_value());
      if (v) (*this)(*v);
    } else if constexpr (is_pair<T>::value) {
      (*this)(v.first);
      (*this)(v.second);
    } else {
      fields(*this, const_cast<T&>(v));
    }
  }
  void size(std::size_t n) { (*this)(static_cast<std::uint64_t>(n)); }
};

class Reader {
 public:
  static constexpr bool writes = false;
  static constexpr bool skip_bodies = false;
  static constexpr const ItemRecord* as_loaded = nullptr;
  explicit Reader(std::string_view in) : m_in(in) {}
  template <class T>
  void operator()(T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      const std::size_t n = size();
      v.assign(take(n), n);
    } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      std::memcpy(&v, take(sizeof(T)), sizeof(T));
    } else if constexpr (is_vector<T>::value) {
      const std::size_t n = size();
      v.clear();
      v.resize(n);
      for (auto& x : v) (*this)(x);
    } else if constexpr (is_optional<T>::value) {
      bool has = false;
      (*this)(has);
      if (has) {
        v.emplace();
        (*this)(*v);
      } else {
        v.reset();
      }
    } else if constexpr (is_pair<T>::value) {
      (*this)(v.first);
      (*this)(v.second);
    } else {
      fields(*this, v);
    }
  }
  std::size_t size() {
    std::uint64_t n = 0;
    (*this)(n);
    if (n > m_in.size() - m_pos) throw std::runtime_error("truncated memo");
    return static_cast<std::size_t>(n);
  }
  bool done() const { return m_pos == m_in.size(); }
  std::string_view take_view(std::size_t n) { return {take(n), n}; }

 private:
  const char* take(std::size_t n) {
    if (n > m_in.size() - m_pos) throw std::runtime_error("truncated memo");
    const char* p = m_in.data() + m_pos;
    m_pos += n;
    return p;
  }
  std::string_view m_in;
  std::size_t m_pos = 0;
};

// The memo's schema: the shape of an entry, as fields() describes it. Throws while a struct and
// its fields() disagree (see schema_problem), so that no build reads or writes a memo that would
// lose a field.
const std::string& schema() {
  static const std::string s = [] {
    const auto problems = memo_schema_problems();
    if (!problems.empty()) throw std::logic_error(problems.front());
    return Shape::tag<Item>() + Shape::tag<ItemRecord>();
  }();
  return s;
}

std::uint64_t ns(const struct timespec& t) {
  return static_cast<std::uint64_t>(t.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(t.tv_nsec);
}

}  // namespace

std::vector<std::string> memo_schema_problems() {
  std::vector<std::string> out;
  // ItemRecord's from_memo and updated describe this build, not the file.
  for (std::string p :
       {schema_problem<Item>("Item"), schema_problem<ItemRecord>("ItemRecord", 2),
        schema_problem<DateTime>("DateTime"), schema_problem<Withdrawal>("Withdrawal"),
        schema_problem<Penalty>("Penalty"), schema_problem<Decision>("Decision"),
        schema_problem<ConsultationResult>("ConsultationResult"),
        schema_problem<Attachment>("Attachment"), schema_problem<Diagnostic>("Diagnostic"),
        schema_problem<FileStamp>("FileStamp")})
    if (!p.empty()) out.push_back(std::move(p));
  return out;
}

FileStamp stamp_of(const fs::path& file) {
  struct stat st {};
  FileStamp s;
  if (::stat(file.c_str(), &st) != 0) return s;
  s.size = static_cast<std::uint64_t>(st.st_size);
  s.mtime_ns = ns(st.st_mtim);
  s.ctime_ns = ns(st.st_ctim);
  s.ino = static_cast<std::uint64_t>(st.st_ino);
  s.dev = static_cast<std::uint64_t>(st.st_dev);
  return s;
}

std::string Memo::key_for(const fs::path& content_dir, const std::string& display_prefix) {
  Sha256 h;
  h.update(k_magic);
  // The generator itself: any other build of it (new code, new defaults) starts afresh.
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const FileStamp self = ec ? FileStamp{} : stamp_of(exe);
  h.update(exe.string() + "\n" + std::to_string(self.size) + "/" + std::to_string(self.mtime_ns) +
           "/" + std::to_string(self.ino) + "\n");
  h.update(fs::absolute(content_dir).lexically_normal().string() + "\n" + display_prefix + "\n");
  try {
    h.update(
        read_file(content_dir /
                  "site.toml"));  // items are checked against the site's departments, categories…
  } catch (const std::exception&) {
    h.update("no site.toml");
  }
  return h.hex();
}

// The file: a header (magic, key), then entries, each an item and its record behind its length
// and followed by its SHA-256. A build appends the entries it worked out again; a later entry for
// the same file wins. When over half the entries are stale, or the key changed, or the file is
// damaged, the memo is written afresh (to a temporary file renamed over it).
//
// A crash or power cut may leave the file cut short, an append torn, or blocks of zeros where
// data was not yet written back: the first entry whose length or checksum does not hold ends
// the memo (the entries after it are worked out again), so a damaged memo costs time, never
// wrong pages.
Memo Memo::load(const fs::path& file, const std::string& key, int threads) {
  Memo m;
  // Mapped, not read, and parsed on both cores: the memo of a large site is as large as its
  // pages' text, and fresh memory is slow to touch on a VM whose host has taken back the pages.
  std::optional<MappedFile> mapped;
  try {
    mapped.emplace(file);
  } catch (const std::exception&) {
    return m;
  }
  try {
    Reader r(mapped->view());
    std::string magic, shape, k;
    r(magic);
    if (magic != k_magic) return m;
    r(shape);
    r(k);
    if (shape != schema() || k != key) return m;
    m.m_valid = true;
    std::vector<std::pair<std::string_view, std::string_view>> payloads;  // entry, its checksum
    try {
      while (!r.done()) {
        const std::string_view payload = r.take_view(r.size());
        payloads.emplace_back(payload, r.take_view(k_checksum_size));
      }
    } catch (const std::exception&) {
      m.m_damaged = true;  // an entry cut short by a crash ends the memo
    }
    // Parsed on both cores: the time goes into the memory the items take, not into reading.
    std::vector<MemoEntry> entries(payloads.size());
    std::vector<char> ok(payloads.size(), 0);
    parallel_for(payloads.size(), threads, [&](std::size_t i, std::size_t) {
      try {
        if (sha256_hex(payloads[i].first) != payloads[i].second) return;  // torn, or zeros
        Reader er(payloads[i].first);
        er(entries[i].item);
        er(entries[i].record);
        ok[i] = er.done();
      } catch (const std::exception&) {
      }
    });
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (!ok[i]) {  // a damaged entry ends the memo
        m.m_damaged = true;
        break;
      }
      ++m.m_file_entries;
      std::string source = entries[i].item.source;
      m.m_entries.insert_or_assign(std::move(source), std::move(entries[i]));
    }
  } catch (const std::exception&) {
  }
  return m;
}

namespace {

void write_entry(Writer& w, const Item& it, const ItemRecord& r) {
  // Written as the loader made it: build-time fields (generated index numbers, schedules,
  // attachments) are left out, and the item itself is not touched (the index may be reading it).
  Writer e;
  e.as_loaded = &r;
  e(it);
  e.as_loaded = nullptr;
  e(r);
  w.size(e.out.size());
  w.out.append(e.out);
  w.out.append(sha256_hex(e.out));
}

}  // namespace

void Memo::save(const fs::path& file, const std::string& key, const Content& content,
                const std::vector<ItemRecord>& records) {
  auto known = [](const ItemRecord& r) { return r.stamp.size || r.stamp.ino; };
  std::size_t live = 0, fresh = 0;
  for (std::size_t i = 0; i < content.items.size() && i < records.size(); ++i) {
    if (!known(records[i])) continue;
    ++live;
    fresh += !records[i].from_memo || records[i].updated;
  }
  const bool append = m_valid && !m_damaged && (m_file_entries + fresh) <= 2 * live + 16;
  if (append && fresh == 0) return;
  // Streamed to the file in pieces: the memo of a large site is as large as its pages' text.
  fs::create_directories(file.parent_path());
  const fs::path target = append ? file : fs::path(file.string() + ".tmp");
  if (!append) fs::remove(target);
  Writer w;
  if (!append) {
    w(std::string(k_magic));
    w(schema());
    w(key);
  }
  for (std::size_t i = 0; i < content.items.size() && i < records.size(); ++i) {
    const ItemRecord& r = records[i];
    if (!known(r) || (append && r.from_memo && !r.updated)) continue;
    write_entry(w, content.items[i], r);
    if (w.out.size() > (4u << 20)) {
      append_file(target, w.out);
      w.out.clear();
    }
  }
  append_file(target, w.out);
  if (!append) fs::rename(target, file);
}

std::string item_inputs_key(const Item& item, const ItemRecord& record) {
  Writer w;
  w.skip_bodies = true;
  w(item);
  w(record.stamp);
  w(record.links);
  w(record.markdown_done);
  // A body that is not the file's alone (annual-report tables, counted from other items and
  // from the server's database) is an input of its pages itself.
  if (!record.markdown_done) w(item.html);
  return sha256_hex(w.out);
}

MemoEntry* Memo::find(const std::string& source, const FileStamp& stamp) {
  auto it = m_entries.find(source);
  if (it == m_entries.end() || !(it->second.record.stamp == stamp) || !stamp.ino) return nullptr;
  return &it->second;
}

}  // namespace gongkai::gen
