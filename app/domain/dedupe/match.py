"""The duplicate matcher (SPEC C1): one implementation for the desktop, import and the server.

Records are indexed under *blocking keys* (credit code, phone, e-mail, the folded name, the
brand's sound, the brand with one character left out, …); only records sharing a key are ever
compared, so a scan never looks at all pairs. A comparison weighs evidence for (same code,
same mobile, names equal once folded) against evidence against (two valid codes, two regions,
a branch, a shared switchboard, a common name at another company) and gives a score in 0–1
with its reasons in words.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from app.domain.bulk import without_cycle_collector
from app.domain.dedupe.names import (
    COMMON_NAMES,
    TRADE_WORDS,
    CompanyName,
    PersonName,
    edit_distance,
    latin_swapped,
    parse_company,
    parse_person,
    regions_conflict,
    trade_compatible,
)
from app.domain.messages import Msg
from app.domain.text import fold
from app.domain.validators import (
    normalize_landline,
    normalize_masked_mobile,
    normalize_mobile,
    validate_credit_code,
)

# A pair at or above this score is a suspect.
THRESHOLD = 0.7
# Blocks of name-like keys larger than this are too generic to say anything ("科技").
BLOCK_CAP = 60

FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "139.com",
        "189.cn",
        "aliyun.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "vip.qq.com",
        "vip.163.com",
    ]
)

SAME_CODE = Msg("统一社会信用代码相同", "Same unified social credit code")
DIFFERENT_CODES = Msg(
    "统一社会信用代码不同,是两家企业", "Different credit codes: two legal entities"
)
SAME_NAME = Msg("名称相同", "Same name")
NAME_FOLDED = Msg(
    "去掉有限公司等组织形式和地区后名称相同",
    "Name equal after removing the legal form (有限公司…) and the region",
)
SAME_BRAND = Msg("字号相同,行业词相容", "Same brand name, compatible trade words")
SOUNDS_ALIKE = Msg("名称读音相同(拼音)", "Names sound the same (pinyin)")
ONE_CHAR = Msg("名称只差一个字", "Names differ by one character")
SAME_PHONE = Msg("电话相同", "Same phone number")
SAME_EMAIL = Msg("邮箱相同", "Same e-mail address")
SAME_DOMAIN = Msg("企业邮箱域名相同", "Same company e-mail domain")
SAME_WEBSITE = Msg("网址相同", "Same website")
OTHER_REGION = Msg("地区不同", "Different regions")
BRANCH = Msg("分公司是独立客户", "A branch (分公司) is a customer of its own")
OTHER_TRADE = Msg("行业词不同", "Different trade words")
SAME_MOBILE = Msg("手机号相同", "Same mobile number")
MASKED = Msg("隐藏号码的可见数字相同", "A masked mobile shows the same digits")
ALIAS = Msg("邮箱相同(忽略点号)", "Same e-mail address once dots are ignored")
SAME_WECHAT = Msg("微信号相同", "Same WeChat id")
SAME_LANDLINE = Msg("座机相同", "Same landline")
SWITCHBOARD = Msg(
    "共用总机的同事是不同的人", "Colleagues sharing a switchboard are different people"
)
PERSON_SAME = Msg("姓名相同(繁简统一)", "Same name (traditional/simplified folded)")
PERSON_SOUND = Msg("姓名读音相同", "Names sound the same")
PERSON_NEAR = Msg("姓名只差一个字", "Names differ by one character")
OTHER_PERSON = Msg("号码相同但姓名不同", "Same number but a different name")
SHARED_CONTACT = Msg(
    "有同一位联系人(手机或邮箱相同)", "A contact in common (same mobile or e-mail)"
)
OTHER_MOBILE = Msg("手机号不同", "Different mobile numbers")
SAME_CUSTOMER = Msg("同一客户", "At the same customer")
SIMILAR_COMPANY = Msg("所属公司疑似同一家", "At companies that look like one")
OTHER_COMPANY = Msg("在另一家公司", "At another company")
COMMON_NAME = Msg("常见姓名在不同公司", "A common name at different companies")


# Tier 1: a reason that alone says "the same record".
EXACT_REASONS = frozenset({SAME_CODE, SAME_MOBILE, SAME_EMAIL, SAME_WECHAT, SAME_NAME, NAME_FOLDED})


@dataclass(frozen=True)
class CustomerIn:
    """What the matcher reads of a customer (saved or about to be)."""

    id: str
    name: str
    credit_code: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class ContactIn:
    """What the matcher reads of a contact; ``company`` names its customer when that customer
    is not indexed (a lead being converted, an imported row)."""

    id: str
    customer_id: str | None
    name: str
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    company: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class Verdict:
    """How alike two records are: a score in 0–1, the reasons for and the evidence against."""

    score: float
    reasons: tuple[Msg, ...] = ()
    against: tuple[Msg, ...] = ()

    @property
    def suspect(self) -> bool:
        return self.score >= THRESHOLD


@dataclass(frozen=True)
class Match:
    """An indexed record that a checked record may duplicate."""

    id: str
    score: float
    reasons: tuple[Msg, ...]


@dataclass(frozen=True)
class Group:
    """Records that are probably one: ids, the weakest link's score, the reasons seen."""

    ids: tuple[str, ...]
    score: float
    reasons: tuple[Msg, ...]


