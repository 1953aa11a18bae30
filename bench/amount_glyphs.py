"""Which glyphs the installed Chinese model reads for the uppercase numerals (大写) of amounts.

    .venv/bin/python -m bench.amount_glyphs [--n 40] [--seed 7]

Sets random amount lines ("本合同总金额为人民币…元整") in every CJK font of the evaluation
set at 200 and 300 dpi, degrades them as an office scan, prepares them as a contract page and
reads them at the page's size and at the re-reading sizes of ``reader.AMOUNT_SIZES``. Prints,
for every glyph read in place of a numeral that the amount parser does not already take as
it, how often it stood for which numeral (the table ``amounts.LOOKALIKES`` is made of), and
how often each numeral was read right.
"""

from __future__ import annotations

import argparse
import difflib
import random
import sys
from collections import Counter, defaultdict
from decimal import Decimal

import numpy as np
from PIL import Image

from app.ocr.amounts import CANONICAL, CONFUSIONS, LOOKALIKES, to_uppercase
from app.ocr.engine import check_engine, ocr_words, plan_languages
from app.ocr.imaging import prepare_page
from app.ocr.layout import join_words
from app.ocr.reader import AMOUNT_SIZES
from tools.evalset import Pen, available_fonts, contract_scan

NUMERALS = set("零壹贰叁肆伍陆柒捌玖拾佰仟")
PREFIX, SUFFIX = "人民币", "元整"


def amount_line(text: str, font: tuple[str, int], dpi: int) -> Image.Image:
    """One line of body text (≈ 12 pt) on a strip of white paper."""
    k = dpi / 25.4
    img = Image.new("RGB", (round(170 * k), round(14 * k)), (255, 255, 255))
    Pen(img, k, font).text(5, 9, text, 4.2, (0, 0, 0))
    return img


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40, help="amounts per font and resolution")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    nprng = np.random.default_rng(args.seed)
    install = check_engine()
    lang = plan_languages(install).document
    seen: defaultdict[str, Counter[str]] = defaultdict(Counter)
    right: Counter[str] = Counter()
    lines = 0
    for font in available_fonts():
        for dpi in (200, 300):
            for _ in range(args.n):
                yuan = rng.randrange(1000, 99_999_999) * 100 // rng.choice((1, 10, 100, 1000))
                want = to_uppercase(Decimal(yuan), zheng=False)
                page = contract_scan(
                    amount_line(f"本合同总金额为{PREFIX}{want}{SUFFIX}", font, dpi), rng, nprng
                )
                prepared = prepare_page(page, dpi=dpi)
                for scale in (1.0, *AMOUNT_SIZES):
                    img = prepared.resize(
                        (round(prepared.width * scale), round(prepared.height * scale)),
                        Image.Resampling.LANCZOS,
                    )
                    text = join_words(ocr_words(img, install=install, lang=lang)).replace(" ", "")
                    lines += 1
                    start = text.find(PREFIX)
                    got = text[start + len(PREFIX) :] if start >= 0 else text
                    got = got[: got.rfind("元")] if "元" in got else got
                    matcher = difflib.SequenceMatcher(None, got, want, autojunk=False)
                    for op, a0, a1, b0, b1 in matcher.get_opcodes():
                        if op == "equal":
                            right.update(c for c in want[b0:b1] if c in NUMERALS)
                        elif op == "replace" and a1 - a0 == b1 - b0:
                            for g, w in zip(got[a0:a1], want[b0:b1], strict=True):
                                if w in NUMERALS and CANONICAL.get(g) != w:
                                    seen[g][w] += 1
    print(f"{lines} readings, model: {lang} in {install.tessdata or 'the default data folder'}")
    print("\nread  meant (times)                       known to the parser")
    for g, meant in sorted(seen.items(), key=lambda kv: -sum(kv[1].values())):
        known = "" if g in CONFUSIONS or g in LOOKALIKES else "  NEW"
        print(f"{g}     {dict(meant.most_common())!s:<36}{known}")
    print("\nright:", dict(right.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
