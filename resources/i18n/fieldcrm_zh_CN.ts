<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>Agenda</name>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Welcome call</source>
        <translation>欢迎电话</translation>
    </message>
    <message>
        <source>Health check</source>
        <translation>健康检查</translation>
    </message>
    <message>
        <source>Renewal pack</source>
        <translation>续约资料包</translation>
    </message>
    <message>
        <source>Follow-up</source>
        <translation>跟进</translation>
    </message>
    <message>
        <source>Alert</source>
        <translation>提醒</translation>
    </message>
    <message>
        <source>High</source>
        <translation>高</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>中</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>到期</translation>
    </message>
    <message>
        <source>What</source>
        <translation>事项</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>all day</source>
        <translation>全天</translation>
    </message>
    <message>
        <source>Mon</source>
        <translation>周一</translation>
    </message>
    <message>
        <source>Tue</source>
        <translation>周二</translation>
    </message>
    <message>
        <source>Wed</source>
        <translation>周三</translation>
    </message>
    <message>
        <source>Thu</source>
        <translation>周四</translation>
    </message>
    <message>
        <source>Fri</source>
        <translation>周五</translation>
    </message>
    <message>
        <source>Sat</source>
        <translation>周六</translation>
    </message>
    <message>
        <source>Sun</source>
        <translation>周日</translation>
    </message>
    <message>
        <source>+%1 more</source>
        <translation>还有 %1 项</translation>
    </message>
</context>
<context>
    <name>AgendaScreen</name>
    <message>
        <source>Overdue</source>
        <translation>已逾期</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>This week</source>
        <translation>本周</translation>
    </message>
    <message>
        <source>Month</source>
        <translation>月历</translation>
    </message>
    <message>
        <source>My team</source>
        <translation>我的团队</translation>
    </message>
    <message>
        <source>New task (N)</source>
        <translation>新建任务 (N)</translation>
    </message>
    <message>
        <source>Done (D)</source>
        <translation>完成 (D)</translation>
    </message>
    <message>
        <source>Make task (T)</source>
        <translation>转为任务 (T)</translation>
    </message>
    <message>
        <source>Make the selected follow-up&apos;s next action a task</source>
        <translation>把所选跟进记录的下一步动作转为任务</translation>
    </message>
    <message>
        <source>Export .ics…</source>
        <translation>导出 .ics…</translation>
    </message>
    <message>
        <source>Reminders…</source>
        <translation>提醒设置…</translation>
    </message>
    <message>
        <source>Agenda</source>
        <translation>日程</translation>
    </message>
    <message>
        <source>Previous month (PageUp)</source>
        <translation>上个月 (PageUp)</translation>
    </message>
    <message>
        <source>Next month (PageDown)</source>
        <translation>下个月 (PageDown)</translation>
    </message>
    <message>
        <source>Drag a task onto another day to move it</source>
        <translation>把任务拖到另一天即可改期</translation>
    </message>
    <message>
        <source>Nothing here. Press N to add a task.</source>
        <translation>这里没有事项。按 N 新建任务。</translation>
    </message>
    <message>
        <source>%1 tasks, %2 follow-ups due</source>
        <translation>%1 项任务,%2 项待跟进</translation>
    </message>
    <message>
        <source>%1: %2 items</source>
        <translation>%1:%2 项</translation>
    </message>
    <message>
        <source>Task saved</source>
        <translation>任务已保存</translation>
    </message>
    <message>
        <source>Done: %1</source>
        <translation>已完成:%1</translation>
    </message>
    <message>
        <source>Task made: %1</source>
        <translation>已转为任务:%1</translation>
    </message>
    <message>
        <source>Moved to %1</source>
        <translation>已改到 %1</translation>
    </message>
    <message>
        <source>Export agenda</source>
        <translation>导出日程</translation>
    </message>
    <message>
        <source>Calendar (*.ics)</source>
        <translation>日历 (*.ics)</translation>
    </message>
    <message>
        <source>%1 items saved to %2</source>
        <translation>已导出 %1 项到 %2</translation>
    </message>
</context>
<context>
    <name>AlertInbox</name>
    <message>
        <source>By rep</source>
        <translation>按销售</translation>
    </message>
    <message>
        <source>By kind</source>
        <translation>按类型</translation>
    </message>
    <message>
        <source>Oldest first</source>
        <translation>最久的在前</translation>
    </message>
    <message>
        <source>Largest amount first</source>
        <translation>金额最大的在前</translation>
    </message>
    <message>
        <source>Show snoozed</source>
        <translation>显示已推迟</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>忽略</translation>
    </message>
    <message>
        <source>Take the alert off the list on every device</source>
        <translation>在所有设备上移出此提醒</translation>
    </message>
    <message>
        <source>Snooze until</source>
        <translation>推迟到</translation>
    </message>
    <message>
        <source>Hide the alert on this device until that day</source>
        <translation>在本机隐藏此提醒直到该日</translation>
    </message>
    <message>
        <source>Make a task for the rep</source>
        <translation>转为销售的任务</translation>
    </message>
    <message>
        <source>Put this on the rep&apos;s agenda as a task</source>
        <translation>把它作为任务放进销售的日程</translation>
    </message>
    <message>
        <source>Alert</source>
        <translation>提醒</translation>
    </message>
    <message>
        <source>Rep</source>
        <translation>销售</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Days</source>
        <translation>天数</translation>
    </message>
    <message>
        <source>Since then</source>
        <translation>此后进展</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Nothing needs attention.</source>
        <translation>没有需要处理的事项。</translation>
    </message>
    <message>
        <source>Stagnating deal</source>
        <translation>商机停滞</translation>
    </message>
    <message>
        <source>Lead not answered</source>
        <translation>线索未响应</translation>
    </message>
    <message>
        <source>Lead without a rep</source>
        <translation>线索无人可分配</translation>
    </message>
    <message>
        <source>Rep flagged</source>
        <translation>销售被标记</translation>
    </message>
    <message>
        <source>Pool claim lost</source>
        <translation>公海认领未成功</translation>
    </message>
    <message>
        <source>Customer journey</source>
        <translation>客户旅程</translation>
    </message>
    <message>
        <source>Approval decided</source>
        <translation>审批已决定</translation>
    </message>
    <message>
        <source>Record could not be read</source>
        <translation>记录无法读取</translation>
    </message>
    <message>
        <source>Data-health brief</source>
        <translation>数据健康简报</translation>
    </message>
    <message>
        <source>Possible duplicate</source>
        <translation>疑似重复</translation>
    </message>
    <message>
        <source>(no rep)</source>
        <translation>(无销售)</translation>
    </message>
    <message>
        <source>snoozed until %1</source>
        <translation>已推迟到 %1</translation>
    </message>
    <message>
        <source>Nothing yet</source>
        <translation>暂无进展</translation>
    </message>
</context>
<context>
    <name>AlertsScreen</name>
    <message>
        <source>Check now</source>
        <translation>立即检查</translation>
    </message>
    <message>
        <source>Recompute stagnation alerts from follow-up times on this device</source>
        <translation>根据本机的跟进时间重新计算停滞提醒</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>已处理</translation>
    </message>
    <message>
        <source>Take the selected alert off the list (on every device)</source>
        <translation>将选中的提醒移出列表(所有设备同步)</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>提醒</translation>
    </message>
    <message>
        <source>Raised</source>
        <translation>提醒时间</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Nothing needs attention.</source>
        <translation>暂无需要处理的提醒。</translation>
    </message>
    <message>
        <source>Stagnating deal</source>
        <translation>商机停滞</translation>
    </message>
    <message>
        <source>Lead not answered</source>
        <translation>线索未响应</translation>
    </message>
    <message>
        <source>Customer journey</source>
        <translation>客户旅程</translation>
    </message>
    <message>
        <source>Approval decided</source>
        <translation>审批结果</translation>
    </message>
    <message>
        <source>Record could not be read</source>
        <translation>记录无法读取</translation>
    </message>
</context>
<context>
    <name>ApprovalRequestDialog</name>
    <message>
        <source>Request approval</source>
        <translation>申请审批</translation>
    </message>
    <message>
        <source>Moving to %1 needs the team lead&apos;s approval. Tell them why the deal is ready; the request is sent with the next sync.</source>
        <translation>推进到%1需要主管审批。请说明商机为什么已经可以推进;申请会在下次同步时发出。</translation>
    </message>
    <message>
        <source>e.g. The customer confirmed the quote; the contract draft is with legal</source>
        <translation>例如:客户已确认报价,合同草稿已交法务</translation>
    </message>
    <message>
        <source>Send request</source>
        <translation>提交申请</translation>
    </message>
    <message>
        <source>Note for the team lead</source>
        <translation>给主管的申请说明</translation>
    </message>