def email_keys(raw: str | None) -> tuple[str, str, str]:
    """(strict key, dot-folded key, company domain) of an e-mail address.

    The strict key folds case and ``+tags``, and the dots of free-mail providers, which
    ignore them; dots at a company domain are folded only in the second key, which counts
    when the names agree.
    """
    if not raw:
        return "", "", ""
    value = fold(raw).replace(" ", "").casefold()
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain:
        return "", "", ""
    domain = "gmail.com" if domain == "googlemail.com" else domain
    local = local.split("+", 1)[0]
    loose = local.replace(".", "")
    if domain in FREE_MAIL:
        return f"{loose}@{domain}", f"{loose}@{domain}", ""
    return f"{local}@{domain}", f"{loose}@{domain}", domain


def _website(raw: str | None) -> str:
    if not raw:
        return ""
    value = fold(raw).casefold()
    value = re.sub(r"^[a-z]+://", "", value).split("/", 1)[0]
    return value.removeprefix("www.")


def _phone(raw: str | None) -> str:
    if not raw:
        return ""
    found = normalize_mobile(raw) or normalize_landline(raw)
    if found:
        return found
    digits = re.sub(r"\D", "", fold(raw))
    return digits if len(digits) >= 7 else ""


def _credit_code(raw: str | None) -> str:
    if not raw:
        return ""
    checked = validate_credit_code(raw)
    return checked.value if checked.ok else ""


@dataclass
class CustomerFeatures:
    id: str
    name: CompanyName
    folded: str
    code: str
    phone: str
    email: str
    domain: str
    website: str
    owner: str | None


def customer_features(rec: CustomerIn) -> CustomerFeatures:
    strict, _, domain = email_keys(rec.email)
    return CustomerFeatures(
        rec.id,
        parse_company(rec.name or ""),
        fold(rec.name or "").casefold(),
        _credit_code(rec.credit_code),
        _phone(rec.phone),
        strict,
        domain,
        _website(rec.website),
        rec.owner,
    )


def _generic(name: CompanyName) -> bool:
    """A name with no brand left ("杭州科技有限公司")."""
    return len(name.core) < 2 or name.brand in TRADE_WORDS or name.brand == name.core == ""


def compare_customers(
    a: CustomerFeatures, b: CustomerFeatures, shared_contact: bool = False
) -> Verdict:
    """How alike two customers are (see the module's description); ``shared_contact`` says
    that a person with the same mobile or e-mail is a contact of both."""
    if a.code and b.code:
        if a.code == b.code:
            return Verdict(1.0, (SAME_CODE,))
        return Verdict(0.0, against=(DIFFERENT_CODES,))
    ties: list[Msg] = []
    if a.phone and a.phone == b.phone:
        ties.append(SAME_PHONE)
    if a.email and a.email == b.email:
        ties.append(SAME_EMAIL)
    elif a.domain and a.domain == b.domain:
        ties.append(SAME_DOMAIN)
    if a.website and a.website == b.website:
        ties.append(SAME_WEBSITE)
    if shared_contact:
        ties.append(SHARED_CONTACT)
    na, nb = a.name, b.name
    if na.branch != nb.branch:
        return Verdict(0.0, against=(BRANCH,))
    if regions_conflict(na.regions, nb.regions) and not ties:
        return Verdict(0.0, against=(OTHER_REGION,))
    score, reasons, against = 0.0, [], []
    if _generic(na) or _generic(nb):
        pass
    elif na.core == nb.core:
        score = 0.95
        reasons.append(SAME_NAME if a.folded == b.folded else NAME_FOLDED)
    elif na.brand == nb.brand or (na.brand_sound == nb.brand_sound and len(na.brand) >= 2):
        if trade_compatible(na.trade, nb.trade):
            # Same-sounding brands are a typo or two companies (华信/华新): a tie decides.
            score = 0.9 if na.brand == nb.brand else 0.6
            reasons.append(SAME_BRAND if na.brand == nb.brand else SOUNDS_ALIKE)
        else:
            score = 0.45
            against.append(OTHER_TRADE)
    elif (
        min(len(na.brand), len(nb.brand)) >= 2
        and max(len(na.brand), len(nb.brand)) >= 3
        and edit_distance(na.brand, nb.brand, 1) <= 1
        and trade_compatible(na.trade, nb.trade)
    ):
        score = 0.55
        reasons.append(ONE_CHAR)
    if (SAME_EMAIL in ties or SAME_PHONE in ties) and not (na.core and nb.core):
        # No name to weigh the tie against: the exact number or address decides.
        score = 0.85
    elif ties:
        score = min(0.99, score + 0.2 * len(ties)) if score else 0.5 + 0.1 * len(ties)
    reasons.extend(ties)
    return Verdict(round(score, 3), tuple(reasons), tuple(against))


