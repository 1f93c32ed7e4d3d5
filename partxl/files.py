"""Files partxl writes: safe names, atomic replacement, and never losing the previous copy."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import stat
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path

SUPERSEDED_DIR = "superseded"
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


# What a terminal or a mail program would act on rather than show: control characters (escape sequences start with
# ESC, or with CSI in C1), line breaks of every kind, the direction overrides that reorder text, and the lone
# surrogates a name that is not UTF-8 decodes to. json.dumps escapes the first 32 itself.
_BEYOND_C0 = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_INVISIBLE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_INVISIBLE_IN_JSON = re.compile(f"[{_BEYOND_C0}]")


def printable(text: str) -> str:
    """``text`` as it may be shown to a person: each control character, line break or direction override written out
    as its escape (``\\x1b``, ``\\n``, ``\\u202e``), so that a file, partnership or officer name from a return can
    neither paint the terminal nor start a line of its own. For text output only: JSON keeps the text exact."""
    return _INVISIBLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def json_printable(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with what it leaves raw but a terminal acts on written as
    ``\\uXXXX`` escapes: the same JSON, read back to exactly the same values."""
    return _INVISIBLE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def safe_filename(text: str, max_length: int = 100) -> str:
    """A file name that Windows, macOS and Linux all accept and that cannot climb out of its folder.

    Characters Windows forbids become '-', runs of dots and spaces collapse, leading and
    trailing dots and spaces go, and reserved device names (CON, NUL, COM1 …) get a suffix.
    """
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE.sub("-", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"-{2,}", "-", text).strip(" .-")
    text = text[:max_length].rstrip(" .-")
    if not text:
        return "unnamed"
    if text.split(".")[0].casefold() in _WINDOWS_RESERVED:
        text += "_"
    return text


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a temporary file beside ``path``, then rename it over ``path``.

    A crash or a full disk part-way leaves the old file as it was and no half-written one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _mode_for(path: Path) -> int:
    """The permissions a file written in place of ``path`` gets: those it had, or what the umask gives a new file
    (0644 under the usual 022). A temporary file is made 0600, which would hide a published page from the web server."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    current = os.umask(0)  # the only way to read it is to set it: put it straight back
    os.umask(current)
    return current


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def replace_keeping_copy(path: Path, data: bytes, now: dt.datetime | None = None) -> str:
    """Write ``data`` to ``path``; return 'written', 'unchanged' or 'superseded'.

    An existing file with other content is first moved to ``superseded/`` beside it, with
    the time in its name, so nothing a user had in the folder is ever overwritten.
    """
    outcome = "written"
    if path.exists():
        if path.read_bytes() == data:
            return "unchanged"
        stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        kept = path.parent / SUPERSEDED_DIR / f"{path.stem}.{stamp}{path.suffix}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        n = 1
        while kept.exists():
            n += 1
            kept = kept.with_name(f"{path.stem}.{stamp}-{n}{path.suffix}")
        shutil.copy2(path, kept)
        outcome = "superseded"
    atomic_write_bytes(path, data)
    return outcome


class NotAFile(Exception):
    """What was found is not a regular file (a named pipe, a device, a folder …); ``what`` says which, in words."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class TooLarge(Exception):
    """A regular file bigger than anything worth reading; ``size`` in bytes."""

    def __init__(self, size: int):
        super().__init__(f"{size:,} bytes")
        self.size = size


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def regular_file(path: Path) -> int:
    """The size of the regular file at ``path``, looked at as :func:`file_sha256` does, without reading a byte of it:
    :class:`NotAFile` for a named pipe, a device or a folder; OSError as the system says it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
    try:
        status = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(status.st_mode):
        raise NotAFile(_described(path, status.st_mode))
    return status.st_size


def file_sha256(path: Path, max_bytes: int) -> tuple[str, int]:
    """SHA-256 and size of the regular file at ``path`` (a link is followed only to a regular file).

    Opened without blocking and checked with fstat before a byte is read, so that a named pipe (which would wait
    for a writer forever) or a device (a link to /dev/zero never ends) is refused, not read: :class:`NotAFile`.
    A file over ``max_bytes`` is refused unread too (:class:`TooLarge`). OSError as the system says it.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise NotAFile(_described(path, status.st_mode))
        if status.st_size > max_bytes:
            raise TooLarge(status.st_size)
        digest, size = hashlib.sha256(), 0
        block = bytearray(max(min(status.st_size + 1, 1 << 20), 1 << 16))  # one buffer, read into: a return in one read
        view = memoryview(block)
        while count := handle.readinto(view):
            digest.update(view[:count])
            size += count
            if size > max_bytes:  # it grew while being read
                raise TooLarge(size)
    return digest.hexdigest(), size


def _described(path: Path, mode: int) -> str:
    """'a named pipe (FIFO)', or 'a link to /dev/zero, a character device', say."""
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    if os.path.islink(path):
        return f"a link to {os.fsencode(os.readlink(path)).decode('utf-8', 'backslashreplace')}, {kind}"
    return kind
