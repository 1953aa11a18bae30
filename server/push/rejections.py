"""Every reason the server gives for refusing an operation, with its code and bilingual text.

The codes are the protocol (docs/SYNC.md, "Rejection codes"); the texts are what a user reads
in the client's "not synced" list. Several reasons share a code when a device should treat them
alike (``not_allowed``, ``malformed``, ``forbidden_owner``) but say different things to a user.
The stage-lock problems (``skip``, ``lock``, …) come from :mod:`app.domain.process`, the
approval problems (``stale_request``, ``not_gated``, ``forbidden_role``, ``already_decided``,
``comment_required``) from :mod:`app.domain.approvals`, which the client applies too, and field
problems from :mod:`app.domain.schema`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.merges import ROLE_REFUSED
from app.domain.messages import Msg


class Rejected(Exception):
    """Ends one operation with a ``rejected`` result."""

    def __init__(self, code: str, message: Msg, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.extra = extra


@dataclass(frozen=True)
class Reason:
    """One entry of the catalogue: a protocol code and the text a user reads."""

    code: str
    message: Msg

    def __call__(self, **extra: Any) -> Rejected:
        """The exception that rejects an operation for this reason (``extra`` joins the
        result, e.g. ``errors`` or ``children``)."""
        return Rejected(self.code, self.message, **extra)

    def format(self, **values: Any) -> Reason:
        """The same reason with ``{name}`` placeholders filled in both languages."""
        return Reason(self.code, self.message.format(**values))


def _r(code: str, zh: str, en: str) -> Reason:
    return Reason(code, Msg(zh, en))


# ---- the batch and the wire
MALFORMED = _r("malformed", "操作格式错误:{w}", "Malformed operation: {w}")
OP_ID_TAKEN = _r("op_id_taken", "操作编号已被使用", "This operation id is already taken")
UNKNOWN_ACTION = _r("unknown_action", "未知操作类型:{action}", "Unknown action: {action}")
UNKNOWN_ENTITY = _r("unknown_entity", "未知数据类型:{entity}", "Unknown kind of record: {entity}")

# ---- records and scope
# The same answer whether the record does not exist or is out of the user's scope, so ids
# cannot be probed.
NOT_FOUND = _r(
    "not_found", "记录不存在或无权访问", "The record does not exist or is not yours to see"
)
ID_TAKEN = _r("id_taken", "该编号已有记录", "A record with this id exists already")
BAD_REFERENCE = _r("bad_reference", "{zh}不属于该客户", "The {en} does not belong to this customer")
CUSTOMER_DELETED = _r("deleted", "客户已被删除", "The customer has been deleted")
DEAL_DELETED = _r("deleted", "商机已被删除", "The deal has been deleted")
UNKNOWN_FILE = _r(
    "unknown_file",
    "服务器上没有你上传的这个文件,请先上传",
    "You have not uploaded this file to the server; upload it first",
)

# ---- field values
INVALID = _r("invalid", "数据校验未通过:{zh}", "Validation failed: {en}")
BAD_SHA256 = _r(
    "invalid", "附件摘要应为64位小写十六进制", "sha256 must be 64 lower-case hex digits"
)
EMPTY = _r("empty", "没有要修改的字段", "The operation changes no field")
STAGE_VIA_STAGE_OP = _r(
    "stage_via_stage_op",
    "阶段只能通过阶段推进操作变更",
    "The stage changes only through a stage move",
)
IMMUTABLE_CUSTOMER = _r(
    "immutable_field",
    "不能修改所属客户;请由主管重新分配客户",
    "A record cannot move to another customer; reassign the customer instead",
)
BAD_BASE_VERSION = _r(
    "bad_base_version",
    "基准版本比服务器版本还新",
    "The base version is newer than the server's",
)

# ---- owners and roles
FORBIDDEN_OWNER = _r(
    "forbidden_owner", "不能把记录分配给该用户", "You cannot make that user the owner"
)
REASSIGN_NEEDS_LEAD = _r(
    "forbidden_owner",
    "只有主管或管理员可以重新分配",
    "Only a team lead or an admin can reassign",
)

# ---- what an action may do to a kind of record
APPEND_ONLY = _r(
    "append_only",
    "跟进记录和附件只能新增,不能修改或删除",
    "Follow-ups and attachments are append-only; add a new one instead",
)
APPROVAL_UPDATE = _r(
    "not_allowed",
    "审批只能通过审批决定变更",
    "Approvals change only by a decision",
)
APPROVAL_STARTS_PENDING = _r(
    "not_allowed",
    "审批请求只能以待审批状态提交",
    "An approval request starts as pending",
)
NOT_DELETABLE = _r("not_allowed", "该类记录不能删除", "This kind of record cannot be deleted")
ONLY_DEALS_MOVE = _r("not_allowed", "只有商机有阶段", "Only deals have stages")
ONLY_APPROVALS_DECIDED = _r("not_allowed", "只有审批可以审批", "Only approvals can be decided")
ONLY_CONFLICTS_RESOLVED = _r(
    "not_allowed", "只有冲突记录可以标记为已处理", "Only conflicts can be resolved"
)
CONFLICT_ONLY_RESOLVES = _r(
    "not_allowed", "冲突记录只能标记为已处理", "A conflict can only be marked resolved"
)
HAS_CHILDREN = _r(
    "has_children",
    "请先删除其下的联系人、商机、跟进和附件",
    "Delete its contacts, deals, follow-ups and attachments first",
)

# ---- leads (the lead engine's values: server.leads.device)
LEAD_SERVER_OWNED = _r(
    "server_owned",
    "字段 {field} 由服务器的线索引擎设定,不能修改",
    "{field} is set by the server's lead engine and cannot be changed",
)
LEAD_STATUS_SERVER = _r(
    "server_owned",
    "线索状态「{status}」只由服务器设定(分配、公海)",
    "Lead status {status} is set by the server only (assignment, pool)",
)

# ---- stage moves
STAGE_FIELDS = _r(
    "malformed",
    "阶段操作只能包含 stage 和 reason",
    "A stage move carries only stage and reason",
)
REASON_NOT_TEXT = _r("malformed", "原因应为文字", "The reason must be text")
UNKNOWN_STAGE = _r("unknown_stage", "未知阶段", "Unknown stage")

# ---- approval requests and decisions
DECISION_FIELDS = _r(
    "malformed",
    "审批结果应为 approved 或 rejected",
    "A decision is approved or rejected, with a comment",
)
COMMENT_NOT_TEXT = _r("malformed", "审批意见应为文字", "The comment must be text")


# ---- merges (docs/SYNC.md §11)
MERGE_ROLE = Reason("forbidden_role", ROLE_REFUSED)
NOT_MERGEABLE = _r(
    "not_allowed", "只有客户和联系人可以合并", "Only customers and contacts can be merged"
)
MERGE_FIELDS = _r(
    "malformed",
    "合并操作应包含 merged(被合并的编号)和 pick(字段取值来源)",
    "A merge carries merged (the ids merged away) and pick (where each field's value comes from)",
)
MERGE_SELF = _r("merge_self", "不能把记录合并到它自己", "A record cannot be merged into itself")
MERGE_INTO_MERGED = _r(
    "merged",
    "保留的记录已被合并到另一条记录({into}),请重新选择",
    "The record to keep was itself merged into another one ({into}); choose again",
)
MERGE_DELETED = _r("deleted", "要合并的记录已被删除", "A record to merge has been deleted")
MERGE_OTHER_CUSTOMER = _r(
    "bad_reference",
    "只能合并同一客户下的联系人;请先合并客户",
    "Only contacts of the same customer can be merged; merge the customers first",
)
MERGE_PICK = _r(
    "invalid",
    "字段 {f} 的取值只能来自参与合并的记录",
    "The value of {f} must come from one of the records being merged",
)
MERGE_TOO_MANY = _r(
    "malformed", "一次最多合并 {n} 条记录", "At most {n} records can be merged at once"
)


# ---- not rejections: the notes of ``conflict`` results
NOTE_EDIT_CONFLICT = Msg(
    "字段同时被他人修改:服务器保留先到达的值,你的值已存入冲突列表",
    "Someone else changed the same field first: their value stays and yours is kept in "
    "the conflict list",
)
NOTE_EDIT_DELETED = Msg(
    "记录已被删除,修改已保存在冲突列表中",
    "The record was deleted; your change is kept in the conflict list",
)
NOTE_STALE_DELETE = Msg(
    "删除前记录已被他人修改,未删除;请查看后再删",
    "The record changed after you last saw it and was not deleted; review it and delete again",
)
