"""Labelled evaluation set: synthetic business cards and contracts with ground truth.

``python -m tools.evalset OUTDIR --n N --seed S`` writes N cards in each condition (clean
300-dpi scans, office scans, phone-photo lookalikes) and N contracts (PNG, JPG, PDF), each with
a ``.json`` file of the true field values beside it, and ``manifest.json`` listing them all.
The same seed always gives the same files; item ``i`` does not depend on N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.domain.text import fold
from app.domain.validators import normalize_mobile
from app.ocr.amounts import format_amount, to_uppercase
from app.ocr.imaging import perspective_coeffs
from app.ocr.results import CARD_FIELDS, CONTRACT_FIELDS

CONDITIONS = ("clean", "scan", "photo")

# (file, face index): the CJK faces that Debian's font packages install.
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
)
BOLD_FONT = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2)


def available_fonts() -> list[tuple[str, int]]:
    """The candidate CJK fonts present on this machine."""
    return [f for f in FONT_CANDIDATES if Path(f[0]).exists()]


# --- vocabulary -------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华建国文辉鹏斌宇浩凯婷雪琳晨欣怡佳子涵思远博"
    "睿泽轩宁晓志海峰梅兰红玉春雷龙飞旭阳东林波健亮俊丹"
)
TITLES_ZH = (
    "销售经理",
    "总经理",
    "区域销售总监",
    "采购主管",
    "技术总监",
    "市场部经理",
    "客户经理",
    "副总经理",
    "项目经理",
    "大客户经理",
    "董事长",
    "财务总监",
    "运营总监",
    "产品经理",
    "高级工程师",
    "销售代表",
    "华东区经理",
    "商务总监",
)
TITLES_EN = (
    "Sales Manager",
    "General Manager",
    "Regional Sales Director",
    "Purchasing Supervisor",
    "Technical Director",
    "Marketing Manager",
    "Account Manager",
    "Project Manager",
    "Product Manager",
    "Senior Engineer",
    "Business Director",
)
EN_GIVEN = (
    "David",
    "Lily",
    "Kevin",
    "Grace",
    "Jason",
    "Helen",
    "Frank",
    "Cindy",
    "Peter",
    "Amy",
    "Tony",
    "Linda",
    "Eric",
    "Jenny",
    "Leo",
    "Vivian",
)
BRANDS = (
    "轻鹿",
    "恒泰",
    "华创",
    "鼎盛",
    "优联",
    "博远",
    "天衡",
    "启明",
    "锦程",
    "瑞丰",
    "云帆",
    "汇通",
    "凯达",
    "德源",
    "金桥",
    "信诚",
    "远航",
    "星辰",
    "宏图",
    "嘉禾",
    "海纳",
    "卓越",
    "智联",
    "联创",
    "万象",
    "盛世",
    "亿达",
    "华宇",
    "通达",
    "百川",
    "长风",
    "明德",
    "睿达",
)
INDUSTRIES = (
    ("科技", "Technology"),
    ("家居", "Home Furnishing"),
    ("机械设备", "Machinery"),
    ("电子", "Electronics"),
    ("贸易", "Trading"),
    ("医疗器械", "Medical Devices"),
    ("新材料", "New Materials"),
    ("软件", "Software"),
    ("教育科技", "Education Technology"),
    ("食品", "Foods"),
    ("包装材料", "Packaging"),
    ("物流", "Logistics"),
    ("网络科技", "Network Technology"),
    ("智能装备", "Intelligent Equipment"),
    ("环保科技", "Environmental Technology"),
    ("信息技术", "Information Technology"),
)
SUFFIXES = ("有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司")
# city, province, pinyin, districts, roads
_CITY_ROWS = """
杭州 浙江省 Hangzhou 西湖区,滨江区,余杭区,拱墅区 文三路,江南大道,文一西路,莫干山路,滨盛路
宁波 浙江省 Ningbo   鄞州区,海曙区,江北区       中山东路,天童南路,扬帆路
苏州 江苏省 Suzhou   工业园区,姑苏区,吴中区     星湖街,干将西路,金鸡湖大道
南京 江苏省 Nanjing  鼓楼区,建邺区,江宁区       中山北路,江东中路,汉中路
深圳 广东省 Shenzhen 南山区,福田区,宝安区,龙岗区 科技园南路,深南大道,福华三路,宝安大道
广州 广东省 Guangzhou 天河区,越秀区,番禺区      天河路,珠江新城花城大道,环市东路
成都 四川省 Chengdu  高新区,锦江区,武侯区       天府大道,人民南路,益州大道
武汉 湖北省 Wuhan    洪山区,江汉区,武昌区       珞喻路,解放大道,中南路
佛山 广东省 Foshan   顺德区,南海区,禅城区       佛山大道,桂澜路,季华路
青岛 山东省 Qingdao  市南区,崂山区,黄岛区       香港中路,海尔路,长江中路
"""
# city, pinyin, districts, roads
_MUNICIPALITY_ROWS = """
上海 Shanghai 浦东新区,徐汇区,闵行区,静安区 张江路,漕溪北路,南京西路,世纪大道
北京 Beijing  海淀区,朝阳区,丰台区          中关村大街,建国路,西三环北路,知春路
"""


def _rows(table: str) -> list[list[str]]:
    return [line.split() for line in table.strip().splitlines()]


# city → (province, pinyin, districts, roads)
CITIES: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    city: (province, pinyin, tuple(districts.split(",")), tuple(roads.split(",")))
    for city, province, pinyin, districts, roads in _rows(_CITY_ROWS)
}
# city → (pinyin, districts, roads)
MUNICIPALITIES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    city: (pinyin, tuple(districts.split(",")), tuple(roads.split(",")))
    for city, pinyin, districts, roads in _rows(_MUNICIPALITY_ROWS)
}
BUILDINGS = (
    "华星时代广场",
    "国际金融中心",
    "科技园",
    "创业大厦",
    "软件园",
    "产业园",
    "财富中心",
    "商务大厦",
    "智慧谷",
    "总部基地",
)
AREA_CODES = {
    "杭州": "0571",
    "宁波": "0574",
    "苏州": "0512",
    "南京": "025",
    "深圳": "0755",
    "广州": "020",
    "成都": "028",
    "武汉": "027",
    "佛山": "0757",
    "青岛": "0532",
    "上海": "021",
    "北京": "010",
}
TLDS = (".com", ".com.cn", ".cn", ".net")
MAIL_HOSTS = ("163.com", "qq.com", "126.com")


def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text))


@dataclass
class CardSpec:
    """Everything that decides how one card looks, plus its true field values."""

    fields: dict[str, str | None]
    english: bool
    en_name: str | None
    layout: str
    label_style: str
    font: tuple[str, int]
    mobile_text: str | None
    phone_text: str | None
    fax_text: str | None
    paper: tuple[int, int, int]
    ink: tuple[int, int, int]
    accent: tuple[int, int, int]
    extras: dict[str, Any] = field(default_factory=dict)


def _mobile(rng: random.Random) -> tuple[str, str]:
    digits = rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    n = "1" + digits
    style = rng.randrange(5)
    text = [
        n,
        f"{n[:3]} {n[3:7]} {n[7:]}",
        f"{n[:3]}-{n[3:7]}-{n[7:]}",
        f"+86 {n[:3]} {n[3:7]} {n[7:]}",
        f"+86-{n}",
    ][style]
    return text, n


def _landline(rng: random.Random, city: str) -> tuple[str, str]:
    area = AREA_CODES[city]
    local_len = 8 if len(area) == 3 or rng.random() < 0.8 else 7
    local = rng.choice("2345678") + "".join(rng.choice("0123456789") for _ in range(local_len - 1))
    ext = str(rng.randrange(100, 9999)) if rng.random() < 0.2 else ""
    style = rng.randrange(5)
    half = len(local) // 2
    if style == 0:
        text = f"{area}-{local}"
    elif style == 1:
        text = f"{area}-{local[:half]} {local[half:]}"
    elif style == 2:
        text = f"({area}) {local[:half]} {local[half:]}"
    elif style == 3:
        text = f"+86-{area[1:]}-{local}"
    else:
        text = f"{area} {local}"
    if ext:
        text += rng.choice([f" 转 {ext}", f"-{ext}"])
    return text, f"{area}-{local}" + (f"-{ext}" if ext else "")


def _address(rng: random.Random, city: str) -> str:
    districts: tuple[str, ...]
    roads: tuple[str, ...]
    if city in MUNICIPALITIES:
        _, districts, roads = MUNICIPALITIES[city]
        head = f"{city}市"
    else:
        province, _pinyin_name, districts, roads = CITIES[city]
        head = (province if rng.random() < 0.6 else "") + f"{city}市"
    room = rng.choice(
        [
            f"{rng.choice('ABCD')}座{rng.randrange(2, 30)}{rng.randrange(1, 20):02d}室",
            f"{rng.randrange(2, 30)}楼",
            f"{rng.randrange(1, 9)}号楼{rng.randrange(2, 20)}{rng.randrange(1, 20):02d}室",
            f"{rng.randrange(2, 40)}层",
        ]
    )
    return (
        f"{head}{rng.choice(districts)}{rng.choice(roads)}{rng.randrange(1, 999)}号"
        f"{rng.choice(BUILDINGS)}{room}"
    )


def _address_en(rng: random.Random, city: str) -> str:
    pinyin = MUNICIPALITIES[city][0] if city in MUNICIPALITIES else CITIES[city][1]
    road = rng.choice(
        [
            "Wensan Road",
            "Century Avenue",
            "Zhongshan Road",
            "Keji Road",
            "Tianfu Avenue",
            "Jiangnan Avenue",
        ]
    )
    return (
        f"Room {rng.randrange(2, 30)}{rng.randrange(1, 20):02d}, No. {rng.randrange(1, 999)} "
        f"{road}, {pinyin}, China"
    )


def make_card_spec(rng: random.Random, fonts: Sequence[tuple[str, int]]) -> CardSpec:
    """Draw a random card: person, company, contact details, layout and typography."""
    english = rng.random() < 0.12
    surname = rng.choice(SURNAMES)
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
    zh_name = surname + given
    city = rng.choice(list(CITIES) + list(MUNICIPALITIES))
    brand = rng.choice(BRANDS)
    industry, industry_en = rng.choice(INDUSTRIES)
    suffix = rng.choice(SUFFIXES)
    region = city if rng.random() < 0.7 else ""
    city_py = MUNICIPALITIES[city][0] if city in MUNICIPALITIES else CITIES[city][1]
    brand_py = _pinyin(brand)
    en_given = rng.choice(EN_GIVEN)
    en_name = f"{en_given} {_pinyin(surname).capitalize()}"
    if english:
        name = en_name
        title = rng.choice(TITLES_EN)
        company = f"{city_py} {brand_py.capitalize()} {industry_en} Co., Ltd."
        address = _address_en(rng, city)
    else:
        name = zh_name
        title = rng.choice(TITLES_ZH)
        company = region + brand + industry + suffix
        address = _address(rng, city)
    domain = brand_py + rng.choice(["", "-tech", "group", "", ""]) + rng.choice(TLDS)
    given_py = _pinyin(given)
    local = rng.choice(
        [
            _pinyin(surname) + given_py,
            f"{given_py}.{_pinyin(surname)}",
            f"{en_given.lower()}.{_pinyin(surname)}",
            "sales",
            f"{en_given.lower()}",
        ]
    )
    email = (
        f"{local}@{domain}"
        if rng.random() < 0.85
        else f"{local}{rng.randrange(10, 99)}@" + rng.choice(MAIL_HOSTS)
    )
    website = rng.choice([f"www.{domain}", f"www.{domain}", f"http://www.{domain}", domain])
    mobile_text, mobile = _mobile(rng)
    phone_text: str | None
    phone_text, phone = _landline(rng, city)
    fax_text = None
    if rng.random() < 0.3:
        fax_text, _ = _landline(rng, city)
    wechat_id = rng.choice(
        [
            f"{_pinyin(surname)}{given_py}{rng.randrange(10, 99)}",
            f"{brand_py}_{en_given.lower()}",
            f"wx_{given_py}{rng.randrange(1980, 2001)}",
            mobile,
        ]
    )
    fields: dict[str, str | None] = {
        "name": name,
        "title": title,
        "company": company,
        "mobile": mobile,
        "phone": phone,
        "email": email,
        "website": website,
        "address": address,
        "wechat": wechat_id,
    }
    # Not every card carries every field.
    for key, p_missing in (
        ("phone", 0.2),
        ("website", 0.35),
        ("wechat", 0.5),
        ("email", 0.1),
        ("title", 0.05),
        ("address", 0.1),
    ):
        if rng.random() < p_missing:
            fields[key] = None
    if fields["phone"] is None:
        phone_text = None
    paper = rng.choice(
        [(255, 255, 255), (255, 255, 255), (250, 248, 240), (244, 246, 250), (248, 244, 236)]
    )
    ink = rng.choice([(20, 20, 20), (40, 40, 45), (30, 35, 60)])
    accent = rng.choice([(20, 60, 140), (150, 30, 30), (20, 100, 70), (30, 30, 30)])
    return CardSpec(
        fields=fields,
        english=english,
        en_name=None if english else en_name,
        layout=rng.choice(["left", "centered", "two_column", "name_top"]),
        label_style=rng.choice(["zh", "zh_alt", "en_letter", "en_word", "none"]),
        font=rng.choice(list(fonts)),
        mobile_text=mobile_text,
        phone_text=phone_text,
        fax_text=fax_text,
        paper=paper,
        ink=ink,
        accent=accent,
        extras={
            "combined_phones": rng.random() < 0.2,
            "bar": rng.random() < 0.5,
            "logo": rng.random() < 0.4,
            "show_en_name": rng.random() < 0.4,
        },
    )


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "mobile": "手机：",
        "phone": "电话：",
        "fax": "传真：",
        "email": "邮箱：",
        "website": "网址：",
        "address": "地址：",
        "wechat": "微信：",
    },
    "zh_alt": {
        "mobile": "手机 ",
        "phone": "座机 ",
        "fax": "传真 ",
        "email": "E-mail：",
        "website": "网址 ",
        "address": "地址 ",
        "wechat": "微信号：",
    },
    "en_letter": {
        "mobile": "M: ",
        "phone": "T: ",
        "fax": "F: ",
        "email": "E: ",
        "website": "W: ",
        "address": "A: ",
        "wechat": "WeChat: ",
    },
    "en_word": {
        "mobile": "Mobile: ",
        "phone": "Tel: ",
        "fax": "Fax: ",
        "email": "Email: ",
        "website": "Web: ",
        "address": "Add: ",
        "wechat": "WeChat: ",
    },
    "none": {
        "mobile": "",
        "phone": "",
        "fax": "Fax ",
        "email": "",
        "website": "",
        "address": "",
        "wechat": "微信：",
    },
}


class Pen:
    """Draws text lines on a card canvas in millimetre units."""

    def __init__(self, img: Image.Image, px_per_mm: float, font: tuple[str, int]) -> None:
        self.img = img
        self.draw = ImageDraw.Draw(img)
        self.k = px_per_mm
        self.font_spec = font
        self._cache: dict[tuple[str, int, int], ImageFont.FreeTypeFont] = {}

    def font(self, size_mm: float, bold: bool = False) -> ImageFont.FreeTypeFont:
        path, index = BOLD_FONT if bold and Path(BOLD_FONT[0]).exists() else self.font_spec
        px = max(6, round(size_mm * self.k))
        key = (path, index, px)
        if key not in self._cache:
            self._cache[key] = ImageFont.truetype(path, px, index=index)
        return self._cache[key]

    def width_mm(self, text: str, size_mm: float, bold: bool = False) -> float:
        return float(self.draw.textlength(text, font=self.font(size_mm, bold))) / self.k

    def text(
        self,
        x_mm: float,
        baseline_mm: float,
        text: str,
        size_mm: float,
        fill: tuple[int, int, int],
        bold: bool = False,
        anchor: str = "ls",
    ) -> None:
        self.draw.text(
            (x_mm * self.k, baseline_mm * self.k),
            text,
            fill=fill,
            font=self.font(size_mm, bold),
            anchor=anchor,
        )

    def wrap(self, text: str, size_mm: float, width_mm: float) -> list[str]:
        """Break ``text`` into lines no wider than ``width_mm`` (at spaces for Latin text)."""
        lines: list[str] = []
        rest = text
        while rest and self.width_mm(rest, size_mm) > width_mm:
            cut = len(rest)
            while cut > 1 and self.width_mm(rest[:cut], size_mm) > width_mm:
                cut -= 1
            if " " in rest[:cut] and not any("\u4e00" <= c <= "\u9fff" for c in rest[:cut]):
                cut = rest[:cut].rstrip().rfind(" ") + 1 or cut
            lines.append(rest[:cut].rstrip())
            rest = rest[cut:].lstrip()
        if rest:
            lines.append(rest)
        return lines


CARD_W_MM, CARD_H_MM = 90.0, 54.0


def render_card(spec: CardSpec, px_per_mm: float, rng: random.Random) -> Image.Image:
    """Draw the card flat, at ``px_per_mm`` (11.81 = 300 dpi)."""
    size = (round(CARD_W_MM * px_per_mm), round(CARD_H_MM * px_per_mm))
    img = Image.new("RGB", size, spec.paper)
    pen = Pen(img, px_per_mm, spec.font)
    f = spec.fields
    ex = spec.extras
    labels = LABELS[
        spec.label_style if not spec.english or spec.label_style.startswith("en") else "en_word"
    ]
    if ex["bar"]:
        pen.draw.rectangle((0, 0, size[0], round(2.2 * px_per_mm)), fill=spec.accent)
    if ex["logo"]:
        x0, y0 = (CARD_W_MM - 14) * px_per_mm, 5 * px_per_mm
        r = 4.5 * px_per_mm
        pen.draw.ellipse(
            (x0, y0, x0 + 2 * r, y0 + 2 * r),
            outline=spec.accent,
            width=max(2, round(0.6 * px_per_mm)),
        )
    name_mm = rng.uniform(5.0, 6.8) if not spec.english else rng.uniform(4.2, 5.2)
    small = rng.uniform(2.5, 2.9)
    title_mm = rng.uniform(2.7, 3.2)
    company_mm = rng.uniform(3.0, 3.6)
    left = rng.uniform(6, 8)

    contact: list[tuple[str, str]] = []  # (label key, text)
    if ex["combined_phones"] and spec.mobile_text and spec.phone_text:
        contact.append(
            (
                "combined",
                f"{labels['mobile'] or 'M '}{spec.mobile_text}   "
                f"{labels['phone'] or 'T '}{spec.phone_text}",
            )
        )
    else:
        if spec.mobile_text:
            contact.append(("mobile", labels["mobile"] + spec.mobile_text))
        if spec.phone_text:
            contact.append(("phone", labels["phone"] + spec.phone_text))
    if spec.fax_text:
        contact.append(("fax", labels["fax"] + spec.fax_text))
    for key in ("email", "website", "wechat"):
        if f[key]:
            contact.append((key, labels[key] + str(f[key])))

    def contact_block(x: float, top: float, width: float, bottom: float) -> None:
        size_mm = small
        widest = max((pen.width_mm(t, size_mm) for _, t in contact), default=0.0)
        if widest > width:
            size_mm *= width / widest
        lines: list[tuple[str, float]] = [(t, 0.0) for _, t in contact]
        if f["address"]:
            label = labels["address"]
            indent = pen.width_mm(label, size_mm)
            wrapped = pen.wrap(str(f["address"]), size_mm, width - indent)
            lines.append((label + wrapped[0], 0.0))
            lines.extend((w, indent) for w in wrapped[1:])
        step = min(size_mm * 1.55, (bottom - top) / max(1, len(lines)))
        size_mm = min(size_mm, step / 1.3)
        y = top + size_mm
        for line, dx in lines:
            pen.text(x + dx, y, line, size_mm, spec.ink)
            y += step

    layout = spec.layout
    name, title, company = str(f["name"]), f["title"], str(f["company"])
    if layout in ("left", "name_top"):
        y = 13.5 if layout == "left" else 12.5
        if layout == "left":
            pen.text(left, 9.5, company, company_mm, spec.accent, bold=True)
            y = 19.5
        pen.text(left, y, name, name_mm, spec.ink, bold=rng.random() < 0.5)
        if title:
            pen.text(
                left + pen.width_mm(name, name_mm) + rng.uniform(3, 6), y, title, title_mm, spec.ink
            )
        if spec.en_name and ex["show_en_name"]:
            pen.text(left, y + 4.5, spec.en_name, 2.4, spec.ink)
        if layout == "name_top":
            pen.text(
                left, y + (9.5 if ex["show_en_name"] else 6.5), company, company_mm, spec.accent
            )
        contact_block(left, 25.5 if layout == "left" else 27.5, CARD_W_MM - left - 6, 51.0)
    elif layout == "centered":
        cx = CARD_W_MM / 2
        pen.text(cx, 9.5, company, company_mm, spec.accent, bold=True, anchor="ms")
        pen.text(cx, 19.5, name, name_mm, spec.ink, anchor="ms")
        if title:
            pen.text(cx, 24.5, title, title_mm, spec.ink, anchor="ms")
        pen.draw.line(
            (cx * pen.k - 15 * pen.k, 26.8 * pen.k, cx * pen.k + 15 * pen.k, 26.8 * pen.k),
            fill=spec.accent,
            width=max(1, round(0.25 * pen.k)),
        )
        contact_block(left, 29.0, CARD_W_MM - left - 6, 51.5)
    else:  # two_column: person on the left, contact details on the right
        col = 40.0
        pen.text(left, 18.0, name, name_mm, spec.ink, bold=True)
        if title:
            pen.text(left, 24.0, title, title_mm, spec.ink)
        pen.text(left, 47.0, company, 2.6, spec.accent)
        contact_block(col, 7.0, CARD_W_MM - col - 4, 42.0)
    return img


# --- degradations -----------------------------------------------------------------------------


def _noise(img: Image.Image, sigma: float, nprng: np.random.Generator) -> Image.Image:
    arr = np.asarray(img, dtype=np.float64)
    arr = arr + nprng.normal(0.0, sigma, arr.shape[:2])[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def office_scan(card: Image.Image, rng: random.Random, nprng: np.random.Generator) -> Image.Image:
    """A flatbed scan: card on the scanner glass, slightly rotated, with sensor noise."""
    bed = rng.randrange(225, 250)
    margin = rng.randrange(20, 60)
    canvas = Image.new("RGB", (card.width + 2 * margin, card.height + 2 * margin), (bed,) * 3)
    canvas.paste(card, (margin, margin))
    canvas = canvas.rotate(
        rng.uniform(-3.0, 3.0), resample=Image.Resampling.BICUBIC, fillcolor=(bed,) * 3
    )
    canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
    return _noise(canvas, rng.uniform(3, 7), nprng)


def _background(
    size: tuple[int, int], rng: random.Random, nprng: np.random.Generator
) -> Image.Image:
    w, h = size
    base = np.array(
        rng.choice(
            [(96, 64, 40), (70, 70, 75), (40, 50, 70), (120, 100, 80), (55, 45, 40), (90, 95, 90)]
        ),
        dtype=np.float32,
    )
    small = nprng.normal(0, 1, (h // 40 + 2, w // 40 + 2)).astype(np.float32)
    blotch = np.asarray(Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC))
    grain = nprng.normal(0, 1, (h, w)).astype(np.float32)
    if rng.random() < 0.5:  # wood-like streaks
        streak = np.sin(np.linspace(0, rng.uniform(20, 60), h))[:, None] * 10
        grain = grain * 4 + streak.astype(np.float32)
    else:
        grain *= 6
    arr = base[None, None, :] + (blotch * 12 + grain)[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def phone_photo(card: Image.Image, rng: random.Random, nprng: np.random.Generator) -> Image.Image:
    """A phone photo: card on a desk in perspective, uneven light, blur and JPEG noise."""
    w, h = (1600, 1200) if rng.random() < 0.7 else (1200, 1600)
    bg = _background((w, h), rng, nprng)
    card_w = rng.uniform(0.62, 0.8) * min(w, 1.45 * h)
    card_h = card_w * card.height / card.width
    cx = w / 2 + rng.uniform(-0.06, 0.06) * w
    cy = h / 2 + rng.uniform(-0.06, 0.06) * h
    angle = math.radians(rng.uniform(-10, 10))
    jitter = 0.045 * card_w
    corners = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x = sx * card_w / 2
        y = sy * card_h / 2
        xr = x * math.cos(angle) - y * math.sin(angle) + cx + rng.uniform(-jitter, jitter)
        yr = x * math.sin(angle) + y * math.cos(angle) + cy + rng.uniform(-jitter, jitter)
        corners.append((xr, yr))
    src = [
        (0.0, 0.0),
        (float(card.width), 0.0),
        (float(card.width), float(card.height)),
        (0.0, float(card.height)),
    ]
    coeffs = perspective_coeffs(np.asarray(corners), np.asarray(src))
    warped = card.transform(
        (w, h), Image.Transform.PERSPECTIVE, coeffs, resample=Image.Resampling.BICUBIC
    )
    mask = Image.new("L", card.size, 255).transform(
        (w, h), Image.Transform.PERSPECTIVE, coeffs, resample=Image.Resampling.BILINEAR
    )
    # A soft drop shadow under the card.
    shadow = mask.filter(ImageFilter.GaussianBlur(12))
    shadow_arr = np.asarray(shadow, dtype=np.float32) / 255.0
    sh = np.roll(shadow_arr, (8, 6), axis=(0, 1))
    bg_arr = np.asarray(bg, dtype=np.float32) * (1 - 0.45 * sh[..., None])
    bg = Image.fromarray(np.clip(bg_arr, 0, 255).astype(np.uint8))
    bg.paste(warped, (0, 0), mask)
    # Uneven light: a linear falloff in a random direction plus a vignette.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, 2 * math.pi)
    ramp = (xx / w - 0.5) * math.cos(theta) + (yy / h - 0.5) * math.sin(theta)
    light = 1.0 - rng.uniform(0.1, 0.35) * (ramp + 0.5)
    vignette = 1.0 - 0.25 * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2)
    arr = np.asarray(bg, dtype=np.float32) * (light * vignette)[..., None]
    warm = np.array(rng.choice([(1.0, 1.0, 1.0), (1.02, 1.0, 0.94), (0.96, 0.99, 1.03)]))
    arr = arr * warm[None, None, :]
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.1)))
    return _noise(img, rng.uniform(3, 6), nprng)


# --- contracts --------------------------------------------------------------------------------

CONTRACT_TITLES = ("购销合同", "技术服务合同", "软件许可合同", "设备采购合同", "年度框架采购协议")
ROLE_A = ("", "（买方）", "（采购方）", "(委托方)", "（需方）")
ROLE_B = ("", "（卖方）", "（供应方）", "(受托方)", "（供方）")
FILLER = (
    "乙方应按照甲方要求的规格、数量和时间交付货物，并提供相应的质量合格证明文件。",
    "甲方应在收到货物后七个工作日内完成验收，逾期未提出书面异议的视为验收合格。",
    "双方应对在履行本合同过程中知悉的对方商业秘密承担保密义务，保密期限不因合同终止而终止。",
    "因不可抗力导致本合同不能履行的，受影响一方应及时通知对方，并在合理期限内提供证明。",
    "任何一方违反本合同约定的，应向守约方支付违约金，并赔偿由此给对方造成的全部损失。",
    "本合同履行过程中发生争议的，双方应友好协商解决；协商不成的，提交甲方所在地人民法院诉讼解决。",
    "乙方保证所提供的产品不侵犯任何第三方的知识产权，否则由乙方承担全部责任。",
    "本合同未尽事宜，双方可另行签订补充协议，补充协议与本合同具有同等法律效力。",
    "乙方负责产品的安装调试及操作培训，质保期内免费提供维修服务。",
    "本合同一式两份，甲乙双方各执一份，自双方签字盖章之日起生效。",
)


def _company(rng: random.Random) -> str:
    city = rng.choice(list(AREA_CODES))
    industry, _ = rng.choice(INDUSTRIES)
    return city + rng.choice(BRANDS) + industry + rng.choice(SUFFIXES)


def _party(rng: random.Random) -> str:
    """A contract party as contracts name them: a company, one with its seat in brackets
    (品牌（城市）行业有限公司), a company's branch, or an institute."""
    form = rng.choices(["plain", "seat", "branch", "institute"], weights=[5, 2, 2, 1])[0]
    if form == "plain":
        return _company(rng)
    industry, _ = rng.choice(INDUSTRIES)
    brand = rng.choice(BRANDS)
    if form == "seat":
        return f"{brand}（{rng.choice(list(AREA_CODES))}）{industry}{rng.choice(SUFFIXES)}"
    if form == "branch":
        return _company(rng) + rng.choice(list(AREA_CODES)) + "分公司"
    return rng.choice(list(AREA_CODES)) + brand + industry + rng.choice(["研究院", "研究所"])


