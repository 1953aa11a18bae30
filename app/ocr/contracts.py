"""Contract fields from page text (SPEC O2): number, parties, amount, signing date, term.

Works on OCR text and on a PDF's text layer alike. OCR text has stray spaces inside words and
between hanzi, so every pattern runs on a copy with those removed.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from app.domain.text import fold
from app.ocr.amounts import (
    AMOUNT_CHARS,
    Uppercase,
    format_amount,
    has_numeral,
    parse_arabic,
    parse_uppercase,
)
from app.ocr.dates import find_dates
from app.ocr.layout import tidy
from app.ocr.results import CONTRACT_FIELDS, Fields, FieldValue, Word

_NUMBER = re.compile(
    # 合同编 and any glyph: the 号 of the label is misread now and then (编呈).
    r"(?:合同编\S|合同号|协议编号|编号|Contract\s*No\.?|No\.)\s*[:：]?\s*"
    # A dot inside is taken too (a hyphen read as one); the readings vote on the spelling.
    r"(?P<no>[A-Za-z0-9][A-Za-z0-9\-_/.]{3,40})",
    re.IGNORECASE,
)
_OPEN, _CLOSE = re.escape("（(〈<[【"), re.escape("）)〉>]】")
_PARTY = re.compile(
    rf"(?P<side>甲|乙)\s*方\s*(?:[{_OPEN}][^{_CLOSE}\n]{{0,8}}[{_CLOSE}])?\s*[:：;；]\s*"
    r"(?P<name>[^\n]{2,60})"
)
# When OCR mangles 甲方/乙方 the role word in brackets still tells the side.
_ROLE = re.compile(
    rf"^.{{0,4}}[{_OPEN}]\s*(?P<role>买方|需方|采购方|委托方|发包方|甲方|卖方|供方|供应方|受托方|"
    rf"承包方|乙方)\s*[{_CLOSE}]\s*[:：;；]\s*(?P<name>[^\n]{{2,60}})",
    re.MULTILINE,
)
_ROLE_A = ("买方", "需方", "采购方", "委托方", "发包方", "甲方")
# A role word alone as the label ("买方：X（以下简称“甲方”）"): the side is the one the
# name is then called, else the role's.
_ROLE_LABEL = re.compile(
    r"^\s*(?P<role>买方|需方|采购方|委托方|发包方|卖方|供方|供应方|受托方|承包方)\s*[:：;；]\s*"
    r"(?P<name>[^\n]{2,60})",
    re.MULTILINE,
)
_CALLED = re.compile(r"简称\W{0,2}(?P<side>甲|乙)\s*方")
# Where a stated name ends at the latest: the other column's label, "（以下简称…", a wide gap.
_NAME_STOP = re.compile(rf"\s{{2,}}|[{_OPEN}]?\s*以下|(?:甲|乙)\s*方\s*(?:[{_OPEN}]|[:：;；])")
_COMPANY_END = re.compile(
    r"(?:股份有限公司|有限责任公司|有限公司|集团|公司|研究院|研究所|事务所|中心|厂)"
)
_AMOUNT_KEYS = re.compile(r"合同总金额|合同总价款?|总金额|总价款?|合同金额|合同价款|价款总额|总计")
# 人参 is how the fast model reads 叁 now and then.
_UPPER_SPAN = re.compile(rf"(?:[{re.escape(AMOUNT_CHARS)}]|人参){{2,40}}")
_ARABIC_SPAN = re.compile(
    # OCR turns ¥ into Y, 半, 羊, 习 or #; after 小写 anything short may stand for it.
    r"(?P<cur>[¥￥Y丫半羊习#]|RMB|人民币|小写\s*[:：]?\s*\S{0,3}?)\s*"
    r"(?P<num>\d[\d,，]*(?:\.\d{1,2})?)"
    r"|(?P<num2>\d[\d,，]*(?:\.\d{1,2})?)\s*元"
)


def _flat(text: str) -> str:
    """Folded text with OCR's spaces next to hanzi removed, lines kept."""
    return "\n".join(tidy(line) for line in text.splitlines())


