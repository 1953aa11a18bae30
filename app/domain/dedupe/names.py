"""Company and person names folded for duplicate matching (SPEC C1).

A company name is split into its parts: the explicit region it names (a province, a city, a
district, in front or in brackets), whether it is a branch (分公司), the legal form (dropped),
and what is left — the brand and the trade words ("某某" + "科技"). Two spellings of one company
keep the same brand and compatible trade words; the region and branch become evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.domain.text import CJK_RUN, fold_key, to_simplified

# Province → its short form; cities map to their province, so that 杭州 and 浙江 agree and
# 杭州 and 江苏 do not.
PROVINCES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
]
_PROVINCE_FORMS = {
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}
CITIES: dict[str, str] = {}
for _prov, _cities in {
    "河北": "石家庄 唐山 保定 邯郸 廊坊 沧州 秦皇岛",
    "山西": "太原 大同",
    "辽宁": "沈阳 大连 鞍山",
    "吉林": "长春",
    "黑龙江": "哈尔滨 大庆",
    "江苏": "南京 苏州 无锡 常州 南通 徐州 扬州 镇江 盐城 泰州 昆山 江阴",
    "浙江": "杭州 宁波 温州 绍兴 嘉兴 湖州 金华 台州 义乌 舟山 丽水",
    "安徽": "合肥 芜湖 蚌埠",
    "福建": "福州 厦门 泉州 漳州 莆田",
    "江西": "南昌 赣州",
    "山东": "济南 青岛 烟台 潍坊 淄博 威海 临沂",
    "河南": "郑州 洛阳 开封",
    "湖北": "武汉 宜昌 襄阳",
    "湖南": "长沙 株洲 湘潭",
    "广东": "广州 深圳 东莞 佛山 珠海 中山 惠州 汕头 江门",
    "海南": "海口 三亚",
    "四川": "成都 绵阳",
    "贵州": "贵阳",
    "云南": "昆明",
    "陕西": "西安",
    "甘肃": "兰州",
    "广西": "南宁 桂林 柳州",
    "新疆": "乌鲁木齐",
}.items():
    for _city in _cities.split():
        CITIES[_city] = _prov
for _prov in ("北京", "天津", "上海", "重庆"):
    CITIES[_prov] = _prov

_REGION_WORDS = sorted(
    [(f"{p}省", p) for p in PROVINCES]
    + [(f"{p}市", p) for p in ("北京", "天津", "上海", "重庆")]
    + list(_PROVINCE_FORMS.items())
    + [(p, p) for p in PROVINCES]
    + [(f"{c}市", c) for c in CITIES]
    + [(c, c) for c in CITIES],
    key=lambda item: len(item[0]),
    reverse=True,
)
_REGION_PREFIX = re.compile("|".join(re.escape(w) for w, _ in _REGION_WORDS))
_REGION_OF = dict(_REGION_WORDS)
# A district or county right after a city: "杭州市西湖区…", "苏州工业园区…".
_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{1,4}?(?:新区|园区|区|县)")

LEGAL_FORMS = (
    "集团股份有限公司",
    "集团有限责任公司",
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "股份公司",
    "有限公司",
    "总公司",
    "集团公司",
    "集团",
    "公司",
    "limitedcompany",
    "companylimited",
    "coltd",
    "limited",
    "ltd",
    "inc",
    "corp",
    "corporation",
    "group",
    "co",
)
_BRANCH = re.compile(r"(分公司|分店|办事处|分厂|分部|营业部|分院)")
_BRACKETS = re.compile(r"[(（\[【〔]([^)）\]】〕]*)[)）\]】〕]")
_NOT_WORD = re.compile(r"[\s\W_]+")

# Trade words at the end of a name, longest first; what precedes them is the brand.
TRADE_WORDS = tuple(
    sorted(
        [
            "科技",
            "技术",
            "信息技术",
            "信息科技",
            "网络科技",
            "智能科技",
            "电子科技",
            "生物科技",
            "网络",
            "软件",
            "信息",
            "电子",
            "电器",
            "电气",
            "通信",
            "通讯",
            "数据",
            "智能",
            "自动化",
            "系统",
            "贸易",
            "商贸",
            "国际贸易",
            "进出口",
            "实业",
            "工贸",
            "机械",
            "设备",
            "机电",
            "制造",
            "精密",
            "工业",
            "重工",
            "建设",
            "建筑",
            "工程",
            "建材",
            "装饰",
            "装修",
            "设计",
            "咨询",
            "管理",
            "顾问",
            "文化",
            "传媒",
            "广告",
            "教育",
            "培训",
            "食品",
            "餐饮",
            "医药",
            "医疗",
            "医疗器械",
            "生物",
            "健康",
            "物流",
            "供应链",
            "运输",
            "能源",
            "新能源",
            "环保",
            "环境",
            "新材料",
            "材料",
            "化工",
            "化学",
            "塑料",
            "纺织",
            "服饰",
            "服装",
            "家居",
            "家具",
            "印刷",
            "包装",
            "汽车",
            "汽车配件",
            "光电",
            "照明",
            "仪器",
            "仪表",
            "投资",
            "置业",
            "房地产",
            "物业",
            "金融",
            "保险",
            "农业",
            "科教",
            "服务",
            "发展",
            "控股",
            "电力",
            "钢铁",
            "金属",
            "五金",
            "玻璃",
            "陶瓷",
            "药业",
            "制药",
            "酒店",
            "旅游",
            "商务",
            "人力资源",
        ],
        key=len,
        reverse=True,
    )
)
# Trade words people use for one another in the same company's name.
_TRADE_FAMILIES = (
    frozenset({"科技", "技术", "信息技术", "信息科技", "网络科技", "智能科技", "电子科技"}),
    frozenset({"贸易", "商贸", "国际贸易", "进出口", "工贸"}),
    frozenset({"机械", "设备", "机电"}),
    frozenset({"建设", "建筑", "工程"}),
    frozenset({"医药", "药业", "制药"}),
    frozenset({"文化", "传媒"}),
    frozenset({"物流", "供应链", "运输"}),
)
# Words that only pad a name: "某某科技发展" is "某某科技".
_FILLERS = frozenset({"发展", "实业", "控股", "服务"})


@dataclass(frozen=True)
class CompanyName:
    """A company name taken apart for matching."""

    core: str  # brand + trade words, legal form and region removed
    brand: str
    trade: tuple[str, ...]
    regions: frozenset[str]  # explicit regions, as short names (浙江, 杭州)
    branch: str  # "" or what the branch is called ("上海分公司")
    brand_sound: str  # the brand's pinyin, without tones

    @property
    def key(self) -> str:
        return self.core


_LEGAL_BY_LEN = sorted({len(f) for f in LEGAL_FORMS}, reverse=True)
_LEGAL_SET = frozenset(LEGAL_FORMS)


def _strip_legal(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for n in _LEGAL_BY_LEN:
            if len(text) > n and text[-n:] in _LEGAL_SET:
                text = text[:-n]
                changed = True
                break
    return text


def _take_regions(text: str, regions: set[str]) -> str:
    """Strip region words (and a district after them) from the front of ``text``."""
    while True:
        m = _REGION_PREFIX.match(text)
        if not m or len(text) - m.end() < 2:
            return text
        regions.add(_REGION_OF[m.group()])
        text = text[m.end() :]
        d = _DISTRICT.match(text)
        if d and len(text) - d.end() >= 2:
            text = text[d.end() :]


_TRADE_BY_LEN = sorted({len(w) for w in TRADE_WORDS}, reverse=True)
_TRADE_SET = frozenset(TRADE_WORDS)


def _split_trade(core: str) -> tuple[str, tuple[str, ...]]:
    trade: list[str] = []
    rest = core
    found = True
    while found:
        found = False
        for n in _TRADE_BY_LEN:
            if len(rest) > n and rest[-n:] in _TRADE_SET:
                trade.insert(0, rest[-n:])
                rest = rest[:-n]
                found = True
                break
    return rest, tuple(w for w in trade if w not in _FILLERS) or tuple(trade)


@lru_cache(maxsize=200_000)
def parse_company(name: str) -> CompanyName:
    """Take a company name apart (see the module's description)."""
    text = to_simplified(fold_key(name))
    regions: set[str] = set()
    branch = ""
    kept: list[str] = []
    pos = 0
    for m in _BRACKETS.finditer(text):
        kept.append(text[pos : m.start()])
        inner = _NOT_WORD.sub("", m.group(1))
        pos = m.end()
        region = _REGION_OF.get(inner) or _REGION_OF.get(inner.removesuffix("市"))
        if region:
            regions.add(region)
        elif inner in ("集团", "中国", "控股", "股份", "有限"):
            continue
        elif _BRANCH.search(inner):
            branch = inner
        else:
            kept.append(inner)
    kept.append(text[pos:])
    text = _NOT_WORD.sub("", "".join(kept))
    found = _BRANCH.search(text)
    if found and found.start() > 0:
        head, tail = text[: found.start()], text[found.start() :]
        # "某某科技有限公司上海分公司": the branch's own name follows the legal form.
        for form in LEGAL_FORMS[:9]:
            at = head.rfind(form)
            if at > 0:
                branch = head[at + len(form) :] + tail
                head = head[:at]
                break
        else:
            branch = tail
        text = head
    text = _strip_legal(text)
    text = _take_regions(text, regions)
    text = _strip_legal(text)
    brand, trade = _split_trade(text)
    if len(brand) < 2:
        brand = text
    else:
        text = brand + "".join(trade)  # fillers ("发展") dropped
    return CompanyName(text, brand, trade, frozenset(regions), branch, sound(brand))


@lru_cache(maxsize=1)
def _char_pinyin() -> dict[str, str]:
    from pypinyin.constants import PINYIN_DICT

    table: dict[str, str] = {}
    for code, readings in PINYIN_DICT.items():
        first = readings.split(",")[0]
        table[chr(code)] = _strip_tone(first)
    return table


_TONES = str.maketrans(
    "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ",
    "aaaaeeeeiiiioooouuuuvvvvvnnnm",
)


def _strip_tone(reading: str) -> str:
    return reading.translate(_TONES)


def sound(text: str) -> str:
    """Toneless pinyin of the CJK characters (others kept), one syllable per character.

    Each character reads as its commonest reading: two spellings that sound alike to a typist
    (张伟/张玮, 华信/华新) give the same string.
    """
    if not CJK_RUN.search(text):
        return text
    table = _char_pinyin()
    return " ".join(table.get(ch, ch) for ch in text)


def trade_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two sets of trade words can describe one company."""
    if not a or not b or a == b:
        return True
    sa, sb = set(a), set(b)
    if sa <= sb or sb <= sa:
        return True
    for x in sa:
        for y in sb:
            kin = x in y or y in x or any(x in f and y in f for f in _TRADE_FAMILIES)
            if x != y and not kin:
                return False
    return True


def regions_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sets of explicit regions name different places (杭州 vs 苏州, 杭州 vs 江苏)."""
    if not a or not b:
        return False
    for x in a:
        for y in b:
            if x == y or CITIES.get(x) == y or CITIES.get(y) == x:
                return False
    return True


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance, cut off at ``limit + 1`` (names here are short)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            best = min(best, cur[j])
        if best > limit:
            return limit + 1
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class PersonName:
    """A person's name folded: characters (simplified, no spaces) and its sound."""

    text: str
    sound: str  # pinyin syllables run together, or Latin letters


# The commonest full names: at two companies they are two people.
COMMON_NAMES = frozenset(
    [
        "王伟",
        "王芳",
        "李伟",
        "李娜",
        "张伟",
        "王秀英",
        "李秀英",
        "李静",
        "张敏",
        "王静",
        "刘伟",
        "王敏",
        "张静",
        "李敏",
        "张丽",
        "王丽",
        "王强",
        "李强",
        "张磊",
        "王磊",
        "刘洋",
        "王军",
        "李军",
        "张勇",
        "王勇",
        "李杰",
        "张杰",
        "王艳",
        "李艳",
        "刘芳",
        "张艳",
        "王涛",
        "张涛",
        "李涛",
        "王超",
        "张超",
        "李明",
        "王明",
        "张明",
        "刘杰",
        "陈杰",
        "陈静",
        "陈伟",
        "杨伟",
        "王刚",
        "张军",
        "李刚",
        "刘敏",
        "王平",
        "李平",
        "张平",
        "王辉",
        "李辉",
        "张辉",
    ]
)


@lru_cache(maxsize=200_000)
def parse_person(name: str) -> PersonName:
    """Fold a person's name: 張三, 张 三 and Zhang San agree."""
    text = _NOT_WORD.sub("", to_simplified(fold_key(name)))
    if CJK_RUN.fullmatch(text or "x"):
        return PersonName(text, sound(text).replace(" ", ""))
    letters = re.sub(r"[^a-z]", "", text)
    return PersonName(text, letters)


@lru_cache(maxsize=200_000)
def latin_swapped(name: str) -> str:
    """ "San Zhang" → "zhangsan": Latin names written given name first."""
    parts = re.findall(r"[a-z]+", fold_key(name))
    return "".join(reversed(parts)) if len(parts) == 2 else ""
