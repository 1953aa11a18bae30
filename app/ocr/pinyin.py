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
    return fixed[0] if word.islower() else word


def mend_pinyin(text: str) -> str:
    """``text`` with each run of letters mended when one likely slip made it non-pinyin."""
    return re.sub(r"[A-Za-z]+", lambda m: _mend_word(m.group(0)), text)