def _number_in(text: str) -> str | None:
    for m in _NUMBER.finditer(text):
        value = m.group("no").strip("-_/.")
        if "-" in value:
            # Numbers keep to one separator: a dot beside hyphens is a misread hyphen.
            value = re.sub(r"(?<=[A-Za-z0-9])\.(?=[A-Za-z0-9])", "-", value)
        # A contract number has digits; "No. 3" inside a clause is too short to be one.
        if sum(c.isdigit() for c in value) >= 3:
            return value.upper()
    return None


def _contract_no(text: str, rereads: list[str] | None = None) -> FieldValue | None:
    """The contract number more than half of the page and re-read number lines agree on, else
    the page's (or, when the page has none, the re-reads' commonest): a letter misread as a
    digit (S as 9) or a hyphen as a dot rarely happens at every size."""
    first = _number_in(text)
    readings = [n for n in [first, *(_number_in(r) for r in rereads or [])] if n is not None]
    if not readings:
        return None
    votes = Counter(readings)
    best = max(votes, key=lambda v: (votes[v], v == first))
    if first is not None and 2 * votes[best] <= len(readings):
        best = first  # no majority: the page, read at its own size, is the safer guess
    conf = 0.9 * votes[best] / len(readings) + 0.05
    return FieldValue(best, round(conf if first is not None else 0.8 * conf, 3))


def _party_names(text: str) -> list[tuple[str, FieldValue]]:
    """Every (side, name) that ``text`` states, in order: header and signature block alike."""
    matches = [(m.group("side"), m) for m in _PARTY.finditer(text)]
    # A line both patterns match ("乙方(供应方):…") states the name once, not twice.
    seen = {m.start("name") for _, m in matches}
    matches += [
        ("甲" if m.group("role") in _ROLE_A else "乙", m)
        for m in _ROLE.finditer(text)
        if m.start("name") not in seen
    ]
    seen |= {m.start("name") for _, m in matches}
    for m in _ROLE_LABEL.finditer(text):
        if m.start("name") in seen:
            continue
        called = _CALLED.search(m.group("name"))
        side = called.group("side") if called else "甲" if m.group("role") in _ROLE_A else "乙"
        matches.append((side, m))
    matches.sort(key=lambda sm: sm[1].start())
    out: list[tuple[str, FieldValue]] = []
    for side, m in matches:
        name = _NAME_STOP.split(m.group("name").strip(), maxsplit=1)[0]
        # The last legal ending: a branch (…有限公司杭州分公司) is the party, not its parent.
        ends = list(_COMPANY_END.finditer(name))
        end = ends[-1] if ends else None
        if end is not None:
            name = name[: end.end()]
            conf = 0.95
        else:
            name = re.split(r"\s{2,}|[,，;；]", name)[0]
            conf = 0.6
        name = _cjk_brackets(name.strip(" :：;；,，.。、|"))
        if len(name) >= 2:
            out.append((side, FieldValue(name, conf)))
    return out


def _cjk_brackets(name: str) -> str:
    """Brackets inside a Chinese name as Chinese names are registered: full width
    ("盛世(深圳)科技有限公司" → "盛世（深圳）科技有限公司")."""
    name = re.sub(r"(?<=[\u3400-\u9fff])\s*[(（]\s*(?=[\u3400-\u9fff])", "（", name)
    return re.sub(r"(?<=[\u3400-\u9fff])\s*[)）]\s*(?=[\u3400-\u9fff])", "）", name)


def _parties(
    text: str, rereads: list[str] | None = None
) -> tuple[FieldValue | None, FieldValue | None]:
    """Party A and B: for each side, the name most readings agree on.

    A contract states each party twice (header and signature block) and ``rereads`` hold
    those lines read at other sizes; a rare glyph misread in one reading is outvoted when
    more than half of the readings agree on another. Otherwise the page's first statement
    wins.
    """
    return _vote_party(text, rereads, "甲"), _vote_party(text, rereads, "乙")


