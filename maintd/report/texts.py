"""Every fixed text of a report, in English and in Chinese, kept side by side so that a new
line cannot be added in one language only (a unit test compares their keys and placeholders).

``Texts(lang)`` looks a text up and fills its ``{placeholders}``; what fills them (task names,
reasons, summaries) stays as the calendar and the hosts wrote it, and the writers escape it.
Status words (OK, CRITICAL, ...) and forecast verdicts are the contract's own words and are
not translated: scripts and people grep for them alike.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("en", "zh")
LANG_TO_HTML = {"en": "en", "zh": "zh-CN"}

EN: Final = {
    "title_day": "Daily maintenance report",
    "title_week": "Weekly maintenance report",
    "title_month": "Monthly maintenance report",
    "title_custom": "Maintenance report",
    "period_line": "{start} to {end} ({zone}), written {generated}",
    "footer": "Written by maintd {version} from its run ledger, incidents and forecasts.",
    "charts_in_html": "The charts are in the HTML report (--format html).",
    "no_data": "—",
    "more": "and {count} more",
    "pct": "{value:.1f} %",
    "pct_whole": "{value:.0f} %",
    # Planned vs done
    "section_plan": "Planned vs done",
    "compliance_line": "Compliance {pct}: {done} of {due} due fires done ({late} of them late, "
    "by catch-up).",
    "skipped_line": "{skipped} planned fires were skipped by design (blackouts, closed windows, "
    "disabled tasks); {not_yet_due} are not due yet.",
    "unplanned_line": "{count} recorded runs match no planned fire (manual runs, or fires of an "
    "earlier calendar).",
    "plan_note": "Planned fires come from the current calendar.",
    "nothing_planned": "Nothing was planned in this period.",
    "not_done_by_reason": "Not done, by reason",
    "skipped_by_reason": "Skipped, by reason",
    "no_record": "no record in the ledger (maintd was not running?)",
    "all_tasks": "All tasks",
    "col_task": "Task",
    "col_host": "Host",
    "col_planned": "Planned",
    "col_skipped": "Skipped",
    "col_due": "Due",
    "col_done": "Done",
    "col_late": "Late",
    "col_not_done": "Not done",
    "col_compliance": "Compliance",
    "col_status": "Status",
    "col_reason": "Reason",
    "col_fires": "Fires",
    "col_where": "Where",
    "col_total": "Total",
    # Runs by status
    "section_runs": "Runs by status",
    "by_task": "By task",
    "by_host": "By host",
    "no_runs": "No runs were recorded in this period.",
    "heatmap_title": "Worst status of each task, day by day",
    "heatmap_no_runs": "no runs",
    "heatmap_cell": "{task}, {day}: {counts}",
    # Failures
    "section_failures": "Failures",
    "failures_line": "The latest {shown} of {total} runs that did not end OK.",
    "no_failures": "No run in this period failed.",
    "col_time": "Time",
    "col_summary": "Summary",
    "col_output": "Output",
    # Incidents
    "section_incidents": "Incidents",
    "incidents_line": "{opened} incidents opened. Respond: {respond}. Resolve: {resolve}.",
    "no_incidents": "No incidents were opened in this period.",
    "col_id": "#",
    "col_opened": "Opened",
    "col_kind": "Kind",
    "col_title": "Title",
    "col_severity": "Severity",
    "col_state": "State",
    "col_respond": "Respond",
    "col_resolve": "Resolve",
    "clock_cell": "{outcome}, due {due}",
    "outcome_met": "met",
    "outcome_breached": "breached",
    "outcome_pending": "pending",
    "outcome_none": "no commitment",
    "state_open": "open",
    "state_acknowledged": "acknowledged",
    "state_resolved": "resolved",
    "kind_check": "check",
    "kind_manual": "reported",
    "kind_predicted": "predicted",
    "kind_anomaly": "anomaly",
    "kind_threshold": "threshold",
    # KPIs
    "section_kpis": "KPIs",
    "kpi_chart": "Percentage KPIs",
    "col_kpi": "KPI",
    "col_value": "Value",
    "col_basis": "Basis",
    "kpi_planned_on_time": "Planned maintenance on time",
    "kpi_mtta": "MTTA (mean time to acknowledge)",
    "kpi_mttr": "MTTR (mean time to resolve)",
    "kpi_on_time_response": "On-time response",
    "kpi_on_time_resolution": "On-time resolution",
    "kpi_first_time_fix": "First-time fix",
    "kpi_backup_verified": "Backups verified",
    "basis_planned_on_time": "{part} of {whole} due fires ran at their time",
    "basis_mtta": "{count} of {opened} incidents acknowledged",
    "basis_mttr": "{count} of {opened} incidents resolved",
    "basis_on_time_response": "{part} of {whole} answered by the deadline, {pending} not yet due",
    "basis_on_time_resolution": "{part} of {whole} resolved by the deadline, {pending} not yet due",
    "basis_first_time_fix": "{part} of {whole} fixes held for 7 days, {pending} too recent to tell",
    "basis_backup_verified": "{part} of {whole} backup runs verified OK",
    # Forecasts
    "section_forecasts": "Forecasts",
    "forecasts_line": "The latest judgement of each watched series.",
    "no_forecasts": "No forecasts recorded: tasks with `predict:` or `anomaly:` get them after "
    "their runs.",
    "col_series": "Series",
    "col_verdict": "Verdict",
    "col_eta": "Reaches threshold",
    "col_interval": "Interval",
    "col_signal": "Signal",
    "col_made": "Made",
    "interval_cell": "{coverage}: {range}",
    "chart_caption": "{metric} of {task} on {host}: readings, the fitted trend with its "
    "{coverage} band, and the threshold {reaches}",
    "legend_readings": "readings",
    "legend_fit": "trend",
    "legend_band": "{coverage} band",
    "legend_threshold": "threshold",
    "legend_made": "forecast made",
    # The next period
    "section_next": "Planned for the next period",
    "next_line": "{start} to {end}",
    "no_upcoming": "Nothing is planned for the next period.",
    "col_hosts": "Hosts",
    "col_first_run": "First run",
    "col_will_not_run": "Will not run",
    "col_why": "Why",
}

ZH: Final = {
    "title_day": "维护日报",
    "title_week": "维护周报",
    "title_month": "维护月报",
    "title_custom": "维护报告",
    "period_line": "统计区间：{start} 至 {end}（{zone}），生成于 {generated}",
    "footer": "由 maintd {version} 根据执行台账、事件和预测记录生成。",
    "charts_in_html": "图表见 HTML 版报告（--format html）。",
    "no_data": "—",
    "more": "等另外 {count} 处",
    "pct": "{value:.1f}%",
    "pct_whole": "{value:.0f}%",
    # 计划与执行
    "section_plan": "计划与执行",
    "compliance_line": "合规率 {pct}：应执行 {due} 次，已执行 {done} 次"
    "（其中 {late} 次为补执行）。",
    "skipped_line": "另有 {skipped} 次按计划跳过（封网期、维护窗口关闭或任务停用），"
    "{not_yet_due} 次尚未到执行时间。",
    "unplanned_line": "另有 {count} 条执行记录不在计划内（手动执行，或来自旧版日历）。",
    "plan_note": "计划按当前日历推算。",
    "nothing_planned": "本期没有计划任务。",
    "not_done_by_reason": "未执行原因",
    "skipped_by_reason": "跳过原因",
    "no_record": "执行台账中无记录（maintd 当时未运行？）",
    "all_tasks": "全部任务",
    "col_task": "任务",
    "col_host": "主机",
    "col_planned": "计划",
    "col_skipped": "跳过",
    "col_due": "应执行",
    "col_done": "已执行",
    "col_late": "补执行",
    "col_not_done": "未执行",
    "col_compliance": "合规率",
    "col_status": "状态",
    "col_reason": "原因",
    "col_fires": "次数",
    "col_where": "涉及",
    "col_total": "合计",
    # 执行状态
    "section_runs": "执行状态统计",
    "by_task": "按任务",
    "by_host": "按主机",
    "no_runs": "本期没有执行记录。",
    "heatmap_title": "各任务每日最差状态",
    "heatmap_no_runs": "无执行",
    "heatmap_cell": "{task}，{day}：{counts}",
    # 失败记录
    "section_failures": "失败记录",
    "failures_line": "本期共有 {total} 次执行未正常结束，以下为最近 {shown} 次。",
    "no_failures": "本期没有失败的执行。",
    "col_time": "时间",
    "col_summary": "摘要",
    "col_output": "输出",
    # 事件
    "section_incidents": "事件",
    "incidents_line": "本期新开事件 {opened} 个。响应：{respond}；解决：{resolve}。",
    "no_incidents": "本期没有新开事件。",
    "col_id": "编号",
    "col_opened": "开启时间",
    "col_kind": "类型",
    "col_title": "标题",
    "col_severity": "级别",
    "col_state": "状态",
    "col_respond": "响应",
    "col_resolve": "解决",
    "clock_cell": "{outcome}，时限 {due}",
    "outcome_met": "达标",
    "outcome_breached": "超时",
    "outcome_pending": "未到期",
    "outcome_none": "无承诺",
    "state_open": "待处理",
    "state_acknowledged": "已确认",
    "state_resolved": "已解决",
    "kind_check": "检查",
    "kind_manual": "人工上报",
    "kind_predicted": "预测",
    "kind_anomaly": "异常",
    "kind_threshold": "阈值",
    # 关键指标
    "section_kpis": "关键指标（KPI）",
    "kpi_chart": "百分比指标",
    "col_kpi": "指标",
    "col_value": "数值",
    "col_basis": "依据",
    "kpi_planned_on_time": "计划维护按时率",
    "kpi_mtta": "平均响应时间（MTTA）",
    "kpi_mttr": "平均修复时间（MTTR）",
    "kpi_on_time_response": "响应及时率",
    "kpi_on_time_resolution": "解决及时率",
    "kpi_first_time_fix": "首次修复率",
    "kpi_backup_verified": "备份验证率",
    "basis_planned_on_time": "应执行 {whole} 次，按时执行 {part} 次",
    "basis_mtta": "{opened} 个事件中已确认 {count} 个",
    "basis_mttr": "{opened} 个事件中已解决 {count} 个",
    "basis_on_time_response": "{whole} 个事件中按时响应 {part} 个，另有 {pending} 个未到期",
    "basis_on_time_resolution": "{whole} 个事件中按时解决 {part} 个，另有 {pending} 个未到期",
    "basis_first_time_fix": "{whole} 个已解决事件中 {part} 个 7 天内未复发，"
    "另有 {pending} 个解决不足 7 天",
    "basis_backup_verified": "{whole} 次备份中 {part} 次成功并通过校验",
    # 预测
    "section_forecasts": "预测",
    "forecasts_line": "各监测序列的最新预测结果。",
    "no_forecasts": "暂无预测记录：配置了 `predict:` 或 `anomaly:` 的任务会在执行后生成预测。",
    "col_series": "序列",
    "col_verdict": "结论",
    "col_eta": "预计到达阈值",
    "col_interval": "区间",
    "col_signal": "信号",
    "col_made": "预测时间",
    "interval_cell": "{coverage}：{range}",
    "chart_caption": "{host} 上 {task} 的 {metric}：实测值、拟合趋势及其 {coverage} 区间，"
    "阈值 {reaches}",
    "legend_readings": "实测值",
    "legend_fit": "拟合趋势",
    "legend_band": "{coverage} 区间",
    "legend_threshold": "阈值",
    "legend_made": "预测时刻",
    # 下期计划
    "section_next": "下期计划",
    "next_line": "{start} 至 {end}",
    "no_upcoming": "下期没有计划任务。",
    "col_hosts": "主机数",
    "col_first_run": "首次执行",
    "col_will_not_run": "不执行",
    "col_why": "原因",
}

LANG_TO_TEXTS: Final = {"en": EN, "zh": ZH}


class Texts:
    """The fixed texts of one language."""

    def __init__(self, lang: str) -> None:
        if lang not in LANG_TO_TEXTS:
            raise ValueError(f"no texts for {lang!r}: choose one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self._table = LANG_TO_TEXTS[lang]

    def __call__(self, key: str, **values: object) -> str:
        """The text ``key`` with its placeholders filled from ``values``."""
        return self._table[key].format(**values)

    def word(self, prefix: str, value: str) -> str:
        """The translation of a stored word (``state_open``), or the word itself when it has
        none (a state added later still shows)."""
        return self._table.get(f"{prefix}_{value}", value)

    @property
    def html_lang(self) -> str:
        """The language tag of an HTML page in this language."""
        return LANG_TO_HTML[self.lang]
