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
outcome-mediating = 化解中
outcome-registered = 已登记
outcome-referred_up = 上报

tier-nation = 全国
tier-province = 省
tier-city = 市
tier-district = 区
tier-township = 镇(街道)
tier-community = 村(社区)
tier-group = 村民小组/楼栋

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
heading-due = 办理期限
heading-days-overdue = 逾期天数
heading-leader = 责任领导
heading-repeat = 重复信访
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
word-overdue = 逾期
word-not-applicable = 不适用
list-separator = 、

heading-rank = 排名
heading-score = 得分
heading-complete = 完成率
heading-timely = 及时率
heading-resolved = 化解率
heading-accepted-on-time = 按时受理
heading-closed-on-time = 按期销号
heading-no-repeat = 无重复信访
heading-satisfied = 满意率
heading-missing = 缺报
heading-cases = 案件
heading-overdue = 逾期
heading-last-sync = 最近同步 / 到达
heading-component = 考核项
heading-part = 分子
heading-whole = 分母
heading-value = 数值
heading-weight = 权重
heading-parent = 上级单位
heading-after-cutoff = 超过截止
heading-week = 周次
heading-received-of-expected = 已报 / 应报
heading-completeness = 完成率
heading-timeliness = 及时率
heading-zero-share = 零报告占比

component-completeness = 完成率
component-timeliness = 及时率
component-dispute_resolution = 化解率
component-on_time_acceptance = 按时受理率
component-on_time_closure = 按期销号率
component-repeat_petitions = 重复信访
component-satisfaction = 满意率

## summary
summary-range-period = { $from } 至 { $to }
summary-range-week = 第 { $week } 周，{ $from } 至 { $to }
summary-nothing-due = 尚无到期的日报告
summary-counted-through = 统计至 { $date }
summary-header = { $name }（{ $unit }）：{ $range }，{ $through }
summary-computed = 计算于 { $at }（{ $zone }）；下级单位数据已到达 { $percent }
summary-expected = 应报
summary-received = 已报
summary-received-value = { $count }（完成率 { $percent }）
summary-on-time = 按时
summary-on-time-value = { $count }（及时率 { $percent }）
summary-late = 迟报
summary-missing = 缺报
summary-zero-reports = 零报告
summary-zero-value = { $count }（占已报 { $percent }）
summary-disputes = 矛盾纠纷
summary-disputes-value = { $count } 件（当事人 { $parties } 人）
summary-resolved-on-the-spot = 当场化解率
summary-by-category = 按类别
summary-wage-arrears = 拖欠工资
summary-wage-value = { $disputes } 件，当场化解 { $resolved } 件，涉及劳动者 { $workers } 人
summary-wage-amounts = 诉求金额 ¥{ $claimed }，追回 ¥{ $recovered }，涉及用人单位 { $employers } 家
summary-cases = 案件
summary-cases-value = 登记 { $registered } 件（重复信访 { $repeat } 件），受理 { $accepted } 件（按时 { $accepted_on_time } 件），上报 { $escalated } 件，交办下级 { $assigned } 件
summary-cases-closed = 销号 { $closed } 件（按期 { $on_time }），期末逾期 { $overdue } 件；满意率 { $satisfaction }，{ $visits } 次来访一次化解率 { $one_visit }
summary-cases-provisional = 案件数据截至 { $at }：时段尚未结束，数据仍可能变化
summary-cases-final = 案件数据截至 { $at }（{ $to } 结束时）：各案件当时的状态
summary-no-children = 此时段内其下没有单位
summary-scorecard-intro = 按排名的考核表（责任追究）：先看完成率，再看得分，即适用考核项的加权平均
summary-scorecard-weights = （不适用：无可考核内容，不计入）；权重：{ $weights }
summary-here = （本节点 { $spans }）
place-header = { $name }（{ $unit }）：在 { $parent } 的考核表中排名第 { $rank }，共 { $rows } 个单位
place-complete = 完整：无缺报
place-incomplete = 有缺报
place-score = 得分 { $score }（适用考核项的加权平均；不适用：无可考核内容，不计入）；{ $complete }
freshness-served-here = 本节点服务
freshness-never = 从未
freshness-arrived = 已到达
freshness-not-yet = 未到达

## missing, trend, export
missing-due = 单位 { $unit } { $date }：应报 { $expected }，已报 { $received }（按时 { $on_time }，迟报 { $late }），缺报 { $missing }；截止时间为 { $cutoff }
missing-not-due = 单位 { $unit } { $date }：尚未到截止时间 { $cutoff }；目前已报 { $received }/{ $expected }，未报 { $missing }
missing-list = 缺报：
missing-outstanding-list = 未报：
missing-late-list = 迟报：
missing-directly-under = { $unit } 直属
missing-group = { $group }：缺报 { $count }
trend-header = 单位 { $unit }，{ $from } 至 { $to }（未到期的周显示 -）
export-stdout = 标准输出
export-written = { $unit } 辖区 { $from } 至 { $to } 的 { $count } 份日报告已写入 { $target }
export-count-changed = 注意：导出开始时节点统计为 { $count } 份报告（期间有报告到达或更改）

## reports, status, notices, health, report and zero
count-units = { $count } 个单位
reports-footer = { $unit } { $name } 辖区 { $from } 至 { $to } 共 { $count } 份日报告
status-node-of-unit = 本节点单位
status-node-of-unit-value = { $unit } { $name }（{ $count } 个单位）
status-parent = 上级节点
status-no-parent = 无（根节点）
status-outbox = 待上报队列
status-outbox-value = { $count } 项，最早 { $oldest }
status-last-forwarded = 最近上报
status-last-error = 最近错误
status-commit-queue = 提交队列
status-downlink-cursor = 下行游标
status-reporting-since = 报告起始日期
status-no-start-date = 无起始日期
status-set-aside = 搁置
status-set-aside-value = 上级拒收 { $count } 项（未上报；最新的在前）
heading-kind = 类型
heading-unit-or-case = 单位或案件
heading-set-aside-at = 搁置时间
heading-parents-reason = 上级的理由
set-aside-report = 日报告
set-aside-case_event = 案件事件
notice-issued = 通知 { $notice } 已下发至单位 { $unit }
notice-line = { $at }  来自 { $from }  [{ $notice }]  { $text }
notices-footer = 单位 { $unit } 共 { $count } 条通知
health-the-node = 节点
word-on-time = 按时
report-kind-daily = 日报告
report-kind-zero = 零报告
disposition-new = 新报告
disposition-duplicate = 重复（已存储，未作更改）
disposition-correction = 更正
disposition-unspecified = 未说明
report-accepted = { $kind }已接收：单位 { $unit }，日期 { $date }，版本 { $revision } — { $disposition }，{ $timing }

## errors: the command's own framing and next steps (causes from the node stay as sent)
error-prefix = 错误
error-node-answered = 节点答复 { $code }：{ $message }
error-server-not-a-url = --server { $server } 不是网址（应如 https://127.0.0.1:7400，--insecure 节点用 http://）
error-plaintext-with-certificates = { $server } 的节点为明文（http://），但给出了证书（--ca/--cert/--key 或 FENGQIAO_CA/FENGQIAO_CERT/FENGQIAO_KEY）：请不带证书访问（env -u FENGQIAO_CA -u FENGQIAO_CERT -u FENGQIAO_KEY fengqiao …），或对提供 TLS 的节点使用 https://
error-tls-needs-certificates = { $server } 的节点通过 TLS（https://）访问，需要部署 CA、本人证书和私钥：{ $ca }、{ $cert } 和 { $key }；明文（--insecure）节点请用 http://
error-node-is-plaintext = { $server } 的节点不使用 TLS：它提供明文服务（以 --insecure 启动）；请不带证书访问 { $plain }（env -u FENGQIAO_CA -u FENGQIAO_CERT -u FENGQIAO_KEY fengqiao …）
error-node-speaks-tls = { $server } 的节点使用 TLS：请改用 { $tls }，并提供部署 CA、本人证书和私钥（{ $ca }、{ $cert }、{ $key }）
error-connection-refused = 无法连接 { $server } 的节点：{ $cause }：节点是否在运行？--server（或 FENGQIAO_SERVER）是否为其地址？
error-cannot-reach = 无法连接 { $server } 的节点
error-no-answer-within = { $server } 在 { $seconds } 秒内未答复
error-health-not-serving = { $what }状态为 { $status }

