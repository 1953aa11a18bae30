"""``fieldcrm duplicates``, ``fieldcrm health`` and ``import --duplicates``, as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pypdfium2
from openpyxl import load_workbook


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "FIELDCRM_LANG": "en", "QT_QPA_PLATFORM": "offscreen"},
    )


def test_import_scan_and_brief(tmp_path: Path) -> None:
    profile = str(tmp_path / "p")
    first = tmp_path / "a.csv"
    first.write_text(
        "name,phone\n杭州云峰科技股份有限公司,0571-88881234\n宁波安泰机械有限公司,\n",
        encoding="utf-8",
    )
    done = run("--profile", profile, "import", "customers", str(first))
    assert done.returncode == 0, done.stderr
    second = tmp_path / "b.csv"
    second.write_text(
        "name,phone\n雲峰科技(杭州)有限公司,\n苏州云峰科技有限公司,\n", encoding="utf-8"
    )
    refused = run("--profile", profile, "import", "customers", str(second))
    assert refused.returncode == 1
    assert "row 2" in refused.stderr and "杭州云峰科技股份有限公司" in refused.stderr
    assert "row 3" not in refused.stderr  # another city
    kept = run("--profile", profile, "import", "customers", str(second), "--duplicates", "keep")
    assert kept.returncode == 0 and "row 2" in kept.stdout and "created 2" in kept.stdout

    scan = run("--profile", profile, "duplicates", "customers", "--json")
    assert scan.returncode == 0, scan.stderr
    groups = json.loads(scan.stdout)
    assert len(groups) == 1 and len(groups[0]["ids"]) == 2
    assert 0.7 <= groups[0]["score"] <= 1 and any("legal form" in r for r in groups[0]["reasons"])
    assert json.loads(run("--profile", profile, "duplicates", "contacts", "--json").stdout) == []

    xlsx, pdf = tmp_path / "h.xlsx", tmp_path / "h.pdf"
    brief = run("--profile", profile, "health", "--xlsx", str(xlsx), "--pdf", str(pdf))
    assert brief.returncode == 0, brief.stderr
    assert "1 duplicate group(s)" in brief.stdout
    sheet = load_workbook(xlsx).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][1:3] == (1, 3)  # total: one group, three customers nobody can call
    text = pypdfium2.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert "1 duplicate group(s)" in text and "宁波安泰机械有限公司" in text
