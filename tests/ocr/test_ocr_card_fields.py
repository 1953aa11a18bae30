"""Field extraction on hand-made OCR output (no Tesseract): labels, shapes, layouts."""

from app.ocr.cards import extract_card_fields, mend_legal_form
from app.ocr.results import Box, Word


def line(y: int, *parts: tuple[str, int], left: int = 100, key: int = 0) -> list[Word]:
    """Words on one line; each part is (text, glyph height)."""
    words = []
    x = left
    for text, h in parts:
        width = len(text) * h
        words.append(Word(text, Box(x, y - h, width, h), 0.95, 0, (key or y, 1, 1)))
        x += width + h // 2
    return words


def values(words: list[Word]) -> dict[str, str | None]:
    return {k: (v.value if v else None) for k, v in extract_card_fields(words).items()}


def test_chinese_labels() -> None:
    words = [
        *line(100, ("杭州轻鹿家居有限公司", 40)),
        *line(200, ("王伟", 80), ("销售经理", 35)),
        *line(300, ("手机:", 30), ("138", 30), ("1234", 30), ("5678", 30)),
        *line(350, ("传真:", 30), ("0571-8888", 30), ("9999", 30)),
        *line(
            400, ("电话:", 30), ("(0571)", 30), ("8888", 30), ("6666", 30), ("转", 30), ("801", 30)
        ),
        *line(450, ("邮箱:", 30), ("wang.wei@qinglu.com.cn", 30)),
        *line(500, ("网址:", 30), ("www.qinglu.com.cn", 30)),
        *line(550, ("微信:", 30), ("wang_wei88", 30)),
        *line(600, ("地址:", 30), ("浙江省杭州市西湖区文三路478号", 30)),
        *line(640, ("华星时代广场A座1203室", 30), left=190),
    ]
    assert values(words) == {
        "name": "王伟",
        "title": "销售经理",
        "company": "杭州轻鹿家居有限公司",
        "mobile": "13812345678",
        "phone": "0571-88886666-801",
        "email": "wang.wei@qinglu.com.cn",
        "website": "www.qinglu.com.cn",
        "address": "浙江省杭州市西湖区文三路478号华星时代广场A座1203室",
        "wechat": "wang_wei88",
    }


def test_english_labels_and_combined_line() -> None:
    words = [
        *line(100, ("David", 50), ("Chen", 50)),
        *line(160, ("Sales", 30), ("Manager", 30)),
        *line(
            220, ("Hangzhou", 30), ("Qinglu", 30), ("Technology", 30), ("Co.,", 30), ("Ltd.", 30)
        ),
        *line(
            300,
            ("M:", 30),
            ("+86", 30),
            ("139", 30),
            ("0000", 30),
            ("1111", 30),
            ("T:", 30),
            ("021-5555", 30),
            ("6666", 30),
        ),
        *line(350, ("E:", 30), ("david@qinglu.com", 30)),
        *line(400, ("WeChat:", 30), ("david", 30), ("chen", 30)),
    ]
    got = values(words)
    assert got["name"] == "David Chen"
    assert got["title"] == "Sales Manager"
    assert got["company"] == "Hangzhou Qinglu Technology Co., Ltd."
    assert got["mobile"] == "13900001111"
    assert got["phone"] == "021-55556666"
    assert got["email"] == "david@qinglu.com"
    assert got["wechat"] == "david_chen"  # OCR drops the underscore; a WeChat id has no spaces


def test_unlabelled_values_are_found_by_shape() -> None:
    words = [
        *line(100, ("张晓明", 80)),
        *line(200, ("+86-186", 30), ("0836", 30), ("7207", 30)),
        *line(250, ("010-52398012", 30)),
        *line(300, ("zhangxm@163.com", 30)),
        *line(350, ("baichuan.com.cn", 30)),
        *line(400, ("北京市海淀区中关村大街203号智慧谷14楼", 30)),
    ]
    got = values(words)
    assert got["name"] == "张晓明"
    assert got["mobile"] == "18608367207"
    assert got["phone"] == "010-52398012"
    assert got["email"] == "zhangxm@163.com"
    assert got["website"] == "baichuan.com.cn"
    assert got["address"] == "北京市海淀区中关村大街203号智慧谷14楼"
    assert got["title"] is None and got["company"] is None and got["wechat"] is None


