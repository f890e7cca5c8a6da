// 政府信息公开申请 as the law and the annual report count them (国办公开办函〔2021〕30号, table 三):
// the applicant columns and the reply types (条例第三十六条) with their grounds. One list for the
// public form, the staff console and the generated report.
#pragma once
#include <string>
#include <vector>

namespace gongkai {

// 自然人, then 法人或者其他组织: 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他.
const std::vector<std::string>& applicant_types();

struct ReplyType {
  std::string name;
  std::vector<std::string> grounds;  // empty: no ground asked
};
// 予以公开, 部分公开, 不予公开 (8 grounds), 无法提供 (3), 不予处理 (5), 其他处理 (3).
const std::vector<ReplyType>& reply_types();

}  // namespace gongkai