## cases
count-cases = { $count } 件案件
count-reports = { $count } 份日报告
error-case-moved-on = { $refusal }；案件已有新进展，请重新查看（`fengqiao case show`）后再试
event-line = 事件 { $sequence }（{ $on }，单位 { $unit }，{ $actor }）：{ $kind }
event-note = ；备注：{ $note }
case-standing = 案件 { $case }：状态 { $status } · 承办单位 { $owner } · 办理期限 { $deadline }
case-standing-due = {" "}· 下一步期限 { $due }
case-standing-overdue = {" "}· 逾期 { $days } 天
case-standing-elsewhere = {" "}· 现由服务 { $owner } 的节点记录
case-registered = 已登记案件 { $case }，登记单位 { $unit }（{ $channel }，{ $category }）；受理期限 { $accept_by }
case-registered-before = 案件 { $case } 此前已以相同内容登记；未作更改
case-repeat-petition = 重复信访：{ $repeat }
case-no-petitioner = （无信访人信息：未提供，或案件不在本节点）
case-events-footer = 共 { $count } 个事件；最新为 { $newest }
case-list-footer = { $unit } 辖区共 { $count } 件案件
case-list-more = （前 { $limit } 件；要看更多请调大 --limit）
heading-seq = 序号
heading-actor = 办理人
heading-event = 事件
heading-details = 详情
heading-note = 备注
heading-day = 星期
heading-leader-on-duty = 值班领导
field-case = 案件
field-status = 状态
field-owner = 承办单位
field-owner-held-here = （由本节点保存）
field-owner-held-elsewhere = （由其他节点保存）
field-origin = 登记单位
field-channel = 来源
field-category = 类别
field-summary = 事由
field-from-report = 来自日报告
field-petitioner-ref = 信访人编号
field-petitioner = 信访人
field-workers = 涉及劳动者
field-amount-claimed = 诉求金额
field-repeat-of = 重复信访
field-registered = 登记时间
field-accept-by = 受理期限
field-accepted-on = 受理日期
field-not-accepted = 不予受理理由
field-deadline = 办理期限
field-deadline-extended = { $deadline }（已延期）
field-next-step-due = 下一步期限
field-days-overdue = 逾期天数
field-leader = 责任领导
field-responsible = 责任人
field-plan = 化解方案
field-resolution = 化解结果
field-recovered = 追回金额
field-resolved-on = 化解日期
field-satisfaction = 满意度
field-closed-on = 销号日期
field-review-by = 复查期限
field-reviews = 复查次数
field-escalations = 上报次数
field-assigned-down = 交办下级次数
field-reopened = 重新办理次数
field-supervision = 督办
field-sequence = 事件序号
field-updated = 更新时间
supervision-not-answered = 未答复
supervision-replied = { $on } 已答复
supervision-text = { $supervision }，来自 { $from }，{ $kind }，答复期限 { $reply_by }，收到 { $received }，{ $answered }
repeat-of = 重复 { $cases }
repeat-since = 自 { $since }
detail-registered = 来源 { $channel }，受理期限 { $accept_by }
detail-from-report = ，来自日报告 { $source }
detail-repeat-of = ，重复 { $cases }
detail-deadline = 办理期限 { $deadline }
detail-reason = 理由：{ $reason }
detail-assigned = 责任领导 { $leader }，责任人 { $responsible }，办理期限 { $deadline }；方案：{ $plan }
detail-extended = 延期 { $days } 天至 { $deadline }；理由：{ $reason }
detail-escalated = 上报至 { $unit }；理由：{ $reason }
detail-assigned-down = 交办至 { $unit }，办理期限 { $deadline }
detail-recovered = ，追回 { $amount } 元
detail-resolved = { $timing }；化解结果：{ $resolution }
detail-reopened = 办理期限 { $deadline }；理由：{ $reason }
detail-review-requested = 由 { $unit } 复查，复查期限 { $review_by }；理由：{ $reason }
detail-reviewed = { $decision }，新办理期限 { $deadline }
detail-supervised = { $supervision }，来自 { $from }，{ $kind }，答复期限 { $reply_by }
detail-issued-by = ，签发人 { $sender }
detail-supervision-replied = 答复 { $supervision }
detail-repeat-found = 重复 { $cases }（{ $days } 天内信访人编号和类别相同，自 { $since }）
roster-set-day = 单位 { $unit } { $date } 值班领导：{ $leader }（已保存 { $stored } 天）
roster-set-range = 单位 { $unit } { $from } 至 { $to } 值班领导：{ $leader }（已保存 { $stored } 天）
roster-footer = 单位 { $unit } { $from } 至 { $to }：{ $days } 天中 { $unset } 天无值班领导
visit-answered = 当场答复
visit-registered = 登记办理
visit-recorded = 单位 { $unit } 来访{ $how }：案件 { $case }
visit-no-leader = 值班领导：{ $date } 无排班
visit-leader = 值班领导：{ $leader }
supervise-issued = 督办 { $supervision }（{ $kind }）已就案件 { $case } 下发至单位 { $unit }；答复期限 { $reply_by }
drill-nothing = 无
drill-cases-and-reports = { $cases } 件案件和 { $reports } 份日报告
drill-footer = 单位 { $unit } { $from } 至 { $to } 的 { $figure } 对应：{ $what }
drill-missing-footer = 单位 { $unit } { $from } 至 { $to } 缺报 { $count } 份日报告

channel-report = 日报告
channel-visit = 来访
channel-letter = 来信
channel-phone = 来电
channel-online = 网上信访
satisfaction-satisfied = 满意
satisfaction-dissatisfied = 不满意
satisfaction-unreachable = 无法联系
supervision-document = 发函督办
supervision-interview = 约谈督办
supervision-on_site = 现场督办
supervision-joint = 联合督办
review-upheld = 维持
review-overturned = 撤销重办
event-unknown = 未知
event-registered = 登记
event-accepted = 受理
event-not_accepted = 不予受理
event-assigned = 交办
event-progress = 进展
event-extended = 延期
event-escalated = 上报
event-assigned_down = 交办下级
event-resolved = 化解
event-closed = 销号
event-reopened = 重新办理
event-review_requested = 申请复查
event-reviewed = 复查
event-supervised = 督办
event-supervision_replied = 督办答复
event-repeat_found = 发现重复信访
role-reporter = 信息员
role-officer = 干事
role-leader = 领导
role-admin = 管理员
role-auditor = 审计员

## units, audit
units-node = 节点 { $node }
units-matching = 匹配 { $text } 的单位 { $count } 个
units-every-level = 全部层级
units-depth = 深度 { $depth }
units-footer = { $unit } { $name } 辖区：{ $summary }（{ $depth }）
audit-no-head = 无（日志为空）
audit-verified = 审计日志校验通过：{ $count } 条，末条 { $head }
audit-anchor-found = 日志中找到锚点 { $anchor }
audit-does-not-verify = 审计日志校验未通过：{ $broken }
audit-empty = 审计日志为空

## demo: the figures a leader reads
heading-blank = {""}
heading-expected = 应报
heading-received = 已报
heading-phase = 阶段
heading-seconds = 秒
heading-township = 镇(街道)
heading-cases-registered = 登记
heading-cases-closed = 销号
heading-on-time-closure = 按期销号率
heading-repeat-rate = 重复信访率
demo-all-days = 全部日期
demo-by-day = { $name }（{ $unit }）：按日统计的日报告（区节点所存）
demo-by-township = 按镇(街道)统计，{ $from } 至 { $to }
demo-corrections = { $count } 份报告有更正（版本 > 1）；零报告计为已报，不计为缺报
demo-total = 合计
demo-phases = 演示各阶段：
demo-cases-by-township = 按镇(街道)统计（同一汇总的考核表；排名 责任追究：先看完成率，再看加权得分）：

## next steps the command adds to an error
hint-start-postgresql = PostgreSQL 是否在运行并监听 { $host }:{ $port }？请启动它，或改正 database.url
hint-createdb = 请先创建数据库：createdb -h { $host } -p { $port } -U { $user } { $database }
error-to-before-from = --to { $to } 早于 --from { $from }
error-week-or-range = 请给出 --week 或 --from/--to，不能同时给出

# Errors in what was asked (flags and values)
error-note-progress = --note 须写明取得了什么进展
error-reason-or-decide = 请给出 --reason（申请复核）或 --decide（作出复核决定）之一
error-note-reply = --note 须写明答复中做了什么
error-from-report-channel = --from-report 按“日报告”渠道登记，不能是{ $channel }
error-flag-required = 缺少 { $flag }
error-date-or-range = 请给出 --date，或 --from 和 --to
error-leader-required = --leader 须写明值班领导
error-flag-before = { $to_flag } { $to } 早于 { $from_flag } { $from }
error-range-too-long = { $from_flag } { $from } 至 { $to_flag } { $to } 超过 { $days } 天
error-unknown-outcome = 未知的化解结果 { $name }；可选：{ $names }
error-dispute-not-key-value = --dispute { $spec }：{ $pair } 不是 key=value 形式
error-expected-whole-number = { $key }={ $value }：应为整数
error-dispute-backslash = --dispute { $spec }：反斜杠只能转义逗号（\,）或反斜杠（\\）
error-cannot-write-output = 无法写出结果：{ $error }
error-no-summary = 节点的答复中没有汇总
error-verify-no-database = { $path } 不存在（verify 只打开已有的数据库）
error-verify-unit-not-in-tree = 数据库中的单位 { $unit } 不在 { $path } 中
error-verify-no-tree = 数据库中没有单位树；请用 --tree FILE 指定
error-verify-summary-node = { $unit } 是汇总边界以上的节点:其汇总来自下级节点上报的状态,不是本地报告之和;请在保存原始报告的区级节点上校验
error-verify-differences = 重建汇总后仍有 { $count } 处差异
error-no-such-unit = 节点上没有单位 { $unit }

