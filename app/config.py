"""Settings IT presets for every user (SPEC I2), merged with the user's own and the command line.

IT writes a TOML file named ``fieldcrm.toml`` and puts it beside the installed program or in the
system-wide folder (:func:`it_config_files`)::

    locked = ["server.url", "server.ca_bundle"]   # users cannot change these

    [server]
    url = "https://crm.example.cn"
    ca_bundle = "corp-root-ca.pem"   # relative paths start at this file's folder

    [sync]
    interval_minutes = 5

    [ocr]
    languages = ["chi_sim", "eng"]
    engine = "auto"        # "auto" (PP-OCR, else Tesseract), "ppocr" or "tesseract"

Layers, each overriding the one before: built-in defaults < the file beside the program < the
system-wide file < the user's settings (the Settings screen writes ``settings.toml`` in the
per-user config folder) < ``--set KEY=VALUE`` on the command line. A key listed in ``locked``
by an IT file keeps IT's value whatever the later layers say.

A broken file never stops the app: a syntax error drops that file, a bad value drops that key,
and each becomes a :class:`ConfigProblem` naming the file, line and key. The lower layers (in
the end the defaults) stand in for what was dropped.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certifi
from platformdirs import user_config_dir

from app.domain.messages import Msg
from app.paths import APP_NAME

CONFIG_FILE = "fieldcrm.toml"
USER_FILE = "settings.toml"
DEFAULT_LANGUAGES = ("chi_sim", "eng")
MAX_INTERVAL_MIN = 24 * 60


@dataclass(frozen=True)
class ConfigProblem:
    """Why (part of) a settings file was ignored: where, which key, and the reason."""

    source: str  # a file path, or "command line"
    line: int | None
    key: str | None
    reason: Msg

    def message(self) -> Msg:
        where = Msg(self.source, self.source)
        if self.line is not None:
            where = Msg(f"{where.zh} 第 {self.line} 行", f"{where.en}, line {self.line}")
        if self.key:
            where = Msg(f"{where.zh},{self.key}", f"{where.en}, key {self.key}")
        return Msg(f"{where.zh}:{self.reason.zh}", f"{where.en}: {self.reason.en}")

    def __str__(self) -> str:
        return self.message().en


@dataclass(frozen=True)
class Config:
    """The settings in force, where each came from, which are locked, and what was wrong."""

    server_url: str | None = None
    ca_bundle: Path | None = None
    sync_interval_minutes: int = 5
    ocr_languages: tuple[str, ...] = DEFAULT_LANGUAGES
    ocr_engine: str = "auto"
    locked: frozenset[str] = frozenset()
    origins: Mapping[str, str] = field(default_factory=dict)  # key → file or "command line"
    problems: tuple[ConfigProblem, ...] = ()
    user_file: Path | None = None
    # What it was loaded from, so that reload() reads the same places again.
    it_files: tuple[Path, ...] | None = None
    overrides: tuple[str, ...] = ()

    def tls_verify(self) -> ssl.SSLContext | bool:
        """What httpx's ``verify`` takes: True (the usual CAs), or a context that trusts IT's
        CA bundle as well, so the server is reached both through the company's inspecting
        proxy and directly from outside."""
        if self.ca_bundle is None:
            return True
        context = ssl.create_default_context(cafile=certifi.where())
        try:
            context.load_verify_locations(cafile=str(self.ca_bundle))
        except (OSError, ssl.SSLError) as exc:  # removed or replaced since it was checked
            raise InvalidSetting(
                Msg(
                    "CA 证书文件 {p} 无法使用:{e}",
                    "The CA certificate file {p} cannot be used: {e}",
                ).format(p=self.ca_bundle, e=exc)
            ) from exc
        return context

    def is_locked(self, key: str) -> bool:
        return key in self.locked

    def value(self, key: str) -> Any:
        return getattr(self, SETTINGS[key].attr)

    def reload(self) -> Config:
        """Read every file again (after the user saved settings, or IT changed its file)."""
        return load_config(self.overrides, it_files=self.it_files, user_file=self.user_file)


# ---- the settings --------------------------------------------------------------------------
Checker = Callable[[Any, Path | None], Any]  # (raw value, folder of its file) → value; or raise


class InvalidSetting(ValueError):
    """A value that a setting does not accept; ``reason`` says why."""

    def __init__(self, reason: Msg) -> None:
        super().__init__(reason.en)
        self.reason = reason
        self.message = reason  # how the views recognise a known problem (known_message)


def _url(raw: Any, _base: Path | None) -> str:
    if not isinstance(raw, str):
        raise InvalidSetting(Msg("应为文本", "must be text"))
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidSetting(
            Msg(
                "应为以 https:// 或 http:// 开头的服务器地址",
                "must be a server address starting with https:// or http://",
            )
        )
    return raw.strip().rstrip("/")


def _ca_bundle(raw: Any, base: Path | None) -> Path:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidSetting(Msg("应为证书文件的路径", "must be the path of a certificate file"))
    path = Path(raw.strip()).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    if not path.is_file():
        raise InvalidSetting(
            Msg("证书文件不存在:{p}", "the certificate file does not exist: {p}").format(p=path)
        )
    try:
        # Refused now, with the file named, rather than as a TLS failure at the first sync.
        ssl.create_default_context().load_verify_locations(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise InvalidSetting(
            Msg(
                "{p} 不是 PEM 格式的证书文件({e})",
                "{p} is not a PEM certificate file ({e})",
            ).format(p=path, e=exc)
        ) from exc
    return path


def _interval(raw: Any, _base: Path | None) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_INTERVAL_MIN:
        raise InvalidSetting(
            Msg(
                "应为 1 到 {m} 之间的整数(分钟)",
                "must be a whole number of minutes from 1 to {m}",
            ).format(m=MAX_INTERVAL_MIN)
        )
    return raw


def _languages(raw: Any, _base: Path | None) -> tuple[str, ...]:
    ok = isinstance(raw, list) and bool(raw)
    ok = ok and all(isinstance(x, str) and re.fullmatch(r"[A-Za-z0-9_]+", x) for x in raw)
    if not ok:
        raise InvalidSetting(
            Msg(
                '应为 Tesseract 语言名的列表,例如 ["chi_sim", "eng"]',
                'must be a list of Tesseract language names, such as ["chi_sim", "eng"]',
            )
        )
    return tuple(raw)


OCR_ENGINES = ("auto", "ppocr", "tesseract")


def _ocr_engine(raw: Any, _base: Path | None) -> str:
    if not isinstance(raw, str) or raw.strip().lower() not in OCR_ENGINES:
        raise InvalidSetting(
            Msg(
                '应为 "auto"、"ppocr" 或 "tesseract"',
                'must be "auto", "ppocr" or "tesseract"',
            )
        )
    return raw.strip().lower()


@dataclass(frozen=True)
class Setting:
    key: str  # dotted, as written in the file
    attr: str  # the Config attribute
    check: Checker
    parse_text: Callable[[str], Any]  # a --set value → the raw TOML value


def _int_text(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text  # the checker reports it


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("server.url", "server_url", _url, str),
        Setting("server.ca_bundle", "ca_bundle", _ca_bundle, str),
        Setting("sync.interval_minutes", "sync_interval_minutes", _interval, _int_text),
        Setting(
            "ocr.languages",
            "ocr_languages",
            _languages,
            lambda text: [p for p in re.split(r"[+,\s]+", text) if p],
        ),
        Setting("ocr.engine", "ocr_engine", _ocr_engine, str),
    )
}
LOCKED_KEY = "locked"


# ---- where the files are -------------------------------------------------------------------
def system_config_dir() -> Path:
    """The machine-wide folder IT manages (Group Policy, MDM, configuration management)."""
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA") or r"C:\ProgramData") / APP_NAME
    if sys.platform == "darwin":
        return Path("/Library/Application Support") / APP_NAME
    return Path("/etc/fieldcrm")


def program_dir() -> Path:
    """The folder of the running program: the bundle's executable, or the venv's bin folder."""
    return Path(sys.executable).resolve().parent


def it_config_files() -> list[Path]:
    """IT's files, lowest precedence first: beside the program, then the system-wide one."""
    return [program_dir() / CONFIG_FILE, system_config_dir() / CONFIG_FILE]