</context>
<context>
    <name>ApprovalsScreen</name>
    <message>
        <source>Include decided requests</source>
        <translation>包含已处理的申请</translation>
    </message>
    <message>
        <source>Approvals</source>
        <translation>审批</translation>
    </message>
    <message>
        <source>Deal</source>
        <translation>商机</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Move</source>
        <translation>阶段变更</translation>
    </message>
    <message>
        <source>Requested by</source>
        <translation>申请人</translation>
    </message>
    <message>
        <source>Requested</source>
        <translation>申请时间</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Request note</source>
        <translation>申请说明</translation>
    </message>
    <message>
        <source>Lead&apos;s comment</source>
        <translation>主管意见</translation>
    </message>
    <message>
        <source>Comment (required when rejecting)</source>
        <translation>审批意见(驳回时必填)</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>批准</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>驳回</translation>
    </message>
    <message>
        <source>Your team lead decides these requests.</source>
        <translation>这些申请由你的主管审批。</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>待审批</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>已批准</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>已驳回</translation>
    </message>
</context>
<context>
    <name>AttachmentPane</name>
    <message>
        <source>Add file…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>Drop files here to attach them</source>
        <translation>把文件拖到这里即可上传</translation>
    </message>
    <message>
        <source>Kind for new files:</source>
        <translation>新文件类型:</translation>
    </message>
    <message>
        <source>No attachments yet.</source>
        <translation>还没有附件。</translation>
    </message>
    <message>
        <source>Attach files</source>
        <translation>上传附件</translation>
    </message>
    <message>
        <source>Attaching %1</source>
        <translation>正在上传 %1</translation>
    </message>
</context>
<context>
    <name>Attachments</name>
    <message>
        <source>Business card</source>
        <translation>名片</translation>
    </message>
    <message>
        <source>Contract</source>
        <translation>合同</translation>
    </message>
    <message>
        <source>Quote</source>
        <translation>报价单</translation>
    </message>
    <message>
        <source>Org chart</source>
        <translation>组织架构图</translation>
    </message>
    <message>
        <source>Requirement confirmation</source>
        <translation>需求确认书</translation>
    </message>
    <message>
        <source>Implementation schedule</source>
        <translation>实施排期表</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
</context>
<context>
    <name>BulkBar</name>
    <message>
        <source>Reassign…</source>
        <translation>转交负责人…</translation>
    </message>
    <message>
        <source>Export selected…</source>
        <translation>导出所选…</translation>
    </message>
    <message numerus="yes">
        <source>%n selected</source>
        <translation>
            <numerusform>已选 %n 条</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CardCaptureDialog</name>
    <message>
        <source>Scan business cards</source>
        <translation>扫描名片</translation>
    </message>
    <message>
        <source>Company</source>
        <translation>公司</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Possible duplicates</source>
        <translation>可能重复</translation>
    </message>
    <message>
        <source>Stop reading</source>
        <translation>停止识别</translation>
    </message>
    <message>
        <source>Save contact</source>
        <translation>保存联系人</translation>
    </message>
    <message>
        <source>Skip card</source>
        <translation>跳过此卡</translation>
    </message>
    <message>
        <source>Save to</source>
        <translation>保存到</translation>
    </message>
    <message>
        <source>Card %1 of %2: %3</source>
        <translation>第 %1 张,共 %2 张:%3</translation>
    </message>
    <message>
        <source>Reading the card…</source>
        <translation>正在识别名片…</translation>
    </message>
    <message>
        <source>Reading the card</source>
        <translation>正在识别名片</translation>
    </message>
    <message>
        <source>Check the highlighted fields, then save.</source>
        <translation>请核对高亮的字段,然后保存。</translation>
    </message>
    <message>
        <source>Read. Check the fields, then save.</source>
        <translation>已识别。请核对各字段,然后保存。</translation>
    </message>
    <message>
        <source>New customer: %1</source>
        <translation>新客户:%1</translation>
    </message>
    <message>
        <source>Existing customer: %1</source>
        <translation>已有客户:%1</translation>
    </message>
    <message>
        <source>Saving the contact</source>
        <translation>正在保存联系人</translation>
    </message>
</context>
<context>
    <name>Chart</name>
    <message>
        <source>No data for this period</source>
        <translation>本期没有数据</translation>
    </message>
</context>
<context>
    <name>CockpitScreen</name>
    <message>
        <source>Export to Excel…</source>
        <translation>导出 Excel…</translation>
    </message>
    <message>
        <source>Export to PDF…</source>
        <translation>导出 PDF…</translation>
    </message>
    <message>
        <source>Team cockpit</source>
        <translation>团队驾驶舱</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>期间</translation>
    </message>
    <message>
        <source>Forecast</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>Blockages</source>
        <translation>阶段卡点</translation>
    </message>
    <message>
        <source>Pipeline</source>
        <translation>管道分析</translation>
    </message>
    <message>
        <source>Charts</source>
        <translation>图表</translation>
    </message>
    <message>
        <source>Rep</source>
        <translation>销售</translation>
    </message>
    <message>
        <source>Commit</source>
        <translation>承诺金额</translation>
    </message>
    <message>
        <source>Evidence-weighted</source>
        <translation>证据加权</translation>
    </message>
    <message>
        <source>Best case</source>
        <translation>最佳情况</translation>
    </message>
    <message>
        <source>Won</source>
        <translation>已赢单</translation>
    </message>
    <message>
        <source>Commit − evidence</source>
        <translation>承诺与证据差额</translation>
    </message>
    <message>
        <source>Open deals</source>
        <translation>在途商机</translation>
    </message>
    <message>
        <source>Without evidence</source>
        <translation>无证据</translation>
    </message>
    <message>
        <source>Decision chain</source>
        <translation>决策链覆盖</translation>
    </message>
    <message>
        <source>Past commit error</source>
        <translation>以往承诺误差</translation>
    </message>
    <message>
        <source>Forecast accuracy: commit at the start of each period against what was won</source>
        <translation>预测准确度:每期期初的承诺金额与实际赢单</translation>
    </message>
    <message>
        <source>Click a cell to list the deals missing that item</source>
        <translation>点击单元格,列出缺少该事项的商机</translation>
    </message>
    <message>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <source>To</source>
        <translation>到</translation>
    </message>
    <message>
        <source>Entered</source>
        <translation>进入</translation>
    </message>
    <message>
        <source>Moved on</source>
        <translation>推进</translation>
    </message>
    <message>
        <source>Rate</source>
        <translation>转化率</translation>
    </message>
    <message>
        <source>Stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <source>Deals</source>
        <translation>商机数</translation>
    </message>
    <message>
        <source>Median days</source>
        <translation>中位天数</translation>
    </message>
    <message>
        <source>P90 days</source>
        <translation>P90 天数</translation>
    </message>
    <message>
        <source>Lost</source>
        <translation>输单</translation>
    </message>
    <message>
        <source>Win rate</source>
        <translation>赢单率</translation>
    </message>
    <message>
        <source>&lt; 30 days</source>
        <translation>&lt; 30 天</translation>
    </message>
    <message>
        <source>30–60 days</source>
        <translation>30–60 天</translation>
    </message>
    <message>
        <source>60+ days</source>
        <translation>60 天以上</translation>
    </message>
    <message>
        <source>Lost from</source>
        <translation>输单阶段</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Conversion between stages</source>
        <translation>阶段转化</translation>
    </message>
    <message>
        <source>Days in stage</source>
        <translation>阶段停留天数</translation>
    </message>
    <message>
        <source>Win rate by rep</source>
        <translation>各销售赢单率</translation>
    </message>
    <message>
        <source>Stalled deals by rep</source>
        <translation>各销售停滞商机</translation>
    </message>
    <message>
        <source>Loss reasons by stage</source>
        <translation>各阶段输单原因</translation>
    </message>
    <message>
        <source>Open pipeline value by stage and rep</source>
        <translation>在途金额(按阶段和销售)</translation>
    </message>
    <message>
        <source>Team</source>
        <translation>团队</translation>
    </message>
    <message>
        <source>The commit is well above what the evidence supports</source>
        <translation>承诺金额明显高于证据所能支持的金额</translation>
    </message>
    <message>
        <source>%1 of %2 reps commit well above their evidence</source>
        <translation>%2 名销售中有 %1 名承诺明显高于证据</translation>
    </message>
    <message>
        <source>Evidence-weighted: each open deal&apos;s amount times the milestones it has proved (NDA, POC, payment commitment), scaled by how much of its decision chain is mapped; won deals count in full. Best case: every open deal closing in the period.</source>
        <translation>证据加权:每个在途商机的金额乘以已证实的里程碑权重(保密协议、POC、付款承诺),再按决策链覆盖程度折算;已赢单全额计入。最佳情况:本期所有在途商机全部成交。</translation>
    </message>
    <message>
        <source>Mean error</source>
        <translation>平均误差</translation>
    </message>
    <message>
        <source>Committed at the start of the period → won in it (error)</source>
        <translation>期初承诺 → 本期赢单(误差)</translation>
    </message>
    <message>
        <source>%1 of %2 deals in %3 are missing: %4</source>
        <translation>%3阶段 %2 个商机中有 %1 个缺少:%4</translation>
    </message>
    <message>
        <source>%1 — %2: %3 deal(s) missing it</source>
        <translation>%1 — %2:%3 个商机缺少此项</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <source>Commit vs evidence-weighted forecast per rep</source>
        <translation>各销售承诺金额与证据加权预测</translation>
    </message>
    <message>
        <source>Funnel: deals that entered each stage in the period</source>
        <translation>漏斗:本期进入各阶段的商机</translation>
    </message>
    <message>
        <source>Days in stage (median and p90)</source>
        <translation>阶段停留天数(中位数与 P90)</translation>
    </message>
    <message>
        <source>Median</source>
        <translation>中位数</translation>
    </message>
    <message>
        <source>Win rate by period</source>
        <translation>各期赢单率</translation>
    </message>
    <message>
        <source>Export the cockpit</source>
        <translation>导出驾驶舱</translation>
    </message>