@dataclass
class ContactFeatures:
    id: str
    customer_id: str | None
    person: PersonName
    swapped: str
    mobile: str
    masked: str  # first three and last four digits, of a full or a masked mobile
    partial: bool
    landline: str
    email: str
    email_loose: str
    wechat: str
    company: CustomerFeatures | None
    owner: str | None


def contact_features(rec: ContactIn, company: CustomerFeatures | None) -> ContactFeatures:
    mobile = normalize_mobile(rec.mobile) if rec.mobile else None
    masked = normalize_masked_mobile(rec.mobile) if rec.mobile and not mobile else None
    visible = (mobile or masked or "").replace("*", "")
    strict, loose, _ = email_keys(rec.email)
    return ContactFeatures(
        rec.id,
        rec.customer_id,
        parse_person(rec.name or ""),
        latin_swapped(rec.name or ""),
        mobile or "",
        f"{visible[:3]}{visible[-4:]}" if visible else "",
        masked is not None,
        normalize_landline(rec.phone) or "" if rec.phone else "",
        strict,
        loose,
        fold(rec.wechat).casefold() if rec.wechat else "",
        company,
        rec.owner,
    )


def _person_relation(a: ContactFeatures, b: ContactFeatures) -> tuple[str, Msg | None]:
    pa, pb = a.person, b.person
    if not pa.text or not pb.text:
        return "missing", None
    if pa.text == pb.text:
        return "same", PERSON_SAME
    if pa.sound and (pa.sound in (pb.sound, b.swapped) or pb.sound == a.swapped):
        return "sound", PERSON_SOUND
    if (
        min(len(pa.text), len(pb.text)) >= 3
        and pa.text[0] == pb.text[0]  # another surname is another person, not a slip
        and edit_distance(pa.text, pb.text, 1) <= 1
    ):
        return "near", PERSON_NEAR
    return "differ", None