def user_settings_file() -> Path:
    return Path(user_config_dir(APP_NAME, appauthor=False)) / USER_FILE


# ---- reading -------------------------------------------------------------------------------
_SYNTAX_AT = re.compile(r"\(at line (\d+), column \d+\)")
_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")


def _unquote(dotted: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in dotted.split("."))


def _key_lines(text: str) -> dict[str, int]:
    """Line number of each ``table.key = …`` in a TOML text, for messages about values."""
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), 1):
        header = _TABLE.match(line)
        if header:
            table = _unquote(header.group(1))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            name = _unquote(key.group(1))
            lines.setdefault(f"{table}.{name}" if table else name, number)
    return lines


def _syntax_problem(source: str, text: str, exc: tomllib.TOMLDecodeError) -> ConfigProblem:
    at = _SYNTAX_AT.search(str(exc))
    line = int(at.group(1)) if at else None
    key = None
    if line is not None:
        # Name the key of the offending line (and its table) when the line has one.
        table = ""
        for raw in text.splitlines()[: line - 1]:
            header = _TABLE.match(raw)
            if header:
                table = _unquote(header.group(1))
        lines = text.splitlines()
        found = _KEY.match(lines[line - 1]) if 0 < line <= len(lines) else None
        if found:
            name = _unquote(found.group(1))
            key = f"{table}.{name}" if table else name
    detail = _SYNTAX_AT.sub("", str(exc)).strip()
    return ConfigProblem(
        source,
        line,
        key,
        Msg(
            f"不是有效的 TOML({detail}),整个文件被忽略",
            f"not valid TOML ({detail}); the whole file is ignored",
        ),
    )


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            yield from _flatten(value, key + ".")
        else:
            yield key, value


