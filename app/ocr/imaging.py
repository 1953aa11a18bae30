"""Loading images safely and preparing them for Tesseract.

Tesseract's LSTM reads clean grey text at a sensible size very well and everything else badly,
so preparation matters more than any later cleverness:

* a photo: find the card (the large bright quadrilateral), undo the perspective, and leave the
  desk out entirely (dark borders are read as glyphs);
* a scan: straighten the small rotation a flatbed gives;
* both: flatten uneven light and scale the card to a fixed width. We leave binarisation to
  Tesseract: thresholding ourselves cost accuracy in every trial.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from app.domain.messages import Msg
from app.ocr.errors import InputError

MAX_PIXELS = 60_000_000  # a 60-megapixel photo is already generous; beyond is a pixel bomb
MAX_FILE_BYTES = 200 * 1024 * 1024
MIN_SIDE = 32
CARD_WIDTH = 1400  # prepared card width in pixels (≈ 400 dpi for a 90 mm card)
CARD_RATIO = 90 / 54

ImageSource = str | Path | Image.Image | bytes


def _name(source: ImageSource) -> str:
    return str(source) if isinstance(source, str | Path) else "<image>"


def _bad(source: ImageSource, zh: str, en: str) -> InputError:
    name = _name(source)
    return InputError(Msg(f"{name}:{zh}", f"{name}: {en}"))


def check_file(path: Path) -> None:
    """Fail with a clear InputError for a missing, empty or oversized file."""
    if not path.exists():
        raise _bad(path, "文件不存在", "file not found")
    if not path.is_file():
        raise _bad(path, "不是文件", "not a file")
    size = path.stat().st_size
    if size == 0:
        raise _bad(path, "文件为空", "the file is empty")
    if size > MAX_FILE_BYTES:
        raise _bad(path, "文件过大", "the file is too large")


def open_image(source: ImageSource, *, frame: int = 0) -> Image.Image:
    """Open an image file (or bytes, or a PIL image) as RGB, guarding against bad input.

    Raises:
        InputError: missing, empty, corrupt, unsupported, too large (pixel bomb) or too small.
    """
    if isinstance(source, Image.Image):
        img = source
    else:
        if isinstance(source, bytes):
            if not source:
                raise _bad(source, "文件为空", "the file is empty")
            fp: Path | io.BytesIO = io.BytesIO(source)
        else:
            check_file(Path(source))
            # Read into memory: a failed decode then leaves no file handle open.
            fp = io.BytesIO(Path(source).read_bytes())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(fp)
                _check_pixels(source, img)
                if frame:
                    img.seek(frame)
                img.load()
                img = ImageOps.exif_transpose(img)
        except InputError:
            raise
        except UnidentifiedImageError as exc:
            raise _bad(
                source,
                "不支持的文件类型或文件已损坏(支持 PNG、JPEG、TIFF、BMP、WebP、PDF)",
                "unsupported or damaged file (PNG, JPEG, TIFF, BMP, WebP and PDF work)",
            ) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bad(source, "图像像素过多,拒绝处理", "the image has too many pixels") from exc
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise _bad(
                source, f"图像文件已损坏({exc})", f"the image file is damaged ({exc})"
            ) from exc
    _check_pixels(source, img)
    if min(img.size) < MIN_SIDE:
        raise _bad(source, "图像太小,无法识别", "the image is too small to read")
    return to_rgb(img)


def _check_pixels(source: ImageSource, img: Image.Image) -> None:
    if img.width * img.height > MAX_PIXELS:
        raise _bad(
            source,
            f"图像过大({img.width}×{img.height} 像素)",
            f"the image is too large ({img.width}×{img.height} pixels)",
        )


def to_rgb(img: Image.Image) -> Image.Image:
    """RGB on white, whatever the mode (transparency, 16-bit, palette, CMYK)."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        hi = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / hi)).astype(np.uint8)).convert("RGB")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