def test_fax_is_not_the_phone_and_a_mobile_wins_over_its_label() -> None:
    words = [
        *line(100, ("Fax:", 30), ("0571-88889999", 30)),
        *line(150, ("Tel:", 30), ("13812345678", 30)),  # a mobile under a landline label
    ]
    got = values(words)
    assert got["phone"] is None
    assert got["mobile"] == "13812345678"


def test_big_name_beside_small_title_on_one_line() -> None:
    words = line(200, ("段", 90), ("凯", 90), ("艳", 90), ("商务总监", 40))
    got = values(words)
    assert got["name"] == "段凯艳"
    assert got["title"] == "商务总监"


def test_confidences_are_fractions() -> None:
    fields = extract_card_fields(line(100, ("13812345678", 30)))
    mobile = fields["mobile"]
    assert mobile is not None
    assert 0.0 < mobile.confidence <= 1.0


def test_name_is_the_biggest_name_like_line_not_a_title() -> None:
    words = [
        *line(100, ("董事长", 45)),  # 董 is a surname, but 董事长 is a title
        *line(200, ("雇晓明", 90)),  # a misread surname: still the biggest name-like line
        *line(300, ("杭州轻鹿家居有限公司", 40)),
    ]
    got = values(words)
    assert got["name"] == "雇晓明"
    assert got["title"] == "董事长"
    fields = extract_card_fields(words)
    assert fields["name"] is not None and fields["name"].confidence < 0.7  # asks for review


def test_known_surname_wins_over_a_slightly_bigger_unknown_one() -> None:
    words = [*line(100, ("内怡郁", 92)), *line(250, ("崔怡秀", 86))]
    assert values(words)["name"] == "崔怡秀"


def test_english_name_on_an_english_card() -> None:
    words = [*line(100, ("Grace", 60), ("Cheng", 60)), *line(200, ("Sales", 30), ("Manager", 30))]
    got = values(words)
    assert got["name"] == "Grace Cheng" and got["title"] == "Sales Manager"


def test_wrapped_address_is_joined_cleaned_and_mended() -> None:
    words = [
        *line(100, ("王伟", 80)),
        *line(300, ("Add:", 30), ("|南京市建邮区江东中路31", 30)),
        *line(345, ("0号商务大厦7号楼308室", 30), left=190),
    ]
    # 建邮区 is a one-glyph slip for the Nanjing district 建邺区; the number wraps mid-way.
    assert values(words)["address"] == "南京市建邺区江东中路310号商务大厦7号楼308室"


def test_latin_ids_with_typical_slips() -> None:
    words = [
        *line(100, ("邮箱:", 30), ("helen@jingiao.net", 30)),  # q read as g breaks the pinyin
        *line(150, ("微信:", 30), ("WxX_min2000", 30)),  # one letter read twice
        *line(200, ("网址:", 30), ("www.llianchuang.com", 30)),
    ]
    got = values(words)
    assert got["email"] == "helen@jinqiao.net"  # "helen" is not pinyin and stays as it is
    assert got["wechat"] is not None and got["wechat"].lower() == "wx_min2000"
    assert got["website"] == "www.lianchuang.com"


def test_phone_extension_after_a_misread_mark_and_area_code_after_plus_86() -> None:
    words = [
        *line(100, ("Tel:", 30), ("027-7060", 30), ("8230!转5883", 30)),
        *line(150, ("T:", 30), ("+86-10-55715021", 30)),
    ]
    got = values(words)
    assert got["phone"] == "027-70608230-5883"
    words = line(150, ("电话:", 30), ("+86-10-55715021", 30))
    assert values(words)["phone"] == "010-55715021"


def test_gaps_and_glyphs_misread_inside_ids_and_numbers() -> None:
    words = [
        *line(100, ("M:", 30), ("~", 30), ("165", 30), ("7867:2513", 30)),  # gap read as ":"
        *line(150, ("david@de", 30), ("yuan.com", 30)),  # gap inside the domain
        *line(200, ("WeChat:", 30), ("kongkai,juan39", 30)),  # a speck read as a comma
    ]
    got = values(words)
    assert got["mobile"] == "16578672513"
    assert got["email"] == "david@deyuan.com"
    assert got["wechat"] == "kongkaijuan39"
    words = line(100, ("E:", 30), ("qiangangyi/9@126.com", 30))  # a 7 read as a slash
    assert values(words)["email"] == "qiangangyi79@126.com"
    for read, meant in (
        ("jennyl1@163.com", "jenny11@163.com"),  # l before figures, not pinyin: a 1
        ("david.yanl0@163.com", "david.yan10@163.com"),
        ("info2024@hao123.com", "info2024@hao123.com"),
        ("zhangli8@qq.com", "zhangli8@qq.com"),  # li is a syllable
        # The @ read as an o, and an l before the figures: both mended.
        ("hxiaol97ofoxmail.com", "hxiao197@foxmail.com"),
    ):
        assert values(line(100, ("E:", 30), (read, 30)))["email"] == meant


