"""Small files that tests attach to records."""

from __future__ import annotations

from pathlib import Path


def org_chart_file(tmp_path: Path) -> Path:
    """A stand-in org-chart PDF (its content does not matter, its kind does)."""
    path = tmp_path / "组织架构.pdf"
    path.write_bytes(b"%PDF-1.4\n% org chart\n%%EOF\n")
    return path