# --- card detection ---------------------------------------------------------------------------


def _otsu(gray: np.ndarray) -> tuple[float, float]:
    """Otsu's threshold and its separability (between-class / total variance, 0..1)."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    p = hist / hist.sum()
    omega = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256))
    mu_t = mu[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma_b = (mu_t * omega - mu) ** 2 / (omega * (1 - omega))
    sigma_b = np.nan_to_num(sigma_b)
    t = int(np.argmax(sigma_b))
    total = float((p * (np.arange(256) - mu_t) ** 2).sum()) or 1.0
    return float(t), float(sigma_b[t] / total)


def _hull(points: np.ndarray) -> np.ndarray:
    """Convex hull (monotone chain) of N×2 points, counter-clockwise in image coordinates."""
    pts = sorted({(float(x), float(y)) for x, y in points})
    if len(pts) < 3:
        return np.asarray(pts)

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.asarray(lower[:-1] + upper[:-1])


def _area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _reduce_to_quad(hull: np.ndarray) -> np.ndarray:
    """The four hull vertices spanning the largest quadrilateral (its corners, for a card).

    For each diagonal (i, k) the best third and fourth corners are the vertices farthest from
    it on either side; O(n³), cheap for the few dozen vertices of a hull.
    """
    n = len(hull)
    if n <= 4:
        return hull.astype(np.float64)
    idx = np.arange(n)
    best_area, best = -1.0, (0, 1, 2, 3)
    for i in range(n):
        for k in range(i + 2, n):
            d = hull[k] - hull[i]
            dist = np.abs(d[0] * (hull[:, 1] - hull[i, 1]) - d[1] * (hull[:, 0] - hull[i, 0]))
            inside = (idx > i) & (idx < k)
            outside = (idx < i) | (idx > k)
            if not inside.any() or not outside.any():
                continue
            j = int(idx[inside][np.argmax(dist[inside])])
            m = int(idx[outside][np.argmax(dist[outside])])
            area = float(dist[j] + dist[m]) / 2
            if area > best_area:
                best_area, best = area, (i, j, k, m)
    return hull[sorted(best)].astype(np.float64)


def _order(quad: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    c = quad.mean(axis=0)
    angles = np.arctan2(quad[:, 1] - c[1], quad[:, 0] - c[0])
    q = quad[np.argsort(angles)]
    start = int(np.argmin(q.sum(axis=1)))
    return np.roll(q, -start, axis=0)


def find_card(gray: Image.Image) -> np.ndarray | None:
    """Corners (TL, TR, BR, BL, in ``gray``'s pixels) of a card photographed on a darker
    surface, or None when the image is a flat scan or no clear card stands out."""
    scale = 256 / max(gray.size)
    small = gray.resize(
        (max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
        Image.Resampling.BILINEAR,
    ).filter(ImageFilter.GaussianBlur(1.5))
    arr = np.asarray(small)
    t, separability = _otsu(arr)
    if separability < 0.5:
        return None
    mask_img = Image.fromarray(((arr > t) * 255).astype(np.uint8))
    mask_img = mask_img.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.MaxFilter(3))
    mask = np.asarray(mask_img) > 0
    frac = float(mask.mean())
    if not 0.1 < frac < 0.95:
        return None
    # Seed in the solid middle of the bright region nearest the image centre, then grow it
    # inside the mask: the card, without bright specks elsewhere in the photo.
    core = np.asarray(mask_img.filter(ImageFilter.MinFilter(7))) > 0
    ys, xs = np.nonzero(core)
    if len(xs) == 0:
        return None
    h, w = mask.shape
    i = int(np.argmin((xs - w / 2) ** 2 + (ys - h / 2) ** 2))
    region = np.zeros_like(mask)
    region[ys[i], xs[i]] = True
    for _ in range(max(h, w)):
        grown = _dilate(region, 3) & mask
        if grown.sum() == region.sum():
            break
        region = grown
    area_frac = float(region.mean())
    if not 0.12 < area_frac < 0.92:
        return None
    border = np.concatenate([region[0], region[-1], region[:, 0], region[:, -1]])
    if border.mean() > 0.3:
        return None  # the bright part runs off the picture: not a card lying on a desk
    rows = np.nonzero(region.any(axis=1))[0]
    pts = []
    for r in rows:
        cols = np.nonzero(region[r])[0]
        pts.append((cols[0], r))
        pts.append((cols[-1] + 1, r))
    hull = _hull(np.asarray(pts, dtype=np.float64))
    if len(hull) < 4:
        return None
    quad = _order(_reduce_to_quad(hull))
    if _area(quad) < 0.9 * float(region.sum()) or _area(quad) > 1.15 * float(region.sum()):
        return None  # not a quadrilateral (a hand over the card, a folded corner)
    for k in range(4):
        a, b, c = quad[k - 1], quad[k], quad[(k + 1) % 4]
        v1, v2 = a - b, c - b
        cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-9))
        if abs(cos) > 0.5:  # a corner far from square even in perspective
            return None
    return quad / scale


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """``mask`` grown by ``r`` pixels each way (a square max filter of side 2r+1): done with
    shifted slices: a PIL filter at every step of the card search was much slower."""
    rows = mask.copy()
    for k in range(1, r + 1):
        rows[k:] |= mask[:-k]
        rows[:-k] |= mask[k:]
    out = rows.copy()
    for k in range(1, r + 1):
        out[:, k:] |= rows[:, :-k]
        out[:, :-k] |= rows[:, k:]
    return out


def perspective_coeffs(dst: np.ndarray, src: np.ndarray) -> tuple[float, ...]:
    """Coefficients for ``Image.transform(..., PERSPECTIVE)`` taking output ``dst`` to ``src``."""
    rows: list[list[float]] = []
    rhs: list[float] = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    sol = np.linalg.solve(np.asarray(rows, dtype=np.float64), np.asarray(rhs, dtype=np.float64))
    return tuple(float(c) for c in sol)


def _warp_card(gray: Image.Image, quad: np.ndarray, width: int) -> Image.Image:
    top = float(np.linalg.norm(quad[1] - quad[0]))
    bottom = float(np.linalg.norm(quad[2] - quad[3]))
    left = float(np.linalg.norm(quad[3] - quad[0]))
    right = float(np.linalg.norm(quad[2] - quad[1]))
    ratio = (top + bottom) / max(1.0, left + right)
    # Perspective shortens one side; a ratio near the standard card's is snapped to it.
    if abs(ratio - CARD_RATIO) / CARD_RATIO < 0.15:
        ratio = CARD_RATIO
    elif abs(ratio - 1 / CARD_RATIO) * CARD_RATIO < 0.15:
        ratio = 1 / CARD_RATIO
    out_w = width if ratio >= 1 else round(width * ratio)
    out_h = round(out_w / ratio)
    dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], dtype=np.float64)
    coeffs = perspective_coeffs(dst, quad)
    warped = gray.transform(
        (out_w, out_h),
        Image.Transform.PERSPECTIVE,
        coeffs,
        resample=Image.Resampling.BICUBIC,
        fillcolor=255,
    )
    return _whiten_edges(flatten_light(warped), max(3, round(0.012 * out_w)))


def _whiten_edges(gray: Image.Image, margin: int) -> Image.Image:
    arr = np.array(gray)
    arr[:margin, :] = 255
    arr[-margin:, :] = 255
    arr[:, :margin] = 255
    arr[:, -margin:] = 255
    return Image.fromarray(arr)


def _longest_run(line: np.ndarray) -> int:
    """Length of the longest run of True in a 1-D boolean array."""
    if not line.any():
        return 0
    padded = np.concatenate(([0], line.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def _whiten_bars(gray: Image.Image) -> Image.Image:
    """Blank out solid rows and columns (colour bars, rules): Tesseract reads them as glyphs
    or drops the text line beside them."""
    arr = np.array(gray)
    dark = arr < 160
    # A bar is one long unbroken run of ink; a row through a long line of bold text is
    # mostly ink too, but in short strokes.
    # Only a row (column) that is more than half ink can hold such a run.
    rows = dark.sum(axis=1) > 0.5 * dark.shape[1]
    cols = dark.sum(axis=0) > 0.5 * dark.shape[0]
    rows[rows] = [_longest_run(r) > 0.5 * len(r) for r in dark[rows]]
    cols[cols] = [_longest_run(c) > 0.5 * len(c) for c in dark.T[cols]]
    if rows.any() or cols.any():
        arr[rows, :] = 255
        arr[:, cols] = 255
        return Image.fromarray(arr)
    return gray


def flatten_light(gray: Image.Image) -> Image.Image:
    """Divide out slow changes of brightness (shadows, vignetting) so paper becomes white."""
    factor = 16
    small = gray.resize(
        (max(1, gray.width // factor), max(1, gray.height // factor)), Image.Resampling.BOX
    )
    bg = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(2))
    bg = bg.resize(gray.size, Image.Resampling.BILINEAR)
    g = np.asarray(gray, dtype=np.float32)
    b = np.maximum(np.asarray(bg, dtype=np.float32), 1.0)
    out = np.clip(g / b * 255.0, 0, 255)
    return Image.fromarray(out.astype(np.uint8))


def estimate_skew(gray: Image.Image, limit: float = 5.0) -> float:
    """Rotation in degrees that makes the text lines horizontal (projection profiles)."""
    scale = min(1.0, 700 / max(gray.size))
    small = gray.resize(
        (max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
        Image.Resampling.BILINEAR,
    )
    arr = np.asarray(small)
    t, _ = _otsu(arr)
    ink = Image.fromarray(((arr < t) * 255).astype(np.uint8))

    def score(angle: float) -> float:
        rot = np.asarray(
            ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0), dtype=np.float32
        )
        rows = rot.sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    best = max(np.arange(-limit, limit + 0.01, 0.5), key=score)
    fine = max(np.arange(best - 0.4, best + 0.41, 0.1), key=score)
    return float(fine)


@dataclass(frozen=True)
class PreparedCard:
    """The grey image handed to Tesseract and whether a card outline was found in a photo."""

    image: Image.Image
    card_found: bool
    skew: float


def prepare_card(img: Image.Image, width: int = CARD_WIDTH) -> PreparedCard:
    """Crop, straighten, light-flatten and scale a card photo or scan for Tesseract."""
    gray = img.convert("L")
    quad = find_card(gray)
    skew = 0.0
    if quad is not None:
        out = _warp_card(gray, quad, width)
    else:
        skew = estimate_skew(gray)
        if abs(skew) >= 0.3:
            gray = gray.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        scale = width / gray.width
        out = (
            gray.resize((width, max(1, round(gray.height * scale))), Image.Resampling.LANCZOS)
            if abs(scale - 1) > 0.05
            else gray
        )
        out = _whiten_bars(out)
    return PreparedCard(ImageOps.expand(out, border=12, fill=255), quad is not None, skew)


def prepare_page(
    img: Image.Image, dpi: float | None = None, target_dpi: float = 300
) -> Image.Image:
    """Grey, light-flattened, deskewed page scaled to about ``target_dpi``.

    Without a DPI in the file, the page is assumed to be A4 or Letter across its width.
    """
    gray = img.convert("L")
    if not dpi or dpi < 50:
        dpi = min(gray.size) / 8.27
    scale = target_dpi / dpi
    if abs(scale - 1) > 0.1:
        gray = gray.resize(
            (max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
            Image.Resampling.LANCZOS,
        )
    skew = estimate_skew(gray, limit=3.0)
    if abs(skew) >= 0.2:
        gray = gray.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return flatten_light(gray)
