"""A varied set of labelled business cards, made independently of :mod:`tools.evalset`.

``python -m tools.cardgen OUTDIR --n N [--seed S] [--conditions clean,scan,photo,webcam]``

The card readers were tuned on :mod:`tools.evalset`'s cards; this generator draws cards the
readers have not seen: its own vocabulary (companies, streets, people), eight type families
(hei, serif, kai, ming, mono, condensed hei and serif, bold display), ten layouts and
coloured, textured and dark card stock, photographed with glare and perspective or grabbed
by a low-resolution webcam. Each image has a ``.json`` of its true fields beside it (the
same record as :mod:`tools.evalset` writes, with ``layout`` and ``family``).

Seeds: :data:`TUNE_SEED` makes the cards tests and development may look at and tune on;
:data:`EVAL_SEED` makes the cards ``bench/ocr.py`` scores, which nothing is tuned on. Item
``i`` of a seed, layout and condition does not depend on how many are made.

Layouts: ``classic`` (labels before values), ``labels_after`` (values, then the label),
``no_labels`` (icons instead of labels), ``english`` (English only), ``bilingual``
(Chinese and an ``XX Co., Ltd.`` line, English name beside the Chinese), ``vertical``
(portrait card), ``two_column`` (person left, details right, two details on a row),
``logo_split`` (the brand as a big logo line, the company's legal name split over two lines),
``wrapped`` (a narrow column: the address wraps onto a second line, two phones on one line),
``back_english`` (the English back side of a card: centred, logo on top).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.ocr.results import CARD_FIELDS
from tools.evalset import _noise, normalise_value, office_scan, phone_photo

CONDITIONS = ("clean", "scan", "photo", "webcam")
TUNE_SEED = 7311
EVAL_SEED = 52_019
LAYOUTS = (
    "classic",
    "labels_after",
    "no_labels",
    "english",
    "bilingual",
    "vertical",
    "two_column",
    "logo_split",
    "wrapped",
    "back_english",
)
ENGLISH_LAYOUTS = frozenset({"english", "back_english"})

_NOTO = "/usr/share/fonts/opentype/noto/"
# family → (regular (file, face), bold (file, face), horizontal squeeze)
FAMILIES: dict[str, tuple[tuple[str, int], tuple[str, int], float]] = {
    "hei": ((_NOTO + "NotoSansCJK-Regular.ttc", 2), (_NOTO + "NotoSansCJK-Bold.ttc", 2), 1.0),
    "serif": ((_NOTO + "NotoSerifCJK-Regular.ttc", 2), (_NOTO + "NotoSerifCJK-Bold.ttc", 2), 1.0),
    "kai": (
        ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
        ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
        1.0,
    ),
    "ming": (
        ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
        (_NOTO + "NotoSerifCJK-Bold.ttc", 2),
        1.0,
    ),
    "mono": ((_NOTO + "NotoSansCJK-Regular.ttc", 7), (_NOTO + "NotoSansCJK-Bold.ttc", 7), 1.0),
    "zenhei": (
        ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
        (_NOTO + "NotoSansCJK-Bold.ttc", 2),
        1.0,
    ),
    "condensed_hei": (
        ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
        (_NOTO + "NotoSansCJK-Bold.ttc", 2),
        0.8,
    ),
    "condensed_serif": (
        (_NOTO + "NotoSerifCJK-Regular.ttc", 2),
        (_NOTO + "NotoSerifCJK-Bold.ttc", 2),
        0.82,
    ),
}


def available_families() -> list[str]:
    """The type families whose font files are installed here."""
    return [k for k, (reg, bold, _) in FAMILIES.items() if Path(reg[0]).exists()]


# --- vocabulary (none of it shared with tools.evalset) ------------------------------------------

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"  # noqa: E501
GIVEN = "嘉怡子轩梓涵一诺欣然浩宇雨桐俊杰思源诗琪文博梦瑶天佑家豪晓东志强丽萍国庆秀英海燕春梅建华永刚玉兰桂芳振宇佳琪若曦沐阳锦程书瑶宏伟"  # noqa: E501
BRANDS = (
    "青禾",
    "蓝湾",
    "金穗",
    "知行",
    "森垚",
    "乐途",
    "北辰",
    "朗润",
    "安泽",
    "川流",
    "沐光",
    "墨石",
    "远景",
    "新桥",
    "白鹭",
    "鹿鸣",
    "芯源",
    "拓维",
    "澄明",
    "弘毅",
)
TRADES = (
    ("数据科技", "Data Technology"),
    ("生物医药", "Biopharma"),
    ("精密仪器", "Precision Instruments"),
    ("文化传媒", "Culture & Media"),
    ("供应链管理", "Supply Chain Management"),
    ("建筑装饰工程", "Building Decoration Engineering"),
    ("农业发展", "Agricultural Development"),
    ("汽车零部件", "Auto Parts"),
    ("光电技术", "Optoelectronics"),
    ("化工", "Chemical"),
    ("咨询", "Consulting"),
)
LEGAL = ("有限公司", "股份有限公司", "有限公司", "科技有限公司", "集团股份有限公司")
# city, province, pinyin, area code, districts, roads
_PLACES = """
厦门 福建省 Xiamen 0592 思明区,湖里区,集美区 湖滨南路,嘉禾路,软件园二期观日路
合肥 安徽省 Hefei 0551 蜀山区,包河区,庐阳区 长江西路,徽州大道,黄山路
长沙 湖南省 Changsha 0731 岳麓区,芙蓉区,天心区 麓谷大道,五一大道,芙蓉中路
西安 陕西省 Xi'an 029 雁塔区,碑林区,未央区 高新路,科技二路,长安北路
郑州 河南省 Zhengzhou 0371 金水区,中原区,郑东新区 花园路,商务外环路,农业路
济南 山东省 Jinan 0531 历下区,市中区,槐荫区 经十路,泉城路,舜华路
无锡 江苏省 Wuxi 0510 滨湖区,梁溪区,新吴区 太湖大道,中山路,长江路
东莞 广东省 Dongguan 0769 南城区,松山湖,长安镇 鸿福路,东城大道,工业北路
天津 天津市 Tianjin 022 和平区,河西区,滨海新区 南京路,友谊路,黄海路
重庆 重庆市 Chongqing 023 渝中区,江北区,渝北区 解放碑民族路,金开大道,洪湖西路
"""
PLACES = [line.split() for line in _PLACES.strip().splitlines()]
TOWERS = ("中心大厦", "科创园", "国贸大厦", "数码港", "金融港", "孵化基地", "万达广场", "创新中心")
TITLES_ZH = (
    "市场总监",
    "销售部经理",
    "首席执行官",
    "采购经理",
    "技术支持工程师",
    "区域经理",
    "业务经理",
    "总裁助理",
    "研发主管",
    "客户服务经理",
)
TITLES_EN = (
    "Marketing Director",
    "Sales Manager",
    "Chief Executive Officer",
    "Purchasing Manager",
    "Support Engineer",
    "Regional Manager",
    "Business Manager",
    "R&D Supervisor",
)
EN_FIRST = ("Alice", "Brian", "Carol", "Daniel", "Emma", "Felix", "Gloria", "Henry", "Iris", "Jack")
STREETS_EN = (
    "Hubin South Road",
    "Gaoxin Road",
    "Changjiang West Road",
    "Jingshi Road",
    "Taihu Avenue",
)


def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text))


# --- the card's content -------------------------------------------------------------------------


@dataclass
class Card:
    """One card: its true fields, what is printed for them, and how it looks."""

    layout: str
    family: str
    fields: dict[str, str | None]
    shown: dict[str, str]  # printed text of the contact values (phone formats…)
    extra: dict[str, str] = field(default_factory=dict)  # printed but not a field
    paper: tuple[int, int, int] = (255, 255, 255)
    ink: tuple[int, int, int] = (20, 20, 20)
    accent: tuple[int, int, int] = (20, 60, 140)
    texture: str = "plain"


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _id_letters(rng: random.Random, base: str) -> str:
    # Figures after letters, as ids have them: where the letters end and the figures begin is
    # where OCR confuses o/0 and l/1 (``info33`` read ``inf033``).
    tail = rng.choice(["", _digits(rng, 2), "0" + _digits(rng, 1), "1" + _digits(rng, 2), "01"])
    return base + tail


def make_card(rng: random.Random, layout: str, family: str) -> Card:
    """Draw one card's content for ``layout`` in type ``family``."""
    city, province, city_py, area, districts, roads = rng.choice(PLACES)
    surname = rng.choice(SURNAMES)
    given = rng.choice([rng.choice(GIVEN), rng.choice(GIVEN) + rng.choice(GIVEN)])
    brand = rng.choice(BRANDS)
    trade, trade_en = rng.choice(TRADES)
    legal = rng.choice(LEGAL)
    brand_py = _pinyin(brand)
    surname_py, given_py = _pinyin(surname), _pinyin(given)
    first = rng.choice(EN_FIRST)
    company_zh = (city if rng.random() < 0.6 else "") + brand + trade + legal
    company_en = f"{city_py} {brand_py.capitalize()} {trade_en} Co., Ltd."
    domain = (
        brand_py
        + rng.choice(["", "tech", "-group", "china"])
        + rng.choice((".com", ".cn", ".com.cn", ".net.cn"))
    )
    local = rng.choice(
        [
            _id_letters(rng, surname_py + given_py[:1]),
            f"{first.lower()}.{surname_py}",
            _id_letters(rng, "info"),
            given_py + "." + surname_py,
            _id_letters(rng, first[0].lower() + surname_py),
        ]
    )
    email = (
        f"{local}@{domain}"
        if rng.random() < 0.85
        else f"{local}@{rng.choice(('qq.com', 'foxmail.com', 'sina.com'))}"
    )
    website = rng.choice([f"www.{domain}", f"www.{domain}", domain])
    n = "1" + rng.choice("35789") + _digits(rng, 9)
    mobile_text = rng.choice(
        [
            n,
            f"{n[:3]} {n[3:7]} {n[7:]}",
            f"{n[:3]}-{n[3:7]}-{n[7:]}",
            f"+86 {n}",
            f"(+86) {n[:3]} {n[3:7]} {n[7:]}",
        ]
    )
    local_no = rng.choice("2345678") + _digits(rng, 7 if len(area) == 3 else rng.choice([6, 7]))
    phone = f"{area}-{local_no}"
    phone_text = rng.choice(
        [
            phone,
            f"({area}) {local_no}",
            f"+86 {area[1:]} {local_no}",
            f"{area} {local_no[:4]} {local_no[4:]}",
        ]
    )
    wechat = rng.choice(
        [
            _id_letters(rng, surname_py.capitalize() + given_py),
            f"{brand_py}_{first.lower()}",
            _id_letters(rng, "wxid_" + given_py[:4]),
            f"{first}{surname_py.capitalize()}{_digits(rng, 2)}",
        ]
    )
    road = rng.choice(roads.split(","))
    room = rng.choice(
        [
            f"{rng.randrange(3, 28)}{rng.randrange(1, 16):02d}室",
            f"{rng.randrange(2, 30)}层",
            f"{rng.choice('ABC')}栋{rng.randrange(2, 19)}楼",
        ]
    )
    address_zh = (
        (province if province != city + "市" and rng.random() < 0.5 else "")
        + f"{city}市{rng.choice(districts.split(','))}{road}{rng.randrange(1, 500)}号"
        + rng.choice(TOWERS)
        + room
    )
    address_en = (
        f"Room {rng.randrange(3, 28)}{rng.randrange(1, 16):02d}, No. {rng.randrange(1, 500)} "
        f"{rng.choice(STREETS_EN)}, {city_py}, China"
    )
    english = layout in ENGLISH_LAYOUTS
    fields: dict[str, str | None] = {
        "name": f"{first} {surname_py.capitalize()}" if english else surname + given,
        "title": rng.choice(TITLES_EN) if english else rng.choice(TITLES_ZH),
        "company": company_en if english else company_zh,
        "mobile": n,
        "phone": phone,
        "email": email,
        "website": website,
        "address": address_en if english else address_zh,
        "wechat": wechat,
    }
    for key, p in (("phone", 0.25), ("website", 0.3), ("wechat", 0.4), ("title", 0.05)):
        if rng.random() < p:
            fields[key] = None
    if layout == "no_labels":
        fields["wechat"] = None  # an id with no label or icon is not told from other text
    if layout == "wrapped":
        fields["phone"] = fields["phone"] or phone  # two phones on one line
    texture = rng.choices(["plain", "tint", "linen", "gradient", "dark"], [4, 3, 2, 2, 1])[0]
    tints = [(250, 246, 236), (236, 244, 250), (244, 250, 240), (252, 240, 240), (240, 240, 236)]
    paper = (255, 255, 255) if texture == "plain" else rng.choice(tints)
    ink = rng.choice([(25, 25, 25), (45, 45, 60), (60, 40, 30)])
    accent = rng.choice([(0, 90, 160), (170, 30, 40), (0, 120, 90), (120, 60, 150), (200, 110, 0)])
    if texture == "dark":
        paper = rng.choice([(20, 30, 60), (25, 25, 28), (60, 20, 30), (10, 60, 50)])
        ink = (245, 245, 240)
        accent = rng.choice([(230, 190, 90), (180, 220, 255), (255, 255, 255)])
    return Card(
        layout=layout,
        family=family,
        fields=fields,
        shown={"mobile": mobile_text, "phone": phone_text},
        extra={
            "company_en": company_en,
            "en_name": f"{first} {surname_py.capitalize()}",
            "address_en": address_en,
            "brand": brand,
            "brand_py": brand_py,
            "fax": f"{area}-{rng.choice('2345678')}{_digits(rng, 6 if len(area) == 4 else 7)}",
        },
        paper=paper,
        ink=ink,
        accent=accent,
        texture=texture,
    )