def compare_contacts(
    a: ContactFeatures, b: ContactFeatures, company: Verdict | None = None
) -> Verdict:
    """How alike two contacts are; ``company`` is the verdict on their two customers."""
    rel, said = _person_relation(a, b)
    strong: list[Msg] = []
    if a.mobile and a.mobile == b.mobile:
        strong.append(SAME_MOBILE)
    if a.email and a.email == b.email:
        strong.append(SAME_EMAIL)
    if a.wechat and a.wechat == b.wechat:
        strong.append(SAME_WECHAT)
    weak: list[Msg] = []
    if a.masked and a.masked == b.masked and (a.partial or b.partial):
        weak.append(MASKED)
    if (
        a.email_loose
        and a.email_loose == b.email_loose
        and a.email != b.email
        and rel in ("same", "sound")
    ):
        weak.append(ALIAS)
    shared_line = bool(a.landline and a.landline == b.landline)
    # Two mobiles that cannot be one number: two people, or one who changed it (rarer).
    other_mobiles = bool(a.masked and b.masked and a.masked != b.masked) or bool(
        a.mobile and b.mobile and a.mobile != b.mobile
    )
    if a.customer_id is not None and a.customer_id == b.customer_id:
        place, where = "same", SAME_CUSTOMER
    elif company is not None and company.suspect:
        place, where = "same", SIMILAR_COMPANY
    elif company is not None and company.against:
        place, where = "other", OTHER_COMPANY
    else:
        place, where = "unknown", None
    named = [said] if said else []
    if strong:
        if rel == "differ":
            if SAME_MOBILE in strong:
                # A mobile is one person's: shown, but as the weakest of suspects.
                return Verdict(THRESHOLD, (*strong, OTHER_PERSON))
            # A mailbox or an account may be shared (sales@…): another name is another person.
            return Verdict(0.5, tuple(strong), (OTHER_PERSON,))
        score = {"same": 0.97, "sound": 0.95, "near": 0.9, "missing": 0.85}[rel]
        if place == "other":
            return Verdict(0.75, (*strong, *named, OTHER_COMPANY))
        return Verdict(score, (*strong, *named, *([where] if where else [])))
    if rel == "differ":
        if shared_line:
            return Verdict(0.0, against=(SWITCHBOARD,))
        return Verdict(0.0)
    if rel == "missing":
        if weak and place == "same":
            return Verdict(0.7, (*weak, where) if where else tuple(weak))
        return Verdict(0.0)
    common = a.person.text in COMMON_NAMES
    if shared_line and place == "same" and a.landline.count("-") > 1:
        weak.append(SAME_LANDLINE)  # the same extension, not just the switchboard
    if other_mobiles and not weak:
        return Verdict(0.3, tuple(named), (OTHER_MOBILE,))
    if place == "same":
        assert where is not None
        if weak:
            return Verdict(0.9 if rel != "near" else 0.8, (*named, where, *weak))
        if rel == "near":
            return Verdict(0.4, (*named, where))
        same_record = a.customer_id is not None and a.customer_id == b.customer_id
        return Verdict(0.72 if same_record and not common else 0.6, (*named, where))
    if place == "other":
        return Verdict(0.0, against=(COMMON_NAME,) if common else (OTHER_COMPANY,))
    if weak and rel in ("same", "sound") and not common:
        return Verdict(0.75, (*named, *weak))
    return Verdict(0.3 if weak else 0.0, tuple(named + weak))


def _field_keys(*fields: tuple[str, str, bool]) -> Iterator[tuple[str, bool]]:
    """The key (prefix + value) of each (prefix, value, exact) field that has a value."""
    for prefix, value, exact in fields:
        if value:
            yield prefix + value, exact


def customer_keys(f: CustomerFeatures) -> Iterator[tuple[str, bool]]:
    """The blocking keys of a customer, each with whether it is exact (never capped).

    A brand one character off is a suspect only beside a tie (phone, e-mail, domain, website,
    a shared contact), and each tie is a block of its own; so the brand with a character left
    out is no key: brands are short and share characters, and such blocks would grow with the
    book, making a scan compare ever more pairs per customer.
    """
    yield from _field_keys(
        ("c:", f.code, True),
        ("p:", f.phone, True),
        ("e:", f.email, True),
        ("d:", f.domain, False),
        ("w:", f.website, False),
    )
    name = f.name
    if _generic(name):
        return
    yield "n:" + name.core, False
    yield "b:" + name.brand_sound, False


def contact_keys(f: ContactFeatures) -> Iterator[tuple[str, bool]]:
    """The blocking keys of a contact."""
    yield from _field_keys(
        ("m:", f.mobile, True),
        ("k:", f.masked, False),
        ("e:", f.email, True),
        ("l:", f.email_loose, False),
        ("w:", f.wechat, True),
    )
    sound = f.person.sound or f.person.text
    if not sound:
        return
    if f.customer_id:
        yield f"s:{sound}|{f.customer_id}", False
    if f.company is not None and not _generic(f.company.name):
        yield f"b:{sound}|{f.company.name.brand_sound}", False
    if f.swapped and f.company is not None:
        yield f"b:{f.swapped}|{f.company.name.brand_sound}", False