</context>
<context>
    <name>ConflictsScreen</name>
    <message>
        <source>(empty)</source>
        <translation>(空)</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>记录</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>字段</translation>
    </message>
    <message>
        <source>These fields were changed in two places at the same time. The value that reached the server first is in force; the other one was kept aside. Keep: the value in force stays and the conflict closes on every device. Restore: the other value replaces it, as a new edit that syncs.</source>
        <translation>以下字段在两处同时被修改。先到达服务器的值当前生效,另一个值已另行保存。保留:当前生效的值不变,所有设备上的冲突随之关闭。恢复:用另一个值替换当前值,作为一次新的修改同步。</translation>
    </message>
    <message>
        <source>In force now</source>
        <translation>当前生效</translation>
    </message>
    <message>
        <source>Written by</source>
        <translation>修改人</translation>
    </message>
    <message>
        <source>Kept aside</source>
        <translation>另存的值</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Decide</source>
        <translation>处理</translation>
    </message>
    <message>
        <source>No conflicts. Every change merged cleanly.</source>
        <translation>没有冲突,所有修改都已顺利合并。</translation>
    </message>
    <message>
        <source>Conflicts</source>
        <translation>冲突</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Contact</source>
        <translation>联系人</translation>
    </message>
    <message>
        <source>Deal</source>
        <translation>商机</translation>
    </message>
    <message>
        <source>Lead</source>
        <translation>线索</translation>
    </message>
    <message>
        <source>another device</source>
        <translation>其他设备</translation>
    </message>
    <message>
        <source>Keep</source>
        <translation>保留</translation>
    </message>
    <message>
        <source>Keep %1 (in force); %2 is dropped on every device</source>
        <translation>保留%1(当前生效);所有设备上将放弃%2</translation>
    </message>
    <message>
        <source>Restore other</source>
        <translation>恢复另一方的值</translation>
    </message>
    <message>
        <source>Replace %1 with %2 (a new edit that syncs)</source>
        <translation>用%2替换%1(作为新的修改同步)</translation>
    </message>
    <message>
        <source>%1 (this device)</source>
        <translation>%1(本机)</translation>
    </message>
</context>
<context>
    <name>ContractDialog</name>
    <message>
        <source>Read contract</source>
        <translation>识别合同</translation>
    </message>
    <message>
        <source>Party A (甲方)</source>
        <translation>甲方</translation>
    </message>
    <message>
        <source>Party B (乙方)</source>
        <translation>乙方</translation>
    </message>
    <message>
        <source>Reading the contract…</source>
        <translation>正在识别合同…</translation>
    </message>
    <message>
        <source>Attach and change ticked fields</source>
        <translation>附加合同并修改勾选的字段</translation>
    </message>
    <message>
        <source>Check the read values (highlighted ones especially) against the deal&apos;s; only ticked fields change.</source>
        <translation>请对照商机当前的值核对识别结果(尤其是高亮的字段);只有勾选的字段会被修改。</translation>
    </message>
    <message>
        <source>Reading the contract</source>
        <translation>正在识别合同</translation>
    </message>
    <message>
        <source>Neither party of this contract is the deal&apos;s customer %1. Is it the right contract? Nothing is ticked: tick only what should change.</source>
        <translation>合同的甲乙双方都不是该商机的客户%1。是否选错了合同?所有字段均未勾选,请只勾选确实要修改的字段。</translation>
    </message>
    <message>
        <source>Attaching the contract</source>
        <translation>正在附加合同</translation>
    </message>
</context>
<context>
    <name>ContractForm</name>
    <message>
        <source>Read from the contract</source>
        <translation>合同识别结果</translation>
    </message>
    <message>
        <source>On the deal now</source>
        <translation>商机当前值</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>修改</translation>
    </message>
    <message>
        <source>Tick to write the read value into the deal</source>
        <translation>勾选后将识别的值写入商机</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>(空)</translation>
    </message>
    <message numerus="yes">
        <source>Read with %n% confidence: please check</source>
        <translation>
            <numerusform>识别置信度 %n%,请核对</numerusform>
        </translation>
    </message>
    <message>
        <source>the deal&apos;s customer</source>
        <translation>即该商机的客户</translation>
    </message>
    <message>
        <source>not the deal&apos;s customer (%1)</source>
        <translation>不是该商机的客户(%1)</translation>
    </message>
</context>
<context>
    <name>CrashDialog</name>
    <message>
        <source>FieldCRM – unexpected error</source>
        <translation>FieldCRM – 意外错误</translation>
    </message>
    <message>
        <source>Something went wrong inside FieldCRM. Everything you saved is safe. Please send the details below to your IT contact.</source>
        <translation>FieldCRM 内部出错了。你保存过的内容都安全无损。请把下面的详情发给 IT 同事。</translation>
    </message>
    <message>
        <source>The details were also written to: %1</source>
        <translation>详情已写入:%1</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>复制详情</translation>
    </message>
</context>
<context>
    <name>CustomerListModel</name>
    <message>
        <source>Customer</source>
        <translation>客户名称</translation>
    </message>
    <message>
        <source>Industry</source>
        <translation>行业</translation>
    </message>
    <message>
        <source>Region</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Last follow-up</source>
        <translation>最近跟进</translation>
    </message>
    <message>
        <source>Found in</source>
        <translation>匹配于</translation>
    </message>
    <message>
        <source>Contact</source>
        <translation>联系人</translation>
    </message>
    <message>
        <source>Lead</source>
        <translation>线索</translation>
    </message>
    <message>
        <source>Follow-up</source>
        <translation>跟进记录</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1:%2</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
</context>
<context>
    <name>CustomerPage</name>
    <message>
        <source>Log follow-up</source>
        <translation>写跟进</translation>
    </message>
    <message>
        <source>Ctrl+N</source>
        <translation>Ctrl+N</translation>
    </message>
    <message>
        <source>Merge with…</source>
        <translation>合并重复…</translation>
    </message>
    <message>
        <source>Merge a duplicate of this customer into one record</source>
        <translation>把该客户的重复记录合并为一条</translation>
    </message>
    <message>
        <source>Save changes</source>
        <translation>保存修改</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>基本信息</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>职务</translation>
    </message>
    <message>
        <source>Mobile</source>
        <translation>手机</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>邮箱</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>关键</translation>
    </message>
    <message>
        <source>Add contact</source>
        <translation>添加联系人</translation>
    </message>
    <message>
        <source>Deal</source>
        <translation>商机名称</translation>
    </message>
    <message>
        <source>Stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Expected close</source>
        <translation>预计成交</translation>
    </message>
    <message>
        <source>New deal</source>
        <translation>新建商机</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>修改人</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>字段</translation>
    </message>
    <message>
        <source>Follow-ups</source>
        <translation>跟进记录</translation>
    </message>
    <message>
        <source>Merge contact…</source>
        <translation>合并联系人…</translation>
    </message>
    <message>
        <source>Contacts</source>
        <translation>联系人</translation>
    </message>
    <message>
        <source>Deals</source>
        <translation>商机</translation>
    </message>
    <message>
        <source>Attachments</source>
        <translation>附件</translation>
    </message>
    <message>
        <source>History</source>
        <translation>修改历史</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <source>Owner: %1 · Last follow-up: %2</source>
        <translation>负责人:%1 · 最近跟进:%2</translation>
    </message>
    <message>
        <source>No follow-ups yet.</source>
        <translation>还没有跟进记录。</translation>
    </message>
    <message>
        <source>Open conflicts on this customer: %1. A field was changed in two places at once; see Conflicts to keep or restore a value.</source>
        <translation>该客户有%1处未处理的冲突:有字段在两处同时被修改,请到“冲突”中保留或恢复。</translation>
    </message>
    <message>
        <source>Select the contact to merge first.</source>
        <translation>请先选择要合并的联系人。</translation>
    </message>
    <message>
        <source>Loading the history</source>
        <translation>正在读取修改历史</translation>
    </message>
    <message>
        <source>(duplicates merged in)</source>
        <translation>(合并了重复记录)</translation>
    </message>
    <message>
        <source>(merged into)</source>
        <translation>(已合并到)</translation>
    </message>
    <message>
        <source>this device</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>another device</source>
        <translation>其他设备</translation>
    </message>
    <message>
        <source>(created)</source>
        <translation>(新建)</translation>
    </message>
    <message>
        <source>History verified: every change is chained and untouched.</source>
        <translation>历史记录已校验:每一处修改都环环相扣,未被篡改。</translation>
    </message>
    <message>
        <source>Old value</source>
        <translation>原值</translation>
    </message>
    <message>
        <source>New value</source>
        <translation>新值</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Warning: this history was altered outside FieldCRM.</source>
        <translation>警告:此历史记录曾在 FieldCRM 之外被改动。</translation>
    </message>
    <message>
        <source>Contacts (%1)</source>
        <translation>联系人(%1)</translation>
    </message>
    <message>
        <source>Deals (%1)</source>
        <translation>商机(%1)</translation>
    </message>
    <message>
        <source>Attachments (%1)</source>
        <translation>附件(%1)</translation>
    </message>
    <message>
        <source>Showing the changes made on this device. Changes from other devices appear here when the server can be reached.</source>
        <translation>当前只显示本机上的修改。连接到服务器后,这里也会显示其他设备上的修改。</translation>
    </message>
    <message>
        <source>Changes from every device.</source>
        <translation>所有设备上的修改。</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
