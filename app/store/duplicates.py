"""Duplicate check before a customer or contact is created (SPEC C1), on the local copy.

Exact matches: credit code, mobile, e-mail. Fuzzy: the company name after folding legal
suffixes, region prefixes, brackets, traditional characters and full-width forms (one key equal
to, or containing, the other), and a person's name at such a company.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.messages import Msg
from app.domain.text import company_key, fold
from app.domain.validators import normalize_mobile, validate_credit_code, validate_email
from app.store.service import Store

_MIN_CONTAINED = 4  # shorter keys ("科技") would match half the book


@dataclass(frozen=True)
class DuplicateHit:
    """An existing record that may be the one about to be created."""

    entity: str
    record_id: str
    label: str
    reason: Msg
    exact: bool
    customer_id: str


def find_duplicates(
    store: Store,
    *,
    company: str | None = None,
    credit_code: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    person: str | None = None,
    limit: int = 20,
) -> list[DuplicateHit]:
    """Possible duplicates of a new customer/contact, exact matches first."""
    db = store.connection()
    hits: dict[tuple[str, str], DuplicateHit] = {}

    def add(hit: DuplicateHit) -> None:
        key = (hit.entity, hit.record_id)
        if key not in hits or (hit.exact and not hits[key].exact):
            hits[key] = hit

    code = validate_credit_code(credit_code) if credit_code else None
    if code is not None and code.ok:
        for rid, name in db.execute(
            "SELECT id, name FROM customers WHERE credit_code = ? AND _deleted = 0", (code.value,)
        ):
            add(
                DuplicateHit(
                    "customer",
                    rid,
                    name,
                    Msg("统一社会信用代码相同", "Same unified social credit code"),
                    True,
                    rid,
                )
            )
    phone = normalize_mobile(mobile) if mobile else None
    if phone:
        for rid, name, cid, cname in db.execute(
            """SELECT k.id, k.name, k.customer_id, c.name FROM contacts k
               JOIN customers c ON c.id = k.customer_id
               WHERE k.mobile = ? AND k._deleted = 0""",
            (phone,),
        ):
            add(
                DuplicateHit(
                    "contact",
                    rid,
                    f"{name} · {cname}",
                    Msg("手机号相同", "Same mobile number"),
                    True,
                    cid,
                )
            )
        for rid, name in db.execute(
            "SELECT id, name FROM customers WHERE phone = ? AND _deleted = 0", (phone,)
        ):
            add(
                DuplicateHit(
                    "customer", rid, name, Msg("电话号码相同", "Same phone number"), True, rid
                )
            )
    mail = validate_email(email) if email else None
    if mail is not None and mail.ok:
        value = mail.value.lower()
        for rid, name, cid, cname in db.execute(
            """SELECT k.id, k.name, k.customer_id, c.name FROM contacts k
               JOIN customers c ON c.id = k.customer_id
               WHERE lower(k.email) = ? AND k._deleted = 0""",
            (value,),
        ):
            add(
                DuplicateHit(
                    "contact",
                    rid,
                    f"{name} · {cname}",
                    Msg("邮箱相同", "Same e-mail address"),
                    True,
                    cid,
                )
            )
        for rid, name in db.execute(
            "SELECT id, name FROM customers WHERE lower(email) = ? AND _deleted = 0", (value,)
        ):
            add(
                DuplicateHit(
                    "customer", rid, name, Msg("邮箱相同", "Same e-mail address"), True, rid
                )
            )
    similar: list[str] = []
    key = company_key(company) if company else ""
    if key:
        for rid, name, other in db.execute(
            """SELECT id, name, name_key FROM customers WHERE _deleted = 0 AND (
                 name_key = ?
                 OR (length(?) >= ? AND instr(name_key, ?) > 0)
                 OR (length(name_key) >= ? AND instr(?, name_key) > 0))
               LIMIT 50""",
            (key, key, _MIN_CONTAINED, key, _MIN_CONTAINED, key),
        ):
            similar.append(rid)
            same = other == key
            add(
                DuplicateHit(
                    "customer",
                    rid,
                    name,
                    Msg(
                        "公司名称相同(忽略后缀、地区和写法)" if same else "公司名称相近",
                        "Same company name (ignoring suffix, region and spelling)"
                        if same
                        else "Similar company name",
                    ),
                    same,
                    rid,
                )
            )
    if person and similar:
        folded = fold(person)
        marks = ", ".join("?" * len(similar))
        for rid, name, cid, cname in db.execute(
            f"""SELECT k.id, k.name, k.customer_id, c.name FROM contacts k
                JOIN customers c ON c.id = k.customer_id
                WHERE k.name = ? AND k.customer_id IN ({marks}) AND k._deleted = 0""",
            (folded, *similar),
        ):
            add(
                DuplicateHit(
                    "contact",
                    rid,
                    f"{name} · {cname}",
                    Msg("同一公司已有同名联系人", "A contact of that name at that company"),
                    True,
                    cid,
                )
            )
    ordered = sorted(hits.values(), key=lambda h: (not h.exact, h.entity != "contact", h.label))
    return ordered[:limit]