def _date_text(d: dt.date, style: int) -> str:
    if style == 0:
        return f"{d.year}年{d.month}月{d.day}日"
    if style == 1:
        return d.isoformat()
    if style == 2:
        return f"{d.year}.{d.month:02d}.{d.day:02d}"
    cn = "〇一二三四五六七八九"

    def small(n: int) -> str:
        if n < 10:
            return cn[n]
        tens, ones = divmod(n, 10)
        return (cn[tens] if tens > 1 else "") + "十" + (cn[ones] if ones else "")

    return "".join(cn[int(c)] for c in str(d.year)) + f"年{small(d.month)}月{small(d.day)}日"


@dataclass
class ContractSpec:
    """One contract's text (as paragraphs per page) and its true field values."""

    pages: list[list[tuple[str, str]]]  # (style, text) per paragraph
    fields: dict[str, str | None]
    font: tuple[str, int]


def make_contract_spec(
    rng: random.Random, fonts: Sequence[tuple[str, int]], pages: int
) -> ContractSpec:
    """Draw a random contract of ``pages`` pages with its ground truth."""
    party_a, party_b = _party(rng), _party(rng)
    while party_b == party_a:
        party_b = _party(rng)
    year = rng.randrange(2024, 2028)
    signed = dt.date(year, rng.randrange(1, 13), rng.randrange(1, 29))
    years = rng.choice([1, 1, 2, 3])
    expires = signed.replace(year=signed.year + years) - dt.timedelta(days=1)
    amount = Decimal(
        rng.choice(
            [
                rng.randrange(1, 999) * 1000,
                rng.randrange(10_000, 2_000_000),
                rng.randrange(1000, 99999) * 100,
                rng.randrange(100_000, 9_999_999),
            ]
        )
    )
    if rng.random() < 0.15:
        amount += Decimal(rng.randrange(1, 100)) / 100
    prefix = rng.choice(["HT", "CG", "FC", "XS", "JS"])
    number = rng.choice(
        [
            f"{prefix}-{year}-{rng.randrange(1, 9999):04d}",
            f"{prefix}{signed:%Y%m%d}-{rng.randrange(1, 99):02d}",
            f"{prefix}{year}{rng.randrange(100, 999)}",
        ]
    )
    date_style = rng.randrange(4)
    upper = to_uppercase(amount)
    arabic = f"{amount:,.2f}"
    amount_form = rng.choices(["both", "upper", "arabic"], weights=[6, 2, 2])[0]
    if amount_form == "both":
        amount_text = rng.choice(
            [
                f"本合同总金额为人民币（大写）{upper}（小写：¥{arabic}），含税。",
                f"合同总价款：人民币{upper}（￥{arabic}元），该价格已包含增值税及运输费用。",
            ]
        )
    elif amount_form == "upper":
        amount_text = f"本合同总金额为人民币{upper}，含13%增值税。"
    else:
        amount_text = f"合同总金额：¥{arabic}元（含税）。"
    start_text, end_text = _date_text(signed, date_style), _date_text(expires, date_style)
    with_term = rng.random() < 0.85
    term_text = (
        rng.choice(
            [
                f"本合同有效期自{start_text}起至{end_text}止。",
                f"合同有效期：{start_text}至{end_text}。",
            ]
        )
        if with_term
        else "本合同自双方签字盖章之日起生效，至双方义务履行完毕之日终止。"
    )
    pay = (
        "付款方式：合同签订后五个工作日内，甲方向乙方支付合同总金额的30%作为预付款，"
        "货到验收合格后支付余款。"
    )
    role_a, role_b = rng.choice(ROLE_A), rng.choice(ROLE_B)
    sep = rng.choice(["：", "："])
    # How the header names the parties: 甲方（买方）：X; 买方（甲方）：X; 买方：X（以下简称“甲方”）.
    naming = rng.choices(["side", "role", "short"], weights=[4, 2, 2])[0]
    lines_ab = []
    for side, role, name in (("甲", role_a, party_a), ("乙", role_b, party_b)):
        word = role.strip("（）()") or rng.choice(
            ["买方", "采购方", "委托方"] if side == "甲" else ["卖方", "供应方", "受托方"]
        )
        if naming == "side":
            lines_ab.append(f"{side}方{role}{sep}{name}")
        elif naming == "role":
            lines_ab.append(f"{word}（{side}方）{sep}{name}")
        else:
            lines_ab.append(f"{word}{sep}{name}（以下简称“{side}方”）")
    head: list[tuple[str, str]] = [
        ("title", rng.choice(CONTRACT_TITLES)),
        ("right", f"合同编号：{number}"),
        ("body", lines_ab[0]),
        ("body", f"地址：{_address(rng, rng.choice(list(CITIES)))}"),
        ("body", lines_ab[1]),
        ("body", f"地址：{_address(rng, rng.choice(list(CITIES)))}"),
        (
            "para",
            "根据《中华人民共和国民法典》及相关法律法规的规定，甲乙双方本着平等自愿、"
            "诚实信用的原则，经友好协商，就相关事宜达成如下协议：",
        ),
        ("body", "第一条 合同标的"),
        ("para", rng.choice(FILLER)),
        ("body", "第二条 合同金额"),
        ("para", amount_text),
        ("para", pay),
        ("body", "第三条 合同期限"),
        ("para", term_text),
    ]
    clauses = [("body", "第四条 其他约定")] + [("para", t) for t in rng.sample(FILLER, 4)]
    signed_text = _date_text(signed, date_style)
    sign: list[tuple[str, str]]
    if rng.random() < 0.4:
        # The signature block in two columns, 甲方 on the left and 乙方 on the right.
        sign = [
            ("pair", "甲方（盖章）：\t乙方（盖章）："),
            ("pair", f"{party_a}\t{party_b}"),
            ("pair", "授权代表（签字）：\t授权代表（签字）："),
            ("sign", f"签订日期：{signed_text}"),
        ]
    else:
        sign = [
            ("sign", f"甲方（盖章）：{party_a}"),
            ("sign", "授权代表（签字）："),
            ("sign", f"乙方（盖章）：{party_b}"),
            ("sign", "授权代表（签字）："),
            ("sign", f"签订日期：{signed_text}"),
        ]
    if pages == 1:
        page_list = [head + clauses[:3] + sign]
    else:
        page_list = [head + clauses, [("para", t) for t in rng.sample(FILLER, 3)] + sign]
    fields: dict[str, str | None] = {
        "contract_no": number,
        "party_a": party_a,
        "party_b": party_b,
        "amount": format_amount(amount),
        "signed_on": signed.isoformat(),
        "expires_on": expires.isoformat() if with_term else None,
    }
    return ContractSpec(page_list, fields, rng.choice(list(fonts[:4])))


