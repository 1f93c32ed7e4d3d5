"""Which files of the returns folder are containers (a saved e-mail, an Outlook message, a mailbox, an archive).

Kept apart from :mod:`partxl.returns.containers` so that telling one apart costs no import of the ``email``
package: a folder of plain workbooks never pays for reading mail.
"""

from __future__ import annotations

from pathlib import Path

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".ods", ".xls"})
MESSAGE_SUFFIXES = frozenset({".eml", ".msg"})
ARCHIVE_SUFFIXES = frozenset({".zip"})
MAILBOX_SUFFIXES = frozenset({".mbox", ".mbx"})
CONTAINER_SUFFIXES = MESSAGE_SUFFIXES | ARCHIVE_SUFFIXES | MAILBOX_SUFFIXES
MAILBOX_NAMES = ("mbox", "inbox", "sent")  # Apple Mail's export holds a file 'mbox'; Thunderbird's folders have no suffix
LEDGER_NAME = "ledger.sqlite"  # consolidate's ledger, in its output folder: a folder holding one is partxl's, not returns


def is_container(path: Path) -> bool:
    """Whether ``path`` is for :func:`partxl.returns.containers.unpack` rather than the workbook reader: by its suffix,
    or a mailbox with none (Apple Mail's export is a folder holding a file called 'mbox'; Thunderbird's folders are
    files without one). Only a regular file is opened to look (a named pipe would wait for ever)."""
    suffix = path.suffix.lower()
    if suffix in CONTAINER_SUFFIXES:
        return True
    if suffix or path.name.lower() not in MAILBOX_NAMES or not path.is_file():
        return False
    try:
        with open(path, "rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False