</context>
<context>
    <name>CustomersScreen</name>
    <message>
        <source>Search customers, contacts, phone numbers, notes… (pinyin initials work)</source>
        <translation>搜索客户、联系人、电话、跟进内容……(支持拼音首字母)</translation>
    </message>
    <message>
        <source>All owners</source>
        <translation>全部负责人</translation>
    </message>
    <message>
        <source>Mine</source>
        <translation>我的</translation>
    </message>
    <message>
        <source>Any deal stage</source>
        <translation>不限商机阶段</translation>
    </message>
    <message numerus="yes">
        <source>No follow-up for %n day(s)</source>
        <translation>
            <numerusform>%n 天未跟进</numerusform>
        </translation>
    </message>
    <message>
        <source>New customer</source>
        <translation>新建客户</translation>
    </message>
    <message>
        <source>Scan cards…</source>
        <translation>扫描名片…</translation>
    </message>
    <message>
        <source>Read business cards (photos or scans) into new contacts</source>
        <translation>把名片(照片或扫描件)识别为新联系人</translation>
    </message>
    <message>
        <source>No customer, contact or follow-up matches “%1”.</source>
        <translation>没有客户、联系人或跟进记录匹配“%1”。</translation>
    </message>
    <message>
        <source>No customers yet: add one with New customer, or scan business cards.</source>
        <translation>还没有客户:点“新建客户”添加,或扫描名片。</translation>
    </message>
    <message>
        <source>No customers match these filters.</source>
        <translation>没有符合筛选条件的客户。</translation>
    </message>
    <message numerus="yes">
        <source>%n customer(s)</source>
        <translation>
            <numerusform>共 %n 个客户</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n customer(s) reassigned</source>
        <translation>
            <numerusform>已转交 %n 个客户</numerusform>
        </translation>
    </message>
    <message>
        <source>Reassigning</source>
        <translation>正在转交</translation>
    </message>
    <message>
        <source>Customers</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Scan business cards</source>
        <translation>扫描名片</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp)</translation>
    </message>
</context>
<context>
    <name>DealPage</name>
    <message>
        <source>Move back…</source>
        <translation>退回…</translation>
    </message>
    <message>
        <source>Mark lost…</source>
        <translation>标记输单…</translation>
    </message>
    <message>
        <source>Reopen…</source>
        <translation>重新打开…</translation>
    </message>
    <message>
        <source>Log follow-up</source>
        <translation>写跟进</translation>
    </message>
    <message>
        <source>Save changes</source>
        <translation>保存修改</translation>
    </message>
    <message>
        <source>Deal</source>
        <translation>商机信息</translation>
    </message>
    <message>
        <source>Attachments</source>
        <translation>附件</translation>
    </message>
    <message>
        <source>Follow-ups</source>
        <translation>跟进记录</translation>
    </message>
    <message>
        <source>%1 · owner %2 · in this stage since %3</source>
        <translation>%1 · 负责人 %2 · 自 %3 起处于本阶段</translation>
    </message>
    <message>
        <source>no amount yet</source>
        <translation>尚无金额</translation>
    </message>
    <message>
        <source>To move on to %1</source>
        <translation>推进到「%1」的条件</translation>
    </message>
    <message>
        <source>No requirements for this step.</source>
        <translation>这一步没有前置要求。</translation>
    </message>
    <message>
        <source>Advance to %1</source>
        <translation>推进到「%1」</translation>
    </message>
    <message>
        <source>Request approval to move to %1</source>
        <translation>申请审批:推进到「%1」</translation>
    </message>
    <message>
        <source>Advance is locked until:</source>
        <translation>完成以下事项后才能推进:</translation>
    </message>
    <message>
        <source>Lost: %1</source>
        <translation>已输单:%1</translation>
    </message>
    <message>
        <source>Waiting for the team lead&apos;s approval to move to %1 (requested %2).</source>
        <translation>等待主管审批推进到「%1」(申请于 %2)。</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>申请说明:%1</translation>
    </message>
    <message>
        <source>Signed. Handover is complete.</source>
        <translation>已签约,交接完成。</translation>
    </message>
    <message>
        <source>Approved by the team lead: you may advance.</source>
        <translation>主管已批准,可以推进。</translation>
    </message>
    <message>
        <source>Open conflicts on this deal: %1. A field was changed in two places at once; see Conflicts to keep or restore a value.</source>
        <translation>该商机有%1处未处理的冲突:有字段在两处同时被修改,请到“冲突”中保留或恢复。</translation>
    </message>
    <message>
        <source>Attachments (%1)</source>
        <translation>附件(%1)</translation>
    </message>
    <message>
        <source>No follow-ups on this deal yet.</source>
        <translation>这个商机还没有跟进记录。</translation>
    </message>
    <message>
        <source>Moving the deal</source>
        <translation>正在推进商机</translation>
    </message>
    <message>
        <source>Approval requested. The deal moves on once the team lead approves; the request is sent with the next sync.</source>
        <translation>已提交审批。主管批准后商机自动推进;申请会在下次同步时发送。</translation>
    </message>
    <message>
        <source>Cannot advance yet:</source>
        <translation>暂时无法推进:</translation>
    </message>
    <message>
        <source>Move the deal back</source>
        <translation>退回商机</translation>
    </message>
    <message>
        <source>Moving back is allowed with a reason; it is kept in the history.</source>
        <translation>填写原因即可退回,原因会记入历史。</translation>
    </message>
    <message>
        <source>Mark the deal lost</source>
        <translation>标记商机输单</translation>
    </message>
    <message>
        <source>Say why the deal was lost (budget, competitor, project cancelled…).</source>
        <translation>请说明输单原因(预算、竞品、项目取消……)。</translation>
    </message>
    <message>
        <source>Reopen the deal</source>
        <translation>重新打开商机</translation>
    </message>
    <message>
        <source>A reopened deal returns to the stage it was lost in, or an earlier one.</source>
        <translation>重新打开的商机只能回到输单时所在的阶段或更早的阶段。</translation>
    </message>
</context>
<context>
    <name>DecisionBox</name>
    <message>
        <source>Comment (required when rejecting)</source>
        <translation>审批意见(驳回时必填)</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>批准</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>驳回</translation>
    </message>
    <message>
        <source>(no note)</source>
        <translation>(无说明)</translation>
    </message>
    <message>
        <source>%1 asks to move this deal to %2 (requested %3). Note: %4</source>
        <translation>%1申请将该商机推进到%2(申请于%3)。说明:%4</translation>
    </message>
</context>
<context>
    <name>DuplicatePanel</name>
    <message>
        <source>This may already exist:</source>
        <translation>可能已经存在:</translation>
    </message>
    <message>
        <source>Open the existing one</source>
        <translation>打开已有记录</translation>
    </message>
</context>
<context>
    <name>DuplicatesDialog</name>
    <message>
        <source>Possible duplicates</source>
        <translation>可能重复</translation>
    </message>
    <message>
        <source>This lead may already be a customer on this device. Open the existing one, or create a new customer anyway.</source>
        <translation>该线索可能已是本机上的客户。可打开已有客户,或仍然新建客户。</translation>
    </message>
    <message>
        <source>Open the existing one</source>
        <translation>打开已有客户</translation>
    </message>
    <message>
        <source>Create anyway</source>
        <translation>仍然新建</translation>
    </message>
