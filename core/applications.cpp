#include "gongkai/applications.hpp"

namespace gongkai {

const std::vector<std::string>& applicant_types() {
  static const std::vector<std::string> v = {"自然人",       "商业企业",     "科研机构",
                                             "社会公益组织", "法律服务机构", "其他"};
  return v;
}

const std::vector<ReplyType>& reply_types() {
  static const std::vector<ReplyType> v = {
      {"予以公开", {}},
      {"部分公开", {}},
      {"不予公开",
       {"属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益",
        "属于三类内部事务信息", "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项"}},
      {"无法提供",
       {"本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"}},
      {"不予处理",
       {"信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请",
        "要求行政机关确认或重新出具已获取信息"}},
      {"其他处理",
       {"申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "其他"}},
  };
  return v;
}

}  // namespace gongkai