# --- drawing --------------------------------------------------------------------------------


class Pen:
    """Draws text in millimetres, squeezing it horizontally for condensed families."""

    def __init__(self, img: Image.Image, k: float, family: str) -> None:
        self.img = img
        self.draw = ImageDraw.Draw(img)
        self.k = k
        self.regular, self.bold, self.squeeze = FAMILIES[family]
        self._fonts: dict[tuple[str, int, int], ImageFont.FreeTypeFont] = {}

    def font(self, size: float, bold: bool = False) -> ImageFont.FreeTypeFont:
        path, face = self.bold if bold else self.regular
        px = max(6, round(size * self.k))
        key = (path, face, px)
        if key not in self._fonts:
            self._fonts[key] = ImageFont.truetype(path, px, index=face)
        return self._fonts[key]

    def width(self, text: str, size: float, bold: bool = False) -> float:
        return float(self.draw.textlength(text, font=self.font(size, bold))) * self.squeeze / self.k

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        fill: tuple[int, int, int],
        *,
        bold: bool = False,
        align: str = "left",
    ) -> None:
        """``text`` with its baseline at ``y``; ``x`` is its left, centre or right edge."""
        if not text:
            return
        font = self.font(size, bold)
        left, top, right, bottom = font.getbbox(text, anchor="ls")
        w, h = int(right - left + 4), int(bottom - top + 4)
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).text((2 - left, 2 - top), text, fill=255, font=font, anchor="ls")
        if self.squeeze != 1.0:
            mask = mask.resize((max(1, round(w * self.squeeze)), h), Image.Resampling.LANCZOS)
        px = x * self.k
        if align == "center":
            px -= mask.width / 2
        elif align == "right":
            px -= mask.width
        self.img.paste(
            Image.new("RGB", mask.size, fill), (round(px), round(y * self.k + top - 2)), mask
        )

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """``text`` broken into lines at most ``width`` wide (at spaces in Latin text)."""
        lines: list[str] = []
        rest = text
        while rest and self.width(rest, size) > width:
            cut = len(rest)
            while cut > 1 and self.width(rest[:cut], size) > width:
                cut -= 1
            if " " in rest[:cut] and not any("\u4e00" <= c <= "\u9fff" for c in rest):
                cut = rest[:cut].rstrip().rfind(" ") + 1 or cut
            lines.append(rest[:cut].rstrip())
            rest = rest[cut:].lstrip()
        if rest:
            lines.append(rest)
        return lines

    def logo(self, x: float, y: float, r: float, colour: tuple[int, int, int], kind: int) -> None:
        """A simple mark: ring, filled diamond or stacked bars."""
        k = self.k
        if kind == 0:
            self.draw.ellipse(
                (x * k, y * k, (x + 2 * r) * k, (y + 2 * r) * k),
                outline=colour,
                width=max(2, round(0.7 * k)),
            )
        elif kind == 1:
            cx, cy = (x + r) * k, (y + r) * k
            self.draw.polygon(
                [(cx, y * k), ((x + 2 * r) * k, cy), (cx, (y + 2 * r) * k), (x * k, cy)],
                fill=colour,
            )
        else:
            for j in range(3):
                self.draw.rectangle(
                    (
                        x * k,
                        (y + j * r * 0.7) * k,
                        (x + 2 * r - j * r * 0.5) * k,
                        (y + j * r * 0.7 + r * 0.45) * k,
                    ),
                    fill=colour,
                )