# Who acted (case events)
actor-person = { $unit } { $role } { $id }
actor-named = { $who }（{ $name }）
actor-node = 节点 { $unit }（{ $task }）
actor-unverified = { $text }（未经验证）
actor-insecure-operator = 本机操作员（未经验证，非加密模式）
actor-on-behalf = { $who } 代 { $principal }
node-task-auto_escalation = 自动提级
node-task-repeat_detection = 重复信访识别
node-task-supervision = 督办

# Refusals from a node: the node sends a code (google.rpc.ErrorInfo.reason,
# domain "fengqiao") and the values its sentence names; the key is
# `refusal-` and the code in lower case with dashes. A value named status,
# action, category, outcome, tier or role arrives as an identifier and is
# shown through its own name (`status-accepted`, `action-assign`, …). A code
# this file lacks is shown in the node's English.
refusal-field = { $field }：{ $reason }
role-node = 节点
action-accept = 受理
action-decline = 不予受理
action-assign = 交办
action-progress = 记录进展
action-extend = 延期
action-escalate = 上报
action-assign_down = 交办下级
action-resolve = 化解
action-close = 销号
action-reopen = 重新办理
action-request_review = 申请复查
action-decide_review = 作出复查决定
action-supervise = 督办
action-reply_supervision = 答复督办
action-flag_repeat = 标记重复信访
code-cancelled = 已取消
code-unknown = 未知错误
code-invalid_argument = 参数无效
code-deadline_exceeded = 超时
code-not_found = 未找到
code-already_exists = 已存在
code-permission_denied = 无权操作
code-resource_exhausted = 资源耗尽
code-failed_precondition = 前提条件不满足
code-aborted = 已中止（并发冲突）
code-out_of_range = 超出范围
code-unimplemented = 未实现
code-internal = 内部错误
code-unavailable = 暂不可用
code-data_loss = 数据丢失
code-unauthenticated = 未认证

# crates/core/src/error.rs
refusal-first-revision-not-one = 该单位该日期尚无已存储的报告，不能接收第 { $submitted } 版：首个版本应为第 1 版
refusal-revision-conflict = 第 { $revision } 版已存储，且内容不同；如需更正，请以更高的版本提交
refusal-stale-revision = 第 { $submitted } 版早于已存储的第 { $current } 版

# crates/core/src/actor.rs
refusal-actor-not-caller = { $field } 须为调用者本人的人员编号或留空：办理人取自客户端证书（{ $identity }）；如需记录他人作出的决定，请在 on_behalf_of 中写明其人
refusal-must-be-at-most-characters = 不能超过 { $max } 个字符
refusal-must-not-be-empty = 不能为空
refusal-must-not-contain-control-characters = 不能包含控制字符
refusal-names-caller-leave-on-behalf-empty = 填写的是调用者本人：以本人身份办理时，请将 on_behalf_of 留空
refusal-node-does-not-act-as-person = 节点（{ $identity }）不能以个人身份办理

# crates/core/src/assessment.rs
refusal-at-least-one-weight-must-be = 至少须有一项权重大于 0
refusal-must-be-at-most = 不能超过 { $max }

# crates/core/src/authz.rs
refusal-caller-s-unit-not-in-tree = 调用者所在单位 { $unit } 不在本节点（本节点单位 { $home }）的单位树中：请访问本单位所在层级的节点
refusal-for-child-nodes-not-one = { $rpc } 仅供 { $home } 的下级节点调用，{ $unit } 不是其下级节点
refusal-may-not-call = { $role }无权调用 { $rpc }
refusal-needs-target-unit = { $rpc } 须指定目标单位
refusal-outside-scope = { $role }（{ $unit }）只能对{ $scope ->
        [own] 本单位
        [below] 本单位以下的单位
       *[subtree] 本单位及其下级单位
    }调用 { $rpc }；{ $target_unit }{ $relation ->
        [own] 是本单位
        [below] 在其下级
        [above] 在其上级
       *[outside] 不在其范围内
    }
refusal-unit-not-in-tree-this-node = { $rpc }：单位“{ $target_unit }”不在本节点（本节点单位 { $home }）的单位树中

# crates/core/src/case.rs
refusal-after-today = { $date } 晚于今天（{ $today }）
refusal-review-needs-dissatisfaction = 案件 { $id } 无法{ $action }：案件当前为{ $status }，且未记录信访人不满意
refusal-cannot-escalate-case-at-which-has = 无法上报案件 { $id }：案件当前为{ $status }，承办单位 { $owner_unit } 已无上级
refusal-cannot-extend-case-was-already-extended = 无法延期案件 { $id }：案件当前为{ $status }，且已延期过一次
refusal-cannot-request-review-case-at-which = 无法申请复查案件 { $id }：案件当前为{ $status }，承办单位 { $owner_unit } 已无上级
refusal-cannot-request-review-case-was-already = 无法申请复查案件 { $id }：案件当前为{ $status }，已复查 { $reviews } 次
refusal-case-action-not-allowed = 案件 { $id } 无法{ $action }：案件当前为{ $status }
refusal-case-already-records-every-repeat-link = 案件 { $id } 已记录所发现的全部重复信访关联
refusal-case-already-registered = 案件 { $id } 已登记
refusal-case-does-not-repeat-itself = 案件不能与自身构成重复信访
refusal-case-has-at-least-one-event = 案件至少有一个事件
refusal-case-has-been-overdue-since-here = 案件 { $id } 在本级的办理期限 { $deadline } 已过，已逾期；请延期或上报
refusal-case-has-no-supervision = 案件 { $id } 没有督办 { $supervision_id }
refusal-case-must-first-be-accepted = 案件 { $id } 无法{ $action }：案件当前为{ $status }；须先受理（`fengqiao case accept { $id }`）
refusal-case-must-first-be-accepted-and-assigned = 案件 { $id } 无法{ $action }：案件当前为{ $status }；须先受理（`fengqiao case accept { $id }`），再确定责任领导和化解方案予以交办（`fengqiao case assign { $id } --leader ID --responsible NAME --plan TEXT`）
refusal-case-must-first-be-assigned = 案件 { $id } 无法{ $action }：案件当前为{ $status }；须先确定责任领导和化解方案予以交办（`fengqiao case assign { $id } --leader ID --responsible NAME --plan TEXT`）
refusal-case-must-first-be-closed = 案件 { $id } 无法{ $action }：案件当前为{ $status }；须先销号（`fengqiao case close { $id } …`）
refusal-case-s-first-event-registration = 案件的第一个事件须为登记
refusal-case-was-already-extended = 案件 { $id } 已延期过
refusal-check-digit-resident-identity-number-wrong = 居民身份证号码的校验码有误
refusal-deadline-falls-past-end-calendar = 办理期限超出了可表示的日期范围
refusal-event-1-must-be-registration = 第 1 个事件须为登记
refusal-event-applied = { $case_id } 的事件被用于案件 { $id }
refusal-event-cannot-follow-case = 事件 { $seq }（{ $event }）不能接续：案件 { $id } 当前为{ $status }
refusal-event-does-not-follow = 案件 { $id } 已到第 { $seq } 个事件；事件 { $event } 不能接续
refusal-in-the-future = { $at } 是将来的时间：本节点时钟为 { $now }，允许误差 { $skew } 秒
refusal-must-be-64-lower-case-hex = 须为 64 位小写十六进制数字（HMAC-SHA256）
refusal-must-be-6-32-letters-digits = 须为 6 至 32 位字母和数字
refusal-must-be-at-least-1 = 不能小于 1
refusal-must-be-at-most-32-digits = 不能超过 32 个字符，且只能包含数字、空格和 + - ( )
refusal-must-be-between-1 = 须在 1 至 { $max_extension_days } 之间
refusal-must-be-between-1-366 = 须在 1 至 366 之间
refusal-must-lie-between-today-case-s = 须在今天（{ $on }）至案件办理期限 { $limit } 之间；如需更长时间，请为案件延期
refusal-must-say-what-progress-was-made = 须写明取得了什么进展
refusal-names-at-least-one-case = 须至少指明一件案件
refusal-only-case-channel-report-names-dispute = 只有来源为日报告的案件才能指明纠纷
refusal-overturned-review-sets-new-deadline-upheld = 复查决定为撤销重办时须设定新的办理期限；维持时不设
refusal-registration-event-1 = 登记须为第 1 个事件
refusal-reply-must-say-what-was-done = 答复须写明做了什么
refusal-supervision-already-recorded-on-case = 督办 { $supervision_id } 已记录在案件 { $id } 上
refusal-supervision-on-case-was-already-answered = 案件 { $id } 的督办 { $supervision_id } 已答复
refusal-too-large = 数值过大
refusal-unit-not-below-case-s-owner = 单位 { $to } 不是案件承办单位 { $owner_unit } 的下级单位