def _vote_party(text: str, rereads: list[str] | None, side: str) -> FieldValue | None:
    page = [fv for s, fv in _party_names(text) if s == side]
    others = [fv for extra in rereads or [] for s, fv in _party_names(extra) if s == side]
    if not page:
        return None
    # Only full names (with a legal suffix) vote; a cut-off reading would split the vote.
    votes = Counter(fv.value for fv in [*page, *others] if fv.confidence >= 0.9)
    if not votes:
        return page[0]
    order = {fv.value: i for i, fv in reversed(list(enumerate([*page, *others])))}
    name = max(votes, key=lambda v: (votes[v], -order[v]))
    share = votes[name] / sum(votes.values())
    if share <= 0.5 and page[0].value in votes:
        # Scattered readings (a glyph the model cannot read at any size) outvote nothing:
        # the page's first statement, read at the page's own size, stands.
        name = page[0].value
        share = votes[name] / sum(votes.values())
    return FieldValue(name, round(0.95 * share + 0.5 * (1 - share), 3))


def _uppercase_spans(text: str) -> list[tuple[int, Uppercase]]:
    """Uppercase amounts that start right after 人民币/大写/金额… (the tail of a misread
    amount, "陆元捌角", would parse as a plausible but wrong small sum)."""
    out: list[tuple[int, Uppercase]] = []
    for m in _UPPER_SPAN.finditer(text):
        span = m.group(0)
        if not has_numeral(span) or not re.search(r"[元圆圓整角分无兀园]", span):
            continue
        if not re.search(r"[币写额款为计:：)）]\s*$", text[max(0, m.start() - 3) : m.start()]):
            continue
        # OCR junk after the amount ("元整，含" → "元整合") is cut at the last end mark
        # that leaves a valid amount.
        for end in sorted(
            (e.end() for e in re.finditer(r"[元圆圓整角分无兀园]", span)), reverse=True
        ):
            parsed = parse_uppercase(span[:end])
            if parsed is not None:
                out.append((m.start(), parsed))
                break
    return out