@dataclass(eq=False)
class _Layer:
    source: str
    values: dict[str, Any] = field(default_factory=dict)  # key → checked value
    locked: set[str] = field(default_factory=set)
    problems: list[ConfigProblem] = field(default_factory=list)


def read_file(path: Path, *, may_lock: bool) -> _Layer | None:
    """One settings file as a layer; None when it does not exist."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        layer = _Layer(str(path))
        layer.problems.append(
            ConfigProblem(
                str(path),
                None,
                None,
                Msg(f"无法读取({exc}),整个文件被忽略", f"cannot be read ({exc}); it is ignored"),
            )
        )
        return layer
    return parse_text(text, str(path), base=path.parent, may_lock=may_lock)


def parse_text(text: str, source: str, *, base: Path | None, may_lock: bool) -> _Layer:
    """Check a TOML text setting by setting; what is wrong becomes a problem, not an error."""
    layer = _Layer(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        layer.problems.append(_syntax_problem(source, text, exc))
        return layer
    lines = _key_lines(text)

    def problem(key: str, reason: Msg) -> None:
        layer.problems.append(ConfigProblem(source, lines.get(key), key, reason))

    for key, raw in _flatten(data):
        if key == LOCKED_KEY:
            if not may_lock:
                problem(
                    key,
                    Msg(
                        "只有 IT 的配置文件可以锁定设置,已忽略",
                        "only IT's configuration file can lock settings; ignored",
                    ),
                )
            elif not isinstance(raw, list) or any(k not in SETTINGS for k in raw):
                problem(
                    key,
                    Msg(
                        "应为设置名的列表,可选:{k},已忽略",
                        "must be a list of setting names from {k}; ignored",
                    ).format(k=", ".join(SETTINGS)),
                )
            else:
                layer.locked.update(raw)
            continue
        setting = SETTINGS.get(key)
        if setting is None:
            problem(
                key,
                Msg("未知的设置(可用:{k}),已忽略", "unknown setting (known: {k}); ignored").format(
                    k=", ".join(SETTINGS)
                ),
            )
            continue
        try:
            layer.values[key] = setting.check(raw, base)
        except InvalidSetting as exc:
            problem(
                key,
                Msg(f"{exc.reason.zh},已忽略该项", f"{exc.reason.en}; this setting is ignored"),
            )
    return layer


def parse_overrides(pairs: Sequence[str]) -> _Layer:
    """``--set KEY=VALUE`` pairs as a layer (relative paths start at the current folder)."""
    layer = _Layer("command line")
    for pair in pairs:
        key, eq, text = pair.partition("=")
        key = key.strip()
        setting = SETTINGS.get(key)
        if not eq or setting is None:
            layer.problems.append(
                ConfigProblem(
                    "command line",
                    None,
                    key or pair,
                    Msg(
                        "应写成 KEY=VALUE,KEY 可选:{k}",
                        "must be KEY=VALUE with KEY one of {k}",
                    ).format(k=", ".join(SETTINGS)),
                )
            )
            continue
        try:
            layer.values[key] = setting.check(setting.parse_text(text.strip()), None)
        except InvalidSetting as exc:
            layer.problems.append(ConfigProblem("command line", None, key, exc.reason))
    return layer


def merge(it_layers: Sequence[_Layer], user: _Layer | None, cli: _Layer | None) -> Config:
    """Apply the layers in order; IT's locked keys ignore the user and command-line layers."""
    locked: set[str] = set()
    for it in it_layers:
        locked |= it.locked
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    problems: list[ConfigProblem] = []
    for layer in (*it_layers, user, cli):
        if layer is None:
            continue
        problems += layer.problems
        from_it = any(layer is it for it in it_layers)
        for key, value in layer.values.items():
            if key in locked and not from_it:
                if layer is cli:
                    problems.append(
                        ConfigProblem(
                            layer.source,
                            None,
                            key,
                            Msg(
                                "该设置已由 IT 锁定,不能更改",
                                "IT has locked this setting; it cannot be changed",
                            ),
                        )
                    )
                continue
            values[key] = value
            origins[key] = layer.source
    config = Config(
        locked=frozenset(locked),
        origins=origins,
        problems=tuple(problems),
        user_file=Path(user.source) if user is not None else None,
    )
    return replace(config, **{SETTINGS[k].attr: v for k, v in values.items()})


