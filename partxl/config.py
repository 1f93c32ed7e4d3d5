"""Configuration: one documented TOML file, overlaid on the shipped defaults.

The defaults (``default_config.toml``, which is also what ``partxl init`` writes) make the
samples run with no file at all. A council's file only needs what differs; every key it
gives is checked, so a typo is an error naming the file and the key, not a silent default.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from partxl.errors import PartxlError

DEFAULTS_PATH = Path(__file__).resolve().parent / "default_config.toml"
CONFIG_NAME = "partxl.toml"


def _shipped_templates() -> Path:
    """The repository's ``workbook_templates/`` in a checkout; the copy inside the package when installed."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / "workbook_templates"
    return checkout if (checkout / "workbook.yaml").is_file() else here / "workbook_templates"


TEMPLATES_DIR = _shipped_templates()

OPTIONAL_KEYS = {"cycle": {"issue_date"}, "paths": {"templates"}}
LISTS = {"officers", "members"}  # lists of [[tables]]: a council's file replaces the shipped list


class ConfigError(PartxlError):
    """A configuration file that cannot be used, with the file and key at fault."""


@dataclass(frozen=True)
class Officer:
    name: str
    email: str
    service: str = ""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    starttls: bool
    username: str
    password_env: str
    cafile: str


@dataclass(frozen=True)
class Config:
    council: str
    cycle: str
    deadline: dt.date
    issue_date: dt.date
    grant_threshold: float
    review_interval_months: int
    register: Path
    templates: Path
    mio_name: str
    mio_email: str
    protection_password: str
    integrity_key: str
    strategic_objectives: tuple[str, ...]
    officers: tuple[Officer, ...]
    smtp: Smtp
    public_fields: tuple[str, ...] = ()
    public_licence: tuple[tuple[str, str], ...] = ()  # [publish] licence: the open-data licence's name, path and title
    language: str = "en-GB"  # [council] language: what every document declares, for screen readers
    members: tuple[Officer, ...] = ()  # [[members]]: Members who may lead a partnership, as officers do
    agreement_types: tuple[tuple[str, tuple[str, ...]], ...] = ()  # [policy] agreement_types: category -> accepted types
    significant_if: tuple[str, ...] = ()  # [policy] significant_if: the Significance answers that make a partnership significant
    source: Path | None = None  # the file read, or None for the defaults

    def officer(self, name: str) -> Officer | None:
        """The officer or Member of that name (spacing and case aside): whom a partnership's workbook goes to."""
        key = " ".join(name.split()).casefold()
        return next((o for o in self.officers + self.members if o.name.casefold() == key), None)

    def choice_list(self, source: str) -> tuple[str, ...]:
        """The values behind a ``choices_from`` in a form definition."""
        if source == "officers":
            return tuple(o.name for o in self.officers)
        if source == "leads":  # the policy lets "the lead officer or Member" lead
            return tuple(o.name for o in self.officers + self.members)
        return self.strategic_objectives

    @property
    def thresholds(self) -> dict[str, float]:
        """The settings a form's worked-out values compare with, by name (``threshold:`` in a form file)."""
        return {"grant_threshold": self.grant_threshold}

    def accepted(self, setting: str, answer: str) -> tuple[str, ...] | None:
        """The answers a setting such as ``agreement_types`` accepts for ``answer`` (a category); None: any."""
        lists = dict(getattr(self, setting))
        return lists.get(answer)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML: {exc}") from None


def _merge(defaults: dict[str, Any], user: dict[str, Any], path: Path) -> dict[str, Any]:
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in defaults.items()}
    for section, values in user.items():
        if section not in defaults and section not in LISTS:
            raise ConfigError(f"{path}: unknown section [{section}]; known: {', '.join(sorted(set(defaults) | LISTS))}")
        if isinstance(defaults.get(section), dict):
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: [{section}] should be a table of keys")
            allowed = set(defaults[section]) | OPTIONAL_KEYS.get(section, set())
            for key in values:
                if key not in allowed:
                    raise ConfigError(f"{path}: unknown key '{key}' in [{section}]; known: {', '.join(sorted(allowed))}")
            merged[section].update(values)
        else:
            merged[section] = values
    return merged


def _typed(data: dict[str, Any], section: str, key: str, kind: type, path: Path) -> Any:
    value = data[section].get(key)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"{path}: [{section}] {key} should be {kind.__name__}, found {value!r}")
    return value


