"""Deterministic, realistic Chinese B2B demo data (companies, contacts, deals, follow-ups).

:func:`generate` is pure: the same size and seed always give the same records (ids included),
as plain dicts that either the local store (:func:`app.demo.local.load_into`) or the server
(``server.demo_data.seed``) can load.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.domain.validators import CREDIT_CODE_CHARS, credit_code_check_char

SIZES = {
    # customers, contacts per customer, follow-ups, share of customers with a deal
    "small": (200, 4, 1_000, 0.6),
    "rep": (5_000, 4, 50_000, 0.5),
    # A team lead's laptop: ten reps' books of business (SPEC T4 scale).
    "team": (50_000, 4, 500_000, 0.5),
}
# Extra reps of the "team" size (the lead and three reps of DEMO_USERS, plus these seven).
TEAM_REPS = 10

# city, administrative division code (in credit codes), address prefix, telephone area code
_REGIONS = [
    tuple(row.split())
    for row in (
        "杭州 330100 浙江省杭州市 0571",
        "宁波 330200 浙江省宁波市 0574",
        "苏州 320500 江苏省苏州市 0512",
        "南京 320100 江苏省南京市 025",
        "上海 310000 上海市 021",
        "深圳 440300 广东省深圳市 0755",
        "广州 440100 广东省广州市 020",
        "东莞 441900 广东省东莞市 0769",
        "成都 510100 四川省成都市 028",
        "武汉 420100 湖北省武汉市 027",
        "北京 110000 北京市 010",
        "厦门 350200 福建省厦门市 0592",
    )
]
_BRANDS = [
    "轻鹿",
    "恒信",
    "华瑞",
    "鼎盛",
    "博远",
    "天成",
    "金桥",
    "瑞丰",
    "立达",
    "远航",
    "新元",
    "宏图",
    "凯越",
    "德润",
    "晨光",
    "汇通",
    "永康",
    "百川",
    "精工",
    "顺达",
    "卓越",
    "安泰",
    "鸿运",
    "启明",
    "嘉禾",
    "万象",
    "星辰",
    "海纳",
    "中科",
    "东方",
    "森泰",
    "力拓",
    "云帆",
    "宇航",
]
_INDUSTRIES = [
    ("家居", "家居制造"),
    ("医疗器械", "医疗器械"),
    ("软件", "软件与信息服务"),
    ("教育科技", "教育培训"),
    ("机械", "机械制造"),
    ("新材料", "新材料"),
    ("食品", "快消品"),
    ("物流", "物流运输"),
    ("电子", "电子元器件"),
    ("环保科技", "环保"),
    ("包装", "包装印刷"),
]
_SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司", "科技有限公司", "(集团)有限公司"]
_STREETS = ["文一西路", "滨江大道", "人民路", "解放路", "建设路", "科技园路", "中山路", "长江路"]
_SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
    "郑",
    "梁",
    "谢",
    "宋",
    "唐",
    "许",
    "韩",
    "冯",
    "邓",
    "曹",
]
_GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "海燕",
    "志强",
    "文博",
    "子涵",
    "思远",
    "欣怡",
    "浩然",
    "雨桐",
    "俊杰",
    "佳琪",
    "宇轩",
    "梓萱",
]
_TITLES = [
    "总经理",
    "采购经理",
    "技术总监",
    "财务总监",
    "运营主管",
    "IT经理",
    "副总裁",
    "行政经理",
    "生产厂长",
    "销售总监",
]
_PAINS = [
    "库存周转慢",
    "订单交付延期",
    "多仓数据不同步",
    "客户投诉处理慢",
    "报价效率低",
    "新人培训周期长",
    "售后工单无法追踪",
    "财务对账耗时",
    "渠道价格混乱",
    "设备停机率高",
]
_CONCLUSIONS = [
    "客户关注{pain},我方演示了自动化方案,对方认可并要求提供报价",
    "客户担心{pain},我方说明了同类客户案例,对方同意安排技术交流",
    "价格谈判:客户希望降价8%,我方提出分期付款方案,待对方内部评估",
    "售后回访:系统运行稳定,客户提出{pain}的新需求,可作为增购机会",
    "与采购经理确认了预算范围和决策流程,需要补充{pain}相关的数据",
    "客户对竞品报价更低表示犹豫,我方强调实施服务和本地响应速度",
]
_NEXT = [
    "发送报价单",
    "安排现场演示",
    "提交实施排期",
    "约见财务总监",
    "发送案例资料",
    "确认合同条款",
    "回访使用情况",
    "准备竞品对比",
]
_STAGES = ["contact", "needs_diagnosis", "proposal", "negotiation", "signed", "lost"]
_STAGE_WEIGHTS = [30, 25, 18, 12, 10, 5]

DEMO_USERS = [
    {
        "id": "00000000-0000-4000-8000-000000000001",
        "name": "wangjl",
        "display_name": "王经理",
        "role": "lead",
        "team_id": "00000000-0000-4000-8000-0000000000a1",
    },
    {
        "id": "00000000-0000-4000-8000-000000000002",
        "name": "zhangwei",
        "display_name": "张伟",
        "role": "rep",
        "team_id": "00000000-0000-4000-8000-0000000000a1",
    },
    {
        "id": "00000000-0000-4000-8000-000000000003",
        "name": "lina",
        "display_name": "李娜",
        "role": "rep",
        "team_id": "00000000-0000-4000-8000-0000000000a1",
    },
    {
        "id": "00000000-0000-4000-8000-000000000004",
        "name": "liuyang",
        "display_name": "刘洋",
        "role": "rep",
        "team_id": "00000000-0000-4000-8000-0000000000a1",
    },
]
DEMO_TEAM = {
    "id": "00000000-0000-4000-8000-0000000000a1",
    "name": "华东销售一组",
    "lead_id": DEMO_USERS[0]["id"],
}


@dataclass
class DemoData:
    users: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    # (record, file name, file bytes) for attachments that satisfy stage locks
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.__dict__.items()}


def credit_code(rng: random.Random, region_code: str) -> str:
    """A credit code with a valid GB 32100 check character (registered companies: "91")."""
    org = "".join(rng.choice(CREDIT_CODE_CHARS[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    first17 = "91" + region_code + org
    return first17 + credit_code_check_char(first17)


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(size: str = "small", seed: int = 7, owner: str | None = None) -> DemoData:
    """Demo records for ``size`` ("small" or "rep"); every rep's data if ``owner`` is None."""
    n_customers, contacts_per, n_followups, deal_share = SIZES[size]
    rng = random.Random(seed)
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    users = [dict(u) for u in DEMO_USERS]
    if size == "team":
        users += extra_reps(TEAM_REPS - sum(1 for u in users if u["role"] == "rep"))
    reps = [u["id"] for u in users if u["role"] == "rep"]
    data = DemoData(users=users)
    used_names: set[str] = set()
    for _ in range(n_customers):
        city, code, province_city, area = rng.choice(_REGIONS)
        industry, industry_label = rng.choice(_INDUSTRIES)
        while True:
            name = (
                f"{city}{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{industry}{rng.choice(_SUFFIXES)}"
            )
            if name not in used_names:
                used_names.add(name)
                break
        created = now - timedelta(days=rng.randrange(30, 720))
        cid = _uuid(rng)
        data.customers.append(
            {
                "id": cid,
                "name": name,
                "credit_code": credit_code(rng, code),
                "phone": f"{area}-{rng.randrange(2, 9)}{rng.randrange(10**7):07d}",
                "email": f"contact{rng.randrange(10**5)}@"
                f"{rng.choice(['qq.com', '163.com', 'corp.cn'])}",
                "address": f"{province_city}{rng.choice(_STREETS)}{rng.randrange(1, 999)}号",
                "industry": industry_label,
                "region": city,
                "source": rng.choice(["展会", "官网", "老客户推荐", "抖音", "微信"]),
                "owner": owner or rng.choice(reps),
                "created_at": created.isoformat(),
            }
        )
        for k in range(contacts_per):
            data.contacts.append(
                {
                    "id": _uuid(rng),
                    "customer_id": cid,
                    "name": rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                    "title": rng.choice(_TITLES),
                    "mobile": mobile(rng),
                    "email": f"user{rng.randrange(10**6)}@{rng.choice(['qq.com', '163.com'])}",
                    "wechat": f"wx_{rng.randrange(10**7)}",
                    "is_key": 1 if k == 0 else 0,
                    "created_at": created.isoformat(),
                }
            )
        if rng.random() < deal_share:
            data.deals.append(
                _deal(rng, cid, data.customers[-1]["owner"], data.contacts[-contacts_per:], now)
            )
    for d in data.deals:
        data.attachments.extend(_attachments_for(d))
    customers = data.customers
    deal_by_customer = {d["customer_id"]: d for d in data.deals}
    for _ in range(n_followups):
        cust = rng.choice(customers)
        deal: dict[str, Any] | None = deal_by_customer.get(cust["id"])
        ftype = rng.choice(["consultation", "demo", "price_negotiation", "after_sales", "other"])
        at = now - timedelta(hours=rng.randrange(1, 24 * 180))
        data.followups.append(
            {
                "id": _uuid(rng),
                "customer_id": cust["id"],
                "deal_id": deal["id"] if deal else None,
                "type": ftype,
                "conclusion": rng.choice(_CONCLUSIONS).format(pain=rng.choice(_PAINS)),
                "next_action": rng.choice(_NEXT),
                "due_on": (at + timedelta(days=3)).date().isoformat(),
                "priority": rng.choice(["high", "medium", "medium", "low"]),
                "competitor_comparison": "竞品报价低约10%,但无本地实施团队"
                if ftype == "price_negotiation"
                else None,
                "author": cust["owner"],
                "created_at": at.isoformat(),
            }
        )
    data.followups.sort(key=lambda f: f["created_at"])
    return data


