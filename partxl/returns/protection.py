"""How a workbook is protected, from its bytes: a Microsoft 365 sensitivity label, rights management, or a password.

Excel encrypts a workbook the same way on the outside for all three — an OLE compound file in place of the
.xlsx package, holding ``EncryptedPackage`` — so a reader that only sees "encrypted" tells the officer to remove
a password they never set. What differs is inside ([MS-OFFCRYPTO] 2.2 and 2.6): a password gives the data space
``StrongEncryptionDataSpace`` with its key in ``EncryptionInfo``; rights management (Azure RMS, which a
sensitivity label with encryption uses) gives ``DRMEncryptedDataSpace`` and ``DRMEncryptedTransform``, whose
``\\x06Primary`` stream holds the publishing licence; a label's own metadata sits in the ``LabelInfo`` stream
(``mipLabelMetadata``) or, from older clients, in custom properties named ``MSIP_Label_<id>_…``.
An .xlsx that is not encrypted may still carry a label (``docProps/custom.xml``); it reads as any other.

Only the compound file's directory and a few small streams are read (olefile, imported when one is met).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
NONE, PASSWORD, RIGHTS, LABEL = "", "password", "rights management", "sensitivity label"
_RIGHTS_ENTRIES = {"\x06dataspaces/transforminfo/drmencryptedtransform", "\x06dataspaces/dataspaceinfo/drmencrypteddataspace",
                   "\x06dataspaces/dataspaceinfo/\tdrmdataspace", "\x06dataspaces/transforminfo/\tdrmtransform"}
_SMALL_STREAM = 1 << 20  # streams searched for a label's traces: property sets, licences, LabelInfo (a few kilobytes)
_LABEL_ID = re.compile(r"MSIP_Label_([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})")
_LABEL_NAME = re.compile(r"MSIP_Label_[0-9a-fA-F-]{36}_Name[\"']?\s*[^>]*>\s*(?:<[^>]*>\s*)*([^<\x00]{1,100}?)\s*<")


@dataclass(frozen=True)
class Protection:
    """What protects a workbook (``kind``: NONE, PASSWORD, RIGHTS or LABEL) and the label it carries, if it names one."""

    kind: str = NONE
    label: str = ""  # the label's name where the file gives it, else 'label <id>'; '' when none is seen

    @property
    def unreadable(self) -> bool:
        """Encrypted so that no password opens it: only someone the rights allow can, in Office."""
        return self.kind in (RIGHTS, LABEL)

    def describe(self) -> str:
        """'a Microsoft 365 sensitivity label ('Official – Sensitive') with encryption', say, for a finding."""
        if self.kind == LABEL:
            named = f" ('{self.label}')" if self.label and not self.label.startswith("label ") else ""
            return f"a Microsoft 365 sensitivity label{named} that encrypts it"
        if self.kind == RIGHTS:
            return "rights management (Microsoft 365 'Restrict Access' or Azure Information Protection)"
        if self.kind == PASSWORD:
            return "a password to open"
        return "nothing"


def protection_of(data: bytes) -> Protection:
    """How the workbook in ``data`` is protected, as far as its bytes show (see the module's docstring)."""
    if data.startswith(OLE_MAGIC):
        return _compound(data)
    if data.startswith(ZIP_MAGIC):
        return Protection(NONE, _package_label(data))
    return Protection()


def _compound(data: bytes) -> Protection:
    """An OLE compound file: encrypted with a password, with rights management (and a label?), or not encrypted (.xls)."""
    try:
        import olefile

        ole = olefile.OleFileIO(data)
    except Exception:  # olefile refuses a damaged directory in many ways; the workbook reader will say it is damaged
        return Protection()
    try:
        entries = {"/".join(path).lower(): path for path in ole.listdir(streams=True, storages=True)}
        rights = bool(_RIGHTS_ENTRIES & set(entries))
        text = _label_text(ole, [path for name, path in entries.items() if _may_hold_label(name)])
    finally:
        ole.close()
    label = _label_in(text)
    if rights:
        return Protection(LABEL if label or "miplabelmetadata" in text.lower() else RIGHTS, label)
    if "encryptedpackage" in entries or "encryptioninfo" in entries:
        return Protection(PASSWORD, label)
    return Protection(NONE, label)


def _may_hold_label(name: str) -> bool:
    return name.endswith(("documentsummaryinformation", "labelinfo", "\x06primary")) or "drmencryptedtransform/" in name


def _label_text(ole: Any, paths: list[list[str]]) -> str:
    """The small streams that may name a label, as text (UTF-16 property names and UTF-8 licences alike)."""
    texts = []
    for path in paths:
        try:
            if ole.get_size(path) > _SMALL_STREAM:  # olefile is untyped: Any
                continue
            raw = ole.openstream(path).read(_SMALL_STREAM)
        except Exception:
            continue
        texts += [raw.decode("latin-1"), raw.decode("utf-16-le", "ignore"), raw.decode("utf-8", "ignore")]
    return "\n".join(texts)


def _label_in(text: str) -> str:
    """The label's name where the text gives one, else 'label <id>'; '' when it names no label."""
    name = _LABEL_NAME.search(text)
    if name:
        return name.group(1).strip()
    found = _LABEL_ID.search(text)
    return f"label {found.group(1).lower()}" if found else ""


def _package_label(data: bytes) -> str:
    """The label an unencrypted .xlsx carries in ``docProps/custom.xml`` (only if small: it always is)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            info = next((i for i in package.infolist() if i.filename.lower() == "docprops/custom.xml"), None)
            if info is None or info.file_size > _SMALL_STREAM:
                return ""
            text = package.read(info)[:_SMALL_STREAM].decode("utf-8", "ignore")
    except Exception:  # a damaged package: the workbook reader says so
        return ""
    return _custom_property_label(text)


def _custom_property_label(text: str) -> str:
    """docProps/custom.xml: ``<property name="MSIP_Label_<id>_Name"><vt:lpwstr>Official</vt:lpwstr></property>``."""
    if not _LABEL_ID.search(text):
        return ""
    enabled = re.search(r"MSIP_Label_[0-9a-fA-F-]{36}_Enabled\"[^>]*>\s*<[^>]*>\s*(\w+)", text)
    if enabled and enabled.group(1).lower() not in ("true", "1"):
        return ""
    return _label_in(text)