def render_contract_page(
    paragraphs: list[tuple[str, str]], font: tuple[str, int], dpi: int
) -> Image.Image:
    """An A4 page with the paragraphs set in ``font`` at ``dpi``."""
    k = dpi / 25.4
    img = Image.new("RGB", (round(210 * k), round(297 * k)), (255, 255, 255))
    pen = Pen(img, k, font)
    left, right = 25.0, 185.0
    y = 30.0
    body = 4.2  # ≈ 12 pt
    for style, text in paragraphs:
        if style == "title":
            pen.text(105, y + 6, text, 7.0, (0, 0, 0), bold=True, anchor="ms")
            y += 14
            continue
        if style == "right":
            pen.text(right, y + body, text, body, (0, 0, 0), anchor="rs")
            y += body * 2.2
            continue
        if style == "pair":
            # Two columns on one baseline: the left half and the right half of the page.
            for x, part in zip((left, 110.0), text.split("\t"), strict=True):
                size = min(body, body * 72 / max(1.0, pen.width_mm(part, body)))
                pen.text(x, y + body, part, size, (0, 0, 0))
            y += body * 1.9
            continue
        first_indent = 2 * body if style == "para" else 0.0
        lines = pen.wrap(text, body, right - left - first_indent)
        if style == "para" and len(lines) > 1:
            rest = pen.wrap(text[len(lines[0]) :].lstrip(), body, right - left)
            lines = [lines[0], *rest]
        if style == "sign":
            y += body * 0.6
        for i, line in enumerate(lines):
            pen.text(left + (first_indent if i == 0 else 0), y + body, line, body, (0, 0, 0))
            y += body * 1.75
        y += body * 0.5
    return img