# crates/core/src/identity.rs
refusal-must-be-node-person = 须为 { $scheme }node/{"{"}unit{"}"} 或 { $scheme }person/{"{"}unit{"}"}/{"{"}role{"}"}/{"{"}person{"}"}
refusal-must-start-with = 须以 { $scheme } 开头
refusal-person-id-may-hold-only-letters = 人员编号只能包含字母、数字、'-'、'_' 和 '.'
refusal-person-id-must-be-1-characters = 人员编号须为 1–{ $max } 个字符
refusal-unknown-role-expected-reporter-officer-leader = 未知角色“{ $role }”：应为 reporter（信息员）、officer（干事）、leader（领导）、admin（管理员）或 auditor（审计员）

# crates/core/src/report.rs
refusal-after-accepted-at = { $first_accepted_at } 晚于 accepted_at { $accepted_at }
refusal-appears-twice-in-report = 在报告中出现了两次
refusal-at-most-disputes-per-report = 每份报告最多 { $max } 件纠纷
refusal-before-began-no-report-accepted-before = { $first_accepted_at } 早于 { $date } 的开始时间（{ $day_began }）：报告不能在所报日期之前接收
refusal-before-reporting-started-on-reporting-start = { $date } 早于报告起始日期 { $start }（reporting.start_date）
refusal-correction-revision-1-needs-reason = 更正（版本 > 1）须写明理由
refusal-differs-from-accepted-at-revision-1 = { $first_accepted_at } 与第 1 版的 accepted_at { $accepted_at } 不同，而第 1 版即为首次接收：属倒签
refusal-may-hold-only-printable-ascii-without = 只能包含可打印的 ASCII 字符，不能有空格
refusal-must-be-at-most-fen = 不能超过 { $max } 分
refusal-must-not-be-negative = 不能为负数
refusal-must-not-exceed-amount-claimed-cents = 不能超过 amount_claimed_cents
refusal-only-dispute-registered-as-case-names = 只有已登记为案件的纠纷才能填写案件编号
refusal-only-for-wage-arrears-disputes = 仅适用于拖欠工资纠纷
refusal-report-without-disputes-must-be-sent = 没有纠纷的报告须作为零报告报送
refusal-required-for-wage-arrears-dispute = 拖欠工资纠纷必须填写此项
refusal-revision-1-not-correction-leave-empty = 第 1 版不是更正；请留空
refusal-stored-disputes-unreadable = 已存储的纠纷无法读取：{ $error }
refusal-unit-closed-after-before = 单位 { $unit } 在 { $to } 之后已撤销，早于 { $date }
refusal-unit-does-not-file-daily-reports = 单位 { $unit } 不报送日报告
refusal-unit-opened-on-after = 单位 { $unit } 于 { $from } 启用，晚于 { $date }
refusal-zero-report-carries-no-disputes = 零报告不能包含纠纷

# crates/core/src/screen.rs
refusal-must-not-hold-personal-data-found = 不能包含个人信息，发现：{ $found }；信访人的个人情况只能填写在案件的信访人字段中

# crates/core/src/time.rs
refusal-must-not-be-empty-expected-yyyy = 不能为空（应为 YYYY-MM-DD）
refusal-not-date-expected-yyyy-mm-dd = “{ $value }”不是日期（应为 YYYY-MM-DD）
refusal-not-iana-time-zone = “{ $zone }”不是 IANA 时区
refusal-not-iso-week-expected-e-g = “{ $value }”不是 ISO 周（应如 2026-W48）
refusal-not-time-expected-hh-mm = “{ $cutoff }”不是时间（应为 HH:MM）

# crates/core/src/unit.rs
refusal-before-active-from = { $to } 早于 active_from { $from }
refusal-expected-parent-yyyy-mm-dd = “{ $entry }”：应为 PARENT@YYYY-MM-DD
refusal-has-no-root-unit-without-parent = 没有根单位（即没有上级单位的单位）
refusal-may-hold-only-letters-digits = 只能包含字母、数字、'-'、'_' 和 '.'
refusal-must-be-1-characters = 须为 1 至 { $max } 个字符
refusal-must-be-district-township-community-group = 须为 district（区）、township（镇(街道)）、community（村(社区)）或 group（村民小组/楼栋）
refusal-must-be-in-date-order-one = 须按日期顺序排列，每天最多一次隶属调整
refusal-must-be-true-false = 须为 true 或 false
refusal-some-units-are-not-connected-root = 部分单位未与根单位相连
refusal-tree-row-unreadable = { $error }
refusal-two-roots = 有两个根单位：{ $unit } 和 { $other }
refusal-unit-appears-twice = 单位 { $unit } 出现了两次
refusal-unit-cannot-have-sat-under = 单位 { $unit } 不可能曾隶属于 { $from_parent }
refusal-unit-cannot-sit-under = 单位 { $unit }（{ $tier }）不能隶属于 { $parent }（{ $parent_tier }）
refusal-unit-moved-from-which-not-in = 单位 { $unit } 原隶属于 { $from_parent }，但该单位不在单位树中
refusal-unit-names-parent-which-not-in = 单位 { $unit } 的上级单位 { $parent_id } 不在单位树中

# crates/node/src/authz.rs
refusal-node-pushes-only-as-itself = 节点只能以自身名义推送：{ $unit } 不能以“{ $sender }”的名义推送

# crates/node/src/caller.rs
refusal-caller-not-identified = 无法识别调用者：请出示客户端证书

# crates/node/src/cases.rs
refusal-at-most-per-request = 每次请求最多 { $max } 个
refusal-case-already-registered-with-other-content = 案件 { $id } 已以不同的内容登记
refusal-case-at-event-not-reload-decide = 案件 { $id } 已到第 { $seq } 个事件，而不是第 { $expected_sequence } 个：请重新查看后再作决定
refusal-case-held-above = 案件 { $case } 当前为{ $status }，承办单位 { $owner } 由上级节点保存；请到该节点办理
refusal-case-held-below = 案件 { $case } 当前为{ $status }，承办单位 { $owner } 由单位 { $node_unit } 的节点保存；请到该节点办理
refusal-case-not-in-this-node-s = 案件 { $id } 不在本节点的台账中
refusal-case-owned-by-unit-supervision-goes = 案件 { $id } 当前为{ $status }，承办单位为 { $owner }：只能督办 { $home } 以下单位承办的案件
refusal-computed-by-node-from-petitioner-id = 由节点根据 petitioner.id_number 计算；请留空
refusal-dispute-unit-on-not-registered-as = 单位 { $source_unit } { $date } 的纠纷“{ $local_id }”为{ $outcome }，未登记为案件
refusal-event-was-not-stored = 事件未存储
refusal-must-be-on-after-from-date = 不能早于 from_date，且最多 { $max } 天
refusal-must-be-set = 必须填写
refusal-must-name-dispute = 须指明纠纷
refusal-must-not-be-in-past = 不能是过去的日期
refusal-not-in-subtree-origin-unit = { $source_unit } 不在登记单位 { $origin } 的辖区内
refusal-not-token-this-node-gave-out = 不是本节点发出的令牌
refusal-no-report-unit-for-stored-here = 本节点未存储单位 { $source_unit } { $date } 的报告
refusal-report-unit-for-has-no-dispute = 单位 { $source_unit } { $date } 的报告中没有纠纷“{ $local_id }”

# crates/node/src/downlink.rs
refusal-beyond-newest-event-was-this-parent = { $after } 超出了最新事件 { $head }；上级节点的数据库是否被替换过？
refusal-parent-does-not-list-as-child = 上级节点未将 { $home } 列为下级节点：{ $message }
refusal-parent-url-unusable = { $error }
refusal-unit-not-child-node = 单位“{ $unit }”不是 { $home_unit } 的下级节点

