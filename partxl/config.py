"""Configuration: one documented TOML file, overlaid on the shipped defaults.

The defaults (``default_config.toml``, which is also what ``partxl init`` writes) make the
samples run with no file at all. A council's file only needs what differs; every key it
gives is checked, so a typo is an error naming the file and the key, not a silent default.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import tomllib
import unicodedata
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
SAMPLE_KEY = "partxl-sample-key-not-secret"  # published with partxl: it signs the samples, and so can anyone
MIN_KEY_LENGTH = 32  # characters: HMAC-SHA256 asks a key at least as long as its 32-byte output
SAMPLE_NOTE = "SAMPLE, not for real returns: signed with partxl's published sample key, so a forged return cannot be told apart"
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
    sample: bool = False  # [integrity] sample: the shipped samples' settings; every output says SAMPLE

    def signing_key(self) -> str:
        """The integrity key, when it can tell a workbook partxl issued from a forged one; else a :class:`ConfigError`
        saying how to make one. No key, an empty or short one, or the published sample key outside a configuration
        marked as a sample, would let anyone sign a return as genuine, so nothing is issued or accepted with them."""
        key = self.integrity_key
        if self.sample and key.strip():
            return key
        problem = ("has no [integrity] key" if not key.strip() else
                   "uses the published sample key as its [integrity] key" if key.strip() == SAMPLE_KEY else
                   f"has an [integrity] key of only {len(key)} characters" if len(key) < MIN_KEY_LENGTH else "")
        if not problem:
            return key
        import secrets

        where = self.source or DEFAULTS_PATH
        raise ConfigError(
            f"{where}: {problem}, so partxl could not tell a workbook it issued from a forged one and will neither issue "
            f"nor accept returns. Put a secret key of your own in {where.name}, for example this fresh random one: "
            f'[integrity] key = "{secrets.token_hex(32)}" (keep it out of e-mails and shared folders; `partxl init DIR` '
            f"writes a new partxl.toml with one). Workbooks issued under another key no longer pass: issue them again with "
            f"`partxl generate`. To try partxl on its shipped samples instead, add sample = true under [integrity]: "
            f"every register and report then says SAMPLE.")

    @property
    def sample_note(self) -> str:
        """What every output of a sample configuration says of itself (empty for a council's own)."""
        return SAMPLE_NOTE if self.sample else ""

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


def clean(value: str) -> str:
    """Text as partxl keys and signs it: composed Unicode (NFC), single spaces, none at either end.

    A cell's reader strips surrounding spaces and some clients save decomposed accents composed, so a council
    or cycle name configured with a trailing space must mean the same as without one: on the workbooks signed
    with it, and in the ledger, which keys returns by cycle.
    """
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML: {exc}") from None


class Problems:
    """Every problem of one configuration file, gathered so that the council fixes them in one go, not one per run."""

    def __init__(self, where: Path):
        self.where = where
        self.found: list[str] = []

    def add(self, problem: str) -> None:
        self.found.append(problem)

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise ConfigError(f"{self.where}: {self.found[0]}")
        if self.found:
            listed = "\n".join(f"  - {p}" for p in self.found)
            raise ConfigError(f"{self.where}: {len(self.found)} problems, each to correct:\n{listed}")


def _merge(defaults: dict[str, Any], user: dict[str, Any], problems: Problems) -> dict[str, Any]:
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in defaults.items()}
    for section, values in user.items():
        if section not in defaults and section not in LISTS:
            problems.add(f"unknown section [{section}]; known: {', '.join(sorted(set(defaults) | LISTS))}")
        elif isinstance(defaults.get(section), dict):
            if not isinstance(values, dict):
                problems.add(f"[{section}] should be a table of keys")
                continue
            allowed = set(defaults[section]) | OPTIONAL_KEYS.get(section, set())
            for key in values:
                if key not in allowed:
                    problems.add(f"unknown key '{key}' in [{section}]; known: {', '.join(sorted(allowed))}")
            merged[section].update({k: v for k, v in values.items() if k in allowed})
        else:
            merged[section] = values
    return merged


