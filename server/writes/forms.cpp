#include "forms.hpp"

#include <algorithm>
#include <regex>

#include "gongkai/datetime.hpp"
#include "gongkai/identifiers.hpp"
#include "gongkai/text.hpp"
#include "guard.hpp"

namespace gongkai::server::writes {
namespace {

bool in(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::size_t chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string raw(const Params& p, const std::string& name) {
  auto it = p.find(name);
  return it == p.end() ? std::string() : it->second;
}

// Text as typed, made safe: invalid UTF-8 and control characters (other than line breaks in a
// multiline field) are errors, not silently changed.
struct Reader {
  const Params& p;
  std::vector<FieldError>& errors;

  std::string text(const std::string& name, const std::string& label, std::size_t max_chars,
                   bool required, bool multiline = false) {
    std::string v = raw(p, name);
    if (!valid_utf8(v)) {
      errors.push_back({name, label + "含有无法识别的字符 (invalid UTF-8)"});
      return "";
    }
    // Line breaks as \n; other control characters are refused.
    v = replace_all(v, "\r\n", "\n");
    for (unsigned char c : v)
      if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || c == 0x7F) {
        errors.push_back({name, label + "含有控制字符 (control characters are not allowed)"});
        return "";
      }
    v = trim(v);
    if (required && v.empty()) errors.push_back({name, "请填写" + label});
    if (chars(v) > max_chars) {
      errors.push_back({name, label + "不能超过 " + std::to_string(max_chars) + " 个字（现有 " +
                                  std::to_string(chars(v)) + " 个）"});
    }
    return v;
  }

  std::string choice(const std::string& name, const std::string& label,
                     const std::vector<std::string>& choices, bool required) {
    const std::string v = trim(raw(p, name));
    if (v.empty()) {
      if (required) errors.push_back({name, "请选择" + label});
      return "";
    }
    if (!in(choices, v)) {
      errors.push_back({name, label + "的选项无效，请从列表中选择"});
      return "";
    }
    return v;
  }
};

}  // namespace

const std::vector<std::string>& id_types() {
  static const std::vector<std::string> v = {
      "居民身份证",           "护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证",
      "外国人永久居留身份证", "其他"};
  return v;
}
const std::vector<std::string>& info_forms() {
  static const std::vector<std::string> v = {"纸质", "电子文档", "光盘", "其他"};
  return v;
}
const std::vector<std::string>& delivery_ways() {
  static const std::vector<std::string> v = {"邮寄", "电子邮件", "当面领取", "网上获取"};
  return v;
}
const std::vector<std::string>& message_types() {
  static const std::vector<std::string> v = {"咨询", "建议", "投诉", "求助"};
  return v;
}
bool is_organisation(const std::string& t) { return !t.empty() && t != "自然人"; }

bool valid_phone(const std::string& s) {
  static const std::regex mobile(R"(^(\+?86[- ]?)?1[3-9][0-9]{9}$)");
  static const std::regex landline(R"(^(0[0-9]{2,3}[- ]?)?[2-9][0-9]{6,7}([- ]?[0-9]{1,6})?$)");
  return s.size() <= 24 && (std::regex_match(s, mobile) || std::regex_match(s, landline));
}

bool valid_email(const std::string& s) {
  static const std::regex email(R"(^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$)");
  return s.size() <= 254 && std::regex_match(s, email);
}

std::string field_text(const Params& p, const std::string& name) { return trim(raw(p, name)); }

ApplicationForm read_application(const Params& p) {
  ApplicationForm f;
  Reader r{p, f.errors};
  store::Application& a = f.application;
  a.applicant_type = r.choice("applicant_type", "申请人类型", applicant_types(), true);
  const bool org = is_organisation(a.applicant_type);
  a.name = r.text("name", org ? "名称" : "姓名", 100, true);
  if (!org) {
    a.id_type = r.choice("id_type", "证件类型", id_types(), true);
    a.id_number = r.text("id_number", "证件号码", 40, true);
    if (a.id_type == "居民身份证" && !a.id_number.empty() && !valid_resident_id(a.id_number))
      f.errors.push_back({"id_number", "居民身份证号码应为 18 位，且校验位正确"});
  } else {
    a.credit_code = r.text("credit_code", "统一社会信用代码", 18, true);
    if (!a.credit_code.empty() && !valid_credit_code(a.credit_code))
      f.errors.push_back({"credit_code", "统一社会信用代码应为 18 位，且校验位正确"});
    a.contact_person = r.text("contact_person", "联系人", 50, true);
  }
  a.phone = r.text("phone", "联系电话", 24, true);
  if (!a.phone.empty() && !valid_phone(a.phone))
    f.errors.push_back({"phone", "联系电话格式不正确（手机 11 位，或带区号的固定电话）"});
  a.email = r.text("email", "电子邮箱", 254, false);
  if (!a.email.empty() && !valid_email(a.email))
    f.errors.push_back({"email", "电子邮箱格式不正确"});
  a.address = r.text("address", "通信地址", 200, false);
  a.postcode = r.text("postcode", "邮政编码", 6, false);
  if (!a.postcode.empty() &&
      (a.postcode.size() != 6 || !std::all_of(a.postcode.begin(), a.postcode.end(), ::isdigit)))
    f.errors.push_back({"postcode", "邮政编码应为 6 位数字"});
  a.description = r.text("description", "所需政府信息的名称、文号或者便于查询的其他特征性描述",
                         4000, true, true);
  if (!a.description.empty() && chars(a.description) < 5)
    f.errors.push_back({"description", "请具体描述所需的政府信息（至少 5 个字）"});
  a.form = r.choice("form", "信息的提供形式", info_forms(), true);
  a.delivery = r.choice("delivery", "获取信息的方式", delivery_ways(), true);
  if (a.delivery == "邮寄" && a.address.empty())
    f.errors.push_back({"address", "选择邮寄时请填写通信地址"});
  if (a.delivery == "电子邮件" && a.email.empty())
    f.errors.push_back({"email", "选择电子邮件时请填写电子邮箱"});
  return f;
}

MessageForm read_message(const Params& p, const std::vector<std::string>& related_choices) {
  MessageForm f;
  Reader r{p, f.errors};
  store::Message& m = f.message;
  const std::string type = trim(raw(p, "type"));
  if (type == "举报" || type == "信访") {
    f.errors.push_back({"type", type == "举报"
                                    ? "举报请通过纪检监察举报网站（12388）或相关部门的举报渠道提交"
                                    : "信访事项请通过国家信访局网上信访平台或当地信访部门提交"});
  } else {
    m.type = r.choice("type", "留言类型", message_types(), true);
  }
  m.subject = r.text("subject", "标题", 60, true);
  m.body = r.text("body", "留言内容", 2000, true, true);
  if (!m.body.empty() && chars(m.body) < 5)
    f.errors.push_back({"body", "请具体写明留言内容（至少 5 个字）"});
  m.related = trim(raw(p, "related"));
  if (!m.related.empty() && !in(related_choices, m.related))
    f.errors.push_back({"related", "相关村（社区）或部门的选项无效，请从列表中选择"});
  m.name = r.text("name", "姓名", 50, true);
  m.phone = r.text("phone", "联系电话", 24, true);
  if (!m.phone.empty() && !valid_phone(m.phone))
    f.errors.push_back({"phone", "联系电话格式不正确（手机 11 位，或带区号的固定电话）"});
  m.email = r.text("email", "电子邮箱", 254, false);
  if (!m.email.empty() && !valid_email(m.email))
    f.errors.push_back({"email", "电子邮箱格式不正确"});
  const std::string consent = trim(raw(p, "consent_publish"));
  m.consent_publish = consent == "1" || consent == "on" || consent == "yes";
  return f;
}

ResponseForm read_response(const Params& p) {
  ResponseForm f;
  Reader r{p, f.errors};
  store::ConsultationResponse& c = f.response;
  c.body = r.text("body", "意见建议", 5000, true, true);
  if (!c.body.empty() && chars(c.body) < 2) f.errors.push_back({"body", "请写明您的意见建议"});
  c.name = r.text("name", "姓名或单位", 100, false);
  c.contact = r.text("contact", "联系方式", 100, false);
  return f;
}

bool honeypot_filled(const Params& p) { return !raw(p, k_honeypot_field).empty(); }

}  // namespace gongkai::server::writes