LABELS_ZH = {
    "mobile": "手机",
    "phone": "电话",
    "fax": "传真",
    "email": "邮箱",
    "website": "网址",
    "address": "地址",
    "wechat": "微信",
}
LABELS_EN = {
    "mobile": "Mob",
    "phone": "Tel",
    "fax": "Fax",
    "email": "Email",
    "website": "Web",
    "address": "Add",
    "wechat": "WeChat",
}
LABELS_BI = {k: f"{LABELS_ZH[k]} {LABELS_EN[k]}" for k in LABELS_ZH}


def _contacts(card: Card, with_fax: bool) -> list[tuple[str, str]]:
    f = card.fields
    out: list[tuple[str, str]] = [("mobile", card.shown["mobile"])]
    if f["phone"]:
        out.append(("phone", card.shown["phone"]))
    if with_fax:
        out.append(("fax", card.extra["fax"]))
    for key in ("email", "website", "wechat"):
        if f[key]:
            out.append((key, str(f[key])))
    return out


def _paper(
    card: Card, size: tuple[int, int], rng: random.Random, nprng: np.random.Generator
) -> Image.Image:
    w, h = size
    base = np.array(card.paper, dtype=np.float32)[None, None, :]
    arr = np.repeat(np.repeat(base, h, axis=0), w, axis=1)
    if card.texture == "linen":
        fibres = nprng.normal(0, 1, (h, w)).astype(np.float32)
        fibres = np.asarray(
            (fibres + np.roll(fibres, 1, axis=1) + np.roll(fibres, 2, axis=1)) / 3, dtype=np.float32
        )
        rows = np.sin(np.arange(h) * rng.uniform(0.6, 1.2))[:, None] * 2.5
        arr = (arr + (fibres * 6 + rows)[..., None]).astype(np.float32)
    elif card.texture == "gradient":
        ramp = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
        other = np.array(
            rng.choice([(210, 230, 245), (245, 225, 200), (225, 240, 220)]), dtype=np.float32
        )
        arr = (arr * (1 - 0.6 * ramp) + other[None, None, :] * 0.6 * ramp).astype(np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def render(card: Card, k: float, rng: random.Random, nprng: np.random.Generator) -> Image.Image:
    """The flat card at ``k`` pixels per millimetre."""
    portrait = card.layout == "vertical"
    w_mm, h_mm = (54.0, 90.0) if portrait else (90.0, 54.0)
    img = _paper(card, (round(w_mm * k), round(h_mm * k)), rng, nprng)
    pen = Pen(img, k, card.family)
    DRAW[card.layout](pen, card, rng, w_mm, h_mm)
    return img


def _block(
    pen: Pen,
    card: Card,
    rng: random.Random,
    x: float,
    top: float,
    width: float,
    bottom: float,
    labels: dict[str, str] | None,
    *,
    after: bool = False,
    address: str | None = None,
    pairs: bool = False,
    icons: bool = False,
) -> None:
    """The contact lines: labels before (or ``after``) values, or icons; the address last,
    wrapped to ``width`` (continuation lines under the value or under the label)."""
    rows = _contacts(card, with_fax=rng.random() < 0.25)
    lines: list[tuple[str, float]] = []
    size = rng.uniform(2.3, 2.8)
    sep = rng.choice([": ", "：", " ", " | "]) if labels else ""

    def fmt(key: str, value: str) -> str:
        if not labels:
            return value
        return f"{value}  {labels[key]}" if after else f"{labels[key]}{sep}{value}"

    if pairs and len(rows) >= 2:  # two details on one row
        lines.append((fmt(*rows[0]) + "    " + fmt(*rows[1]), 0.0))
        rows = rows[2:]
    lines += [(fmt(key, value), 0.0) for key, value in rows]
    if address:
        lead = f"{labels['address']}{sep}" if labels and not after else ""
        indent = pen.width(lead, size) if rng.random() < 0.6 else 0.0
        wrapped = pen.wrap(address, size, width - indent - 1)
        lines.append((lead + wrapped[0], 0.0))
        lines += [(part, indent) for part in wrapped[1:]]
    widest = max(pen.width(t, size) + dx for t, dx in lines)
    if widest > width:
        size *= width / widest
    step = min(size * 1.6, (bottom - top) / max(1, len(lines)))
    size = min(size, step / 1.3)
    y = top + size
    icon_gap = size * 1.4 if icons else 0.0
    for text, dx in lines:
        if icons and dx == 0.0 and not text.startswith(" "):
            r = size * 0.38
            pen.draw.ellipse(
                (
                    (x) * pen.k,
                    (y - size * 0.8) * pen.k,
                    (x + 2 * r) * pen.k,
                    (y - size * 0.8 + 2 * r) * pen.k,
                ),
                fill=card.accent,
            )
        pen.text(x + dx + icon_gap, y, text, size, card.ink)
        y += step


def _draw_classic(pen: Pen, card: Card, rng: random.Random, w: float, h: float) -> None:
    f = card.fields
    left = rng.uniform(5, 8)
    pen.text(left, 9, str(f["company"]), rng.uniform(3.0, 3.8), card.accent, bold=True)
    name_size = rng.uniform(5.0, 7.0)
    pen.text(left, 19, str(f["name"]), name_size, card.ink, bold=rng.random() < 0.6)
    if f["title"]:
        pen.text(
            left + pen.width(str(f["name"]), name_size) + 4, 19, str(f["title"]), 2.8, card.ink
        )
    pen.draw.line(
        (left * pen.k, 22 * pen.k, (w - 5) * pen.k, 22 * pen.k),
        fill=card.accent,
        width=max(1, round(0.3 * pen.k)),
    )
    _block(pen, card, rng, left, 24.5, w - left - 5, h - 3, LABELS_ZH, address=f["address"])


def _draw_labels_after(pen: Pen, card: Card, rng: random.Random, w: float, h: float) -> None:
    f = card.fields
    pen.text(w - 6, 12, str(f["name"]), rng.uniform(5.5, 7), card.ink, bold=True, align="right")
    if f["title"]:
        pen.text(w - 6, 17.5, str(f["title"]), 2.8, card.ink, align="right")
    pen.text(6, 10, str(f["company"]), 3.0, card.accent)
    _block(pen, card, rng, 6, 23, w - 12, h - 3, LABELS_ZH, after=True, address=f["address"])


def _draw_no_labels(pen: Pen, card: Card, rng: random.Random, w: float, h: float) -> None:
    f = card.fields
    pen.logo(6, 5, 4, card.accent, rng.randrange(3))
    pen.text(16, 11, str(f["company"]), 3.2, card.accent, bold=True)
    pen.text(6, 22, str(f["name"]), rng.uniform(5, 6.5), card.ink)
    if f["title"]:
        pen.text(6, 27, str(f["title"]), 2.7, card.ink)
    _block(pen, card, rng, 40, 19, w - 44, h - 3, None, icons=True, address=f["address"])


def _draw_english(pen: Pen, card: Card, rng: random.Random, w: float, h: float) -> None:
    f = card.fields
    pen.text(6, 12, str(f["name"]), rng.uniform(4.5, 5.5), card.ink, bold=True)
    if f["title"]:
        pen.text(6, 17, str(f["title"]), 2.7, card.ink)
    pen.text(6, 23, str(f["company"]), 2.9, card.accent, bold=rng.random() < 0.5)
    _block(pen, card, rng, 6, 25.5, w - 12, h - 3, LABELS_EN, address=f["address"])


def _draw_bilingual(pen: Pen, card: Card, rng: random.Random, w: float, h: float) -> None:
    f = card.fields
    pen.text(6, 8.5, str(f["company"]), 3.2, card.accent, bold=True)
    pen.text(6, 12.5, card.extra["company_en"], 2.2, card.accent)
    name_size = rng.uniform(5, 6.5)
    pen.text(6, 21, str(f["name"]), name_size, card.ink, bold=True)
    x = 6 + pen.width(str(f["name"]), name_size, bold=True) + 3
    pen.text(x, 21, card.extra["en_name"], 3.0, card.ink)
    if f["title"]:
        pen.text(6, 25.5, str(f["title"]), 2.6, card.ink)
    _block(pen, card, rng, 6, 27, w - 12, h - 2, LABELS_BI, address=f["address"])


def _draw_vertical(pen: Pen, card: Card, rng: random.Random, w: float, h: float) -> None:
    f = card.fields
    pen.logo(w / 2 - 5, 6, 5, card.accent, rng.randrange(3))
    company = str(f["company"])
    size = min(3.0, (w - 8) / max(1.0, pen.width(company, 1.0)))
    pen.text(w / 2, 23, company, size, card.accent, bold=True, align="center")
    pen.text(w / 2, 36, str(f["name"]), rng.uniform(5, 6.5), card.ink, bold=True, align="center")
    if f["title"]:
        pen.text(w / 2, 42, str(f["title"]), 2.6, card.ink, align="center")
    _block(pen, card, rng, 4, 48, w - 8, h - 3, LABELS_ZH, address=f["address"])


def _draw_two_column(pen: Pen, card: Card, rng: random.Random, w: float, h: float) -> None:
    f = card.fields
    pen.text(5, 16, str(f["name"]), rng.uniform(5.5, 7), card.ink, bold=True)
    if f["title"]:
        pen.text(5, 22, str(f["title"]), 2.7, card.ink)
    company = str(f["company"])
    size = min(2.8, 36 / max(1.0, pen.width(company, 1.0)))
    pen.text(5, 46, company, size, card.accent)
    pen.draw.line(
        (41 * pen.k, 6 * pen.k, 41 * pen.k, (h - 6) * pen.k),
        fill=card.accent,
        width=max(1, round(0.3 * pen.k)),
    )
    _block(pen, card, rng, 44, 6, w - 47, h - 4, LABELS_ZH, pairs=True, address=f["address"])


def _draw_logo_split(pen: Pen, card: Card, rng: random.Random, w: float, h: float) -> None:
    f = card.fields
    company = str(f["company"])
    pen.logo(5, 4, 4.5, card.accent, rng.randrange(3))
    brand = card.extra["brand"]
    pen.text(16, 12.5, brand, 7.0, card.accent, bold=True)
    # The legal name over two lines, cut where a line would be too long.
    cut = company.find(brand) + len(brand) if brand in company else len(company) // 2
    cut = max(cut, len(company) - 8)
    pen.text(w - 5, 8, company[:cut], 2.5, card.ink, align="right")
    pen.text(w - 5, 11.5, company[cut:], 2.5, card.ink, align="right")
    pen.text(6, 24, str(f["name"]), rng.uniform(4.5, 6), card.ink, bold=True)
    if f["title"]:
        pen.text(6 + pen.width(str(f["name"]), 5.5) + 3, 24, str(f["title"]), 2.6, card.ink)
    _block(pen, card, rng, 6, 27, w - 12, h - 2, LABELS_ZH, address=f["address"])


def _draw_wrapped(pen: Pen, card: Card, rng: random.Random, w: float, h: float) -> None:
    f = card.fields
    pen.text(6, 10, str(f["company"]), 3.0, card.accent, bold=True)
    pen.text(6, 19, str(f["name"]), rng.uniform(5, 6.5), card.ink)
    if f["title"]:
        pen.text(6, 24, str(f["title"]), 2.6, card.ink)
    # A narrow column: the address wraps, the two phones share a line.
    _block(
        pen,
        card,
        rng,
        6,
        26,
        rng.uniform(48, 58),
        h - 2,
        LABELS_ZH,
        pairs=True,
        address=f["address"],
    )


def _draw_back_english(pen: Pen, card: Card, rng: random.Random, w: float, h: float) -> None:
    f = card.fields
    pen.logo(w / 2 - 4, 3, 4, card.accent, rng.randrange(3))
    company = str(f["company"])
    size = min(3.0, (w - 10) / max(1.0, pen.width(company, 1.0)))
    pen.text(w / 2, 15.5, company, size, card.accent, bold=True, align="center")
    pen.text(w / 2, 22.5, str(f["name"]), 4.2, card.ink, bold=True, align="center")
    if f["title"]:
        pen.text(w / 2, 26.5, str(f["title"]), 2.5, card.ink, align="center")
    _block(pen, card, rng, 8, 28.5, w - 16, h - 2, LABELS_EN, address=f["address"])


DRAW: dict[str, Callable[[Pen, Card, random.Random, float, float], None]] = {
    "classic": _draw_classic,
    "labels_after": _draw_labels_after,
    "no_labels": _draw_no_labels,
    "english": _draw_english,
    "bilingual": _draw_bilingual,
    "vertical": _draw_vertical,
    "two_column": _draw_two_column,
    "logo_split": _draw_logo_split,
    "wrapped": _draw_wrapped,
    "back_english": _draw_back_english,
}


# --- conditions -------------------------------------------------------------------------------


def _glare(img: Image.Image, rng: random.Random) -> Image.Image:
    """A soft specular highlight, as from a desk lamp on glossy stock."""
    w, h = img.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    rx, ry = rng.uniform(0.08, 0.18) * w, rng.uniform(0.06, 0.14) * h
    spot = np.exp(-(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)) * rng.uniform(0.35, 0.6)
    arr = np.asarray(img, dtype=np.float32)
    arr = arr + (255 - arr) * spot[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def webcam(card: Image.Image, rng: random.Random, nprng: np.random.Generator) -> Image.Image:
    """A card held up to a laptop webcam: 640×480 or 1280×720, soft focus, heavy JPEG."""
    frame = phone_photo(card, rng, nprng)
    size = rng.choice([(640, 480), (960, 720), (1280, 720)])
    if frame.height > frame.width:
        frame = frame.rotate(90, expand=True)
    frame = frame.resize(size, Image.Resampling.BILINEAR)
    return _noise(frame.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.8))), 4, nprng)


