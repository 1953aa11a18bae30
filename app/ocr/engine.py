"""Running Tesseract: finding the program, checking its languages, reading words with boxes.

The installer bundles Tesseract (SPEC O3, I1), so the lookup knows three places, in order:
``$FIELDCRM_TESSERACT``, a copy under ``sys._MEIPASS/tesseract`` when the app is frozen, and
``tesseract`` on PATH.

Card lines are read with :data:`STANDARD_MODEL`, the chi_sim model of Tesseract's standard
data that the app ships in ``resources/tessdata`` (see ``scripts/ocr-model``): Linux
distributions package only the "fast" models, which misread common name and company
characters (睿, 鼎, 磊) on office scans. Tesseract reads its languages from one folder, so
when the installed data lacks that model, the engine uses a cache folder that links the
installed files and the shipped model side by side.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

from PIL import Image

from app.domain.messages import Msg
from app.ocr.errors import INSTALL_HINT, EngineMissing, LanguageMissing, OcrError
from app.ocr.results import Box, Word
from app.paths import cache_root

T = TypeVar("T")
log = logging.getLogger(__name__)
_warned: set[str] = set()

LANGUAGES = ("chi_sim", "eng")
# Languages written in hanzi (or kana/hangul) that read whole lines; the rest read Latin runs.
CJK_LANGUAGES = frozenset(
    {"chi_sim", "chi_tra", "chi_sim_vert", "chi_tra_vert", "jpn", "jpn_vert", "kor", "kor_vert"}
)
SCRIPT_MODELS = ("HanS", "script/HanS")  # optional, where Debian and upstream install it
# chi_sim of Tesseract's standard data (4.0.0), its LSTM parts only: shipped with the app
STANDARD_MODEL = "chi_sim_std"
ENV_VAR = "FIELDCRM_TESSERACT"
# Per call: far beyond what a card or a dense A4 page needs, so only a hung run meets it.
TIMEOUT_S = 120
_EXE = "tesseract.exe" if sys.platform == "win32" else "tesseract"
# Independent Tesseract calls of one card run side by side up to this many at a time; a card
# seldom has more than three such calls, so more threads would only wait.
MAX_THREADS = 4


@dataclass(frozen=True)
class TesseractInstall:
    """Where the tesseract program is and, for a bundled copy, its language data.

    ``linked`` marks a ``tessdata`` that is the cache folder joining the installed data and
    the shipped model: languages missing there are missing from the installation.
    """

    cmd: Path
    tessdata: Path | None = None
    source: str = "path"
    linked: bool = False


def _in_folder(folder: Path) -> TesseractInstall | None:
    exe = folder / _EXE
    if not exe.is_file():
        return None
    data = folder / "tessdata"
    return TesseractInstall(exe, data if data.is_dir() else None, "bundle")


def find_tesseract() -> TesseractInstall:
    """Locate tesseract: $FIELDCRM_TESSERACT, then the frozen bundle, then PATH.

    ``FIELDCRM_TESSERACT`` may name the program or the folder holding it (and a ``tessdata``
    folder). When it is set but wrong, this fails rather than silently using another copy.

    Raises:
        EngineMissing: nothing usable was found.
    """
    return _with_standard_model(_locate())


def _locate() -> TesseractInstall:
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        if path.is_dir():
            found = _in_folder(path)
            if found:
                return TesseractInstall(found.cmd, found.tessdata, "env")
        elif path.is_file() and os.access(path, os.X_OK):
            data = path.parent / "tessdata"
            return TesseractInstall(path, data if data.is_dir() else None, "env")
        raise EngineMissing(
            Msg(
                f"环境变量 {ENV_VAR} 指向的 Tesseract 不存在或不可执行:{configured}。"
                f"请修正该变量或安装:{INSTALL_HINT}",
                f"{ENV_VAR} points to a Tesseract that does not exist or cannot run: {configured}. "
                f"Fix the variable or install Tesseract: {INSTALL_HINT}",
            )
        )
    bundle_root = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle_root:
        found = _in_folder(Path(bundle_root) / "tesseract")
        if found:
            return found
    on_path = shutil.which("tesseract")
    if on_path:
        return TesseractInstall(Path(on_path))
    raise EngineMissing(
        Msg(
            f"未找到 OCR 引擎 Tesseract。请安装:{INSTALL_HINT}",
            f"The OCR engine Tesseract was not found. Install it: {INSTALL_HINT}",
        )
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Tesseract's OpenMP threads fight each other (and our worker processes): one thread per
    # call reads a card faster, and parallel work comes from running calls side by side.
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _languages(cmd: Path, tessdata: Path | None) -> frozenset[str]:
    return _list_languages(cmd, tessdata)[1]


@lru_cache(maxsize=8)
def _list_languages(cmd: Path, tessdata: Path | None) -> tuple[Path | None, frozenset[str]]:
    """The data folder Tesseract reads and the languages in it."""
    args = [str(cmd), "--list-langs"]
    if tessdata:
        args[1:1] = ["--tessdata-dir", str(tessdata)]
    try:
        proc = subprocess.run(
            args, capture_output=True, text=True, timeout=30, env=_env(), check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineMissing(
            Msg(
                f"无法运行 Tesseract({cmd}):{exc}。请重新安装:{INSTALL_HINT}",
                f"Tesseract ({cmd}) does not run: {exc}. Reinstall it: {INSTALL_HINT}",
            )
        ) from exc
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 and "List of available languages" not in out:
        raise EngineMissing(
            Msg(
                f"Tesseract 无法启动:{out.strip()[:200]}。请重新安装:{INSTALL_HINT}",
                f"Tesseract failed to start: {out.strip()[:200]}. Reinstall it: {INSTALL_HINT}",
            )
        )
    # First line: List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (4):
    lines = out.splitlines()
    folder = re.search(r'"([^"]+)"', lines[0]) if lines else None
    langs = frozenset(line.strip() for line in lines[1:] if line.strip())
    return (Path(folder.group(1)) if folder else tessdata), langs


def shipped_model() -> Path | None:
    """The file of :data:`STANDARD_MODEL` this copy of the app ships, if it has one."""
    folder = Path(str(resources.files("app.resources") / "tessdata"))
    path = folder / f"{STANDARD_MODEL}.traineddata"
    return path if path.is_file() else None


def _with_standard_model(install: TesseractInstall) -> TesseractInstall:
    """``install``, reading its languages from a folder that also holds the shipped model
    when its own data lacks it. Without the model, or where the cache cannot be written,
    ``install`` as it is: the installed chi_sim reads cards too, a little less well."""
    model = shipped_model()
    if model is None:
        return install
    folder, langs = _list_languages(install.cmd, install.tessdata)
    if STANDARD_MODEL in langs or "chi_sim" not in langs or folder is None:
        return install
    try:
        linked = _linked_folder(folder, model)
    except OSError as exc:
        if str(exc) not in _warned:  # said once: every card looks Tesseract up again
            _warned.add(str(exc))
            log.warning("OCR reads with the installed chi_sim model: %s", exc)
        return install
    return replace(install, tessdata=linked, linked=True)


def _linked_folder(data: Path, model: Path) -> Path:
    """A cache folder holding every entry of ``data`` and ``model``: symbolic links where the
    system allows them, else hard links or copies. Its name depends on what it holds, so an
    upgraded language package or model gets a folder of its own."""
    entries = sorted(data.iterdir())
    stamp = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in [data, *entries, model]]
    root = cache_root() / "tessdata"
    target = root / hashlib.sha256(repr(stamp).encode()).hexdigest()[:16]
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".new-", dir=root))
    try:
        for src in [*entries, model]:
            _link(src, building / src.name)
        building.rename(target)
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
        if not target.is_dir():  # else another process has just built the same folder
            raise
    return target


def _link(src: Path, dst: Path) -> None:
    try:
        dst.symlink_to(src, target_is_directory=src.is_dir())
        return
    except OSError:
        pass  # Windows allows symbolic links only to administrators and developers
    if src.is_dir():
        shutil.copytree(src, dst)
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def package_for(language: str) -> str:
    """The Debian/Ubuntu package holding a Tesseract language: chi_sim → tesseract-ocr-chi-sim."""
    return "tesseract-ocr-" + language.lower().replace("_", "-")


def check_engine(
    install: TesseractInstall | None = None, languages: Sequence[str] = LANGUAGES
) -> TesseractInstall:
    """Find tesseract and make sure every language in ``languages`` is installed.

    Raises:
        EngineMissing: no usable tesseract.
        LanguageMissing: a language pack is missing (the message names the package).
    """
    install = install or find_tesseract()
    langs = _languages(install.cmd, install.tessdata)
    missing = [lang for lang in languages if lang not in langs]
    if missing:
        names = ", ".join(missing)
        if install.tessdata is not None and not install.linked:  # a copy with its own data
            files = ", ".join(f"{lang}.traineddata" for lang in missing)
            hint = f"{files} → {install.tessdata}"
        else:
            hint = "apt-get install " + " ".join(package_for(lang) for lang in missing)
        raise LanguageMissing(
            Msg(
                f"Tesseract 缺少语言数据:{names}。请安装:{hint},或在设置中修改 OCR 语言",
                f"Tesseract lacks the language data {names}. Install it ({hint}) "
                "or change the OCR languages in the settings",
            )
        )
    return install


@dataclass(frozen=True)
class LanguagePlan:
    """Which Tesseract languages read what, from the languages the user or IT chose."""

    lines: str  # every line of a card
    latin: str | None  # Latin runs of those lines again; None: no second reading
    document: str  # contract pages


def plan_languages(install: TesseractInstall, languages: Sequence[str] = LANGUAGES) -> LanguagePlan:
    """Split the chosen languages into the card passes and the contract pass.

    Hanzi-script languages read whole lines (chi_sim as :func:`cjk_languages` gives it), the
    others read the Latin runs again; with no hanzi-script language the Latin ones read the
    lines and there is no second pass. Contracts are read with the hanzi languages alone, as
    installed: with eng loaded too, lines of uppercase numerals came back as Latin garbage
    ("RASA TAATERRD"), and the amount parser knows how the installed chi_sim misreads those
    numerals (the standard model reads 贰 as dozens of different glyphs).
    """
    cjk = [lang for lang in languages if lang in CJK_LANGUAGES]
    other = [lang for lang in languages if lang not in CJK_LANGUAGES]
    if not cjk:
        joined = "+".join(other)
        return LanguagePlan(joined, None, joined)
    lines = "+".join(cjk_languages(install) if lang == "chi_sim" else lang for lang in cjk)
    return LanguagePlan(lines, "+".join(other) or None, "+".join(cjk))


def cjk_languages(install: TesseractInstall) -> str:
    """The models that read card lines for ``chi_sim``: :data:`STANDARD_MODEL` where it is
    available (else the installed chi_sim), plus the Han Simplified script model when it is
    installed.

    The script model (Debian: tesseract-ocr-script-hans) read the big, often bold type of
    names and company names better together with chi_sim than chi_sim alone (with the
    standard model too; ``bench/ocr.py`` measures it); without it reading still works, a
    little less well.
    """
    langs = _languages(install.cmd, install.tessdata)
    base = STANDARD_MODEL if STANDARD_MODEL in langs else "chi_sim"
    for name in SCRIPT_MODELS:
        if name in langs:
            return f"{base}+{name}"
    return base


def _config(install: TesseractInstall, psm: int, extra: str) -> str:
    # Without preserve_interword_spaces Tesseract puts a space between every two hanzi.
    parts = [f"--psm {psm}", "-c preserve_interword_spaces=1"]
    if install.tessdata:
        parts.insert(0, f'--tessdata-dir "{install.tessdata}"')
    if extra:
        parts.append(extra)
    return " ".join(parts)


def ocr_words(
    image: Image.Image,
    *,
    psm: int = 6,
    page: int = 0,
    extra: str = "",
    install: TesseractInstall | None = None,
    lang: str = "+".join(LANGUAGES),
) -> list[Word]:
    """Run Tesseract (chi_sim+eng by default) on ``image``; its words in reading order."""
    import pytesseract

    install = check_engine(install, lang.split("+"))
    pytesseract.pytesseract.tesseract_cmd = str(install.cmd)
    os.environ["OMP_THREAD_LIMIT"] = "1"  # pytesseract passes our environment to tesseract
    try:
        tsv = pytesseract.image_to_data(
            image, lang=lang, config=_config(install, psm, extra), timeout=TIMEOUT_S
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise EngineMissing(
            Msg(
                f"未找到 OCR 引擎 Tesseract。请安装:{INSTALL_HINT}",
                f"The OCR engine Tesseract was not found. Install it: {INSTALL_HINT}",
            )
        ) from exc
    except RuntimeError as exc:  # pytesseract's timeout
        raise OcrError(
            Msg(f"识别超时({TIMEOUT_S} 秒)", f"Recognition timed out ({TIMEOUT_S} s)")
        ) from exc
    except pytesseract.TesseractError as exc:
        raise OcrError(Msg(f"Tesseract 出错:{exc}", f"Tesseract failed: {exc}")) from exc
    return _parse_tsv(str(tsv), page)


def default_threads() -> int:
    """How many Tesseract calls of one card may run at once: one per core, at most
    :data:`MAX_THREADS`. Batches run one card per core and pass 1."""
    return max(1, min(MAX_THREADS, os.cpu_count() or 1))


def run_calls(calls: Sequence[Callable[[], T]], threads: int = 1) -> list[T]:
    """Results of independent ``calls`` (each typically one Tesseract run), in their order,
    up to ``threads`` at a time.

    Tesseract is a child process with one OpenMP thread, so Python threads that wait on it
    keep several cores busy; the first exception raised by a call is raised here.
    """
    if threads <= 1 or len(calls) <= 1:
        return [c() for c in calls]
    with ThreadPoolExecutor(min(threads, len(calls))) as pool:
        futures = [pool.submit(c) for c in calls]
        return [f.result() for f in futures]


def _parse_tsv(tsv: str, page: int, image: int | None = None) -> list[Word]:
    """Words of Tesseract's TSV output (what ``image_to_data`` returns), in reading order;
    with ``image``, only those of that input image (Tesseract numbers them from 1)."""
    words: list[Word] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t", 11)
        if len(cols) < 12 or not cols[0].isdigit():
            continue
        if image is not None and cols[1] != str(image):
            continue
        text = cols[11].strip()
        conf = float(cols[10])
        if not text or conf < 0:
            continue
        box = Box(int(cols[6]), int(cols[7]), int(cols[8]), int(cols[9]))
        key = (int(cols[2]), int(cols[3]), int(cols[4]))
        words.append(Word(text, box, max(0.0, min(1.0, conf / 100.0)), page, key))
    return words


class OcrProcess:
    """A Tesseract run started before its image is ready.

    Loading chi_sim with the Han script model takes about half a second, more than reading a
    card's lines; Tesseract loads its models before it reads the image from stdin, so a run
    started early loads them while the image is still being prepared or another run reads.
    """

    def __init__(
        self, install: TesseractInstall, lang: str, psm: int = 6, source: str = "stdin"
    ) -> None:
        self.lang, self.psm = lang, psm
        args = [str(install.cmd), source, "stdout", "-l", lang, "--psm", str(psm)]
        if install.tessdata:
            args += ["--tessdata-dir", str(install.tessdata)]
        # Without preserve_interword_spaces Tesseract puts a space between every two hanzi.
        # The tsv config file is missing from a bundled tessdata: set its one variable.
        args += ["-c", "preserve_interword_spaces=1", "-c", "tessedit_create_tsv=1"]
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_env(),
            )
        except OSError as exc:
            raise EngineMissing(
                Msg(
                    f"无法运行 Tesseract({install.cmd}):{exc}。请安装:{INSTALL_HINT}",
                    f"Tesseract ({install.cmd}) does not run: {exc}. Install it: {INSTALL_HINT}",
                )
            ) from exc

    def words(self, image: Image.Image, page: int = 0) -> list[Word]:
        """Read ``image`` (once: the process ends with it); its words in reading order."""
        buf = io.BytesIO()
        image.save(buf, format="PNG", compress_level=1)  # lossless; speed over size
        return _parse_tsv(self.finish(buf.getvalue()), page)

    def finish(self, data: bytes | None = None) -> str:
        """Give the process ``data`` on its input (once), wait for it and return its TSV."""
        proc, self._proc = self._proc, None
        if proc is None:
            raise RuntimeError("an OcrProcess reads one image")
        try:
            out, err = proc.communicate(data, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            proc.kill()
            proc.communicate()
            raise OcrError(
                Msg(f"识别超时({TIMEOUT_S} 秒)", f"Recognition timed out ({TIMEOUT_S} s)")
            ) from exc
        if proc.returncode != 0:
            msg = err.decode("utf-8", "replace").strip()[-300:]
            raise OcrError(Msg(f"Tesseract 出错:{msg}", f"Tesseract failed: {msg}"))
        return out.decode("utf-8", "replace")

    def close(self) -> None:
        """End the process if it never got its image."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.communicate()