def load_config(path: Path | None = None, *, today: dt.date | None = None) -> Config:
    """Load ``path``, or ``./partxl.toml`` if present, over the defaults."""
    if path is None and Path(CONFIG_NAME).is_file():
        path = Path(CONFIG_NAME)
    data, where, base = _read_toml(DEFAULTS_PATH), DEFAULTS_PATH, Path.cwd()
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such configuration file (create one with `partxl init DIR`)")
        data["cycle"].pop("issue_date")  # the samples' fixed date; a council's own file means "today"
        data.pop("members", None)  # the samples' Members are not a council's: a file written before [[members]] has none
        data = _merge(data, _read_toml(path), path)
        where, base = path, path.resolve().parent
    issue = data["cycle"].get("issue_date") or today or dt.date.today()
    templates_raw = data["paths"].get("templates")
    officers = tuple(_officer(o, where) for o in data.get("officers", []))
    members = tuple(_officer(o, where, "members") for o in data.get("members", []))
    names = [o.name.casefold() for o in officers + members]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: two officers or Members have the same name")
    threshold = _typed(data, "policy", "grant_threshold", float, where)
    if threshold <= 0:
        raise ConfigError(f"{where}: [policy] grant_threshold should be more than 0")
    return Config(
        council=_typed(data, "council", "name", str, where),
        cycle=_typed(data, "cycle", "name", str, where),
        deadline=_date(data["cycle"]["deadline"], "deadline", where),
        issue_date=_date(issue, "issue_date", where),
        grant_threshold=threshold,
        review_interval_months=_typed(data, "policy", "review_interval_months", int, where),
        register=base / _typed(data, "paths", "register", str, where),
        templates=(base / templates_raw) if templates_raw else TEMPLATES_DIR,
        mio_name=_typed(data, "mio", "name", str, where),
        mio_email=_typed(data, "mio", "email", str, where),
        protection_password=_typed(data, "workbook", "protection_password", str, where),
        integrity_key=_typed(data, "integrity", "key", str, where),
        strategic_objectives=tuple(str(x) for x in data["lists"]["strategic_objectives"]),
        officers=officers,
        smtp=Smtp(host=_typed(data, "smtp", "host", str, where), port=_typed(data, "smtp", "port", int, where),
                  starttls=_typed(data, "smtp", "starttls", bool, where), username=_typed(data, "smtp", "username", str, where),
                  password_env=_typed(data, "smtp", "password_env", str, where),
                  cafile=str(base / c) if (c := _typed(data, "smtp", "cafile", str, where)) else ""),
        public_fields=tuple(str(x) for x in data["publish"]["fields"]),
        public_licence=_licence(data["publish"].get("licence"), where),
        language=_language(_typed(data, "council", "language", str, where), where),
        members=members,
        agreement_types=_lists(data["policy"].get("agreement_types"), "agreement_types", where),
        significant_if=_names(data["policy"].get("significant_if"), "significant_if", where),
        source=path,
    )


def _language(tag: str, where: Path) -> str:
    """[council] language: a BCP 47 tag such as en-GB or cy-GB."""
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", tag):
        raise ConfigError(f"{where}: [council] language should be a language tag such as en-GB or cy-GB, found {tag!r}")
    return tag


def _licence(raw: Any, where: Path) -> tuple[tuple[str, str], ...]:
    """[publish] licence: a table of name (an SPDX identifier), path (its web address) and title, all text."""
    if raw is None:
        return ()
    if (not isinstance(raw, dict) or set(raw) - {"name", "path", "title"}
            or not all(isinstance(v, str) for v in raw.values()) or not (raw.get("name") or raw.get("path"))):
        raise ConfigError(f'{where}: [publish] licence should be a table such as {{name = "OGL-UK-3.0", path = "https://…", '
                          f'title = "Open Government Licence v3.0"}} (a name or a path at least)')
    return tuple((k, raw[k]) for k in ("name", "path", "title") if raw.get(k))


def _lists(raw: Any, key: str, where: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A [policy] table of lists, such as agreement_types: each key (a category) names a list of answers."""
    if not isinstance(raw, dict) or not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in raw.values()):
        raise ConfigError(f'{where}: [policy] {key} should be a table of lists, such as "Network group / forum" = '
                          f'["Terms of reference"], found {raw!r}')
    return tuple((str(k), tuple(v)) for k, v in raw.items())


def _names(raw: Any, key: str, where: Path) -> tuple[str, ...]:
    """A [policy] list of field ids, such as significant_if (checked against the forms when the workspace loads)."""
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        raise ConfigError(f'{where}: [policy] {key} should be a list of answers of the Significance sheet, such as '
                          f'["key_to_priorities", "national_influence"], found {raw!r}')
    return tuple(raw)


def _date(value: Any, key: str, where: Path) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise ConfigError(f"{where}: {key} should be a date written YYYY-MM-DD, found {value!r}")


def _officer(raw: Any, where: Path, section: str = "officers") -> Officer:
    if not isinstance(raw, dict) or not {"name", "email"} <= set(raw) or set(raw) - {"name", "email", "service"}:
        raise ConfigError(f"{where}: each [[{section}]] entry needs name and email (and may have service), found {raw!r}")
    if "@" not in str(raw["email"]):
        raise ConfigError(f"{where}: officer {raw['name']!r} has e-mail {raw['email']!r}, which is not an address")
    return Officer(name=" ".join(str(raw["name"]).split()), email=str(raw["email"]).strip(), service=str(raw.get("service", "")))


def init_workspace(folder: Path) -> list[Path]:
    """Write a documented ``partxl.toml`` (with a fresh integrity key) and a copy of the forms.

    Existing files are left alone: ``init`` never overwrites what a council has edited.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    import secrets

    config_path = folder / CONFIG_NAME
    if not config_path.exists():
        text = DEFAULTS_PATH.read_text(encoding="utf-8")
        text = text.replace('key = "partxl-sample-key-not-secret"', f'key = "{secrets.token_hex(32)}"')
        text = re.sub(r"^issue_date = ", "# issue_date = ", text, count=1, flags=re.M)
        text = text.replace('# templates = "workbook_templates"', 'templates = "workbook_templates"')
        text = text.replace('register = "samples/register.xlsx"', 'register = "register.xlsx"')
        config_path.write_text(text, encoding="utf-8")
        written.append(config_path)
    templates = folder / "workbook_templates"
    if not templates.exists():
        shutil.copytree(TEMPLATES_DIR, templates, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        written.append(templates)
    return written