def contract_scan(page: Image.Image, rng: random.Random, nprng: np.random.Generator) -> Image.Image:
    """A contract page through an office scanner: a slight turn, blur and sensor noise."""
    page = page.rotate(
        rng.uniform(-1.0, 1.0), resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255)
    )
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.6)))
    return _noise(page, rng.uniform(2, 5), nprng)


# --- writing the set --------------------------------------------------------------------------


def _item_rngs(seed: int, kind: str, index: int) -> tuple[random.Random, np.random.Generator]:
    key = f"{seed}:{kind}:{index}"
    rng = random.Random(key)
    return rng, np.random.default_rng(rng.randrange(2**63))


def write_card(outdir: Path, seed: int, index: int, condition: str) -> Path:
    """Render card ``index`` of ``condition``; returns the image path (truth beside it)."""
    fonts = available_fonts()
    if not fonts:
        raise RuntimeError("no CJK font found: apt-get install fonts-noto-cjk fonts-wqy-microhei")
    rng, nprng = _item_rngs(seed, f"card-{condition}", index)
    spec = make_card_spec(rng, fonts)
    stem = f"card-{condition}-{index:04d}"
    if condition == "clean":
        img = render_card(spec, 300 / 25.4, rng)
        path = outdir / f"{stem}.png"
        img.save(path, dpi=(300, 300))
    elif condition == "scan":
        dpi = rng.choice([300, 300, 250])
        img = office_scan(render_card(spec, dpi / 25.4, rng), rng, nprng)
        path = outdir / f"{stem}.jpg"
        img.save(path, quality=rng.randrange(80, 93), dpi=(dpi, dpi))
    else:
        img = phone_photo(render_card(spec, 2 * 300 / 25.4, rng), rng, nprng)
        path = outdir / f"{stem}.jpg"
        img.save(path, quality=rng.randrange(60, 86))
    truth = {
        "kind": "card",
        "condition": condition,
        # Every field the readers return, in their order (a KeyError if the spec lacks one).
        "fields": {k: spec.fields[k] for k in CARD_FIELDS},
        "layout": spec.layout,
        "labels": spec.label_style,
        "font": Path(spec.font[0]).name,
        "english": spec.english,
    }
    path.with_suffix(".json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return path


def write_contract(outdir: Path, seed: int, index: int, *, noisy: bool = True) -> Path:
    """Render contract ``index`` as PNG, JPG or PDF; returns its path (truth beside it)."""
    fonts = available_fonts()
    if not fonts:
        raise RuntimeError("no CJK font found: apt-get install fonts-noto-cjk fonts-wqy-microhei")
    rng, nprng = _item_rngs(seed, "contract", index)
    fmt = ("png", "jpg", "pdf")[index % 3]
    pages = rng.choice([1, 2]) if fmt == "pdf" else 1
    spec = make_contract_spec(rng, fonts, pages)
    dpi = rng.choice([200, 300]) if fmt != "pdf" else 200
    images = [render_contract_page(p, spec.font, dpi) for p in spec.pages]
    stem = f"contract-{index:04d}"
    path = outdir / f"{stem}.{fmt}"
    if fmt == "png":
        images[0].convert("L").save(path, dpi=(dpi, dpi))
    elif fmt == "jpg":
        contract_scan(images[0], rng, nprng).save(path, quality=85, dpi=(dpi, dpi))
    else:
        scanned = [
            contract_scan(im, rng, nprng).convert("L") if noisy else im.convert("1")
            for im in images
        ]
        scanned[0].save(path, save_all=True, append_images=scanned[1:], resolution=float(dpi))
    fields = {k: spec.fields[k] for k in CONTRACT_FIELDS}
    truth = {"kind": "contract", "format": fmt, "pages": pages, "fields": fields}
    path.with_suffix(".json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return path


def generate(
    outdir: Path, n_cards: int, n_contracts: int, seed: int, conditions: Sequence[str] = CONDITIONS
) -> dict[str, list[str]]:
    """Write the whole set and ``manifest.json``; returns the manifest."""
    outdir.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, list[str]] = {c: [] for c in conditions}
    manifest["contracts"] = []
    for condition in conditions:
        for i in range(n_cards):
            manifest[condition].append(write_card(outdir, seed, i, condition).name)
    for i in range(n_contracts):
        manifest["contracts"].append(write_contract(outdir, seed, i).name)
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


SAMPLE_SEED = 2026


def write_samples(outdir: Path) -> list[Path]:
    """The small fixed sample kept in resources/samples: three cards and two contracts."""
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [write_card(outdir, SAMPLE_SEED, 0, c) for c in CONDITIONS]
    paths += [
        write_contract(outdir, SAMPLE_SEED, 0),
        write_contract(outdir, SAMPLE_SEED, 2, noisy=False),
    ]
    # Kept in the repository and the installer: recompress to stay small.
    for path in paths:
        if path.suffix == ".jpg":
            with Image.open(path) as raw:
                im: Image.Image = raw.copy()
            if im.width > 1200:
                im = im.resize((im.width * 3 // 4, im.height * 3 // 4), Image.Resampling.LANCZOS)
            im.save(path, quality=60)
        elif path.name.startswith("contract") and path.suffix == ".png":
            with Image.open(path) as im:
                im.load()
            im.quantize(8).save(path, optimize=True)
    return paths


def load_truth(path: Path) -> dict[str, Any]:
    """The ground-truth record written beside ``path``."""
    data: dict[str, Any] = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return data


def normalise_value(field_name: str, value: str | None) -> str | None:
    """The form two values are compared in: folded, no white space, case-insensitive."""
    if value is None:
        return None
    v = fold(value).casefold()
    v = "".join(v.split())
    if field_name == "mobile":
        return normalize_mobile(v) or v
    if field_name == "website":
        v = v.removeprefix("http://").removeprefix("https://").rstrip("/")
    return v


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m tools.evalset", description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--n", type=int, default=20, help="cards per condition")
    parser.add_argument("--contracts", type=int, default=None, help="contracts (default: N)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument(
        "--samples", action="store_true", help="write the fixed sample of resources/samples instead"
    )
    args = parser.parse_args(argv)
    if args.samples:
        for path in write_samples(args.outdir):
            print(path)
        return 0
    conditions = [c for c in args.conditions.split(",") if c]
    unknown = set(conditions) - set(CONDITIONS)
    if unknown:
        parser.error(f"unknown condition(s): {', '.join(sorted(unknown))}")
    n_contracts = args.n if args.contracts is None else args.contracts
    manifest = generate(args.outdir, args.n, n_contracts, args.seed, conditions)
    total = sum(len(v) for v in manifest.values())
    print(f"wrote {total} files to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
