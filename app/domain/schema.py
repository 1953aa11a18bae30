"""The synced entities and their fields (SPEC D1): one definition for client, server and import.

Each field has a *kind* that decides how it is validated, stored and merged. The local SQLite
tables, the server's tables and the CSV/xlsx column lists are all derived from this module, so a
field is declared exactly once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from app.domain.messages import Msg
from app.domain.text import fold
from app.domain.validators import VALIDATORS

# Field kinds → SQLite column type.
_SQL_TYPES = {
    "text": "TEXT",
    "prose": "TEXT",
    "credit_code": "TEXT",
    "mobile": "TEXT",
    "landline": "TEXT",
    "phone": "TEXT",
    "email": "TEXT",
    "url": "TEXT",
    "ref": "TEXT",
    "enum": "TEXT",
    "date": "TEXT",
    "datetime": "TEXT",
    "decimal": "TEXT",
    "int": "INTEGER",
    "bool": "INTEGER",
    "json": "TEXT",
}


# Whole numbers every JSON reader and SQLite column hold exactly.
MAX_INT = 2**53 - 1
# Amounts keep two decimals; 15 digits before the point hold any real deal and stay exact.
MAX_AMOUNT = Decimal("1e15")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"
    label: Msg = field(default_factory=lambda: Msg("", ""))
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None
    # System fields are set by the service layer or the server, never typed or imported.
    system: bool = False
    # The smallest and largest value of an ``int`` field.
    bounds: tuple[int, int] = (-MAX_INT, MAX_INT)

    @property
    def sql_type(self) -> str:
        return _SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Entity:
    name: str
    table: str
    label: Msg
    fields: tuple[Field, ...]
    # Rows that are facts, not state: never edited after creation (F4), so never in conflict.
    append_only: bool = False
    # The field linking a row to the customer that decides who may see it (S4).
    scope_field: str | None = "customer_id"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @cached_property
    def field_set(self) -> frozenset[str]:
        return frozenset(self.field_names)

    @cached_property
    def user_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.system)


def _f(name: str, kind: str = "text", zh: str = "", en: str = "", **kw: Any) -> Field:
    return Field(name, kind, Msg(zh or name, en or name.replace("_", " ").capitalize()), **kw)


STAGES = ("contact", "needs_diagnosis", "proposal", "negotiation", "signed", "lost")
ATTACHMENT_KINDS = (
    "business_card",
    "contract",
    "quote",
    "org_chart",
    "requirement_confirmation",
    "implementation_schedule",
    "other",
)
LEAD_CHANNELS = ("web_form", "douyin", "wechat", "trade_show", "import", "referral", "other")
LEAD_STATUSES = ("new", "assigned", "accepted", "contacted", "converted", "pooled", "discarded")
FOLLOWUP_TYPES = ("consultation", "demo", "price_negotiation", "after_sales", "other")
PRIORITIES = ("high", "medium", "low")
TASK_KINDS = (
    "manual",
    "journey-welcome",
    "journey-health",
    "journey-renewal",
    "followup",
    "alert",
)
TASK_STATUSES = ("open", "done", "cancelled")

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            "customer",
            "customers",
            Msg("客户", "Customer"),
            (
                _f("name", zh="客户名称", en="Name", required=True),
                _f("credit_code", "credit_code", "统一社会信用代码", "Credit code"),
                _f("phone", "phone", "电话", "Phone"),
                _f("email", "email", "邮箱", "E-mail"),
                _f("address", zh="地址", en="Address"),
                _f("industry", zh="行业", en="Industry"),
                _f("region", zh="区域", en="Region"),
                _f("website", "url", "网址", "Website"),
                _f("source", zh="来源", en="Source"),
                _f("owner", "ref", "负责人", "Owner", ref="user", required=True),
                _f("notes", "prose", zh="备注", en="Notes"),
                _f("created_at", "datetime", "创建时间", "Created", system=True),
                _f("updated_at", "datetime", "更新时间", "Updated", system=True),
                _f("last_followup_at", "datetime", "最近跟进", "Last follow-up", system=True),
            ),
            scope_field=None,
        ),
        Entity(
            "contact",
            "contacts",
            Msg("联系人", "Contact"),
            (
                _f("customer_id", "ref", "所属客户", "Customer", ref="customer", required=True),
                _f("name", zh="姓名", en="Name", required=True),
                _f("title", zh="职务", en="Title"),
                _f("mobile", "mobile", "手机", "Mobile"),
                _f("phone", "landline", "座机", "Landline"),
                _f("email", "email", "邮箱", "E-mail"),
                _f("wechat", zh="微信", en="WeChat"),
                _f("is_key", "bool", "关键联系人", "Key contact"),
                _f("notes", "prose", zh="备注", en="Notes"),
                _f("created_at", "datetime", "创建时间", "Created", system=True),
                _f("updated_at", "datetime", "更新时间", "Updated", system=True),
            ),
        ),
        Entity(
            "lead",
            "leads",
            Msg("线索", "Lead"),
            (
                _f("name", zh="姓名", en="Name", required=True),
                _f("company", zh="公司", en="Company"),
                _f("title", zh="职务", en="Title"),
                _f("mobile", "mobile", "手机", "Mobile"),
                _f("email", "email", "邮箱", "E-mail"),
                _f("channel", "enum", "渠道", "Channel", choices=LEAD_CHANNELS),
                _f("score", "int", "评分", "Score", bounds=(0, 100)),
                _f("status", "enum", "状态", "Status", choices=LEAD_STATUSES),
                _f("owner", "ref", "负责人", "Owner", ref="user"),
                _f("assigned_at", "datetime", "分配时间", "Assigned"),
                _f("response_due", "datetime", "响应截止", "Response due"),
                _f("customer_id", "ref", "转化客户", "Converted customer", ref="customer"),
                _f("notes", "prose", zh="备注", en="Notes"),
                _f("created_at", "datetime", "创建时间", "Created", system=True),
                _f("updated_at", "datetime", "更新时间", "Updated", system=True),
                # Set by the server's lead engine (SPEC L1–L3), never typed or imported.
                _f("external_id", zh="外部编号", en="External id", system=True),
                _f("region", zh="区域", en="Region"),
                _f("product", zh="产品", en="Product"),
                _f("score_reasons", "json", "评分依据", "Score reasons", system=True),
                _f("assignment", "json", "分配依据", "Assignment", system=True),
                _f("accepted_at", "datetime", "接受时间", "Accepted", system=True),
            ),
            scope_field=None,
        ),
        Entity(
            "deal",
            "deals",
            Msg("商机", "Deal"),
            (
                _f("customer_id", "ref", "客户", "Customer", ref="customer", required=True),
                _f("title", zh="商机名称", en="Title", required=True),
                _f("amount", "decimal", "金额(元)", "Amount (CNY)"),
                _f("stage", "enum", "阶段", "Stage", choices=STAGES, system=True),
                _f("stage_entered_at", "datetime", "进入阶段时间", "In stage since", system=True),
                _f("owner", "ref", "负责人", "Owner", ref="user"),
                _f("primary_contact_id", "ref", "主要联系人", "Primary contact", ref="contact"),
                _f("expected_close", "date", "预计成交", "Expected close"),
                _f("pain_points", "json", "客户痛点", "Pain points"),
                _f("decision_chain", "json", "决策链", "Decision chain"),
                _f("checklist", "json", "行动清单", "Checklist"),
                _f("evidence", "json", "成交证据", "Evidence"),
                _f("commit_amount", "decimal", "承诺金额", "Commit"),
                _f("lost_reason", "prose", zh="输单原因", en="Lost reason", system=True),
                _f("lost_from", "enum", "输单前阶段", "Lost from", choices=STAGES, system=True),
                _f("contract_no", zh="合同编号", en="Contract no."),
                _f("signed_on", "date", "签约日期", "Signed on"),
                _f("expires_on", "date", "到期日期", "Expires on"),
                _f("created_at", "datetime", "创建时间", "Created", system=True),
                _f("updated_at", "datetime", "更新时间", "Updated", system=True),
                # Set with each stage move (app.domain.process.stage_history_after).
                _f("stage_history", "json", "阶段历史", "Stage history", system=True),
            ),
        ),
        Entity(
            "followup",
            "followups",
            Msg("跟进记录", "Follow-up"),
            (
                _f("customer_id", "ref", "客户", "Customer", ref="customer", required=True),
                _f("deal_id", "ref", "商机", "Deal", ref="deal"),
                _f("type", "enum", "沟通类型", "Type", choices=FOLLOWUP_TYPES, required=True),
                _f("conclusion", "prose", zh="关键结论", en="Conclusion", required=True),
                _f("next_action", "prose", zh="下一步动作", en="Next action", required=True),
                _f("due_on", "date", "截止日期", "Due", required=True),
                _f("priority", "enum", "优先级", "Priority", choices=PRIORITIES),
                _f("department", zh="部门", en="Department"),
                _f("competitor_comparison", "prose", zh="竞品对比", en="Competitor comparison"),
                _f("contact_ids", "json", "联系人", "Contacts"),
                _f("author", "ref", "记录人", "Author", ref="user", system=True),
                _f("created_at", "datetime", "记录时间", "Recorded", system=True),
            ),
            append_only=True,
        ),
        Entity(
            "attachment",
            "attachments",
            Msg("附件", "Attachment"),
            (
                _f("sha256", zh="摘要", en="SHA-256", required=True),
                _f("kind", "enum", "类型", "Kind", choices=ATTACHMENT_KINDS, required=True),
                _f("filename", zh="文件名", en="File name"),
                _f("size", "int", "大小", "Size", bounds=(0, MAX_INT)),
                _f("mime", zh="格式", en="Type"),
                _f("customer_id", "ref", "客户", "Customer", ref="customer", required=True),
                _f("deal_id", "ref", "商机", "Deal", ref="deal"),
                _f("contact_id", "ref", "联系人", "Contact", ref="contact"),
                _f("created_by", "ref", "上传人", "Added by", ref="user", system=True),
                _f("created_at", "datetime", "上传时间", "Added", system=True),
            ),
            append_only=True,
        ),
        Entity(
            "approval",
            "approvals",
            Msg("审批", "Approval"),
            (
                _f("deal_id", "ref", "商机", "Deal", ref="deal", required=True),
                _f("customer_id", "ref", "客户", "Customer", ref="customer", required=True),
                _f("from_stage", "enum", "原阶段", "From", choices=STAGES, required=True),
                _f("to_stage", "enum", "目标阶段", "To", choices=STAGES, required=True),
                _f("status", "enum", "状态", "Status", choices=("pending", "approved", "rejected")),
                _f("reason", "prose", zh="申请说明", en="Request note"),
                _f("requested_by", "ref", "申请人", "Requested by", ref="user", system=True),
                _f("requested_at", "datetime", "申请时间", "Requested", system=True),
                _f("decided_by", "ref", "审批人", "Decided by", ref="user", system=True),
                _f("decided_at", "datetime", "审批时间", "Decided", system=True),
                _f("comment", "prose", zh="审批意见", en="Comment"),
            ),
        ),
        Entity(
            "alert",
            "alerts",
            Msg("提醒", "Alert"),
            (
                _f(
                    "kind",
                    "enum",
                    "类型",
                    "Kind",
                    choices=(
                        "stagnation",
                        "lead_response",
                        "journey",
                        "approval",
                        "unreadable",
                        "rep_flagged",
                        "lead_unassigned",
                        "pool_claim_lost",
                        "duplicate",
                        "health_brief",
                    ),
                ),
                _f("customer_id", "ref", "客户", "Customer", ref="customer"),
                _f("record_id", "ref", "记录", "Record"),
                _f("owner", "ref", "负责人", "Owner", ref="user"),
                _f("message_zh", zh="内容", en="Message (zh)"),
                _f("message_en", zh="内容(英)", en="Message"),
                _f("created_at", "datetime", "时间", "Raised", system=True),
                _f("resolved_at", "datetime", "处理时间", "Resolved"),
            ),
        ),
        Entity(
            "task",
            "tasks",
            Msg("任务", "Task"),
            (
                _f("title", zh="任务", en="Title", required=True),
                _f("kind", "enum", "类型", "Kind", choices=TASK_KINDS),
                _f("status", "enum", "状态", "Status", choices=TASK_STATUSES),
                _f("priority", "enum", "优先级", "Priority", choices=PRIORITIES),
                _f("owner", "ref", "负责人", "Owner", ref="user"),
                _f("due_at", "datetime", "到期时间", "Due", required=True),
                _f("customer_id", "ref", "客户", "Customer", ref="customer"),
                _f("deal_id", "ref", "商机", "Deal", ref="deal"),
                _f("lead_id", "ref", "线索", "Lead", ref="lead"),
                # The related record's name, so an assignee who cannot open it still knows it.
                _f("related_name", zh="相关记录", en="Related to"),
                _f("source_id", "ref", "来源", "Source"),
                _f("notes", "prose", zh="备注", en="Notes"),
                _f("done_at", "datetime", "完成时间", "Done"),
                # Set by the server's journey rules: the step, and the date its due time
                # was computed from (a later contract expiry moves the renewal task).
                _f("step", zh="旅程步骤", en="Journey step", system=True),
                _f("anchor", "date", "计算依据", "Anchor", system=True),
                _f("created_by", "ref", "创建人", "Created by", ref="user", system=True),
                _f("created_at", "datetime", "创建时间", "Created", system=True),
                _f("updated_at", "datetime", "更新时间", "Updated", system=True),
            ),
            # A task belongs to its owner (a customer-success manager may own tasks about a
            # customer someone else owns), so its owner decides who sees it.
            scope_field=None,
        ),
    )
}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}") from None


_REQUIRED = Msg("{zh}为必填项", "{en} is required")


def _coerce(f: Field, raw: Any) -> tuple[Any, Msg | None]:
    """Normalise one value for field ``f``; empty input becomes None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if f.kind in VALIDATORS:
        checked = VALIDATORS[f.kind](str(raw))
        return checked.value, checked.error
    if f.kind in ("ref",):
        return fold(str(raw)), None
    if f.kind == "enum":
        value = fold(str(raw))
        if value not in f.choices:
            return value, Msg("{v} 不是有效选项({c})", "{v} is not one of: {c}").format(
                v=value, c=", ".join(f.choices)
            )
        return value, None
    if f.kind == "int":
        try:
            number = int(fold(str(raw)))
        except ValueError:
            return raw, Msg("应为整数", "Must be a whole number")
        low, high = f.bounds
        if not low <= number <= high:
            return raw, Msg("应在 {lo} 到 {hi} 之间", "Must be between {lo} and {hi}").format(
                lo=low, hi=high
            )
        return number, None
    if f.kind == "bool":
        if isinstance(raw, bool | int):
            return int(bool(raw)), None
        text = fold(str(raw)).lower()
        if text in ("1", "true", "yes", "y", "是", "√"):
            return 1, None
        if text in ("0", "false", "no", "n", "否"):
            return 0, None
        return raw, Msg("应为是/否", "Must be yes or no")
    if f.kind == "decimal":
        text = re.sub(r"[,,\s¥￥元]", "", fold(str(raw)))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return raw, Msg("应为金额,如 120000.00", "Must be an amount, e.g. 120000.00")
        if not amount.is_finite():
            return raw, Msg("应为金额,如 120000.00", "Must be an amount, e.g. 120000.00")
        if amount < 0:
            return raw, Msg("金额不能为负数", "An amount cannot be negative")
        if amount >= MAX_AMOUNT:
            return raw, Msg("金额过大", "The amount is too large")
        return f"{amount.quantize(Decimal('0.01'))}", None
    if f.kind == "date":
        if isinstance(raw, datetime):
            return raw.date().isoformat(), None
        if isinstance(raw, date):
            return raw.isoformat(), None
        text = fold(str(raw))
        m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
        try:
            if not m:
                raise ValueError(text)
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat(), None
        except ValueError:
            return raw, Msg("日期格式应为 2026-03-05", "Dates look like 2026-03-05")
    if f.kind == "datetime":
        if isinstance(raw, datetime):
            return raw.isoformat(timespec="seconds"), None
        try:
            return datetime.fromisoformat(fold(str(raw))).isoformat(timespec="seconds"), None
        except ValueError:
            return raw, Msg(
                "时间格式应为 2026-03-05T09:30:00", "Times look like 2026-03-05T09:30:00"
            )
    if f.kind == "json":
        if isinstance(raw, str):
            try:
                return json.loads(raw), None
            except json.JSONDecodeError:
                return raw, Msg("数据格式错误", "Malformed structured value")
        return raw, None
    raise ValueError(f"unhandled field kind {f.kind!r}")


def validate_values(
    entity_name: str,
    values: Mapping[str, Any],
    *,
    partial: bool = False,
    allow_system: bool = False,
) -> tuple[dict[str, Any], dict[str, Msg]]:
    """Normalise ``values`` for an entity; return the clean values and an error per field.

    ``partial`` validates an edit (only the fields given); otherwise required fields must be
    present. Unknown fields, and system fields unless ``allow_system``, are errors too.
    """
    ent = entity(entity_name)
    clean: dict[str, Any] = {}
    errors: dict[str, Msg] = {}
    known = {f.name: f for f in ent.fields}
    for name, raw in values.items():
        f = known.get(name)
        if f is None or (f.system and not allow_system):
            errors[name] = Msg("未知字段:{n}", "Unknown field: {n}").format(n=name)
            continue
        value, error = _coerce(f, raw)
        if error is not None:
            errors[name] = error
        clean[name] = value
    for f in ent.fields:
        if f.required and (not partial or f.name in values) and clean.get(f.name) is None:
            errors.setdefault(f.name, _REQUIRED.format(zh=f.label.zh, en=f.label.en))
    return clean, errors