def _rngs(
    seed: int, layout: str, condition: str, index: int
) -> tuple[random.Random, np.random.Generator]:
    rng = random.Random(f"cardgen:{seed}:{layout}:{condition}:{index}")
    return rng, np.random.default_rng(rng.randrange(2**63))


def write_card(outdir: Path, seed: int, layout: str, condition: str, index: int) -> Path:
    """Render card ``index`` of ``layout`` in ``condition``; the truth goes beside it."""
    families = available_families()
    if not families:
        raise RuntimeError("no CJK font found: apt-get install fonts-noto-cjk fonts-wqy-microhei")
    rng, nprng = _rngs(seed, layout, condition, index)
    family = rng.choice(families)
    card = make_card(rng, layout, family)
    stem = f"{layout}-{condition}-{index:03d}"
    if condition == "clean":
        path = outdir / f"{stem}.png"
        render(card, 300 / 25.4, rng, nprng).save(path, dpi=(300, 300))
    elif condition == "scan":
        dpi = rng.choice([200, 300])
        path = outdir / f"{stem}.jpg"
        office_scan(render(card, dpi / 25.4, rng, nprng), rng, nprng).save(
            path, quality=rng.randrange(75, 92), dpi=(dpi, dpi)
        )
    elif condition == "photo":
        flat = render(card, 600 / 25.4, rng, nprng)
        shot = phone_photo(flat, rng, nprng)
        if rng.random() < 0.5:
            shot = _glare(shot, rng)
        path = outdir / f"{stem}.jpg"
        shot.save(path, quality=rng.randrange(60, 85))
    elif condition == "webcam":
        path = outdir / f"{stem}.jpg"
        webcam(render(card, 300 / 25.4, rng, nprng), rng, nprng).save(
            path, quality=rng.randrange(55, 75)
        )
    else:
        raise ValueError(f"unknown condition {condition!r}")
    truth = {
        "kind": "card",
        "condition": condition,
        "fields": {k: card.fields[k] for k in CARD_FIELDS},
        "layout": layout,
        "family": family,
        "texture": card.texture,
        "english": layout in ENGLISH_LAYOUTS,
    }
    path.with_suffix(".json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return path


def generate(
    outdir: Path,
    n: int,
    seed: int = EVAL_SEED,
    conditions: Sequence[str] = CONDITIONS,
    layouts: Sequence[str] = LAYOUTS,
) -> dict[str, list[str]]:
    """``n`` cards of every layout in every condition, and ``manifest.json`` (condition →
    file names); returns the manifest."""
    outdir.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, list[str]] = {c: [] for c in conditions}
    for condition in conditions:
        for layout in layouts:
            for i in range(n):
                manifest[condition].append(write_card(outdir, seed, layout, condition, i).name)
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def load_truth(path: Path) -> dict[str, Any]:
    """The record written beside ``path``."""
    data: dict[str, Any] = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return data


__all__ = [
    "CONDITIONS",
    "EVAL_SEED",
    "LAYOUTS",
    "TUNE_SEED",
    "generate",
    "load_truth",
    "normalise_value",
    "write_card",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m tools.cardgen", description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--n", type=int, default=2, help="cards per layout and condition")
    parser.add_argument("--seed", type=int, default=EVAL_SEED)
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    args = parser.parse_args(argv)
    conditions = [c for c in args.conditions.split(",") if c]
    layouts = [x for x in args.layouts.split(",") if x]
    bad = (set(conditions) - set(CONDITIONS)) | (set(layouts) - set(LAYOUTS))
    if bad:
        parser.error(f"unknown: {', '.join(sorted(bad))}")
    manifest = generate(args.outdir, args.n, args.seed, conditions, layouts)
    print(f"wrote {sum(len(v) for v in manifest.values())} cards to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