</context>
<context>
    <name>DuplicatesScreen</name>
    <message>
        <source>Customers</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Contacts</source>
        <translation>联系人</translation>
    </message>
    <message>
        <source>Records</source>
        <translation>记录</translation>
    </message>
    <message>
        <source>Owners</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>分数</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Merge…</source>
        <translation>合并…</translation>
    </message>
    <message>
        <source>Suspected duplicates in</source>
        <translation>疑似重复:</translation>
    </message>
    <message numerus="yes">
        <source>%n group(s)</source>
        <translation>
            <numerusform>%n 组</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FollowUpForm</name>
    <message>
        <source>Log follow-up</source>
        <translation>写跟进</translation>
    </message>
    <message>
        <source>The customer&apos;s concern, our answer, the outcome</source>
        <translation>客户的顾虑、我方的回应、结果</translation>
    </message>
    <message>
        <source>e.g. send the revised quote</source>
        <translation>例如:发送修订后的报价</translation>
    </message>
    <message>
        <source>High</source>
        <translation>高</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>中</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>(no deal)</source>
        <translation>(不关联商机)</translation>
    </message>
    <message>
        <source>Tick the people you met or spoke to (Space ticks)</source>
        <translation>勾选本次见到或沟通的人(空格键勾选)</translation>
    </message>
    <message>
        <source>No files</source>
        <translation>无附件</translation>
    </message>
    <message>
        <source>Attach files…</source>
        <translation>添加附件…</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>&amp;Type</source>
        <translation>沟通类型(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Conclusion</source>
        <translation>关键结论(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Next action</source>
        <translation>下一步动作(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Due</source>
        <translation>截止日期(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Priority</source>
        <translation>优先级(&amp;P)</translation>
    </message>
    <message>
        <source>D&amp;eal</source>
        <translation>商机(&amp;E)</translation>
    </message>
    <message>
        <source>C&amp;ontacts met</source>
        <translation>沟通对象(&amp;O)</translation>
    </message>
    <message>
        <source>Depar&amp;tment</source>
        <translation>部门(&amp;T)</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>附件</translation>
    </message>
    <message>
        <source>Save (Ctrl+Enter)</source>
        <translation>保存(Ctrl+Enter)</translation>
    </message>
    <message>
        <source>Tab moves to the next field · Ctrl+Enter saves · Esc cancels</source>
        <translation>Tab 跳到下一项 · Ctrl+Enter 保存 · Esc 取消</translation>
    </message>
    <message>
        <source>Attach files</source>
        <translation>添加附件</translation>
    </message>
    <message>
        <source>Saving follow-up</source>
        <translation>正在保存跟进记录</translation>
    </message>
</context>
<context>
    <name>FollowupsDueScreen</name>
    <message>
        <source>Only my customers</source>
        <translation>只看我的客户</translation>
    </message>
    <message>
        <source>Log follow-up (done)</source>
        <translation>记录跟进(完成)</translation>
    </message>
    <message>
        <source>Log what happened; its next action replaces this one</source>
        <translation>记录本次跟进;它的下一步行动将取代这一项</translation>
    </message>
    <message>
        <source>1 day</source>
        <translation>1天</translation>
    </message>
    <message>
        <source>3 days</source>
        <translation>3天</translation>
    </message>
    <message>
        <source>1 week</source>
        <translation>1周</translation>
    </message>
    <message>
        <source>Snooze</source>
        <translation>稍后提醒</translation>
    </message>
    <message>
        <source>Take the item off the list until then (this device)</source>
        <translation>在此之前不在列表中显示(仅本机)</translation>
    </message>
    <message>
        <source>Make task</source>
        <translation>转为任务</translation>
    </message>
    <message>
        <source>Put the next action on the agenda as a task</source>
        <translation>把下一步动作作为任务放进日程</translation>
    </message>
    <message>
        <source>Follow-ups due</source>
        <translation>待跟进</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>截止日期</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Next action</source>
        <translation>下一步动作</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Nothing due this week. Well done.</source>
        <translation>本周没有待跟进事项。</translation>
    </message>
    <message>
        <source>High</source>
        <translation>高</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>中</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>%1 · %2 due, %3 overdue</source>
        <translation>%1 · 待跟进%2项,逾期%3项</translation>
    </message>
    <message>
        <source>(no owner)</source>
        <translation>(无负责人)</translation>
    </message>
    <message>
        <source>overdue · %1</source>
        <translation>已逾期 · %1</translation>
    </message>
    <message>
        <source>%1 due within a week, %2 overdue</source>
        <translation>一周内到期 %1 条,已逾期 %2 条</translation>
    </message>
    <message>
        <source>%1: %2 (%3 overdue)</source>
        <translation>%1:%2项(逾期%3项)</translation>
    </message>
    <message>
        <source>Task made: %1</source>
        <translation>已转为任务:%1</translation>
    </message>
</context>
<context>
    <name>HealthScreen</name>
    <message>
        <source>Export xlsx…</source>
        <translation>导出 xlsx…</translation>
    </message>
    <message>
        <source>Export PDF…</source>
        <translation>导出 PDF…</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Export xlsx</source>
        <translation>导出 xlsx</translation>
    </message>
    <message>
        <source>Export PDF</source>
        <translation>导出 PDF</translation>
    </message>
</context>
<context>
    <name>LeadDashboard</name>
    <message numerus="yes">
        <source>Last %n day(s)</source>
        <translation>
            <numerusform>最近 %n 天</numerusform>
        </translation>
    </message>
    <message>
        <source>Export to Excel…</source>
        <translation>导出到 Excel…</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>期间</translation>
    </message>
    <message>
        <source>Rep</source>
        <translation>销售</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>已超时</translation>
    </message>
    <message>
        <source>Misses in a row</source>
        <translation>连续未响应</translation>
    </message>
    <message>
        <source>Flag</source>
        <translation>标记</translation>
    </message>
    <message>
        <source>Leads</source>
        <translation>线索</translation>
    </message>
    <message>
        <source>High intent</source>
        <translation>高意向</translation>
    </message>
    <message>
        <source>High-intent share</source>
        <translation>高意向占比</translation>
    </message>
    <message>
        <source>First-week leads</source>
        <translation>首周线索</translation>
    </message>
    <message>
        <source>First week vs team mean</source>
        <translation>首周/团队均值</translation>
    </message>
    <message>
        <source>Below the bar</source>
        <translation>低于标准</translation>
    </message>
    <message>
        <source>Asking the server for new hires&apos; first week…</source>
        <translation>正在向服务器查询新人首周数据…</translation>
    </message>
    <message>
        <source>New hires&apos; first week from the server; flagged below %1 of the team mean.</source>
        <translation>新人首周数据来自服务器;低于团队均值的 %1 时标记。</translation>
    </message>
    <message>
        <source>Offline: new hires&apos; first-week comparison needs the server (it knows when each rep joined).</source>
        <translation>离线:新人首周对比需要服务器(服务器知道每位销售的入职时间)。</translation>
    </message>
    <message numerus="yes">
        <source>⚑ %n missed in a row</source>
        <translation>
            <numerusform>⚑ 连续 %n 次未响应</numerusform>
        </translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>Export the dashboard</source>
        <translation>导出看板</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n rep(s).</source>
        <translation>
            <numerusform>已导出 %n 位销售。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LeadDialog</name>
    <message>
        <source>Lead</source>
        <translation>线索</translation>
    </message>
    <message>
        <source>Company</source>
        <translation>公司</translation>
    </message>
    <message>
        <source>Job title</source>
        <translation>职位</translation>
    </message>
    <message>
        <source>Mobile</source>
        <translation>手机</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>邮箱</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Assigned at</source>
        <translation>分配时间</translation>
    </message>
    <message>
        <source>Respond by</source>
        <translation>响应截止</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <source>Factor</source>
        <translation>评分项</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>取值</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>得分</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>Rep</source>
        <translation>销售</translation>
    </message>
    <message>
        <source>Response speed</source>
        <translation>响应速度</translation>
    </message>
    <message>
        <source>Conversion</source>
        <translation>转化率</translation>
    </message>
    <message>
        <source>Load health</source>
        <translation>负载健康度</translation>
    </message>
    <message>
        <source>Weight</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>Why assigned</source>
        <translation>分配依据</translation>
    </message>
    <message>
        <source>Accept</source>
        <translation>接受</translation>
    </message>
    <message>
        <source>Mark contacted</source>
        <translation>标记已联系</translation>
    </message>
    <message>
        <source>Log first contact</source>
        <translation>记录首次联系</translation>
    </message>
    <message>
        <source>Convert to customer</source>
        <translation>转为客户</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source> (not sent yet)</source>
        <translation>(尚未提交)</translation>
    </message>
    <message>
        <source>Not assigned yet</source>
        <translation>尚未分配</translation>
    </message>
    <message>
        <source>Score %1</source>
        <translation>评分 %1</translation>
    </message>
    <message>
        <source>High intent</source>
        <translation>高意向</translation>
    </message>
    <message>
        <source>Not assigned by the server (imported or created by hand).</source>
        <translation>非服务器分配(导入或手工创建)。</translation>
    </message>
    <message numerus="yes">
        <source>Chosen: %1, by weighted choice among %n eligible rep(s).</source>
        <translation>
            <numerusform>已分配给 %1(在 %n 名符合条件的销售中按权重选出)。</numerusform>
        </translation>
    </message>
    <message>
        <source>Waiting: no rep of the team could take it.</source>
        <translation>等待中:团队中暂无可接单的销售。</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>已停用</translation>
    </message>
    <message>
        <source>on leave</source>
        <translation>休假中</translation>
    </message>
    <message>
        <source>at the customer cap</source>
        <translation>客户数已达上限</translation>
    </message>
    <message>
        <source>Skipped: %1.</source>
        <translation>未参与:%1。</translation>
    </message>
    <message>
        <source>Responded</source>
        <translation>已响应</translation>
    </message>
    <message>
        <source>No deadline</source>
        <translation>无截止时间</translation>
    </message>
</context>
<context>
    <name>LeadNotice</name>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Respond: %1</source>
        <translation>响应:%1</translation>
    </message>
</context>
<context>
    <name>Leads</name>
    <message>
        <source>overdue by %1 min</source>
        <translation>已超时 %1 分钟</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Assigned</source>
        <translation>已分配</translation>
    </message>
    <message>
        <source>Accepted</source>
        <translation>已接受</translation>
    </message>
    <message>
        <source>Contacted</source>
        <translation>已联系</translation>
    </message>
    <message>
        <source>In shared pool</source>
        <translation>在公海</translation>
    </message>
    <message>
        <source>Converted</source>
        <translation>已转化</translation>
    </message>
    <message>
        <source>Discarded</source>
        <translation>已放弃</translation>
    </message>
    <message>
        <source>Web form</source>
        <translation>网页表单</translation>
    </message>
    <message>
        <source>Douyin</source>
        <translation>抖音</translation>
    </message>
    <message>
        <source>WeChat</source>
        <translation>微信</translation>
    </message>
    <message>
        <source>Trade show</source>
        <translation>展会</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>Referral</source>
        <translation>转介绍</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>No</source>
        <translation>否</translation>
    </message>
</context>
<context>
    <name>LeadsScreen</name>
    <message>
        <source>Response deadline first</source>
        <translation>响应截止优先</translation>
    </message>
    <message>
        <source>Highest score first</source>
        <translation>评分最高优先</translation>
    </message>
    <message>
        <source>Newest first</source>
        <translation>最新优先</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Accept</source>
        <translation>接受</translation>
    </message>
    <message>
        <source>Counts from now, also offline: sent with the next sync</source>
        <translation>以此刻为准,离线亦可:下次同步时提交</translation>
    </message>
    <message>
        <source>Mark contacted</source>
        <translation>标记已联系</translation>
    </message>
    <message>
        <source>Log first contact</source>
        <translation>记录首次联系</translation>
    </message>
    <message>
        <source>Converts the lead first if it has no customer yet</source>
        <translation>线索尚无客户时先转化</translation>
    </message>
    <message>
        <source>Convert</source>
        <translation>转化</translation>
    </message>
    <message>
        <source>Customer + key contact + deal, after a duplicate check</source>
        <translation>查重后创建客户、关键联系人和商机</translation>
    </message>
    <message>
        <source>Leads</source>
        <translation>线索</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Company</source>
        <translation>公司</translation>
    </message>
    <message>
        <source>Mobile</source>
        <translation>手机</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Respond within</source>
        <translation>响应倒计时</translation>
    </message>
    <message>
        <source>No open leads. New leads appear here after a sync.</source>
        <translation>没有待处理的线索。新线索会在同步后出现在这里。</translation>
    </message>
    <message>
        <source>公海 Pool</source>
        <translation>公海</translation>
    </message>
    <message>
        <source> (not sent yet)</source>
        <translation>(尚未提交)</translation>
    </message>
    <message>
        <source>Marked contacted; sent to the server with the next sync.</source>
        <translation>已标记为已联系,下次同步时提交服务器。</translation>
    </message>
    <message>
        <source>Accepted; sent to the server with the next sync.</source>
        <translation>已接受,下次同步时提交服务器。</translation>
    </message>
    <message>
        <source>Converted: a customer, its key contact and a deal were created.</source>
        <translation>已转化:已创建客户、关键联系人和商机。</translation>
    </message>
    <message>
        <source>First contact logged.</source>
        <translation>已记录首次联系。</translation>
    </message>
    <message>
        <source>Dashboard</source>
        <translation>看板</translation>
    </message>
    <message>
        <source>Alert inbox</source>
        <translation>提醒收件箱</translation>
    </message>
</context>
<context>
    <name>LiveUpdates</name>
    <message>
        <source>New lead: %1</source>
        <translation>新线索:%1</translation>
    </message>
    <message>
        <source>respond within %1</source>
        <translation>请在 %1 内响应</translation>
    </message>
</context>
<context>
    <name>LockRow</name>
    <message>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>(choose a contact)</source>
        <translation>(选择联系人)</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Attach %1…</source>
        <translation>上传%1…</translation>
    </message>
    <message>
        <source>Attach another…</source>
        <translation>再上传一个…</translation>
    </message>
    <message>
        <source>or drop the file on this row</source>
        <translation>或把文件拖到这一行</translation>
    </message>
    <message>
        <source>Read a contract…</source>
        <translation>识别合同…</translation>
    </message>
    <message>
        <source>Attach a scanned contract and fill in its number, amount and dates</source>
        <translation>附加扫描合同并自动填入编号、金额和日期</translation>
    </message>
    <message>
        <source>Read a contract</source>
        <translation>识别合同</translation>
    </message>
    <message>
        <source>Contracts (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)</source>
        <translation>合同 (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)</translation>
    </message>
    <message>
        <source>Attach %1</source>
        <translation>上传%1</translation>
    </message>
    <message>
        <source>Ticked = confirmed with the customer</source>
        <translation>勾选 = 已与客户确认</translation>
    </message>
    <message>
        <source>Add a pain point the customer confirmed</source>
        <translation>添加一条客户已确认的痛点</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>(nobody yet)</source>
        <translation>(尚未指定)</translation>
    </message>
</context>
<context>
    <name>LostReasonPicker</name>
    <message>
        <source>Choose a reason…</source>
        <translation>选择原因…</translation>
    </message>
    <message>
        <source> (describe below)</source>
        <translation>(请在下方说明)</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>FieldCRM</source>
        <translation>FieldCRM</translation>
    </message>
    <message>
        <source>Customers</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Leads</source>
        <translation>线索</translation>
    </message>
    <message>
        <source>Deals</source>
        <translation>商机</translation>
    </message>
    <message>
        <source>Cockpit</source>
        <translation>驾驶舱</translation>
    </message>
    <message>
        <source>Follow-ups due</source>
        <translation>待跟进</translation>
    </message>
    <message>
        <source>Agenda</source>
        <translation>日程</translation>
    </message>
    <message>
        <source>Renewals</source>
        <translation>续约</translation>
    </message>
    <message>
        <source>Customer success</source>
        <translation>客户成功</translation>
    </message>
    <message>
        <source>Approvals</source>
        <translation>审批</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>提醒</translation>
    </message>
    <message>
        <source>Conflicts</source>
        <translation>冲突</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Export list…</source>
        <translation>导出列表…</translation>
    </message>
    <message>
        <source>Save the rows and columns shown to an Excel file (Ctrl+E)</source>
        <translation>把当前显示的行和列导出为 Excel 文件(Ctrl+E)</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>Team lead</source>
        <translation>销售主管</translation>
    </message>
    <message>
        <source>Sales rep</source>
        <translation>销售</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>Local profile</source>
        <translation>本机资料</translation>
    </message>
    <message>
        <source>New customer</source>
        <translation>新建客户</translation>
    </message>
    <message>
        <source>Duplicates</source>
        <translation>疑似重复</translation>
    </message>
    <message>
        <source>Data health</source>
        <translation>数据健康</translation>
    </message>
</context>
<context>
    <name>MergeDialog</name>
    <message>
        <source>Merge duplicate customers</source>
        <translation>合并重复客户</translation>
    </message>
    <message>
        <source>Merge duplicate contacts</source>
        <translation>合并重复联系人</translation>
    </message>
    <message>
        <source>Choose the record to keep and, where the records differ, the value that stays. Contacts, deals, follow-ups, attachments and lead links of the other records move to the one you keep; the others are closed and point to it. Everyone who holds any of them gets the merge at their next sync.</source>
        <translation>选择要保留的记录,并在各记录不一致的字段上选定保留的值。其他记录的联系人、商机、跟进、附件和线索关联都将转到保留的记录下;其他记录随即关闭并指向它。持有其中任一记录的同事在下次同步时都会收到这次合并。</translation>
    </message>
    <message>
        <source>Choose the contact to keep and, where they differ, the value that stays. Deals, follow-ups and attachments that name the other contacts name the one you keep; the others are closed and point to it. Everyone who holds any of them gets the merge at their next sync.</source>
        <translation>选择要保留的联系人,并在不一致的字段上选定保留的值。提到其他联系人的商机、跟进和附件都将改为指向保留的联系人;其他联系人随即关闭并指向它。持有其中任一记录的同事在下次同步时都会收到这次合并。</translation>
    </message>
    <message>
        <source>Merge</source>
        <translation>合并</translation>
    </message>
    <message>
        <source>Keep this one</source>
        <translation>保留此条</translation>
    </message>
    <message>
        <source>Under it</source>
        <translation>名下</translation>
    </message>
    <message>
        <source>Named by</source>
        <translation>被引用</translation>
    </message>
    <message>
        <source>The records hold the same values: only the one to keep is asked.</source>
        <translation>这些记录的内容相同:只需选择保留哪一条。</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message numerus="yes">
        <source>%n contact(s)</source>
        <translation>
            <numerusform>%n 位联系人</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n deal(s)</source>
        <translation>
            <numerusform>%n 个商机</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n follow-up(s)</source>
        <translation>
            <numerusform>%n 条跟进</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n attachment(s)</source>
        <translation>
            <numerusform>%n 个附件</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n lead(s)</source>
        <translation>
            <numerusform>%n 条线索</numerusform>
        </translation>
    </message>
    <message>
        <source>nothing</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Merging</source>
        <translation>正在合并</translation>
    </message>
</context>
<context>
    <name>MergeWithDialog</name>
    <message>
        <source>Merge with…</source>
        <translation>合并重复…</translation>
    </message>
    <message>
        <source>Name, phone or pinyin initials</source>
        <translation>名称、电话或拼音首字母</translation>
    </message>
    <message>
        <source>Compare…</source>
        <translation>对比…</translation>
    </message>
    <message>
        <source>Find the other record first.</source>
        <translation>请先找到另一条记录。</translation>
    </message>
</context>
<context>
    <name>MoveDialog</name>
    <message>
        <source>Why? (at least %1 characters)</source>
        <translation>原因(至少 %1 个字)</translation>
    </message>
    <message>
        <source>Move to</source>
        <translation>移到</translation>
    </message>
    <message>
        <source>Lost because</source>
        <translation>输单原因</translation>
    </message>
    <message>
        <source>Details (required for “Other”)</source>
        <translation>补充说明(选“其他”时必填)</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>PipelineScreen</name>
    <message>
        <source>My deals</source>
        <translation>我的商机</translation>
    </message>
    <message>
        <source>Whole team</source>
        <translation>整个团队</translation>
    </message>
    <message>
        <source>Any close date</source>
        <translation>不限成交日期</translation>
    </message>
    <message>
        <source>Closing this month</source>
        <translation>本月成交</translation>
    </message>
    <message>
        <source>Closing this quarter</source>
        <translation>本季度成交</translation>
    </message>
    <message>
        <source>Board</source>
        <translation>看板</translation>
    </message>
    <message>
        <source>Table</source>
        <translation>表格</translation>
    </message>
    <message>
        <source>Open pipeline: deals neither signed nor lost</source>
        <translation>在途金额:尚未签约也未输单的商机</translation>
    </message>
    <message>
        <source>Show:</source>
        <translation>显示:</translation>
    </message>
    <message>
        <source>Deal</source>
        <translation>商机名称</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Expected close</source>
        <translation>预计成交</translation>
    </message>
    <message>
        <source>Days in stage</source>
        <translation>本阶段天数</translation>
    </message>
    <message>
        <source>Attention</source>
        <translation>需关注</translation>
    </message>
    <message numerus="yes">
        <source>%n deal(s)</source>
        <translation>
            <numerusform>%n 个商机</numerusform>
        </translation>
    </message>
    <message>
        <source>… %1 more (largest shown)</source>
        <translation>……还有 %1 个(仅显示金额最大的)</translation>
    </message>
    <message>
        <source>Open pipeline: %1</source>
        <translation>在途金额:%1</translation>
    </message>
    <message numerus="yes">
        <source>%n open deal(s)</source>
        <translation>
            <numerusform>在途 %n 个商机</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n day(s) in stage</source>
        <translation>
            <numerusform>本阶段 %n 天</numerusform>
        </translation>
    </message>
    <message>
        <source>close %1</source>
        <translation>预计 %1 成交</translation>
    </message>
    <message numerus="yes">
        <source>⚠ Stalled: no follow-up for %n hour(s)</source>
        <translation>
            <numerusform>⚠ 停滞:%n 小时无跟进</numerusform>
        </translation>
    </message>
    <message>
        <source>⏳ Waiting for the team lead&apos;s approval</source>
        <translation>⏳ 等待主管审批</translation>
    </message>
    <message>
        <source>total %1</source>
        <translation>合计 %1</translation>
    </message>
    <message>
        <source>open %1</source>
        <translation>在途 %1</translation>
    </message>
    <message numerus="yes">
        <source>%n deal(s) reassigned</source>
        <translation>
            <numerusform>已转交 %n 个商机</numerusform>
        </translation>
    </message>
    <message>
        <source>Reassigning</source>
        <translation>正在转交</translation>
    </message>
    <message>
        <source>Deals</source>
        <translation>商机</translation>
    </message>
    <message>
        <source>Moved to %1.</source>
        <translation>已推进到%1。</translation>
    </message>
    <message>
        <source>Approval requested</source>
        <translation>已提交审批</translation>
    </message>
    <message>
        <source>Moving to %1 needs the team lead&apos;s approval. The request was filed; the deal moves once it is approved.</source>
        <translation>移到「%1」需要主管审批。已提交申请,批准后商机自动推进。</translation>
    </message>
    <message>
        <source>The deal cannot move yet</source>
        <translation>商机暂时不能移动</translation>
    </message>
    <message>
        <source>It cannot move to %1 yet:</source>
        <translation>暂时不能移到「%1」:</translation>
    </message>
    <message>
        <source>Open checklist</source>
        <translation>打开检查清单</translation>
    </message>
    <message>
        <source>Mark the deal lost</source>
        <translation>标记商机输单</translation>
    </message>
    <message>
        <source>Move the deal to %1</source>
        <translation>把商机移到「%1」</translation>
    </message>
    <message>
        <source>Give a reason; it is kept in the history.</source>
        <translation>请填写原因,原因会记入历史。</translation>
    </message>
</context>
<context>
    <name>PoolPanel</name>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Claim</source>
        <translation>认领</translation>
    </message>
    <message>
        <source>Leads and customers nobody kept; the first rep to claim one gets it.</source>
        <translation>无人跟进的线索和客户;先认领者得。</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Company</source>
        <translation>公司</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>Why in the pool</source>
        <translation>进入公海原因</translation>
    </message>
    <message>
        <source>Former owner</source>
        <translation>原负责人</translation>
    </message>
    <message>
        <source>In the pool since</source>
        <translation>进入公海时间</translation>
    </message>
    <message>
        <source>Loading the pool…</source>
        <translation>正在读取公海…</translation>
    </message>
    <message>
        <source>The pool is empty.</source>
        <translation>公海暂无记录。</translation>
    </message>
    <message numerus="yes">
        <source>%n in the pool</source>
        <translation>
            <numerusform>公海中共 %n 条</numerusform>
        </translation>
    </message>
    <message>
        <source>Lead</source>
        <translation>线索</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Not accepted in time</source>
        <translation>未按时接受</translation>
    </message>
    <message>
        <source>No follow-up for too long</source>
        <translation>长期未跟进</translation>
    </message>
    <message>
        <source>Claimed: it arrives with the next sync.</source>
        <translation>认领成功,下次同步后可见。</translation>
    </message>
    <message>
        <source>Someone else claimed it first.</source>
        <translation>已被他人抢先认领。</translation>
    </message>
</context>
<context>
    <name>Preview</name>
    <message>
        <source>(no preview for this file)</source>
        <translation>(此文件无法预览)</translation>
    </message>
</context>
<context>
    <name>ReadForm</name>
    <message numerus="yes">
        <source>Read with %n% confidence: please check</source>
        <translation>
            <numerusform>识别置信度 %n%,请核对</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ReassignDialog</name>
    <message>
        <source>Reassign</source>
        <translation>转交</translation>
    </message>
    <message>
        <source>New owner</source>
        <translation>新负责人</translation>
    </message>
    <message numerus="yes">
        <source>Give %n selected record(s) to:</source>
        <translation>
            <numerusform>把所选 %n 条记录转交给:</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecordDialog</name>
    <message>
        <source>Save anyway</source>
        <translation>仍然保存</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
</context>
<context>
    <name>ReminderService</name>
    <message>
        <source>Soon: %1</source>
        <translation>即将到期:%1</translation>
    </message>
    <message>
        <source>Due now: %1</source>
        <translation>现在到期:%1</translation>
    </message>
    <message>
        <source>due at %1</source>
        <translation>%1 到期</translation>
    </message>
</context>
<context>
    <name>ReminderSettingsDialog</name>
    <message>
        <source>Reminders</source>
        <translation>提醒设置</translation>
    </message>
    <message>
        <source> min before</source>
        <translation> 分钟前</translation>
    </message>
    <message>
        <source>this computer&apos;s zone, e.g. Asia/Shanghai</source>
        <translation>本机时区,例如 Asia/Shanghai</translation>
    </message>
    <message>
        <source>Keep running in the tray when the window is closed</source>
        <translation>关闭窗口后在托盘中继续运行</translation>
    </message>
    <message>
        <source>Start FieldCRM when I sign in to this computer</source>
        <translation>登录电脑时自动启动 FieldCRM</translation>
    </message>
    <message>
        <source>Remind me</source>
        <translation>提前提醒</translation>
    </message>
    <message>
        <source>Time zone</source>
        <translation>时区</translation>
    </message>
</context>
<context>
    <name>Renewals</name>
    <message>
        <source>%1 days</source>
        <translation>%1 天</translation>
    </message>
    <message>
        <source>renewal deal made</source>
        <translation>已建续约商机</translation>
    </message>
    <message>
        <source>%1 due %2</source>
        <translation>%1(%2 到期)</translation>
    </message>
</context>
<context>
    <name>RenewalsScreen</name>
    <message>
        <source>Renewals</source>
        <translation>续约</translation>
    </message>
    <message>
        <source>Renew (R)</source>
        <translation>续约 (R)</translation>
    </message>
    <message>
        <source>Make the renewal deal for the selected contract</source>
        <translation>为所选合同新建续约商机</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>到期日</translation>
    </message>
    <message>
        <source>Left</source>
        <translation>剩余</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Contract</source>
        <translation>合同</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Journey</source>
        <translation>客户旅程</translation>
    </message>
    <message>
        <source>Renewal</source>
        <translation>续约</translation>
    </message>
    <message>
        <source>No contract expires in the coming months.</source>
        <translation>近几个月没有到期的合同。</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Signed</source>
        <translation>签约日期</translation>
    </message>
    <message>
        <source>Late step</source>
        <translation>逾期步骤</translation>
    </message>
    <message>
        <source>Journeys not started or stalled</source>
        <translation>未启动或停滞的客户旅程</translation>
    </message>
    <message numerus="yes">
        <source>%n contract(s) in the next %1 days, %2 in all</source>
        <translation>
            <numerusform>未来 %1 天内有 %n 份合同到期,共 %2</numerusform>
        </translation>
    </message>
    <message>
        <source>Renewal deal made</source>
        <translation>已建续约商机</translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <source>Not signed in.</source>
        <translation>未登录。</translation>
    </message>
    <message>
        <source>Sign in…</source>
        <translation>登录…</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>This installation has no server connection configured yet; everything you do is kept on this device.</source>
        <translation>此安装尚未配置服务器连接;你的所有操作都保存在本机。</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Display language</source>
        <translation>界面语言</translation>
    </message>
    <message>
        <source>This device</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>Profile folder</source>
        <translation>资料文件夹</translation>
    </message>
    <message>
        <source>Log file</source>
        <translation>日志文件</translation>
    </message>
    <message>
        <source>About FieldCRM</source>
        <translation>关于 FieldCRM</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Bundled components</source>
        <translation>随附组件</translation>
    </message>
    <message>
        <source>Their licences are listed in %1</source>
        <translation>其许可证列于 %1</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Server and OCR</source>
        <translation>服务器与文字识别</translation>
    </message>
    <message>
        <source>The system&apos;s certificates</source>
        <translation>系统证书</translation>
    </message>
    <message>
        <source>min</source>
        <translation>分钟</translation>
    </message>
    <message>
        <source>Languages joined with +: %1, or Tesseract&apos;s codes (chi_sim, eng…)</source>
        <translation>用 + 连接语言:%1,也可填 Tesseract 代码(chi_sim、eng…)</translation>
    </message>
    <message>
        <source>Automatic (PP-OCR, else Tesseract)</source>
        <translation>自动(PP-OCR,不可用时用 Tesseract)</translation>
    </message>
    <message>
        <source>PP-OCR (deep learning)</source>
        <translation>PP-OCR(深度学习)</translation>
    </message>
    <message>
        <source>Tesseract</source>
        <translation>Tesseract</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>服务器地址</translation>
    </message>
    <message>
        <source>CA certificates (PEM file)</source>
        <translation>CA 证书(PEM 文件)</translation>
    </message>
    <message>
        <source>Sync automatically every</source>
        <translation>自动同步间隔</translation>
    </message>
    <message>
        <source>OCR languages</source>
        <translation>识别语言</translation>
    </message>
    <message>
        <source>OCR engine</source>
        <translation>OCR 识别引擎</translation>
    </message>
    <message>
        <source>Signed in to</source>
        <translation>已登录服务器</translation>
    </message>
    <message>
        <source>Set by your IT department</source>
        <translation>由 IT 部门设定</translation>
    </message>
    <message>
        <source>Save settings</source>
        <translation>保存设置</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>Signed in as %1 on %2. Last synced: %3.</source>
        <translation>已以 %1 身份登录 %2。上次同步:%3。</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <source>Not signed in. Your work is kept on this device until you sign in.</source>
        <translation>未登录。登录前,你的工作都保存在本机。</translation>
    </message>
</context>
<context>
    <name>SheetExport</name>
    <message>
        <source>Export to Excel</source>
        <translation>导出为 Excel</translation>
    </message>
    <message>
        <source>Excel workbook (*.xlsx)</source>
        <translation>Excel 工作簿 (*.xlsx)</translation>
    </message>
    <message>
        <source>Exporting</source>
        <translation>正在导出</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n row(s) to %1</source>
        <translation>
            <numerusform>已导出 %n 行到 %1</numerusform>
        </translation>
    </message>
    <message>
        <source>Could not write the file: %1</source>
        <translation>无法写入文件:%1</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Sign in to FieldCRM</source>
        <translation>登录 FieldCRM</translation>
    </message>
    <message>
        <source>Set by your IT department</source>
        <translation>由 IT 部门设定</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Your password is not stored. FieldCRM keeps a sign-in token in the system keyring; work done offline is never lost when the session expires.</source>
        <translation>密码不会被保存。FieldCRM 把登录令牌存放在系统钥匙串中;登录过期也不会丢失离线时的工作。</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Fill in the server, your user name and password.</source>
        <translation>请填写服务器地址、用户名和密码。</translation>
    </message>
    <message>
        <source>Signing in</source>
        <translation>正在登录</translation>
    </message>
</context>
<context>
    <name>SuccessScreen</name>
    <message>
        <source>Customer success</source>
        <translation>客户成功</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>到期</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步骤</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>Last contact</source>
        <translation>最近联系</translation>
    </message>
    <message>
        <source>Open tasks</source>
        <translation>未完成任务</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>逾期</translation>
    </message>
    <message>
        <source>Open alerts</source>
        <translation>未处理提醒</translation>
    </message>
    <message>
        <source>Contract expires</source>
        <translation>合同到期</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>到期日</translation>
    </message>
    <message>
        <source>Left</source>
        <translation>剩余</translation>
    </message>
    <message>
        <source>Contract</source>
        <translation>合同</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Journey</source>
        <translation>客户旅程</translation>
    </message>
    <message>
        <source>Renewal</source>
        <translation>续约</translation>
    </message>
    <message>
        <source>My journey tasks</source>
        <translation>我的旅程任务</translation>
    </message>
    <message>
        <source>My customers&apos; health</source>
        <translation>我的客户健康度</translation>
    </message>
    <message>
        <source>Renewals</source>
        <translation>续约</translation>
    </message>
    <message>
        <source>High</source>
        <translation>高</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>中</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message numerus="yes">
        <source>%n journey task(s) open</source>
        <translation>
            <numerusform>%n 项旅程任务未完成</numerusform>
        </translation>
    </message>
    <message>
        <source>(%1 overdue) · %2 customers · %3 renewals coming up</source>
        <translation>(%1 项逾期)· %2 家客户 · %3 份合同即将续约</translation>
    </message>
</context>
<context>
    <name>SyncStatus</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <source>F5</source>
        <translation>F5</translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>Syncing</source>
        <translation>同步中</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message numerus="yes">
        <source>%n pending edit(s)</source>
        <translation>
            <numerusform>%n 项修改待同步</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n conflict(s)</source>
        <translation>
            <numerusform>%n 个冲突</numerusform>
        </translation>
    </message>
    <message>
        <source>Last synced: %1</source>
        <translation>上次同步:%1</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <source>Sending changes</source>
        <translation>正在发送修改</translation>
    </message>
    <message>
        <source>Receiving changes</source>
        <translation>正在接收修改</translation>
    </message>
    <message>
        <source>Transferring files</source>
        <translation>正在传输文件</translation>
    </message>
    <message>
        <source>Synced: %1 sent, %2 received, %3 conflict(s).</source>
        <translation>同步完成:发送 %1 项,接收 %2 项,冲突 %3 个。</translation>
    </message>
</context>
<context>
    <name>TaskDialog</name>
    <message>
        <source>Edit task</source>
        <translation>编辑任务</translation>
    </message>
    <message>
        <source>New task</source>
        <translation>新建任务</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(无)</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>到期时间</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>TrayPresence</name>
    <message>
        <source>Open FieldCRM</source>
        <translation>打开 FieldCRM</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
</TS>