def test_english_name_and_title_read_as_one_line() -> None:
    words = line(100, ("Tony", 50), ("Li", 50), ("Technical", 50), ("Director", 50))
    got = values(words)
    assert got["name"] == "Tony Li" and got["title"] == "Technical Director"


def test_wechat_letters_and_figures_settled_by_pinyin() -> None:
    for read, meant in (
        ("zhengyangbo60", "zhengyangbo60"),  # bo is a syllable: the o is a letter
        ("wx_huixiaol992", "wx_huixiao1992"),  # huixiaol is not pinyin: the l is a 1
        ("wx_jiamini984", "wx_jiamin1984"),  # a year of birth
        ("wx_li1981", "wx_li1981"),
        ("Wx_jianjunl1984", "Wx_jianjun1984"),  # a speck before a whole year is dropped
        ("hanbol998", "hanbo1998"),
        ("jennyl1", "jenny11"),  # one figure after the glyph is enough
        ("ericweil2", "ericwei12"),
        ("maoguohuai3", "maoguohuai3"),  # huai is a syllable: the i stays
        ("zhangli8", "zhangli8"),
        ("danielqia087", "danielqiao87"),  # an English name, then qiao and two figures
        ("davidwang088", "davidwang088"),  # wango is no syllable: the 0 is a figure
    ):
        words = line(100, ("微信:", 30), (read, 30))
        assert values(words)["wechat"] == meant


def test_a_misread_glyph_of_a_long_legal_form_is_put_back() -> None:
    words = [*line(100, ("宁波华创网络科技有限资任公司", 40)), *line(200, ("戴婷涛", 80))]
    assert values(words)["company"] == "宁波华创网络科技有限责任公司"
    assert mend_legal_form("杭州某某股价有限公司") == "杭州某某股份有限公司"
    # A real name one glyph from a legal form, and a misread 公司, are left alone.
    assert mend_legal_form("苏州某某系统集成有限公司") == "苏州某某系统集成有限公司"
    assert mend_legal_form("某某有限责任公可") == "某某有限责任公可"


def test_ltd_with_its_l_misread() -> None:
    words = [
        *line(
            100, ("Suzhou", 30), ("Huachuang", 30), ("Furnishing", 30), ("Co.,", 30), ("-td.", 30)
        ),
        *line(200, ("Jason", 50), ("Feng", 50)),
    ]
    assert values(words)["company"] == "Suzhou Huachuang Furnishing Co., Ltd."


def test_specks_beside_the_dot_of_an_address() -> None:
    words = [
        *line(100, ("Email:", 30), ("leo44@126,.com", 30)),
        *line(150, ("网址", 30), ("www.", 30), ("lianchuang,.com", 30)),
    ]
    got = values(words)
    assert got["email"] == "leo44@126.com"
    assert got["website"] == "www.lianchuang.com"


def test_a_wechat_label_alone_takes_the_value_below_it() -> None:
    words = [
        *line(200, ("付轩亮", 80)),
        *line(300, ("157", 30), ("0201", 30), ("9402", 30)),
        *line(350, ("微信", 30)),
        *line(400, ("wx_xuanliang", 30)),
    ]
    assert values(words)["wechat"] == "wx_xuanliang"
    # A label with nothing readable after it gives no id.
    words = [*line(350, ("微信", 30)), *line(400, ("地址:", 30), ("广州市越秀区花城大道618号", 30))]
    assert values(words)["wechat"] is None


def test_an_email_label_glued_to_the_address_is_dropped() -> None:
    words = [
        *line(100, ("华创电子有限公司", 40)),
        *line(200, ("钟建成", 80)),
        *line(300, ("Emailjiancheng.zhong@chuanliu.com", 30)),
        *line(400, ("E-mail:", 30), ("sales@chuanliu.com", 30)),
    ]
    assert values(words)["email"] == "jiancheng.zhong@chuanliu.com"
    # A name that merely starts with the letters of the label keeps them.
    assert values([*line(300, ("邮箱", 30), ("emailbox.li@qq.com", 30))])["email"] == (
        "emailbox.li@qq.com"
    )