# crates/node/src/figures.rs
refusal-no-scorecard-this-node-ranks-unit = 本节点没有对单位 { $unit } { $from } 至 { $to } 进行排名的考核排名：在本节点它没有上级单位
refusal-unit-has-no-row-in-scorecard = 单位 { $unit } 在 { $parent } { $from } 至 { $to } 的考核排名中没有记录：该时段内其隶属于 { $parent } 的日期均未到期
refusal-unit-not-served-by-this-node = 单位 { $unit } 不由本节点服务
refusal-unit-ranked-in-scorecard-which-this = 单位 { $unit } 列入 { $parent } 的考核排名，本节点不保存该考核排名：请向服务 { $parent } 的节点查询
refusal-unknown-figure = “{ $figure }”不在以下指标之列：{ $figures }

# crates/node/src/lib.rs
refusal-home-unit-not-in-unit-tree = 本节点单位 { $home_unit } 不在单位树中
refusal-not-unit-below = { $unit } 不是 { $home } 以下的单位
refusal-tree-rooted-elsewhere = 根单位为 { $root }，而不是 { $home }

# crates/node/src/limits.rs
refusal-overloaded-in-flight = 节点负载过高（正在处理 { $calls } 个调用）：请稍后重试
refusal-rate-limited = 该调用者已超过每秒 { $rate } 次调用的频率限制：请在 { $wait_ms } 毫秒后重试

# crates/node/src/node_status.rs
refusal-at-most = 最多 { $max }
refusal-notice-goes-unit-below-this-node = 通知只能下发至本节点以下的单位
refusal-not-token-this-service-issued = 不是本服务签发的令牌

# crates/node/src/reconcile.rs
refusal-ask-for-reports-case-events-both = 请选择查询报告、案件事件或两者
refusal-must-be-sender-s-unit = 须为发送方的单位
refusal-must-be-total-week-day = 须为 TOTAL、WEEK 或 DAY
refusal-must-not-be-before-from-date = 不能早于 from_date
refusal-name-child-nodes = 请指明下级节点，或使用 all_children 或 with_parent
refusal-node-has-no-parent-reconcile-with = 节点 { $home_unit } 没有可供核对的上级节点
refusal-not-child-node = { $unit } 不是 { $home_unit } 的下级节点
refusal-not-token-this-node-gave = 不是本节点发出的令牌
refusal-no-child-nodes = 本节点没有下级节点

# crates/node/src/reporting.rs
refusal-at-most-days-per-query = 每次查询最多 { $max } 天
refusal-before-from-date = { $to } 早于 from_date { $from }
refusal-no-report-from-unit = 没有单位 { $unit } { $date } 的报告
refusal-no-revision-of-report = 单位 { $unit } { $date } 的报告没有第 { $revision } 版

# crates/node/src/status.rs
refusal-database-unavailable = 数据库不可用；未作任何更改，请稍后重试
refusal-delegated = 单位 { $unit } 由单位 { $node_unit } 的节点服务；请向该节点提交
refusal-internal-storage-error = 内部存储错误；未作任何更改，请稍后重试
refusal-overloaded = 节点负载过高；请稍后重试，并逐步延长重试间隔
refusal-personal-data-unreadable = { $error }；请检查节点的个人信息密钥
refusal-shutting-down = 节点正在关闭；请稍后重试

# crates/node/src/summary.rs
refusal-at-most-weeks = 最多 { $max } 周
refusal-before-first-day = { $to } 早于第一天 { $from }
refusal-before-from-week = { $to } 早于 from_week { $from }
refusal-range-spans-at-most-days = 时间范围最多 { $max } 天

# crates/node/src/tls.rs
refusal-no-client-certificate = 未出示客户端证书
refusal-certificate-refused = 客户端证书被拒绝：{ $reason }

# crates/node/src/uplink.rs
refusal-at-most-items-per-batch = 每批最多 { $max } 项
refusal-case-was-written-by-unit-which = { $path }：案件 { $case_id } 由单位 { $unit } 写入，该单位不在发送方 { $sender } 的辖区内
refusal-unit-not-in-subtree-sender = { $path }：单位 { $unit } 不在发送方 { $sender } 的辖区内

# crates/proto/src/case.rs
refusal-repeat-link-names-at-least-one = 重复信访关联须至少指明一件此前的案件
refusal-set-on-case-without-resolved-on = 案件没有 resolved_on，不能设置此项

# crates/proto/src/enums.rs
refusal-unknown-value = 未知的值 { $value }

# crates/proto/src/reconcile.rs
refusal-at-most-2000-characters = 最多 2000 个字符
refusal-at-most-64-bytes = 最多 64 字节
refusal-at-most-conflicts = 最多 { $max_reported_conflicts } 处冲突
refusal-must-be-32-bytes-not = 须为 32 字节，而不是 { $len } 字节
refusal-unknown-kind = 未知的类型 { $kind }
refusal-unknown-trigger = 未知的触发方式 { $value }

# crates/proto/src/report.rs
refusal-at-most-disputes-per-report-got = 每份报告最多 { $max } 件纠纷，收到 { $len } 件

# crates/proto/src/scalars.rs
refusal-nanos-outside-0-999999999 = nanos { $nanos } 超出 0..=999999999 的范围
refusal-seconds-out-range = seconds { $seconds } 超出范围

# crates/store/src/cases.rs
refusal-event-case-stored-with-other-content = 案件 { $case_id } 的事件 { $seq } 已以不同的内容存储

# crates/store/src/plan.rs
refusal-earlier-than-first-acceptance-held-here = { $claimed } 早于本节点所存 { $unit }@{ $date } 的首次接收时间（{ $first_accepted_at }）：属倒签

# crates/proto/src/codec.rs
refusal-request-does-not-decode = 请求无法解码：{ $reason }

