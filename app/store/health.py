"""The data-health brief (SPEC C3) of the local copy, and its xlsx and report forms.

A team lead's copy holds the team's records, so the brief is the team's; a rep's is their own.
The PDF is printed by the desktop (:mod:`app.views.health`) from :func:`brief_html`.
"""

from __future__ import annotations

import html
from pathlib import Path

from app.domain.health import COLUMNS, Brief, build_brief
from app.domain.messages import Msg
from app.store.duplicates import scan
from app.store.service import Store
from app.store.sheets import Sheet, write_sheets

TITLE = Msg("数据健康简报", "Data-health brief")
SECTIONS = (
    ("groups", Msg("疑似重复(最大的组)", "Duplicate suspects (top groups)")),
    ("no_phone", Msg("无有效电话的客户", "Customers without a valid phone")),
    ("masked", Msg("隐藏号码", "Masked numbers")),
    ("stale_leads", Msg("30天未跟进的线索", "Leads untouched for 30 days")),
    ("stagnant_deals", Msg("停滞商机", "Stagnating deals")),
)
_ITEM_HEADERS = (Msg("记录", "Record"), Msg("负责人", "Rep"), Msg("详情", "Detail"))
_GROUP_HEADERS = (
    Msg("类型", "Kind"),
    Msg("记录", "Records"),
    Msg("分数", "Score"),
    Msg("原因", "Reasons"),
)
_KINDS = {"customers": Msg("客户", "Customers"), "contacts": Msg("联系人", "Contacts")}


def local_brief(store: Store) -> Brief:
    """The brief of the local copy as of now."""
    db = store.connection()
    customers = list(
        db.query("SELECT id, name, phone, owner FROM customers WHERE _deleted = 0 ORDER BY id")
    )
    contacts = list(
        db.query(
            "SELECT id, customer_id, name, mobile, phone FROM contacts WHERE _deleted = 0 "
            "ORDER BY id"
        )
    )
    leads = list(
        db.query(
            "SELECT id, name, company, status, owner, created_at, updated_at FROM leads "
            "WHERE _deleted = 0 ORDER BY id"
        )
    )
    deals = list(
        db.query(
            "SELECT id, customer_id, title, stage, stage_entered_at, owner FROM deals "
            "WHERE _deleted = 0 ORDER BY id"
        )
    )
    last = dict(
        db.execute(
            "SELECT deal_id, max(created_at) FROM followups WHERE _deleted = 0 "
            "AND deal_id IS NOT NULL GROUP BY deal_id"
        ).fetchall()
    )
    return build_brief(
        now=store.clock(),
        rules=store.rules,
        users=store.directory.names_by_id(),
        customers=customers,
        contacts=contacts,
        leads=leads,
        deals=deals,
        last_followups=last,
        customer_groups=scan(store, "customers"),
        contact_groups=scan(store, "contacts"),
    )


def brief_sheets(brief: Brief, lang: str) -> list[Sheet]:
    """The brief as sheets: the per-rep table first, then one sheet per section."""
    headers = [label.text(lang) for _, label in COLUMNS]
    total = brief.total.values()
    total[0] = Msg("合计", "Total").text(lang)
    sheets = [
        Sheet(
            f"{TITLE.text(lang)} {brief.day}",
            headers,
            [r.values() for r in brief.reps] + [total],
        )
    ]
    sheets.append(
        Sheet(
            SECTIONS[0][1].text(lang),
            [h.text(lang) for h in _GROUP_HEADERS],
            [
                [
                    _KINDS[g.kind].text(lang),
                    " / ".join(g.labels),
                    round(g.score, 2),
                    "; ".join(r.text(lang) for r in g.reasons),
                ]
                for g in brief.groups
            ],
        )
    )
    for key, label in SECTIONS[1:]:
        items = getattr(brief, key)
        sheets.append(
            Sheet(
                label.text(lang),
                [h.text(lang) for h in _ITEM_HEADERS],
                [[i.label, i.rep, i.detail] for i in items],
            )
        )
    return sheets


def export_xlsx(brief: Brief, path: Path, lang: str) -> int:
    """Write the brief to ``path`` (.xlsx); returns the rows written."""
    return write_sheets(path, brief_sheets(brief, lang))


def brief_html(brief: Brief, lang: str) -> str:
    """The brief as a printable HTML document (tables of every sheet)."""
    esc = html.escape
    parts = [
        "<html><head><meta charset='utf-8'><style>"
        "table{border-collapse:collapse;margin-bottom:12px}"
        "td,th{border:1px solid #999;padding:3px 6px;font-size:9pt}"
        "th{background:#e8eef6}h1{font-size:16pt}h2{font-size:12pt}"
        "</style></head><body>",
        f"<h1>{esc(TITLE.text(lang))} · {esc(brief.day)}</h1>",
        f"<p>{esc(brief.summary().text(lang))}</p>",
    ]
    for i, sheet in enumerate(brief_sheets(brief, lang)):
        if i:
            parts.append(f"<h2>{esc(sheet.title)}</h2>")
        if not sheet.rows:
            parts.append(f"<p>{esc(Msg('无', 'None').text(lang))}</p>")
            continue
        parts.append("<table><tr>")
        parts.extend(f"<th>{esc(str(h))}</th>" for h in sheet.headers)
        parts.append("</tr>")
        for row in sheet.rows:
            parts.append("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)
