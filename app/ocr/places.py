"""Place names for mending OCR slips in Chinese addresses.

The fast models misread the rarer hanzi of district names (建邺 → 建邮, 鄞州 → 都州, 番禺 →
番帅). Provinces, the bigger cities and their districts are a closed, public list, so a name
that is one glyph away from a listed one, in a known city, is taken to be the listed one.
Road and building names have no such list and are left as read.
"""

from __future__ import annotations

import re
from functools import lru_cache

_PROVINCE_TEXT = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 "
    "广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
)
PROVINCES = tuple(_PROVINCE_TEXT.split())

# City → its districts (without 区/县/市), for the municipalities, the provincial capitals and
# the other large cities.
_DISTRICTS = """
北京:东城 西城 朝阳 丰台 石景山 海淀 门头沟 房山 通州 顺义 昌平 大兴 怀柔 平谷 密云 延庆
上海:黄浦 徐汇 长宁 静安 普陀 虹口 杨浦 闵行 宝山 嘉定 浦东新 金山 松江 青浦 奉贤 崇明
天津:和平 河东 河西 南开 河北 红桥 东丽 西青 津南 北辰 武清 宝坻 滨海新 宁河 静海 蓟州
重庆:渝中 大渡口 江北 沙坪坝 九龙坡 南岸 北碚 渝北 巴南 万州 涪陵 黔江 长寿 江津 合川 永川 璧山
广州:荔湾 越秀 海珠 天河 白云 黄埔 番禺 花都 南沙 从化 增城
深圳:罗湖 福田 南山 宝安 龙岗 盐田 龙华 坪山 光明 大鹏
佛山:禅城 南海 顺德 三水 高明
东莞:莞城 南城 东城 万江 松山湖
珠海:香洲 斗门 金湾
杭州:上城 拱墅 西湖 滨江 萧山 余杭 临平 钱塘 富阳 临安
宁波:海曙 江北 北仑 镇海 鄞州 奉化
温州:鹿城 龙湾 瓯海 洞头
南京:玄武 秦淮 建邺 鼓楼 浦口 栖霞 雨花台 江宁 六合 溧水 高淳
苏州:姑苏 虎丘 吴中 相城 吴江 工业园 高新
无锡:梁溪 锡山 惠山 滨湖 新吴
常州:天宁 钟楼 新北 武进 金坛
武汉:江岸 江汉 硚口 汉阳 武昌 青山 洪山 东西湖 汉南 蔡甸 江夏 黄陂 新洲
成都:锦江 青羊 金牛 武侯 成华 龙泉驿 青白江 新都 温江 双流 郫都 新津 高新 天府新
青岛:市南 市北 黄岛 崂山 李沧 城阳 即墨
济南:历下 市中 槐荫 天桥 历城 长清 章丘 济阳 莱芜 钢城
厦门:思明 海沧 湖里 集美 同安 翔安
福州:鼓楼 台江 仓山 马尾 晋安 长乐
合肥:瑶海 庐阳 蜀山 包河
郑州:中原 二七 管城回族 金水 上街 惠济
长沙:芙蓉 天心 岳麓 开福 雨花 望城
南昌:东湖 西湖 青云谱 青山湖 新建 红谷滩
西安:新城 碑林 莲湖 灞桥 未央 雁塔 阎良 临潼 长安 高陵 鄠邑
沈阳:和平 沈河 大东 皇姑 铁西 苏家屯 浑南 沈北新 于洪 辽中
大连:中山 西岗 沙河口 甘井子 旅顺口 金州
哈尔滨:道里 南岗 道外 平房 松北 香坊 呼兰 阿城 双城
长春:南关 宽城 朝阳 二道 绿园 双阳 九台
石家庄:长安 桥西 新华 井陉矿 裕华 藁城 鹿泉 栾城
太原:小店 迎泽 杏花岭 尖草坪 万柏林 晋源
昆明:五华 盘龙 官渡 西山 东川 呈贡 晋宁
贵阳:南明 云岩 花溪 乌当 白云 观山湖
南宁:兴宁 青秀 江南 西乡塘 良庆 邕宁 武鸣
海口:秀英 龙华 琼山 美兰
兰州:城关 七里河 西固 安宁 红古
"""
DISTRICTS: dict[str, tuple[str, ...]] = {
    city: tuple(names.split())
    for city, names in (line.split(":") for line in _DISTRICTS.strip().splitlines())
}
CITIES = tuple(DISTRICTS)

_ADDRESS_HEAD = re.compile(
    r"^(?P<prov>[\u4e00-\u9fff]{2,3}省)?(?P<city>[\u4e00-\u9fff]{2,3}市)"
    r"(?P<dist>[\u4e00-\u9fff]{1,4}?[区县])?"
)


def _near(word: str, names: tuple[str, ...] | list[str]) -> str | None:
    """The one name of the same length that differs from ``word`` in one glyph."""
    hits = [
        n
        for n in names
        if len(n) == len(word) and sum(a != b for a, b in zip(n, word, strict=True)) == 1
    ]
    return hits[0] if len(hits) == 1 else None


@lru_cache(maxsize=1)
def _province_cities() -> dict[str, str]:
    # The listed cities' provinces, for provinces read wrong in front of a known city.
    return {
        "杭州": "浙江", "宁波": "浙江", "温州": "浙江", "南京": "江苏", "苏州": "江苏",
        "无锡": "江苏", "常州": "江苏", "广州": "广东", "深圳": "广东", "佛山": "广东",
        "东莞": "广东", "珠海": "广东", "武汉": "湖北", "成都": "四川", "青岛": "山东",
        "济南": "山东", "厦门": "福建", "福州": "福建", "合肥": "安徽", "郑州": "河南",
        "长沙": "湖南", "南昌": "江西", "西安": "陕西", "沈阳": "辽宁", "大连": "辽宁",
        "哈尔滨": "黑龙江", "长春": "吉林", "石家庄": "河北", "太原": "山西", "昆明": "云南",
        "贵阳": "贵州", "南宁": "广西", "海口": "海南", "兰州": "甘肃",
    }  # fmt: skip


def mend_address(address: str) -> str:
    """``address`` with a misread province, city or district name put right when the
    correction is unambiguous (one glyph off a listed name)."""
    m = _ADDRESS_HEAD.match(address)
    if not m:
        return address
    prov, city, dist = m.group("prov"), m.group("city"), m.group("dist")
    city_name = city[:-1]
    if city_name not in DISTRICTS:
        city_name = _near(city_name, CITIES) or city_name
    if prov:
        prov_name = prov[:-1]
        if prov_name not in PROVINCES:
            want = _province_cities().get(city_name)
            fixed = _near(prov_name, PROVINCES)
            prov_name = want if want and (fixed in (None, want)) else fixed or prov_name
        prov = prov_name + "省"
    if dist and city_name in DISTRICTS:
        name, suffix = dist[:-1], dist[-1]
        names = DISTRICTS[city_name]
        if name not in names:
            fixed = _near(name, names)
            if fixed:
                dist = fixed + suffix
    return (prov or "") + city_name + "市" + (dist or "") + address[m.end() :]