def ocr_images(
    images: Sequence[Image.Image], install: TesseractInstall, lang: str, psm: int = 6
) -> list[list[Word]]:
    """The words of each of ``images``, all read by one Tesseract run: the models load once,
    and each image is a page of its own (unlike a stack of crops in one image, whose lines
    page segmentation may run together)."""
    if len(images) <= 1:
        return [OcrProcess(install, lang, psm).words(img) for img in images]
    with tempfile.TemporaryDirectory(prefix="fieldcrm-ocr-") as folder:
        paths = [Path(folder) / f"{k}.png" for k in range(len(images))]
        for img, path in zip(images, paths, strict=True):
            img.save(path, format="PNG", compress_level=1)
        listing = Path(folder) / "images.txt"  # Tesseract reads a text file as a list of images
        listing.write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")
        tsv = OcrProcess(install, lang, psm, source=str(listing)).finish()
    return [_parse_tsv(tsv, 0, image=k + 1) for k in range(len(images))]


class Prestarted:
    """Tesseract runs started ahead for the calls a card is about to make; a call takes a
    matching one or, when there is none, starts its own. Unused runs end on ``close``."""

    def __init__(self, install: TesseractInstall) -> None:
        self.install = install
        self._ready: list[OcrProcess] = []
        self._lock = threading.Lock()  # calls of one card take runs from several threads

    def start(self, lang: str, psm: int = 6) -> None:
        """Start a run of ``lang`` at page segmentation ``psm`` for a later :meth:`take`."""
        proc = OcrProcess(self.install, lang, psm)
        with self._lock:
            self._ready.append(proc)

    def take(self, lang: str, psm: int = 6) -> OcrProcess:
        """A started run of ``lang`` and ``psm`` (the oldest), else a new one."""
        with self._lock:
            for k, proc in enumerate(self._ready):
                if proc.lang == lang and proc.psm == psm:
                    return self._ready.pop(k)
        return OcrProcess(self.install, lang, psm)

    def close(self) -> None:
        """End the runs nobody took."""
        with self._lock:
            ready, self._ready = self._ready, []
        for proc in ready:
            proc.close()

    def __enter__(self) -> Prestarted:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