## The web dashboard (crates/node/src/web)
web-product = 枫桥·矛盾纠纷排查化解
web-skip-to-content = 跳到正文
web-account = 账户
web-logout = 退出
web-language-name = 中文
web-back-home = 返回首页
web-held-below-title = 明细保存在下级节点
web-held-below = 本级只汇总下级数据：明细保存在{ $nodes }。
web-held-below-node = { $name }（{ $unit }）的节点
web-held-below-no-node = 下级节点
web-held-below-figures = 查看本单位的汇总数字
web-refused-title = 无法显示
web-login-refused-title = 登录链接无效
web-login-used = 此登录链接已经用过。每个链接只能用一次：请在节点主机上用 fengqiao web link 重新生成。
web-login-expired = 此登录链接已过期。请在节点主机上用 fengqiao web link 重新生成。
web-login-unknown = 此登录链接不存在（可能抄错了，或属于另一个节点）。
web-login-title = 登录
web-login-explain = 请打开在本节点主机上生成的登录链接（15 分钟内有效，只能用一次）：
web-login-certificate = 已在浏览器中安装本部署证书的人员，通过 HTTPS 打开本页即可直接登录。
web-csrf-refused = 表单缺少有效的防伪令牌（CSRF），未做任何更改。请重新打开页面后再提交。
web-not-found-title = 页面不存在
web-not-found = 没有这个页面。
web-breadcrumb = 所在层级
web-week-switch = 切换周
web-previous-week = ‹ 上一周
web-next-week = 下一周 ›
web-week-range = { $week } 周（{ $from } 至 { $to }）
web-freshness = 下级数据已到 { $percent }，截至 { $at }
web-nothing-due = 本周尚无到期的报告日。
web-reporting = 日报告
web-expected = 应报
web-received = 已报
web-completeness = 报告率
web-on-time = 按时报告
web-timeliness = 及时率
web-late = 迟报
web-zero-reports = 零报告
web-missing = 缺报
web-disputes = 矛盾纠纷
web-disputes-found = 排查发现
web-parties = 涉及人数
web-resolved-on-the-spot = 当场化解率
web-wage-arrears = 欠薪
web-wage-disputes = 欠薪纠纷
web-wage-workers = 涉及工人
web-wage-claimed = 主张金额（元）
web-wage-recovered = 追回金额（元）
web-wage-employers = 涉及用人单位
web-cases = 案件
web-cases-registered = 立案
web-cases-accepted-on-time = 按期受理
web-cases-closed = 办结
web-cases-closed-on-time = 按期办结
web-cases-overdue = 逾期
web-cases-repeat = 重信重访
web-cases-satisfaction = 满意率
web-cases-provisional = 案件数字截至 { $at }（本周尚未结束）
web-cases-final = 案件数字截至 { $to } 周末
web-by-category = 纠纷类别
web-trend = 近 12 周走势
web-axis-percent = 百分比
web-axis-count = 件数
web-scorecard = 下级单位排名
web-no-children = 本单位没有下级单位。
web-scorecard-weights = 各项权重：
web-link-issued = 登录链接（{ $expires } 前有效，只能用一次）：
web-link-no-listen = 本节点未设置 web.listen：先在配置中设置它（例如 web.listen = "127.0.0.1:7480"）并重启节点
web-nav = 本单位页面
web-nav-overview = 概览
web-nav-cases = 案件台账
web-nav-missing = 缺报与迟报
web-filter-any = 全部
web-filter-overdue = 只看逾期
web-filter-repeat = 只看重复信访
web-filter-apply = 查看
web-filter-as-of = 逾期判定日（空为今天）
web-ledger = 案件
web-ledger-more = 只显示前 500 件；请缩小筛选范围查看其余案件。
web-ledger-empty = 没有符合条件的案件。
web-overdue-cases-link = 逾期案件
web-case-fields = 案件信息
web-case-timeline = 办理经过（谁做了什么）
web-case-act = 办理
web-act-days = 天数
web-act-reason = 理由
web-act-recovered = 追回金额（元，可不填）
web-act-to-unit = 交办单位（编码）
web-reply-by = 答复期限
web-supervision-id = 督办单
field-petitioner-name = 姓名
field-petitioner-phone = 电话
field-petitioner-id = 身份证号
web-day-switch = 换一天
web-previous-day = ‹ 前一天
web-next-day = 后一天 ›
web-outstanding = 尚未报告
web-none-missing = 应报的报告都已收到。
web-nav-units = 单位
web-units-search = 名称或编码
web-nav-calendar = 报送日历
web-calendar-week = 本周已报
web-calendar-total = 合计
web-calendar-legend = 图例
web-calendar-live = 每格为该下级当天的报送情况（零报告算已报，不算缺报）。今天 { $cutoff } 截止时，本页自动更新，不必刷新。
web-calendar-reported = 已报
web-calendar-zero = 零报告
web-calendar-late = 迟报
web-calendar-missing = 缺报
web-calendar-outstanding-until = 待报（{ $cutoff } 截止）
web-calendar-not-expected = 无需报送
web-calendar-future = 未到
web-calendar-detail = 应报 { $expected }，已报 { $received }（其中零报告 { $zero }，迟报 { $late }），未报 { $missing }
demo-web-links = 网页看板（在浏览器中打开；每个链接只能用一次，{ $minutes } 分钟内有效）：
demo-web-district = 区领导（{ $unit }）：{ $url }
demo-web-township = 街道管理员（{ $unit }）：{ $url }
web-nav-wages = 欠薪
web-bad-year = 年份应为四位数字，且不晚于今年：{ $year }
web-year-switch = 切换年份
web-previous-year = ‹ 上一年
web-next-year = 下一年 ›
web-year-range = { $year } 年（{ $from } 至 { $to }）
web-wages-year = 全年合计
web-wage-resolved = 当场化解
web-wages-chart = 各月主张与追回金额
web-axis-yuan = 元
web-axis-workers = 人数
web-wages-by-month = 按月
web-wages-no-months = 这一年还没有开始。
heading-month = 月份
web-wages-employers-note = 每月的“涉及用人单位”是当月去重计数：同一用人单位在几个月都有纠纷时每月各计一次，所以各月相加可能大于全年数。其余各项各月相加等于全年合计。
web-wages-by-child = 按下级单位
web-wages-children-note = 用人单位数只在合计中去重统计，不按下级单位列出。
web-download-csv = 下载 CSV
web-download-range = { $from } 至 { $to } 的全部报告（Excel、WPS 可直接打开）
web-week-or-range = 请给出 week（周）或 from/to（起止日期），不能同时给出

# 化解工作周报告、责任追究、年度报告（网页看板）
web-nav-weekly = 周报告
web-nav-accountability = 责任追究
web-nav-annual = 年度报告
web-weekly-state-not_filed = 未报送
weekly-state-not_filed = 未报送
web-weekly-state-overdue = 已逾期
weekly-state-overdue = 逾期未报
web-weekly-state-filed = 已报送待审
weekly-state-filed = 已报送，待审核
web-weekly-state-withdrawn = 已撤回
weekly-state-withdrawn = 已撤回
web-weekly-state-returned = 已退回
weekly-state-returned = 已退回
web-weekly-state-approved = 已审核通过
weekly-state-approved = 已批准
web-weekly-state-unapproved = 已撤销审核
weekly-state-unapproved = 已撤销批准
web-weekly-step-filed = 报送
weekly-step-filed = 报送
web-weekly-step-withdrawn = 撤回
weekly-step-withdrawn = 撤回
web-weekly-step-returned = 退回
weekly-step-returned = 退回
web-weekly-step-approved = 审核通过
weekly-step-approved = 批准
web-weekly-step-unapproved = 撤销审核
weekly-step-unapproved = 撤销批准
weekly-action-approve = 审核通过
weekly-action-return = 退回修改
weekly-action-unapprove = 撤销审核
web-accountability-criticism = 通报批评
accountability-criticism = 通报批评
web-accountability-admonition = 约谈
accountability-admonition = 约谈
web-accountability-commendation = 通报表扬
accountability-commendation = 通报表扬
web-weekly-board = 周报告报送审核情况
web-weekly-counts = 下级节点报送情况
web-weekly-children = 下级节点
web-weekly-filed = 已报送
web-weekly-approved = 已审核通过
web-weekly-returned = 已退回
web-weekly-late = 迟报
web-weekly-not-filed = 未报送
web-weekly-held = 待审暂存的日报告
web-weekly-reports = 本单位及下级节点的周报告
web-weekly-late-flag = 是否迟报
web-weekly-first-filed = 首次报送
web-weekly-filing = 报送次数
web-weekly-document = 报告
web-weekly-review = 审核
web-weekly-own = 本单位
web-weekly-open = 查看
web-weekly-comments = 退回意见
web-weekly-no-child-nodes = 本节点没有下级节点：只有本单位自己的周报告。
web-weekly-held-title = 因本周已审核而暂存的日报告
web-weekly-none-held = 没有暂存的日报告。
web-weekly-locked-by = 锁定单位
web-weekly-held-at = 暂存时间
web-weekly-document-title = 化解工作周报告
web-weekly-due = 报送期限
web-weekly-not-late = 按时
web-weekly-to-board = 返回周报告报送情况
web-weekly-nothing-filed = 本周报告尚未报送。
web-weekly-frozen = 以下数字在报送时固定：下级数据已到 { $percent }，截至 { $at }
web-weekly-part-main_disputes = 主要矛盾纠纷及化解情况
web-weekly-part-cases = 已化解和未化解案件
web-weekly-part-help_needed = 需上级协调解决的问题
web-weekly-part-next_week_focus = 下周工作重点
web-weekly-signer = 签发人：
web-weekly-history = 报送审核经过
web-weekly-no-steps = 还没有任何报送或审核记录。
web-weekly-file = 报送周报告
web-weekly-file-submit = 签发并报送
web-weekly-withdraw = 撤回报告
web-weekly-not-over = 本周尚未结束（最后一天截止时间未到），结束后才能报送周报告。
web-accountability-counts = 各类处理统计
web-accountability-units = { $kind }涉及单位
web-accountability-actions = 责任追究记录
web-accountability-none = 这一年没有责任追究记录。
web-accountability-period = 依据期间
web-accountability-recorded-by = 作出单位
web-accountability-record = 记录责任追究
web-accountability-from = 依据期间起
web-accountability-to = 依据期间止
web-annual-title = 年度报告
web-annual-by-outcome = 化解结果
web-annual-disputes-chart = 矛盾纠纷类别与化解结果
web-annual-months-chart = 逐月情况
web-annual-screening = 排查与零报告
web-annual-zero-share = 零报告占比
web-annual-weekly = 周报告
web-annual-weekly-due = 应报周报告
web-annual-weekly-on-time = 按时报送
web-annual-wage-resolved = 欠薪纠纷当场化解
web-annual-wage-cases = 欠薪立案
web-overview-weekly-state = 本周周报告：{ $state }（数据随到随显示，不论是否审核）
web-annual-escalated = 上报上级
web-annual-repeats = 重复信访
web-annual-repeat-rate = 重复信访率
web-annual-repeat-link = 重复信访案件
web-annual-reception = 值班接待
web-annual-visits = 接待来访
web-annual-one-visit = 一次性化解
web-annual-one-visit-rate = 一次性化解率
web-annual-supervision = 督办
web-annual-supervisions = 发出督办
## fengqiao weekly、accountability、annual（化解工作周报告）