_FALLBACK: dict[type, Any] = {str: "", int: 0, float: 1.0, bool: False}
# A line break or a control character (escape, NUL, ...) in a name: it would split an e-mail header, or paint the MIO's
# terminal, wherever the name is shown (U+0085, U+2028 and U+2029 are line breaks too).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _typed(data: dict[str, Any], section: str, key: str, kind: type, problems: Problems, *, secret: bool = False) -> Any:
    """``[section] key`` when it is a ``kind`` (an int does for a float); otherwise a problem, and a stand-in. Text is
    one line (a ``secret`` - a password, a key - is never shown or put in a header, so it may hold anything)."""
    value: Any = data[section].get(key)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        problems.add(f"[{section}] {key} should be {_KIND_WORDS[kind]}, found {value!r}")
        return _FALLBACK[kind]
    if isinstance(value, float) and not math.isfinite(value):
        problems.add(f"[{section}] {key} should be an ordinary number, found {value!r} (write the amount, such as 100000)")
        return _FALLBACK[kind]
    if isinstance(value, str) and not secret:
        _one_line(value, f"[{section}] {key}", problems)
    return value


_KIND_WORDS = {str: 'text in quotes, such as "Wexbridge"', int: "a whole number, such as 12",
               float: "a number, such as 100000", bool: "true or false"}


def _one_line(value: str, what: str, problems: Problems) -> str:
    """``value`` when it holds no line break or control character; such a character is a problem, shown as an escape."""
    bad = _CONTROL.search(value)
    if bad:
        problems.add(f"{what} holds a line break or control character ({bad.group()!r}) in {value!r}: it goes into "
                     "e-mail headers, workbooks and the terminal; write it on one line, with letters, digits and punctuation")
    return value


def _needed(value: str, what: str, example: str, problems: Problems) -> str:
    if not value.strip():
        problems.add(f"{what} is empty; write {example}")
    return value


def _address(value: str, what: str, problems: Problems) -> str:
    """An e-mail address: one @, nothing that splits an address list or a header (spaces, commas, <, >, quotes)."""
    if not _CONTROL.search(value) and not re.fullmatch(r"[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+", value.strip()):
        problems.add(f"{what} is {value!r}, which is not one e-mail address; write it as name@council.gov.uk")
    return value.strip()


def _text_list(raw: Any, what: str, example: str, problems: Problems) -> tuple[str, ...]:
    """A list of one-line texts, at least one: a bare text here would be read letter by letter, so it is refused."""
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        hint = f' (a single text needs brackets: ["{raw}"])' if isinstance(raw, str) else ""
        problems.add(f"{what} should be a list of texts in square brackets, such as {example}, found {raw!r}{hint}")
        return ()
    if not [x for x in raw if x.strip()]:
        problems.add(f"{what} is empty; list at least one, such as {example}")
    for x in raw:
        _one_line(x, what, problems)
    return tuple(raw)


def load_config(path: Path | None = None, *, today: dt.date | None = None) -> Config:
    """Load ``path``, or ``./partxl.toml`` if present, over the defaults. Every value is checked, and every problem of
    the file is raised together in one ConfigError naming the file, each key, and what to write instead."""
    if path is None and Path(CONFIG_NAME).is_file():
        path = Path(CONFIG_NAME)
    data, where, base = _read_toml(DEFAULTS_PATH), DEFAULTS_PATH, Path.cwd()
    problems = Problems(where)
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such configuration file (create one with `partxl init DIR`)")
        data["cycle"].pop("issue_date")  # the samples' fixed date; a council's own file means "today"
        data.pop("members", None)  # the samples' Members are not a council's: a file written before [[members]] has none
        data["integrity"] = {"key": "", "sample": False}  # the samples' published key is never a council's by default
        problems = Problems(path)
        data = _merge(data, _read_toml(path), problems)
        where, base = path, path.resolve().parent
    config = _build(data, where, base, today, problems, path)
    problems.raise_any()
    return config


