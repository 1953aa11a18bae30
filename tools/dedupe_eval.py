"""Labelled duplicate set and the matcher's pairwise precision and recall (SPEC C1).

``python -m tools.dedupe_eval --seeds 101 102 103 --companies 3000`` generates, for each seed, a
book of customers and contacts where every record carries the id of the real company or person
behind it, scans it with :mod:`app.domain.dedupe` and prints pairwise precision and recall of the
suspect groups against that truth.

Duplicates are written the way people write them: legal forms added or dropped, regions as a
prefix, in brackets or as province + city, (集团), traditional characters, full-width letters,
spaces and punctuation, homophone typos, a character dropped; mobiles with +86 and spaces or
masked (138****1234); e-mail aliases (zhang.san@ for zhangsan@, capitals, +tags). The traps are
records that look alike but are not one: the same name with two valid credit codes, the same
brand in another city, a 分公司, the same brand in another trade, colleagues on one switchboard,
the commonest names at other companies, another person whose masked mobile shows the same digits.
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from app.domain.dedupe import ContactIn, ContactIndex, CustomerIn, CustomerIndex
from app.domain.dedupe.names import CITIES, COMMON_NAMES, sound
from app.domain.validators import CREDIT_CODE_CHARS, credit_code_check_char

BRAND_CHARS = (
    "华信达通源泰恒瑞康安盛兴宏鑫隆昌海天明远新博嘉创万佳和智诚德腾飞龙凤祥云峰金银美丽光辉"
    "正大中东南西北方圆宇星月阳春秋晨曦蓝绿青紫白联合众力科普卓越优品尚睿思维航途领先锐志成"
    "合鼎立亿丰顺利富贵荣耀旭日朗润泽凯旋欣悦望舒晴岚"
)
TRADES = [
    "科技",
    "信息技术",
    "网络科技",
    "电子",
    "机械",
    "贸易",
    "商贸",
    "食品",
    "医药",
    "物流",
    "建设",
    "文化传媒",
    "软件",
    "新材料",
    "环保",
    "家居",
    "咨询",
    "教育科技",
    "自动化",
    "服饰",
]
OTHER_TRADE = {
    "科技": "食品",
    "信息技术": "贸易",
    "网络科技": "物流",
    "电子": "服饰",
    "机械": "文化传媒",
    "贸易": "机械",
    "商贸": "软件",
    "食品": "电子",
    "医药": "家居",
    "物流": "医药",
    "建设": "食品",
    "文化传媒": "机械",
    "软件": "贸易",
    "新材料": "咨询",
    "环保": "教育科技",
    "家居": "环保",
    "咨询": "新材料",
    "教育科技": "建设",
    "自动化": "服饰",
    "服饰": "自动化",
}
LEGAL = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司", ""]
PROVINCE_OF = CITIES
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
    "谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯鑫婷雪琳晨欣怡"
AREAS = [
    "010",
    "020",
    "021",
    "022",
    "023",
    "024",
    "025",
    "027",
    "028",
    "029",
    "0571",
    "0574",
    "0512",
    "0510",
    "0755",
    "0757",
    "0769",
    "0531",
    "0532",
    "0591",
    "0592",
    "0731",
    "0371",
]
FREE = ["qq.com", "163.com", "126.com", "gmail.com", "sina.com", "foxmail.com"]
# Characters with a same-sounding neighbour: the typos a pinyin input method makes.


def _homophones() -> dict[str, list[str]]:
    by_sound: dict[str, list[str]] = defaultdict(list)
    pool = set(BRAND_CHARS + GIVEN + "欣新心馨信星兴行型形鑫芯昕薪歆")
    for ch in "".join(sorted(pool)):
        by_sound[sound(ch)].append(ch)
    return {ch: [o for o in by_sound[sound(ch)] if o != ch] for ch in pool}


HOMOPHONES = _homophones()


def credit_code(rng: random.Random) -> str:
    head = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    body = head + "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(9))
    return body + credit_code_check_char(body)


@lru_cache(maxsize=1)
def _s2t() -> Any:
    import opencc

    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    return str(_s2t().convert(text))


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@dataclass
class Company:
    truth: str
    brand: str
    trade: str
    city: str
    code: str | None
    phone: str | None
    domain: str | None
    people: list[Person] = field(default_factory=list)


@dataclass
class Person:
    truth: str
    name: str
    mobile: str
    email: str | None
    landline: str | None
    wechat: str | None = None


@dataclass
class Book:
    customers: list[tuple[CustomerIn, str]]  # record and the truth behind it
    contacts: list[tuple[ContactIn, str]]


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = 0
        self.brands: set[str] = set()
        self.mobiles: set[str] = set()
        self.wechats: set[str] = set()

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n:07d}"

    def brand(self) -> str:
        rng = self.rng
        while True:
            b = "".join(rng.choice(BRAND_CHARS) for _ in range(rng.choice((2, 2, 2, 3, 4))))
            # A brand that sounds like another is another company's typo, not a new company.
            if b not in self.brands and sound(b) not in self.brands:
                self.brands.update((b, sound(b)))
                return b

    def landline(self) -> str:
        area = self.rng.choice(AREAS)
        return f"{area}-{self.rng.randint(2000000 if len(area) == 4 else 20000000, 89999999)}"

    def wechat(self, letters: str) -> str | None:
        if self.rng.random() >= 0.3:
            return None
        while True:
            wx = f"wx_{letters}{self.rng.randint(10, 99999)}"
            if wx not in self.wechats:
                self.wechats.add(wx)
                return wx

    def mobile(self) -> str:
        while True:
            m = self.rng.choice("3456789")
            number = "1" + m + "".join(self.rng.choice("0123456789") for _ in range(9))
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def person(self, company: Company, common: bool = False) -> Person:
        rng = self.rng
        if common:
            name = rng.choice(sorted(COMMON_NAMES))
        else:
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))
            )
        letters = sound(name).replace(" ", "")
        if company.domain and rng.random() < 0.6:
            email = f"{letters}{rng.randint(1, 99)}@{company.domain}"
        elif rng.random() < 0.7:
            email = f"{letters}{rng.randint(100, 9999)}@{rng.choice(FREE)}"
        else:
            email = None
        return Person(
            self._id("P"), name, self.mobile(), email, company.phone, self.wechat(letters)
        )

    def company(
        self,
        brand: str | None = None,
        trade: str | None = None,
        city: str | None = None,
        code: bool | None = None,
    ) -> Company:
        rng = self.rng
        brand = brand or self.brand()
        has_code = rng.random() < 0.5 if code is None else code
        c = Company(
            self._id("C"),
            brand,
            trade or rng.choice(TRADES),
            city or rng.choice(sorted(CITIES)),
            credit_code(rng) if has_code else None,
            self.landline() if rng.random() < 0.6 else None,
            f"{sound(brand).replace(' ', '')}{rng.randint(1, 99)}.com"
            if rng.random() < 0.5
            else None,
        )
        for _ in range(rng.choice((1, 2, 3))):
            c.people.append(self.person(c, common=rng.random() < 0.12))
        return c

    # ---- writing a company's name -------------------------------------------------------
    def spell(self, c: Company, variant: bool) -> str:
        rng = self.rng
        brand, trade = c.brand, c.trade
        if variant:
            r = rng.random()
            if r < 0.12:
                i = rng.randrange(len(brand))
                options = HOMOPHONES.get(brand[i]) or []
                if options:
                    brand = brand[:i] + rng.choice(options) + brand[i + 1 :]
            elif r < 0.15 and len(brand) >= 3:  # a character left out, nothing else ties
                i = rng.randrange(len(brand))
                brand = brand[:i] + brand[i + 1 :]
            elif r < 0.19 and trade in ("科技", "信息技术"):
                trade = rng.choice(("科技发展", "信息科技", "技术"))
        legal = rng.choice(LEGAL)
        province = PROVINCE_OF[c.city]
        form = rng.randrange(6)
        if form == 0:
            name = f"{c.city}{brand}{trade}{legal}"
        elif form == 1:
            name = f"{c.city}市{brand}{trade}{legal}"
        elif form == 2 and province != c.city:
            name = f"{province}省{c.city}市{brand}{trade}{legal}"
        elif form == 3:
            name = f"{brand}{trade}({c.city}){legal or '有限公司'}"
        elif form == 4:
            name = f"{brand}{trade}{legal}"
        else:
            name = f"{c.city}{brand}{trade}" + rng.choice(("(集团)", "（集团）", "集团", ""))
        if variant:
            r = rng.random()
            if r < 0.2:
                name = to_traditional(name)
            elif r < 0.3:
                name = name.replace("(", "（").replace(")", "）") + " "
            elif r < 0.38:
                name = " ".join(name[i : i + 4] for i in range(0, len(name), 4))
        return name

    def customer_record(self, c: Company, variant: bool, tie: bool = False) -> CustomerIn:
        rng = self.rng
        keep_code = c.code if (not variant or rng.random() < 0.5 or tie) else None
        phone = c.phone if (not variant or rng.random() < 0.5 or tie) else None
        return CustomerIn(
            self._id("cu"),
            self.spell(c, variant),
            credit_code=keep_code,
            phone=phone,
            email=(f"info@{c.domain}" if c.domain and rng.random() < 0.5 else None),
        )

    def contact_record(self, p: Person, customer_id: str, variant: bool) -> ContactIn:
        rng = self.rng
        name, mobile, email = p.name, p.mobile, p.email
        wechat = p.wechat
        if variant:
            if rng.random() < 0.3:
                name = to_traditional(name)
            elif rng.random() < 0.1:
                i = rng.randrange(len(name))
                options = HOMOPHONES.get(name[i]) or []
                if options:
                    name = name[:i] + rng.choice(options) + name[i + 1 :]
            r = rng.random()
            if r < 0.3:
                mobile = f"{mobile[:3]}****{mobile[-4:]}"
            elif r < 0.5:
                mobile = f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}"
            elif r < 0.6 and email:
                mobile = ""  # only the e-mail ties them
            if email and rng.random() < 0.5:
                local, domain = email.split("@")
                cut = rng.randrange(1, max(2, len(local) - 1))
                r = rng.random()
                if r < 0.5:
                    local = local[:cut] + "." + local[cut:]
                elif r < 0.75:
                    local = local.upper()
                else:
                    local = local + "+crm"
                email = f"{local}@{domain}"
            if rng.random() < 0.5:
                wechat = None
        return ContactIn(
            self._id("ct"),
            customer_id,
            name,
            mobile=mobile or None,
            phone=p.landline,
            email=email,
            wechat=wechat,
        )

    def book(self, companies: int) -> tuple[Book, list[Company]]:
        rng = self.rng
        made: list[Company] = []
        customers: list[tuple[CustomerIn, str]] = []
        contacts: list[tuple[ContactIn, str]] = []

        def emit(c: Company, variant: bool, people: Iterable[Person], tie: bool = False) -> str:
            rec = self.customer_record(c, variant, tie)
            customers.append((rec, c.truth))
            for p in people:
                contacts.append((self.contact_record(p, rec.id, variant), p.truth))
            return rec.id

        for _ in range(companies):
            c = self.company()
            made.append(c)
            emit(c, False, c.people)
            r = rng.random()
            if r < 0.3:  # a duplicate or two, by other reps
                for _ in range(rng.choice((1, 1, 2))):
                    emit(c, True, rng.sample(c.people, rng.randint(1, len(c.people))))
            elif r < 0.36:  # a one-character slip the phone or code ties back
                slip = Company(c.truth, c.brand, c.trade, c.city, c.code, c.phone, c.domain)
                if len(c.brand) >= 3 and (c.phone or c.code):
                    i = rng.randrange(len(c.brand))
                    slip.brand = c.brand[:i] + rng.choice(BRAND_CHARS) + c.brand[i + 1 :]
                    emit(slip, False, c.people[:1], tie=True)
            elif r < 0.42:  # trap: same name, another valid credit code
                twin = self.company(c.brand, c.trade, c.city, code=True)
                if c.code is None:
                    c.code = credit_code(rng)
                    customers[-1] = (
                        CustomerIn(
                            customers[-1][0].id,
                            customers[-1][0].name,
                            c.code,
                            customers[-1][0].phone,
                            customers[-1][0].email,
                        ),
                        c.truth,
                    )
                emit(twin, False, twin.people)
            elif r < 0.5:  # trap: same brand in another city (both names say where)
                first = customers[-1][0]
                customers[-1] = (
                    CustomerIn(
                        first.id,
                        f"{c.city}{c.brand}{c.trade}{rng.choice(LEGAL)}",
                        first.credit_code,
                        first.phone,
                        first.email,
                    ),
                    c.truth,
                )
                other = self.company(
                    c.brand,
                    c.trade,
                    rng.choice(
                        [x for x in sorted(CITIES) if PROVINCE_OF[x] != PROVINCE_OF[c.city]]
                    ),
                    code=False,
                )
                rec = CustomerIn(
                    self._id("cu"), f"{other.city}{c.brand}{c.trade}{rng.choice(LEGAL)}"
                )
                customers.append((rec, other.truth))
                for p in other.people:
                    contacts.append((self.contact_record(p, rec.id, False), p.truth))
            elif r < 0.56:  # trap: a branch
                branch = self.company(c.brand, c.trade, c.city, code=False)
                branch.phone = c.phone if rng.random() < 0.5 else branch.phone
                rec = CustomerIn(
                    self._id("cu"),
                    f"{c.brand}{c.trade}有限公司{rng.choice(sorted(CITIES))}分公司",
                    phone=branch.phone,
                )
                customers.append((rec, branch.truth))
                for p in branch.people:
                    contacts.append((self.contact_record(p, rec.id, False), p.truth))
            elif r < 0.62:  # trap: the same brand in another trade
                other = self.company(c.brand, OTHER_TRADE[c.trade], c.city, code=False)
                emit(other, False, other.people)
            elif r < 0.66:  # trap: a colleague on the switchboard, a common name elsewhere
                colleague = self.person(c, common=True)
                roll = rng.random()
                if roll < 0.3:  # …who shares a common name with someone there
                    colleague.name = c.people[0].name
                elif roll < 0.5 and c.domain:  # …who answers the shared sales mailbox
                    colleague.email = f"sales@{c.domain}"
                    contacts.append(
                        (
                            ContactIn(
                                self._id("ct"),
                                customers[-1][0].id,
                                self.person(c).name,
                                mobile=self.mobile(),
                                email=f"sales@{c.domain}",
                            ),
                            self._id("P"),
                        )
                    )
                contacts.append(
                    (self.contact_record(colleague, customers[-1][0].id, False), colleague.truth)
                )
            elif r < 0.72 and len(c.brand) == 2:  # trap: a same-sounding brand, not a typo
                i = rng.randrange(2)
                options = [o for o in HOMOPHONES.get(c.brand[i]) or [] if o in BRAND_CHARS]
                if options:
                    other = self.company(
                        c.brand[:i] + rng.choice(options) + c.brand[i + 1 :],
                        c.trade,
                        c.city,
                        code=False,
                    )
                    emit(other, False, other.people)
            elif r < 0.76 and len(made) > 1:  # trap: another person, same visible mobile digits
                prev = made[rng.randrange(len(made) - 1)]
                p = prev.people[0]
                look = self.person(c)
                while True:
                    middle = "".join(rng.choice("0123456789") for _ in range(4))
                    number = p.mobile[:3] + middle + p.mobile[-4:]
                    if number not in self.mobiles:
                        break
                look.mobile = f"{number[:3]}****{number[-4:]}"
                contacts.append((self.contact_record(look, customers[-1][0].id, False), look.truth))
        return Book(customers, contacts), made


def truth_pairs(items: list[tuple[str, str]]) -> set[tuple[str, str]]:
    by_truth: dict[str, list[str]] = defaultdict(list)
    for rid, truth in items:
        by_truth[truth].append(rid)
    pairs = set()
    for ids in by_truth.values():
        for a, b in itertools.combinations(sorted(ids), 2):
            pairs.add((a, b))
    return pairs


def predicted_pairs(groups: Iterable[tuple[str, ...]]) -> set[tuple[str, str]]:
    return {pair for ids in groups for pair in itertools.combinations(sorted(ids), 2)}


@dataclass
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def evaluate(seed: int, companies: int, show: int = 0) -> tuple[Score, Score]:
    """Scan one generated book; (customers, contacts) pairwise scores."""
    book, _ = Generator(seed).book(companies)
    customers = CustomerIndex()
    customers.add_all(rec for rec, _ in book.customers)
    contacts = ContactIndex(customers)
    contacts.add_all(crec for crec, _ in book.contacts)
    scores = []
    for items, index, records in (
        (
            [(r.id, t) for r, t in book.customers],
            customers.groups(contacts),
            {r.id: r for r, _ in book.customers},
        ),
        (
            [(r.id, t) for r, t in book.contacts],
            contacts.groups(),
            {r.id: r for r, _ in book.contacts},
        ),
    ):
        truth = truth_pairs(items)
        got = predicted_pairs(g.ids for g in index)
        scores.append(Score(len(truth & got), len(got - truth), len(truth - got)))
        if show:
            for a, b in sorted(got - truth)[:show]:
                print("  FP", records[a], "\n     ", records[b])
            for a, b in sorted(truth - got)[:show]:
                print("  FN", records[a], "\n     ", records[b])
    return scores[0], scores[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    parser.add_argument("--companies", type=int, default=3000)
    parser.add_argument("--show", type=int, default=0, help="print this many misses of each kind")
    args = parser.parse_args()
    total = {"customers": Score(0, 0, 0), "contacts": Score(0, 0, 0)}
    for seed in args.seeds:
        cu, co = evaluate(seed, args.companies, args.show)
        for name, s in (("customers", cu), ("contacts", co)):
            t = total[name]
            t.tp, t.fp, t.fn = t.tp + s.tp, t.fp + s.fp, t.fn + s.fn
            print(
                f"seed {seed} {name:9}: precision {s.precision:.4f} recall {s.recall:.4f} "
                f"(true pairs {s.tp + s.fn}, found {s.tp + s.fp})"
            )
    for name, t in total.items():
        print(
            f"all seeds {name:9}: precision {t.precision:.4f} recall {t.recall:.4f} "
            f"(true pairs {t.tp + t.fn}, false {t.fp}, missed {t.fn})"
        )


if __name__ == "__main__":
    main()