class _Blocks:
    """Record ids under each blocking key.

    A key that one record holds alone (most numbers, addresses and names) keeps the bare id
    rather than a list: an index of a large book has millions of keys, and each list would be
    one more object that the garbage collector walks again every time the index grows.
    """

    def __init__(self) -> None:
        self.members: dict[str, str | list[str]] = {}
        self.exact: set[str] = set()

    def add(self, rid: str, keys: Iterable[tuple[str, bool]]) -> None:
        members = self.members
        for key, exact in keys:
            ids = members.get(key)
            if ids is None:
                members[key] = rid
            elif isinstance(ids, str):
                members[key] = [ids, rid]
            else:
                ids.append(rid)
            if exact:
                self.exact.add(key)

    def remove(self, rid: str, keys: Iterable[tuple[str, bool]]) -> None:
        for key, _ in keys:
            ids = self.members.get(key)
            if ids == rid:
                del self.members[key]
            elif isinstance(ids, list) and rid in ids:
                ids.remove(rid)

    def block(self, key: str) -> list[str]:
        """The ids under ``key``, at least two of them, or none."""
        ids = self.members.get(key)
        return ids if isinstance(ids, list) else []

    def candidates(self, keys: Iterable[tuple[str, bool]]) -> set[str]:
        found: set[str] = set()
        for key, exact in keys:
            ids = self.members.get(key)
            if isinstance(ids, str):
                found.add(ids)
            elif ids and (exact or len(ids) <= BLOCK_CAP):
                found.update(ids)
        return found

    def pairs(
        self, one_side: Mapping[str, Container[str]] | None = None
    ) -> Iterator[tuple[str, str]]:
        """Every pair that shares a block. ``one_side`` maps a key prefix to the ids one of
        the pair must be (a key whose only signal needs such a record on one side)."""
        seen: set[tuple[str, str]] = set()
        for key, ids in self.members.items():
            if isinstance(ids, str):
                continue
            n = len(ids)
            if n < 2 or (n > BLOCK_CAP and key not in self.exact):
                continue
            needed = one_side.get(key[:2]) if one_side else None
            if needed is None:
                candidates: Iterable[tuple[str, str]] = itertools.combinations(ids, 2)
            else:
                marked = [x for x in ids if x in needed]
                candidates = ((x, y) for x in marked for y in ids)
            for a, b in candidates:
                pair = (a, b) if a < b else (b, a)
                if a != b and pair not in seen:
                    seen.add(pair)
                    yield pair


@dataclass
class CustomerIndex:
    """Customers under their blocking keys."""

    features: dict[str, CustomerFeatures] = field(default_factory=dict)
    blocks: _Blocks = field(default_factory=_Blocks)

    def add(self, rec: CustomerIn) -> CustomerFeatures:
        self.discard(rec.id)
        f = customer_features(rec)
        self.features[rec.id] = f
        self.blocks.add(rec.id, customer_keys(f))
        return f

    def add_all(self, recs: Iterable[CustomerIn]) -> None:
        """Index many customers (a whole book) at once."""
        with without_cycle_collector():
            for rec in recs:
                self.add(rec)

    def discard(self, rid: str) -> None:
        old = self.features.pop(rid, None)
        if old is not None:
            self.blocks.remove(rid, customer_keys(old))

    def check(self, rec: CustomerIn, limit: int = 10) -> list[Match]:
        """Indexed customers that ``rec`` may duplicate, the likeliest first."""
        f = customer_features(rec)
        found = []
        for rid in self.blocks.candidates(customer_keys(f)):
            if rid == rec.id:
                continue
            v = compare_customers(f, self.features[rid])
            if v.suspect:
                found.append(Match(rid, v.score, v.reasons))
        found.sort(key=lambda m: (-m.score, m.id))
        return found[:limit]

    def verdict(self, a: str, b: str) -> Verdict:
        return compare_customers(self.features[a], self.features[b])

    def groups(self, contacts: ContactIndex | None = None) -> list[Group]:
        """Every suspect group among the indexed customers; ``contacts`` (of these customers)
        adds the evidence of a person who is a contact of two of them."""
        with without_cycle_collector():
            shared = contacts.shared_customers() if contacts is not None else set()
            edges = []
            pairs = set(self.blocks.pairs())
            for a, b in itertools.chain(pairs, shared - pairs):
                if a not in self.features or b not in self.features:
                    continue
                v = compare_customers(self.features[a], self.features[b], (a, b) in shared)
                if v.suspect:
                    edges.append((a, b, v))
            return group(edges)