def _amount(text: str, rereads: list[str] | None = None) -> FieldValue | None:
    """The contract total: uppercase and Arabic figures near a 'total' keyword, cross-checked.

    ``rereads`` are the amount lines read again at other sizes; the uppercase value most of
    the readings agree on wins.
    """
    candidates: list[tuple[int, str, Decimal, int]] = []  # (position, kind, value, fixes)
    votes: Counter[Decimal] = Counter(v.value for _, v in _uppercase_spans(text))
    for extra in rereads or []:
        votes.update({v.value for _, v in _uppercase_spans(extra)})
    for pos, parsed in _uppercase_spans(text):
        fixes = parsed.corrections
        chosen = parsed.value
        if votes:
            top, n = votes.most_common(1)[0]
            if n > votes[chosen]:
                chosen = top  # the page reading was outvoted by the other sizes
            fixes = 0 if votes[chosen] >= 3 else max(1, fixes)
        candidates.append((pos, "upper", chosen, fixes))
    if not candidates and votes:
        # The page reading of the uppercase amount did not parse, the other sizes did.
        top, n = votes.most_common(1)[0]
        keys = [k.start() for k in _AMOUNT_KEYS.finditer(text)]
        pos = text.find("人民币", keys[0]) if keys else -1
        if pos >= 0:
            candidates.append((pos, "upper", top, 1 if n >= 2 else 2))
    candidates += [(pos, "arabic", value, 0) for pos, value in _arabic_spans(text)]
    keys = [k.start() for k in _AMOUNT_KEYS.finditer(text)]

    def distance(pos: int) -> int:
        return _key_distance(pos, keys)

    near = [c for c in candidates if distance(c[0]) < 10_000]
    # The figures as the other sizes read them: the total nearest its keyword in each reading.
    figures: Counter[Decimal] = Counter()
    for extra in rereads or []:
        extra_keys = [k.start() for k in _AMOUNT_KEYS.finditer(extra)]
        found = [(_key_distance(pos, extra_keys), v) for pos, v in _arabic_spans(extra)]
        found = [f for f in found if f[0] < 10_000]
        if found:
            figures[min(found, key=lambda f: f[0])[1]] += 1
    near_arabic = [c for c in near if c[1] == "arabic"]
    if figures and keys:
        (top, n), *rest = figures.most_common(2)
        page = min(near_arabic, key=lambda c: distance(c[0])) if near_arabic else None
        # Most other sizes agree on figures the page misread (the page votes too); when the
        # page's figures were cut short, one size alone that nothing contradicts will do.
        if (page is None and (n >= 2 or not rest)) or (
            page is not None and n > figures[page[2]] + 1
        ):
            pos = page[0] if page is not None else keys[0]
            near = [c for c in near if c[1] != "arabic"] + [(pos, "arabic", top, int(n < 2))]
    if not near and not candidates:
        return None
    pool = near or candidates
    upper = [c for c in pool if c[1] == "upper"]
    arabic = [c for c in pool if c[1] == "arabic"]
    best_upper = min(upper, key=lambda c: distance(c[0])) if upper else None
    best_arabic = min(arabic, key=lambda c: distance(c[0])) if arabic else None
    if best_upper and best_arabic:
        if best_upper[2] == best_arabic[2]:
            return FieldValue(format_amount(best_upper[2]), 0.99)
        # They disagree: one was misread. Tesseract reads digits far more reliably than the
        # rare uppercase numerals, so the figures win, with a confidence that asks for review;
        # except when the figures are the uppercase value less its leading digits: the ¥ and
        # the first digit were read as one glyph ("¥595,000.36" as "区95,000.36").
        upper_digits = format_amount(best_upper[2]).replace(".", "")
        arabic_digits = format_amount(best_arabic[2]).replace(".", "")
        if upper_digits.endswith(arabic_digits) and len(upper_digits) > len(arabic_digits):
            return FieldValue(format_amount(best_upper[2]), 0.6)
        return FieldValue(format_amount(best_arabic[2]), 0.5 if best_upper[3] == 0 else 0.6)
    if best_upper:
        conf = 0.9 if best_upper[3] == 0 else 0.7
        return FieldValue(format_amount(best_upper[2]), conf if near else conf * 0.7)
    assert best_arabic is not None
    if not near:
        return FieldValue(format_amount(max(arabic, key=lambda c: c[2])[2]), 0.5)
    return FieldValue(format_amount(best_arabic[2]), 0.6 if best_arabic[3] else 0.85)


def _key_distance(pos: int, keys: list[int]) -> int:
    """How far ``pos`` follows the nearest amount keyword within 120 characters; 10 000
    when none does."""
    before = [pos - k for k in keys if 0 <= pos - k < 120]
    return min(before) if before else 10_000


def _arabic_spans(text: str) -> list[tuple[int, Decimal]]:
    """Amounts in figures in ``text``, each with where it starts."""
    out: list[tuple[int, Decimal]] = []
    for m in _ARABIC_SPAN.finditer(text):
        group = "num" if m.group("num") else "num2"
        value = parse_arabic(m.group(group))
        if value is None or value == 0:
            continue
        # "30%", "5个工作日", "13%增值税": not money.
        if re.match(r"\s*(?:%|个|日|天|年|月)", text[m.end() :]):
            continue
        # Figures glued to a comma after a glyph lost their first group with the ¥
        # ("型,678,800.00"); "，5,000元" after a clause's comma is money.
        if re.search(r"\D[,，]$", text[: m.start(group)]) and re.match(
            r"\d{3}[,，]", m.group(group)
        ):
            continue
        out.append((m.start(), value))
    return out