def _build(data: dict[str, Any], where: Path, base: Path, today: dt.date | None, problems: Problems,
           path: Path | None) -> Config:
    """The Config of the merged ``data``, each problem noted in ``problems`` (with a stand-in value, so that the rest
    is still checked)."""
    def typed(section: str, key: str, kind: type, secret: bool = False) -> Any:
        return _typed(data, section, key, kind, problems, secret=secret)

    issue = data["cycle"].get("issue_date") or today or dt.date.today()
    templates_raw = typed("paths", "templates", str) if "templates" in data["paths"] else ""
    officers = _people(data, "officers", problems)
    members = _people(data, "members", problems)
    if not officers:
        problems.add("[[officers]] lists no officer; each partnership's lead must be one: add an [[officers]] entry "
                     'with name = "…" and email = "…"')
    names = [o.name.casefold() for o in officers + members]
    if len(set(names)) != len(names):
        problems.add("two officers or Members have the same name")
    threshold = typed("policy", "grant_threshold", float)
    if threshold <= 0:
        problems.add(f"[policy] grant_threshold should be more than 0, found {threshold!r} (the guidance's is 100000)")
    interval = typed("policy", "review_interval_months", int)
    if not 1 <= interval <= MAX_REVIEW_MONTHS:
        problems.add(f"[policy] review_interval_months should be from 1 to {MAX_REVIEW_MONTHS} months, found {interval} "
                     "(the policy's is 12: at least annually)")
    port = typed("smtp", "port", int)
    if not 1 <= port <= 65535:
        problems.add(f"[smtp] port should be from 1 to 65535, found {port} (25, or 587 with starttls)")
    register = typed("paths", "register", str)
    deadline, issued = _date(data["cycle"]["deadline"], "deadline", problems), _date(issue, "issue_date", problems)
    if data["cycle"].get("issue_date") and deadline < issued:  # a date the file fixes; "today" may well be past it
        problems.add(f"[cycle] deadline {deadline:%Y-%m-%d} is before issue_date {issued:%Y-%m-%d}: returns cannot be due "
                     "before the workbooks are issued; correct one of them")
    return Config(
        council=clean(_needed(typed("council", "name", str), "[council] name", '"Wexbridge District Council"', problems)),
        cycle=clean(_needed(typed("cycle", "name", str), "[cycle] name", '"2026/27"', problems)),
        deadline=deadline,
        issue_date=issued,
        grant_threshold=threshold,
        review_interval_months=interval,
        register=base / _needed(register, "[paths] register", '"register.xlsx"', problems),
        templates=(base / templates_raw) if templates_raw else TEMPLATES_DIR,
        mio_name=_needed(typed("mio", "name", str), "[mio] name", '"Priya Shah"', problems),
        mio_email=_address(typed("mio", "email", str), "[mio] email", problems),
        protection_password=typed("workbook", "protection_password", str, secret=True),
        integrity_key=typed("integrity", "key", str, secret=True),
        strategic_objectives=_text_list(data["lists"]["strategic_objectives"], "[lists] strategic_objectives",
                                        '["Our environment", "Our people"]', problems),
        officers=officers,
        smtp=Smtp(host=typed("smtp", "host", str), port=port,
                  starttls=typed("smtp", "starttls", bool), username=typed("smtp", "username", str),
                  password_env=typed("smtp", "password_env", str),
                  cafile=str(base / c) if (c := typed("smtp", "cafile", str)) else ""),
        public_fields=_text_list(data["publish"]["fields"], "[publish] fields", '["Partnership ID", "Partnership name"]',
                                 problems),
        public_licence=_licence(data["publish"].get("licence"), problems),
        language=_language(typed("council", "language", str), problems),
        members=members,
        agreement_types=_lists(data["policy"].get("agreement_types"), "agreement_types", problems),
        significant_if=_names(data["policy"].get("significant_if"), "significant_if", problems),
        source=path,
        sample=typed("integrity", "sample", bool),
    )