def _deal(
    rng: random.Random, cid: str, owner: str, contacts: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    stage = rng.choices(_STAGES, _STAGE_WEIGHTS)[0]
    idx = _STAGES.index(stage) if stage != "lost" else rng.randrange(0, 4)
    complete = rng.random() < 0.6  # some deals have their current locks met, others not
    roles = ["initiator", "influencer", "veto", "user", "payer"]
    chain_roles = roles if (idx > 1 or complete) else roles[: rng.randrange(0, 5)]
    pains = rng.sample(_PAINS, 4)
    n_confirmed = 3 if (idx > 1 or complete) else rng.randrange(0, 3)
    deal: dict[str, Any] = {
        "id": _uuid(rng),
        "customer_id": cid,
        "owner": owner,
        "title": rng.choice(
            [
                "数字化升级项目",
                "ERP对接项目",
                "年度采购框架",
                "设备更新一期",
                "全屋定制样板间",
                "SaaS订阅续约",
                "培训服务包",
            ]
        ),
        "amount": f"{rng.randrange(20, 900) * 1000}.00",
        "stage": stage,
        "primary_contact_id": contacts[0]["id"],
        "stage_entered_at": (now - timedelta(hours=rng.randrange(1, 24 * 40))).isoformat(),
        "expected_close": (now + timedelta(days=rng.randrange(10, 180))).date().isoformat(),
        "pain_points": [{"text": p, "confirmed": i < n_confirmed} for i, p in enumerate(pains)],
        "decision_chain": {r: rng.choice(contacts)["id"] for r in chain_roles},
        "checklist": {},
        "created_at": (now - timedelta(days=rng.randrange(40, 300))).isoformat(),
    }
    if stage == "lost":
        deal["lost_from"] = _STAGES[idx]
        deal["lost_reason"] = rng.choice(["预算冻结", "选择了竞品", "项目取消"])
    if stage == "signed":
        deal["checklist"] = {
            "handover_key_contacts": True,
            "handover_documents": True,
            "handover_open_issues": True,
        }
        signed = now - timedelta(days=rng.randrange(1, 200))
        deal["signed_on"] = signed.date().isoformat()
        deal["expires_on"] = (signed + timedelta(days=365)).date().isoformat()
        deal["contract_no"] = f"HT-2026-{rng.randrange(10**4):04d}"
    deal["_locks_through"] = idx if not complete else idx + 1
    _evidence_and_history(deal, idx, now)
    return deal


_EXTRA_REP_NAMES = ["chenjing", "yangfan", "zhaolei", "huangmin", "zhoujie", "wuxia", "sunhao"]
_EXTRA_REP_SHOWN = ["陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴霞", "孙浩"]


def extra_reps(count: int) -> list[dict[str, Any]]:
    """More reps in the demo team (the "team" size has ten)."""
    return [
        {
            "id": f"00000000-0000-4000-8000-0000000001{i:02d}",
            "name": _EXTRA_REP_NAMES[i % len(_EXTRA_REP_NAMES)] + (str(i) if i >= 7 else ""),
            "display_name": _EXTRA_REP_SHOWN[i % len(_EXTRA_REP_SHOWN)],
            "role": "rep",
            "team_id": DEMO_TEAM["id"],
        }
        for i in range(max(count, 0))
    ]


def _evidence_and_history(deal: dict[str, Any], idx: int, now: datetime) -> None:
    """Evidence (NDA, POC, payment commitment), the rep's commit and the stage history.

    Drawn from a generator seeded by the deal's id, so the draws of the older fields (and
    every demo record made before these fields existed) stay as they were."""
    rng = random.Random(deal["id"])
    stage = deal["stage"]
    won, lost = stage == "signed", stage == "lost"
    evidence: dict[str, str] = {}
    created = datetime.fromisoformat(deal["created_at"])
    entered = datetime.fromisoformat(deal["stage_entered_at"])
    if won:
        entered = min(now, datetime.fromisoformat(deal["signed_on"] + "T10:00:00+00:00"))
        deal["stage_entered_at"] = entered.isoformat()
    if created >= entered:
        created = entered - timedelta(days=rng.randrange(20, 120))
        deal["created_at"] = created.isoformat()
    # How far along the evidence is: later stages prove more; lost deals had less.
    odds = {
        "nda": 0.15 + 0.2 * idx,
        "poc": 0.05 + 0.18 * max(idx - 1, 0),
        "payment_commitment": 0.1 * max(idx - 2, 0),
    }
    for key, p in odds.items():
        if won:
            p = 0.85 if key != "payment_commitment" else 0.7
        elif lost:
            p *= 0.4
        if rng.random() < p:
            evidence[key] = (created + (entered - created) * rng.random()).date().isoformat()
    deal["evidence"] = evidence
    # Reps commit on the deals they feel sure of; some are more optimistic than others.
    optimism = int(deal["owner"][-1], 16) % 3
    if not lost and idx >= 1 and rng.random() < 0.35 + 0.2 * optimism:
        deal["commit_amount"] = deal["amount"]
    # The stages it went through, spread between creation and entering the current one.
    path = [_STAGES[i] for i in range(idx + 1)]
    if lost:
        path.append("lost")
    elif won:
        path = _STAGES[:5]
    if len(path) > 2 and rng.random() < 0.12:  # moved back once, then forward again
        k = rng.randrange(1, len(path) - 1)
        path = [*path[: k + 1], path[k - 1], *path[k:]]
    span = (entered - created) / max(len(path) - 1, 1)
    deal["stage_history"] = [
        {
            "stage": s,
            "at": (created + span * i).isoformat() if i < len(path) - 1 else entered.isoformat(),
        }
        for i, s in enumerate(path)
    ]
    if lost:
        deal["lost_reason"] = rng.choice(
            ["price", "competitor", "no_decision", "requirements", "timing", "relationship"]
        )


_KIND_BY_STAGE = {
    0: [],
    1: ["org_chart"],
    2: ["org_chart", "requirement_confirmation", "quote", "implementation_schedule"],
}


def _attachments_for(deal: dict[str, Any]) -> list[dict[str, Any]]:
    through = deal.pop("_locks_through")
    kinds = _KIND_BY_STAGE.get(min(through, 2), [])
    if deal["stage"] == "signed":
        kinds = [*kinds, "contract"]
    return [
        {
            "kind": k,
            "customer_id": deal["customer_id"],
            "deal_id": deal["id"],
            "filename": f"{k}.pdf",
            "mime": "application/pdf",
        }
        for k in kinds
    ]


def placeholder_file(kind: str) -> bytes:
    """Small stand-in file content for a demo attachment (one per kind, so stored once)."""
    return f"%PDF-1.4\n% FieldCRM demo {kind}\n%%EOF\n".encode()


__all__ = [
    "DEMO_TEAM",
    "DEMO_USERS",
    "SIZES",
    "DemoData",
    "extra_reps",
    "generate",
    "placeholder_file",
]