def _dates(text: str) -> tuple[FieldValue | None, FieldValue | None]:
    dates = find_dates(text)
    signed: FieldValue | None = None
    expires: FieldValue | None = None
    for d in dates:
        before = text[max(0, d.start - 16) : d.start]
        after = text[d.end : d.end + 12]
        if re.search(
            # 日 of 日期 is often read as 目.
            r"(?:签订|签署|签约|签字)(?:[日目]期|时间)\s*[:：;；]{0,2}\s*$",
            before,
        ) or re.match(r"\s*(?:签订|签署|订立)", after):
            signed = FieldValue(d.value.isoformat(), 0.95)
    # The term: "自 X 起至 Y 止", "X 至 Y", "有效期至 Y".
    for i, d in enumerate(dates):
        before = text[max(0, d.start - 6) : d.start]
        if re.search(r"至\s*$", before) and not re.search(r"之日", before):
            start_d = dates[i - 1] if i > 0 else None
            if start_d and d.start - start_d.end > 12:
                start_d = None
            expires = FieldValue(d.value.isoformat(), 0.9 if start_d else 0.75)
            if signed is None and start_d is not None:
                signed = FieldValue(start_d.value.isoformat(), 0.6)
            break
    if signed is None:
        labelled = [
            d for d in dates if re.search(r"日期\s*[:：]?\s*$", text[max(0, d.start - 8) : d.start])
        ]
        if labelled:
            signed = FieldValue(labelled[-1].value.isoformat(), 0.7)
    return signed, expires


def extract_contract_fields(
    text: str, words: list[Word] | None = None, rereads: list[str] | None = None
) -> Fields:
    """All contract fields from the full text (pages joined); values normalised.

    ``rereads``: the lines stating the number, the parties, the amount or dates, read again
    at other sizes, one text per size (see ``reread_amounts``).
    """
    del words  # boxes are not needed for contracts yet; kept for a future highlight view
    flat = _flat(fold(text) if "\n" not in text else text)
    fields: Fields = dict.fromkeys(CONTRACT_FIELDS)
    again_lines = [_flat(r) for r in rereads or []]
    fields["contract_no"] = _contract_no(flat, again_lines)
    fields["party_a"], fields["party_b"] = _parties(flat, again_lines)
    # Figures wrap across lines ("¥7,402,\n200.39"): amounts and dates read joined text.
    joined = _joined(flat)
    again = [_joined(_flat(r)) for r in rereads or []]
    fields["amount"] = _amount(joined, again)
    fields["signed_on"], fields["expires_on"] = _dates(joined)
    # A date the page text lost a glyph of may be whole in a re-read of its lines.
    term_start: FieldValue | None = None
    for extra in again:
        if fields["signed_on"] is not None and fields["expires_on"] is not None:
            break
        signed, expires = _dates(extra)
        if fields["signed_on"] is None and signed is not None:
            if signed.confidence >= 0.9:
                fields["signed_on"] = FieldValue(signed.value, 0.8)
            elif term_start is None:
                term_start = signed  # the start of the term, as the page text would give it
        if fields["expires_on"] is None and expires is not None and expires.confidence >= 0.9:
            fields["expires_on"] = FieldValue(expires.value, 0.8)
    if fields["signed_on"] is None and term_start is not None:
        fields["signed_on"] = FieldValue(term_start.value, 0.5)
    return fields


def _joined(flat: str) -> str:
    """Lines joined into one, with figures split by a wrap put back together."""
    joined = re.sub(r"(?<=[\d,，.])\s+(?=[\d,，.])", "", flat.replace("\n", ""))
    # The fast model reads "¥1," as "习,": the 1 is otherwise lost from the figures.
    return re.sub(r"习(?=\s*[,，]\d{3})", "¥1", joined)
