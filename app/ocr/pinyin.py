"""Mending OCR slips in pinyin ids: e-mail names, domains and WeChat ids on Chinese cards.

Most Latin ids on Chinese cards are pinyin ("jinqiao", "wang.wei"), and pinyin is a small,
strict alphabet of syllables. When a token does not split into syllables but a one-letter
change (a confusion the Latin model is known to make: q read as g, a doubled l) makes it
split, the changed token is the better reading. English words are left alone because no
single change turns them into pinyin, with rare exceptions ("gina" → "qina").
"""

from __future__ import annotations

import re
from functools import lru_cache

_SYLLABLE_TEXT = """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai
    can cang cao ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua
    chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei
    den deng di dia dian diao die ding diu dong dou du duan dui dun duo e ei en eng er fa fan
    fang fei fen feng fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan
    guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun
    huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei
    ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei leng li lia
    lian liang liao lie lin ling liu lo long lou lu luan lun luo lv lve ma mai man mang mao me
    mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni
    nian niang niao nie nin ning niu nong nou nu nuan nun nuo nv nve o ou pa pai pan pang pao pei
    pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu
    quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao
    se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang
    shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te teng ti tian tiao tie
    ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian xiang xiao
    xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue
    yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong
    zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo"""
SYLLABLES = frozenset(_SYLLABLE_TEXT.split())
_LONGEST = max(len(s) for s in SYLLABLES)
# Single-letter slips of the Latin model on these fonts: (read, meant).
_SWAPS = (("g", "q"), ("q", "g"))
_RARER_SWAPS = (("i", "l"),)  # tried only when no likelier slip explains the word


@lru_cache(maxsize=4096)
def is_pinyin(token: str) -> bool:
    """True when the lower-case letters ``token`` split into pinyin syllables."""
    if not token:
        return False
    ok = [True] + [False] * len(token)
    for end in range(1, len(token) + 1):
        for size in range(1, min(_LONGEST, end) + 1):
            if ok[end - size] and token[end - size : end] in SYLLABLES:
                ok[end] = True
                break
    return ok[-1]


# English words that domains and ids glue to pinyin ("jinqiaogroup", "huayu-tech").
_AFFIXES = ("group", "tech", "soft", "info", "net", "china", "global", "home", "wx", "www")


def _mend_word(word: str) -> str:
    low = word.lower()
    if len(low) < 4 or is_pinyin(low) or not low.isalpha():
        return word
    for affix in _AFFIXES:
        if low.endswith(affix) and len(low) - len(affix) >= 4:
            return _mend_word(word[: -len(affix)]) + word[-len(affix) :]
        if low.startswith(affix) and len(low) - len(affix) >= 4:
            tail = _mend_word(word[len(affix) :])
            return word[: len(affix)] + tail
    for swaps in (_SWAPS, _RARER_SWAPS):
        options: list[str] = []
        for i in range(len(low)):
            if i and (low[i] == low[i - 1] or (low[i - 1], low[i]) in _SWAPS):
                options.append(low[:i] + low[i + 1 :])  # a letter read twice ("ll", "qg")
                options.append(low[: i - 1] + low[i:])
            for read, meant in swaps:
                if low[i] == read:
                    options.append(low[:i] + meant + low[i + 1 :])
        fixed = [o for o in dict.fromkeys(options) if is_pinyin(o)]
        if len(fixed) == 1:
            break
    if len(fixed) != 1:
        return word  # none, or several equally good: keep what was read
    if word[1:].islower():  # "Jingiao": a capital first letter is kept
        return fixed[0] if word.islower() else fixed[0].capitalize()
    return word


def mend_pinyin(text: str) -> str:
    """``text`` with each run of letters mended when one likely slip made it non-pinyin."""
    return re.sub(r"[A-Za-z]+", lambda m: _mend_word(m.group(0)), text)