@dataclass
class ContactIndex:
    """Contacts under their blocking keys; their customers come from ``customers``."""

    customers: CustomerIndex
    features: dict[str, ContactFeatures] = field(default_factory=dict)
    blocks: _Blocks = field(default_factory=_Blocks)
    _company_cache: dict[tuple[str, str], Verdict] = field(default_factory=dict)

    def _company(self, rec: ContactIn) -> CustomerFeatures | None:
        if rec.customer_id and rec.customer_id in self.customers.features:
            return self.customers.features[rec.customer_id]
        if rec.company:
            return customer_features(CustomerIn(rec.customer_id or "", rec.company))
        return None

    def add(self, rec: ContactIn) -> ContactFeatures:
        self.discard(rec.id)
        f = contact_features(rec, self._company(rec))
        self.features[rec.id] = f
        self.blocks.add(rec.id, contact_keys(f))
        return f

    def add_all(self, recs: Iterable[ContactIn]) -> None:
        """Index many contacts (a whole book) at once."""
        with without_cycle_collector():
            for rec in recs:
                self.add(rec)

    def discard(self, rid: str) -> None:
        old = self.features.pop(rid, None)
        if old is not None:
            self.blocks.remove(rid, contact_keys(old))

    def _company_verdict(self, a: ContactFeatures, b: ContactFeatures) -> Verdict | None:
        if a.company is None or b.company is None:
            return None
        if a.customer_id and a.customer_id == b.customer_id:
            return Verdict(1.0)
        ka, kb = a.company.id, b.company.id
        if ka and kb:
            key = (ka, kb) if ka < kb else (kb, ka)
            v = self._company_cache.get(key)
            if v is None:
                v = self._company_cache[key] = compare_customers(a.company, b.company)
            return v
        return compare_customers(a.company, b.company)

    def forget_companies(self) -> None:
        """Drop the remembered customer verdicts (after customers changed)."""
        self._company_cache.clear()

    def compare(self, a: ContactFeatures, b: ContactFeatures) -> Verdict:
        return compare_contacts(a, b, self._company_verdict(a, b))

    def check(self, rec: ContactIn, limit: int = 10) -> list[Match]:
        """Indexed contacts that ``rec`` may duplicate, the likeliest first."""
        f = contact_features(rec, self._company(rec))
        found = []
        for rid in self.blocks.candidates(contact_keys(f)):
            if rid == rec.id:
                continue
            v = self.compare(f, self.features[rid])
            if v.suspect:
                found.append(Match(rid, v.score, v.reasons))
        found.sort(key=lambda m: (-m.score, m.id))
        return found[:limit]

    def shared_customers(self) -> set[tuple[str, str]]:
        """Pairs of customers with a contact in common: the same mobile, e-mail or WeChat id
        under names that agree."""
        found: set[tuple[str, str]] = set()
        for key in self.blocks.exact:
            ids = self.blocks.block(key)
            if len(ids) < 2 or len(ids) > BLOCK_CAP:
                continue
            for x, y in itertools.combinations(ids, 2):
                fx, fy = self.features[x], self.features[y]
                cx, cy = fx.customer_id, fy.customer_id
                if cx and cy and cx != cy and _person_relation(fx, fy)[0] in ("same", "sound"):
                    found.add((cx, cy) if cx < cy else (cy, cx))
        return found

    def groups(self) -> list[Group]:
        """Every suspect group among the indexed contacts."""
        with without_cycle_collector():
            edges = []
            # Two full mobiles that share the masked key's visible digits say nothing: that
            # signal needs a masked number on one side, and such blocks grow with the book.
            masked = {rid for rid, f in self.features.items() if f.partial}
            for a, b in self.blocks.pairs({"k:": masked}):
                v = self.compare(self.features[a], self.features[b])
                if v.suspect:
                    edges.append((a, b, v))
            return group(edges)


def group(edges: list[tuple[str, str, Verdict]]) -> list[Group]:
    """Suspect pairs joined into groups (strongest links first), largest and surest first."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    weakest: dict[str, float] = {}
    reasons: dict[str, list[Msg]] = {}
    for a, b, v in sorted(edges, key=lambda e: -e[2].score):
        ra, rb = find(a), find(b)
        if ra == rb:
            reasons[ra].extend(r for r in v.reasons if r not in reasons[ra])
            continue
        parent[rb] = ra
        weakest[ra] = min(weakest.pop(ra, 1.0), weakest.pop(rb, 1.0), v.score)
        kept, more = reasons.pop(ra, []), reasons.pop(rb, [])
        merged = kept + [r for r in more if r not in kept]
        merged.extend(r for r in v.reasons if r not in merged)
        reasons[ra] = merged
    members: dict[str, list[str]] = defaultdict(list)
    for x in parent:
        members[find(x)].append(x)
    groups = [
        Group(tuple(sorted(ids)), weakest[root], tuple(reasons[root]))
        for root, ids in members.items()
        if len(ids) > 1
    ]
    groups.sort(key=lambda g: (-len(g.ids), -g.score, g.ids))
    return groups
