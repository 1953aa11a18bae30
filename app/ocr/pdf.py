"""PDF contracts: the text layer when the PDF has one, page images for OCR otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from app.domain.messages import Msg
from app.ocr.errors import InputError
from app.ocr.imaging import MAX_PIXELS, check_file

MAX_PAGES = 50
RENDER_DPI = 300
MIN_TEXT_CHARS = 40  # fewer characters than this per page is a scan with a stray text object


def is_pdf(path: Path) -> bool:
    """True when the file starts like a PDF (the extension alone is not trusted)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError:
        return path.suffix.lower() == ".pdf"
    return b"%PDF-" in head or (not head and path.suffix.lower() == ".pdf")


@dataclass
class PdfPages:
    """An opened PDF: its page count, its text (None for scanned PDFs) and a page renderer."""

    path: Path
    count: int
    text: str | None
    dpi: float = RENDER_DPI

    def render(self) -> Iterator[Image.Image]:
        """Each page as an RGB image at about :data:`RENDER_DPI` (fewer dots for huge pages)."""
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(str(self.path))
        try:
            for i in range(self.count):
                page = doc[i]
                w_pt, h_pt = page.get_size()
                scale = RENDER_DPI / 72
                if w_pt * h_pt * scale * scale > MAX_PIXELS:
                    scale = (MAX_PIXELS / max(1.0, w_pt * h_pt)) ** 0.5
                self.dpi = scale * 72
                bitmap = page.render(scale=scale, grayscale=True)
                yield bitmap.to_pil().convert("RGB")
                page.close()
        finally:
            doc.close()


def pdf_pages(path: Path) -> PdfPages:
    """Open ``path`` as a PDF and read its text layer if it has a usable one.

    Raises:
        InputError: not a PDF, damaged, encrypted, empty or too many pages.
    """
    import pypdfium2 as pdfium

    check_file(path)
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise InputError(
            Msg(
                f"{path}:PDF 文件已损坏或已加密({exc})",
                f"{path}: the PDF is damaged or encrypted ({exc})",
            )
        ) from exc
    try:
        count = len(doc)
        if count == 0:
            raise InputError(Msg(f"{path}:PDF 没有页面", f"{path}: the PDF has no pages"))
        if count > MAX_PAGES:
            raise InputError(
                Msg(
                    f"{path}:PDF 页数过多({count} 页,上限 {MAX_PAGES})",
                    f"{path}: too many pages ({count}, limit {MAX_PAGES})",
                )
            )
        texts: list[str] = []
        for i in range(count):
            page = doc[i]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        doc.close()
    usable = all(len("".join(t.split())) >= MIN_TEXT_CHARS for t in texts)
    return PdfPages(path, count, "\n\f".join(texts) if usable else None)