# The common surnames with how they are spelled in pinyin ids (ü as v, and 吕 also as lu).
_SURNAME_TEXT = """
    王wang 李li 张zhang 刘liu 陈chen 杨yang 黄huang 赵zhao 吴wu 周zhou 徐xu 孙sun 马ma 朱zhu
    胡hu 郭guo 何he 高gao 林lin 罗luo 郑zheng 梁liang 谢xie 宋song 唐tang 许xu 韩han 冯feng
    邓deng 曹cao 彭peng 曾zeng 肖xiao 田tian 董dong 袁yuan 潘pan 于yu 蒋jiang 蔡cai 余yu 杜du
    叶ye 程cheng 苏su 魏wei 吕lv 吕lu 丁ding 任ren 沈shen 姚yao 卢lu 姜jiang 崔cui 钟zhong
    谭tan 陆lu 汪wang 范fan 金jin 石shi 廖liao 贾jia 夏xia 韦wei 付fu 傅fu 方fang 白bai 邹zou
    孟meng 熊xiong 秦qin 邱qiu 江jiang 尹yin 薛xue 闫yan 段duan 雷lei 侯hou 龙long 史shi 陶tao
    黎li 贺he 顾gu 毛mao 郝hao 龚gong 邵shao 万wan 钱qian 严yan 覃qin 武wu 戴dai 莫mo 孔kong
    向xiang 汤tang 常chang 温wen 康kang 施shi 文wen 牛niu 樊fan 葛ge 邢xing 安an 齐qi 易yi
    乔qiao 伍wu 庞pang 颜yan 倪ni 庄zhuang 聂nie 章zhang 鲁lu 岳yue 翟zhai 殷yin 詹zhan 申shen
    欧ou 耿geng 关guan 兰lan 焦jiao 俞yu 左zuo 柳liu 甘gan 祝zhu 包bao 宁ning 尚shang 符fu
    舒shu 阮ruan 柯ke 纪ji 梅mei 童tong 凌ling 毕bi 单shan 季ji 裴pei 霍huo 涂tu 成cheng 苗miao
    谷gu 盛sheng 曲qu 翁weng 冉ran 骆luo 蓝lan 路lu 游you 辛xin 靳jin 管guan 柴chai 蒙meng
    鲍bao 华hua 喻yu 祁qi 蒲pu 房fang 滕teng 屈qu 饶rao 解xie 牟mou 艾ai 尤you 阳yang 时shi
    穆mu 农nong 司si 卓zhuo 古gu 吉ji 缪miao 简jian 车che 项xiang 连lian 芦lu 麦mai 褚chu
    娄lou 窦dou 戚qi 岑cen 景jing 党dang 宫gong 费fei 卜bu 冷leng 晏yan 席xi 卫wei 米mi 柏bai
    宗zong 瞿qu 桂gui 全quan 佟tong 应ying 臧zang 闵min 苟gou 邬wu 边bian 卞bian 姬ji 师shi
    和he 仇qiu 栾luan 隋sui 商shang 刁diao 沙sha 荣rong 巫wu 寇kou 桑sang 郎lang 甄zhen
    丛cong 仲zhong 虞yu 敖ao 巩gong 明ming 佘she 池chi 查zha 麻ma 苑yuan 迟chi 邝kuang"""
# Pinyin → surnames spelled so, commonest first.
SURNAMES_BY_PINYIN: dict[str, tuple[str, ...]] = {}
for _entry in _SURNAME_TEXT.split():
    SURNAMES_BY_PINYIN[_entry[1:]] = (*SURNAMES_BY_PINYIN.get(_entry[1:], ()), _entry[0])


def syllable_splits(token: str, count: int) -> list[tuple[str, ...]]:
    """Every way the lower-case letters ``token`` split into ``count`` pinyin syllables."""
    if count == 0:
        return [()] if not token else []
    out: list[tuple[str, ...]] = []
    for size in range(1, min(_LONGEST, len(token)) + 1):
        head = token[:size]
        if head in SYLLABLES:
            out += [(head, *rest) for rest in syllable_splits(token[size:], count - 1)]
    return out


def surname_syllables(hint: str, glyphs: int) -> set[str]:
    """The syllables that may spell the surname of a name of ``glyphs`` hanzi in an id made
    from it: "xuexuelei" (surname first), "haipeng.qiu" or "qiu.haipeng" (either order
    when split), "Leo Qiu" (an English given name and the family name)."""
    tokens = [t for t in re.split(r"[^a-z]+", hint.lower()) if t]
    found: set[str] = set()
    if len(tokens) == 1:
        found.update(s[0] for s in syllable_splits(tokens[0], glyphs))
    elif len(tokens) >= 2:
        first, last = tokens[0], tokens[-1]
        if first in SYLLABLES and syllable_splits("".join(tokens[1:]), glyphs - 1):
            found.add(first)
        if last in SYLLABLES and (
            syllable_splits("".join(tokens[:-1]), glyphs - 1) or not is_pinyin(tokens[0])
        ):
            found.add(last)
    return found
