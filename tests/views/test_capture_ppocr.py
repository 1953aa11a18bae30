"""The capture dialog over PP-OCR: doubtful values highlighted, sure ones not; the OCR engine
setting chosen on the settings screen and used by the dialog."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from app.config import Config, load_config
from app.store.service import Store
from app.sync.api import OfflineSync
from app.views.capture import LOW_STYLE, CardCaptureDialog
from app.views.context import AppContext
from app.views.main_window import MainWindow
from tools import cardgen


def _card(path: Path) -> Path:
    """A card whose company lacks the glyph its web domain spells (垚 → yao) and whose
    WeChat id has letters and figures meeting at l/0."""
    regular, bold = cardgen.FAMILIES["hei"][0], cardgen.FAMILIES["hei"][1]
    small = ImageFont.truetype(regular[0], 34, index=regular[1])
    big = ImageFont.truetype(bold[0], 60, index=bold[1])
    img = Image.new("RGB", (1063, 638), (250, 246, 236))
    draw = ImageDraw.Draw(img)
    draw.text((60, 50), "森化工有限公司", fill=(0, 90, 160), font=small)
    draw.text((60, 120), "袁建程", fill="black", font=big)
    draw.text((300, 140), "总裁助理", fill="black", font=small)
    lines = ["手机:192 1914 3609", "网址:www.senyao.com", "微信:Yuanjc0l12"]
    for k, line in enumerate(lines):
        draw.text((60, 250 + 62 * k), line, fill="black", font=small)
    img.save(path)
    return path


def test_doubtful_fields_are_highlighted_and_sure_ones_not(
    qtbot: Any, ctx: AppContext, tmp_path: Path
) -> None:
    dialog = CardCaptureDialog(ctx, [_card(tmp_path / "card.png")])
    qtbot.addWidget(dialog)
    edits = dialog.form.edits
    assert edits["mobile"].text() == "19219143609" and edits["name"].text() == "袁建程"
    low = dialog.form.low_confidence()
    assert "company" in low and "wechat" in low
    assert "mobile" not in low and "name" not in low
    assert edits["company"].styleSheet() == LOW_STYLE and edits["company"].toolTip()
    assert dialog.read_by == "ppocr"
    assert dialog.engine_notice.isHidden()  # PP-OCR read: nothing to say


def test_the_engine_setting_is_saved_and_used(
    qtbot: Any, ctx: AppContext, store: Store, tmp_path: Path
) -> None:
    config = load_config(it_files=[], user_file=tmp_path / "user" / "settings.toml")
    sync = OfflineSync(lambda: (store.journal.pending_count(), store.conflicts.count(), 0))
    window = MainWindow(ctx, sync, config=config)
    qtbot.addWidget(window)
    settings = window.settings
    assert settings.ocr_engine.currentData() == "auto"
    settings.ocr_engine.setCurrentIndex(settings.ocr_engine.findData("tesseract"))
    with qtbot.waitSignal(window.config_changed) as changed:
        settings.save_settings_button.click()
    assert config.user_file is not None
    assert tomllib.loads(config.user_file.read_text("utf-8")) == {"ocr": {"engine": "tesseract"}}
    new: Config = changed.args[0]
    assert new.ocr_engine == "tesseract" and ctx.config is new
    dialog = CardCaptureDialog(ctx, [_card(tmp_path / "card.png")])
    qtbot.addWidget(dialog)
    assert dialog.read_by == "tesseract"
    assert dialog.form.edits["mobile"].text() == "19219143609"