weekly-step-taken = { $unit } { $week }：已{ $step }（第 { $filing } 次报送）；当前状态：{ $state }
weekly-nothing-filed = { $unit } 尚未报送 { $week } 的周报告：请给出 --filing，或先报送
weekly-never-filed = 从未报送
weekly-standing = { $state }，第 { $filing } 次报送；截止时间 { $due }；首次报送 { $first }，{ $late }
weekly-status-header = { $name }（{ $unit }）：{ $week } 周报告报送情况
weekly-show-header = { $name }（{ $unit }）：{ $week } 化解工作周报告
weekly-no-children = 本单位以下没有报送周报告的下级节点
weekly-status-counts = 下级节点 { $children } 个：已报送 { $filed } 个，已批准 { $approved } 个，已退回 { $returned } 个，迟报 { $late } 个，未报送 { $not_filed } 个
weekly-none-held = 本周没有暂扣待审批的报告
weekly-held-intro = 暂扣报告 { $count } 份，撤销本周批准后处理：
weekly-held-line = { $unit } { $date } 第 { $revision } 版，因 { $locked_by } 的批准锁定，暂扣于 { $at }
weekly-figures-intro = 第 { $filing } 次报送时冻结的数据（计算于 { $at }；下级数据已到达 { $percent }）：
weekly-main-disputes = 主要矛盾纠纷及化解情况
weekly-cases = 已化解和未化解案件
weekly-help-needed = 需上级协调解决的问题
weekly-next-week-focus = 下周工作重点
heading-weekly-state = 状态
heading-late = 迟报
heading-first-filed = 首次报送
heading-filing = 报送次数
heading-step = 步骤
heading-at = 时间
heading-by-unit = 办理节点
heading-reason = 原因
heading-action = 编号
accountability-recorded = 已记录 { $id }：对 { $unit } { $name } { $kind }（依据期内排名 { $rank }）；通知已发至该单位及其间各级单位
accountability-none = 没有责任追究记录
accountability-count = { $kind }：{ $actions } 次，涉及 { $units } 个单位
annual-header = { $name }（{ $unit }）：{ $year } 年度报告
annual-through = 统计至 { $date }，计算于 { $at }
annual-screening = 排查报告
annual-weekly = 周报告
annual-weekly-due = 应报
annual-weekly-filed = 已报
annual-weekly-filed-value = { $filed }（按时 { $on_time }，迟报 { $late }）
annual-weekly-not-filed = 未报
annual-weekly-approved = 已批准
annual-weekly-returned = 退回
annual-disputes = 矛盾纠纷化解
annual-by-outcome = 按结果
annual-wage-employers = 排查企业
annual-wage-disputes = 欠薪纠纷
annual-wage-disputes-value = { $disputes } 起（已化解 { $resolved } 起）
annual-wage-cases = 欠薪立案
annual-wage-workers = 涉及劳动者
annual-wage-amounts = 金额
annual-wage-amounts-value = 涉及 ¥{ $claimed }，追回 ¥{ $recovered }
annual-cases = 案件
annual-cases-registered = 立案
annual-repeat-petitions = 重复信访
annual-share-value = { $count }（{ $percent }）
annual-visits = 领导接访
annual-visits-value = 接访 { $visits } 次，一次性化解率 { $one_visit }
annual-escalated = 上报
annual-closed = 销号（按时率）
annual-supervisions = 督办
annual-accountability = 责任追究
annual-accountability-value = { $units } 个单位（{ $actions } 次）
annual-months = 分月情况

refusal-weekly-due-malformed = “{ $value }”不是星期和时间（应如 MON 12:00）
refusal-weekly-already-filed = { $unit } 的 { $week } 周报告已报送（第 { $filing } 次），正待审核：请先撤回
refusal-weekly-already-approved = { $unit } 的 { $week } 周报告已批准（第 { $filing } 次报送）：须先撤销批准才能再次报送
refusal-weekly-filing-stale = { $unit } 的 { $week } 周报告当前为第 { $latest } 次报送，而非第 { $expected } 次：请重新读取
refusal-weekly-step-not-allowed = { $unit } 的 { $week } 周报告当前为{ $state ->
    [filed] 已报送
    [withdrawn] 已撤回
    [returned] 已退回
    [approved] 已批准
    [unapproved] 已撤销批准
   *[other] { $state }
    }（第 { $latest } 次报送），第 { $filing } 次报送并非{ $described ->
    [approved] 已批准
   *[other] 已报送待审核
}
refusal-weekly-not-filed = { $unit } 未报送 { $week } 的周报告
refusal-weekly-children-not-approved = 下级节点的周报告批准之前，{ $unit } 的 { $week } 周报告不能批准：{ $waiting } 尚未批准
refusal-weekly-parent-approved = { $above } 仍然有效时，{ $unit } 的 { $week } 周报告不能撤销批准：请先撤销 { $parent } 的批准
refusal-week-locked = { $unit } { $date } 的报告所在的周已被锁定（{ $approval }，批准于 { $at }）：须由 { $reviewer } 或上级的领导先撤销批准
refusal-text-too-long = 最多 { $max } 个字符
refusal-weekly-reviewed-by-home-leader = 周报告由 { $home } 的领导在 { $home } 的节点审核，而非 { $unit } 的人员
refusal-weekly-filed-at-own-node = { $unit } 不运行本节点（{ $home }）：单位在自己的节点报送周报告
refusal-week-not-over = 第 { $week } 周要到 { $over } 才结束：周报告须在最后一天截止时间之后报送
refusal-week-before-reporting-start = 第 { $week } 周在报送开始日 { $start } 之前已结束
refusal-must-be-approve-or-return = 必须是 APPROVE 或 RETURN
refusal-weekly-not-reviewed-here = { $unit } 的周报告不在 { $home } 的节点审核：由上一级节点审核（根节点审核自己的）
refusal-weekly-not-unapproved-here = { $unit } 的周报告不是在 { $home } 的节点或其下级批准的：请在批准它的节点或其上级撤销批准
refusal-must-be-accountability-kind = 必须是 CRITICISM、ADMONITION 或 COMMENDATION
refusal-accountability-below-only = 责任追究只能针对 { $home } 以下的单位，不能针对其本身
refusal-not-a-year = 必须是 1900 至 9999 之间的年份

# 部门、回执、专门工作组（issue 20）
detail-transferred-to-department = 转办 { $department }，{ $deadline } 前办结：{ $reason }
detail-assigned-to-department = 交办 { $department }，{ $report_by } 前报告办理情况
detail-department-reported = { $department } 报告办理情况（{ $timing }）：{ $report }
detail-working-group = 牵头 { $lead }；成员 { $members }
detail-public-reply = 答复信访人：{ $text }
detail-receipt-issued = 已重新出具回执（原查询码失效）
detail-petitioner-rated = 信访人评价：{ $rating }
event-transferred_to_department = 转办部门
event-assigned_to_department = 交办部门
event-department_reported = 部门报告办理情况
event-working_group_set = 成立专门工作组
event-public_replied = 答复信访人
event-receipt_issued = 出具回执
event-petitioner_rated = 信访人评价