MAX_REVIEW_MONTHS = 120  # ten years: the policy asks a review at least annually; more is a typo (days, not months)


def _language(tag: str, problems: Problems) -> str:
    """[council] language: a BCP 47 tag such as en-GB or cy-GB."""
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", tag):
        problems.add(f"[council] language should be a language tag such as en-GB or cy-GB, found {tag!r}")
        return "en-GB"
    return tag


def _licence(raw: Any, problems: Problems) -> tuple[tuple[str, str], ...]:
    """[publish] licence: a table of name (an SPDX identifier), path (its web address) and title, all text."""
    if raw is None:
        return ()
    if (not isinstance(raw, dict) or set(raw) - {"name", "path", "title"}
            or not all(isinstance(v, str) for v in raw.values()) or not (raw.get("name") or raw.get("path"))):
        problems.add('[publish] licence should be a table such as {name = "OGL-UK-3.0", path = "https://…", '
                     'title = "Open Government Licence v3.0"} (a name or a path at least)')
        return ()
    return tuple((k, _one_line(raw[k], f"[publish] licence {k}", problems)) for k in ("name", "path", "title") if raw.get(k))


def _lists(raw: Any, key: str, problems: Problems) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A [policy] table of lists, such as agreement_types: each key (a category) names a list of answers, at least one
    (an empty list would accept no agreement at all: a category the council does not restrict is left out)."""
    if not isinstance(raw, dict) or not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in raw.values()):
        problems.add(f'[policy] {key} should be a table of lists, such as "Network group / forum" = '
                     f'["Terms of reference"], found {raw!r}')
        return ()
    for category, accepted in raw.items():
        if not accepted:
            problems.add(f"[policy] {key} gives {category!r} an empty list, which no answer could meet; list what it "
                         "accepts, or leave the category out to accept any")
    return tuple((str(k), tuple(v)) for k, v in raw.items())


def _names(raw: Any, key: str, problems: Problems) -> tuple[str, ...]:
    """A [policy] list of field ids, such as significant_if (checked against the forms when the workspace loads)."""
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        problems.add(f'[policy] {key} should be a list of answers of the Significance sheet, such as '
                     f'["key_to_priorities", "national_influence"], found {raw!r}')
        return ()
    return tuple(raw)


def _date(value: Any, key: str, problems: Problems) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    problems.add(f"{key} should be a date written YYYY-MM-DD, found {value!r}")
    return dt.date(2000, 1, 1)


def _people(data: dict[str, Any], section: str, problems: Problems) -> tuple[Officer, ...]:
    raw = data.get(section, [])
    if not isinstance(raw, list):
        problems.add(f"{section} should be a list of [[{section}]] entries, each with name and email, found {raw!r}")
        return ()
    return tuple(o for o in (_officer(r, problems, section) for r in raw) if o is not None)


def _officer(raw: Any, problems: Problems, section: str = "officers") -> Officer | None:
    if not isinstance(raw, dict) or not {"name", "email"} <= set(raw) or set(raw) - {"name", "email", "service"} \
            or not all(isinstance(v, str) for v in raw.values()):
        problems.add(f"each [[{section}]] entry needs name and email (and may have service), all text, found {raw!r}")
        return None
    name = _one_line(raw["name"], f"[[{section}]] name", problems)
    what = f"[[{section}]] {' '.join(name.split())!r}"
    _needed(name, f"[[{section}]] name (of {raw['email']!r})", '"Alan Whitfield"', problems)
    return Officer(name=" ".join(name.split()), email=_address(raw["email"], f"{what} email", problems),
                   service=_one_line(raw.get("service", ""), f"{what} service", problems))


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
        text = text.replace(f'key = "{SAMPLE_KEY}"', f'key = "{secrets.token_hex(32)}"')
        text = text.replace("\nsample = true\n", "\nsample = false\n")
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
