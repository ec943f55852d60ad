# 枫桥 `fengqiao` 命令行给人看的文字（简体中文）。每个键也在 en.ftl 中（有测试检查）。
# 线上枚举和 --json 保持英文标识符；这里只用于表格和文字。

category-wage_arrears = 拖欠工资
category-land = 土地
category-housing_property = 房产物业
category-neighbour = 邻里
category-marriage_family = 婚姻家庭
category-labour = 劳动
category-environment = 环境
category-public_service = 公共服务
category-law_related = 涉法涉诉
category-other = 其他

outcome-resolved_on_the_spot = 当场化解
outcome-mediating = 调解中
outcome-registered = 已立案
outcome-referred_up = 上报

tier-district = 区
tier-township = 乡镇街道
tier-community = 社区村
tier-group = 村民组楼栋

status-registered = 已登记
status-not_accepted = 不予受理
status-accepted = 已受理
status-assigned = 已交办
status-in_progress = 办理中
status-resolved = 已化解
status-closed = 已销号
status-under_review = 复查中

weekday-mon = 周一
weekday-tue = 周二
weekday-wed = 周三
weekday-thu = 周四
weekday-fri = 周五
weekday-sat = 周六
weekday-sun = 周日

heading-date = 日期
heading-unit = 单位
heading-name = 名称
heading-revision = 版本
heading-zero = 零报告
heading-disputes = 矛盾纠纷
heading-on-time = 按时
heading-accepted = 接收时间
heading-case = 案件
heading-status = 状态
heading-owner = 承办单位
heading-category = 类别
heading-channel = 来源
heading-registered = 登记日期
heading-due = 期限
heading-days-overdue = 超期天数
heading-leader = 包案领导
heading-repeat = 重复
heading-tier = 层级
heading-reporting = 报告
heading-open = 启用
heading-closed = 撤销
heading-served-by = 服务节点

word-reports = 报告
word-always = 一直
word-this-node = 本节点
word-yes = 是
word-late = 迟报