# 回执、阳光信访查询与群众满意度评价 (issue 20, wt-track)
node-task-public_tracker = 阳光信访评价
refusal-tracker-wrong-pair = 案件编号或查询码不正确
refusal-tracker-busy-source = 本地址查询过于频繁，请 { $seconds } 秒后再试
refusal-tracker-busy-case = 该案件编号查询过于频繁，请 { $seconds } 秒后再试
refusal-tracker-already-rated = 该案件已评价，每件只能评价一次
refusal-tracker-not-resolved = 案件尚未办结，办结后方可评价
refusal-tracker-held-above = 案件已由上级部门办理，请在该部门的公开查询页面评价
refusal-query-code-shape = 查询码为 12 位字母和数字，如 7KQ2-M9XH-4TPW
track-title = 阳光信访查询
track-explain = 请输入回执上的案件编号和查询码。
track-case-number = 案件编号
track-query-code = 查询码
track-submit = 查询
track-category = 事项类别
track-office = 办理单位
track-registered-on = 登记日期
track-accept-by = 受理期限
track-accepted-on = 受理日期
track-deadline = 办理期限
track-resolved-on = 办结日期
track-closed-on = 销号日期
track-rating = 您的评价
track-replies = 答复意见
track-no-replies = 暂无答复。
track-rate-legend = 您对办理结果是否满意？
track-rate-submit = 提交评价
track-rated = 感谢您的评价，已记录。
track-rating-on-its-way = 感谢您的评价，正在送达承办单位。
track-choose-rating = 请选择满意或不满意。
track-can-rate = 已办结：您可以对办理情况评价一次。
receipt-title = 信访事项回执（请妥善保管，查询码仅显示一次）
receipt-case = 案件编号：{ $case }
receipt-code = 查询码：{ $code }
receipt-url = 查询网址：{ $url }
receipt-keep = 凭案件编号和查询码可查询办理进度，请勿告知他人。
refusal-rating-satisfied-or-dissatisfied = 群众评价只能是满意或不满意
refusal-rating-already-recorded = 案件 { $id } 已记录群众评价 { $rating_id }
refusal-case-already-rated = 群众已于 { $on } 对案件 { $id } 作出评价
refusal-case-already-rated-event = 案件 { $id } 已有群众评价
web-public-replies = 答复群众（公开）
web-public-replies-explain = 公开内容：群众凭回执查询码可在阳光信访查询页面看到。
summary-cases-petitioner = 群众自评（阳光信访）：满意 { $satisfied } 件，不满意 { $dissatisfied } 件，满意率 { $rate }
web-cases-petitioner-satisfied = 群众评价满意
web-cases-petitioner-dissatisfied = 群众评价不满意
## Issue 20, departments (职能部门): refusals
refusal-department-code-length = 部门代码为 1–{ $max } 个字符
refusal-department-code-characters = 部门代码只能包含小写字母、数字和“_”
refusal-department-id-shape = 部门编号的格式为 {"{"}单位{"}"}:{"{"}代码{"}"}，如 410411:hrss
refusal-department-name-length = 部门名称为 1–{ $max } 个字
refusal-department-ends-before-it-starts = 撤销日期（{ $until }）早于设立日期（{ $from }）
refusal-department-dates-overlap = 部门 { $id } 在重叠的日期内列出两次
refusal-department-not-of-owner = 部门 { $department } 不是案件承办单位 { $owner_unit } 的部门
refusal-department-task-still-open = 案件 { $id } 已交办部门 { $department }，该部门尚未报告办理情况
refusal-no-open-department-task = 案件 { $id } 没有交办部门 { $department } 且未报告的事项
refusal-case-already-held-by-department = 案件 { $id } 已由部门 { $department } 承办
refusal-report-by-between-today-and-deadline = 须在今天（{ $on }）与案件办理期限（{ $limit }）之间
refusal-department-case-only = 部门 { $department } 的人员只能对本部门{ $cases ->
        [holds] 承办
       *[other] 承办或受交办
    }的案件调用 { $rpc }；案件 { $case } 不在其列
refusal-departments-row-unreadable = 部门文件无法读取：{ $error }
refusal-department-id-disagrees = { $department_id } 与 unit_id、code 不一致（应为 { $id }）
refusal-department-reports-for-itself = 部门 { $own } 的人员只能报告本部门的办理情况，不能代 { $named } 报告
refusal-no-such-department = 部门 { $department } 在 { $today } 不存在
refusal-department-lists-its-own = 部门 { $own } 的人员只能查看本部门的案件，不能查看 { $named } 的案件

## Issue 20, departments (职能部门): the CLI and the dashboard
heading-department = 部门
heading-department-name = 名称
heading-five-in-one = 五位一体
heading-from = 起
heading-until = 止
heading-transferred-in = 转办
heading-held-open = 在办
heading-resolved-on-time = 按期办结
heading-assigned = 交办
heading-reported-on-time = 按期报告
heading-report-overdue = 逾期未报
heading-on-time-rate = 按期率
dept-total = 全部部门
dept-list-footer = 共 { $count } 个部门
dept-figures-footer = { $from } 至 { $to }：{ $count } 个部门，按期率高者在前（按期办结与按期报告）
web-nav-departments = 职能部门
web-departments-range = { $from } 至 { $to }
web-departments-figures = 各部门办案情况（按期率高者在前）
web-departments-none = 本单位没有职能部门。
web-departments-note = 各项均按案件计：期间内转办、交办的案件；期末在办、逾期的案件；期间内办结、报告的案件及其中按期的。按期率 =（按期办结 + 按期报告）/（办结 + 报告）；没有办结和报告的部门排在最后。点击部门名称查看其案件。
web-bad-date = 日期格式为 YYYY-MM-DD：{ $date }
field-department = 承办部门
field-department-task = 交办部门
field-department-task-open = { $department }：{ $report_by } 前报告，尚未报告
field-department-task-reported = { $department }：{ $report_by } 前报告，{ $reported_on } 已报告
action-transfer_to_department = 转办部门
action-assign_to_department = 交办部门
action-report_back = 报告办理情况
web-act-report-by = 报告期限
## 议题 20：领导包片包案、重点项目、专门工作组
refusal-group-member-unit-not-in-tree = 工作组成员 { $person }：单位 { $unit } 不在本节点（{ $home }）的单位树中
refusal-duty-id-shape = 联系点编号至多 { $max } 个字母、数字、“-”、“_”或“.”
refusal-project-name-shape = 项目名称为 1–{ $max } 个字符，不得含控制字符
refusal-project-kind-one-of = 项目类型须为以下之一：{ $kinds }
refusal-duty-unit-not-township = 单位 { $unit } 是{ $tier }：联系点须为乡镇（街道）
refusal-no-such-project = 本节点未登记项目 { $project }
refusal-duty-names-one-area = 联系点须指定一个乡镇（unit_id）或一个项目（project_id），不能同时指定
refusal-duty-overlaps = { $leader } 在 { $target } 的联系点 { $other } 与这些日期重叠：请先结束该联系点，或用其编号重新提交
refusal-at-most-group-members = 专门工作组至多 { $max } 名成员
refusal-group-member-twice = { $person } 在工作组中出现了两次
refusal-project-id-shape = 项目编号为 1–{ $max } 个小写字母、数字、“-”或“_”
contact-project-created = 项目 { $project } 已登记于单位 { $unit }
contact-project-updated = 项目 { $project }（单位 { $unit }）已更新或无变化
contact-duty-set = 联系点 { $duty }：{ $leader } 联系 { $area }，自 { $from } 至 { $until }
contact-figures-head = 领导 { $leader }，{ $from } 至 { $to }：联系乡镇（街道）和重点项目
contact-figures-led = 包案：{ $led } 件，办结 { $closed } 件，按期 { $on_time } 件，逾期 { $overdue } 件；按期办结率 { $rate }
error-contact-no-answer = 节点的回答中没有该记录
error-no-such-duty = 本节点没有联系点 { $duty }
error-group-member = { $value }：工作组成员格式为 人员@单位 或 人员@单位:部门
heading-project = 项目
heading-duty = 联系点
heading-area = 联系范围
web-nav-leaders = 领导包片包案
web-leaders-show = 查看
web-leaders-none = 这些日期内没有领导联系点。
web-leaders-cases-led = 包案
web-leaders-areas = 联系乡镇（街道）和重点项目
web-leaders-led = 包案件数
web-leaders-bad-date = { $field }：日期格式为 YYYY-MM-DD，而不是 { $date }
refusal-department-not-of-unit = 部门 { $department } 不属于单位 { $unit }

# 区以上的汇总上报(RollupState)
refusal-counters-expected = 计数 { $count } 项,应为 { $expected } 项
refusal-not-negative = 不能为负数
refusal-employer-key-shape = 必须是 64 位小写十六进制(只传键,不传名称)
refusal-must-be-positive = 必须为正数
refusal-listed-twice = 重复列出
refusal-unknown-case-figure = 未知的案件指标 { $figure }
refusal-node-holds-reports = 本节点保存原始报告,不收汇总:请上报原始报告(uplink.mode = reports)
refusal-node-holds-summaries = 本节点在汇总边界以上,只保存汇总:请上报汇总状态(uplink.mode = summaries)
refusal-day-in-future = 本地尚未到 { $day }
## fengqiao demo --above city
heading-district = 区名
heading-figures-from = 数据来源
heading-wage-disputes = 欠薪纠纷
heading-employers = 欠薪企业
heading-equal = 一致
demo-city-title = { $city }（{ $unit }），{ $week } 周：市节点（只收汇总状态）上 { $districts } 个区的考核行，与各区节点自己的周汇总对照
demo-city-at-city = 市节点
demo-city-at-district = 区节点
demo-city-sum = 各区之和
demo-city-siblings = 兄弟区节点共接收 { $accepted } 份报告（{ $refused } 份未通过校验）；等待各区发件箱清空 { $seconds } 秒后，市节点的数据与各区一致
demo-city-equal = 市级数据与各区自己的数据一致：共比对 { $figures } 项（各类别、各结果、欠薪和案件数据；市级欠薪企业数介于最大区与各区之和之间）
demo-city-no-reports = 原始报告从未离开各区：市节点数据库中报告为 0 份，在市节点导出 { $unit } 的报告被拒绝（FAILED_PRECONDITION）：{ $message }
refusal-below-summary-depth = 单位 { $unit } 在本节点所存层级以下(本节点在汇总边界以上):其数据保存在节点 { $holder }
refusal-held-below-summary-boundary = 本级只汇总下级数据：{ $unit } 的{ $what ->
        [reports] 报告
        [cases] 案件
       *[other] 明细
    }保存在下级节点 { $nodes }