def load_config(
    overrides: Sequence[str] = (),
    *,
    it_files: Sequence[Path] | None = None,
    user_file: Path | None = None,
) -> Config:
    """Read IT's files, the user's settings and ``--set`` overrides into one :class:`Config`."""
    it_layers = [
        layer
        for path in (it_config_files() if it_files is None else it_files)
        if (layer := read_file(path, may_lock=True)) is not None
    ]
    user_path = user_file or user_settings_file()
    user = read_file(user_path, may_lock=False) or _Layer(str(user_path))
    config = merge(it_layers, user, parse_overrides(overrides))
    return replace(
        config,
        it_files=None if it_files is None else tuple(it_files),
        overrides=tuple(overrides),
        user_file=user_path,
    )


def check_value(key: str, raw: Any, base: Path | None = None) -> Any:
    """The value ``key`` would take from ``raw`` (as TOML would give it).

    Raises:
        InvalidSetting: the value is not acceptable; ``reason`` says why.
    """
    return SETTINGS[key].check(raw, base)


# ---- writing the user's settings -----------------------------------------------------------
def _toml_value(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str | Path | list | tuple):
        raise TypeError(f"cannot write {value!r} as a setting")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a valid TOML basic string (the same escapes).
    return json.dumps(str(value), ensure_ascii=False)


def save_user_settings(path: Path, values: Mapping[str, Any]) -> None:
    """Write the user's own settings (only known keys) as TOML, replacing the file whole."""
    tables: dict[str, list[str]] = {}
    for key, value in values.items():
        if key not in SETTINGS:
            raise KeyError(key)
        if value is None:
            continue
        table, _, name = key.rpartition(".")
        tables.setdefault(table, []).append(f"{name} = {_toml_value(value)}")
    text = "# FieldCRM: your own settings (written by the Settings screen).\n"
    for table, lines in tables.items():
        text += f"\n[{table}]\n" + "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)


def user_values(config: Config) -> dict[str, Any]:
    """The settings that came from the user's own file (what the Settings screen edits)."""
    source = str(config.user_file) if config.user_file else None
    return {k: config.value(k) for k, origin in config.origins.items() if origin == source}


__all__ = [
    "CONFIG_FILE",
    "SETTINGS",
    "Config",
    "ConfigProblem",
    "InvalidSetting",
    "check_value",
    "it_config_files",
    "load_config",
    "save_user_settings",
    "system_config_dir",
    "user_settings_file",
    "user_values",
]


# Shown when someone tries to use another server than the one IT locked.
URL_LOCKED = Msg(
    "服务器地址由 IT 设定({u}),不能改用其他地址",
    "IT has set the server address ({u}); another address cannot be used",
)
