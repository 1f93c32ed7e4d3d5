"""What a workbook says about itself, and the signature that lets ingest trust it.

The metadata sits as plain text on a hidden sheet: text survives every client we tested
(LibreOffice turns integer document properties into floats), and a hidden sheet is read
as fast as any other by the value readers. The signature is an HMAC over every entry, keyed
with the council's secret, so an edited, copied-and-altered or home-made workbook fails
:func:`verify`, while anyone can still read the metadata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, fields

from partxl.config import clean

META_SHEET = "_partxl"
FORMAT = "partxl-1"
SIGNATURE_KEY = "signature"


@dataclass(frozen=True)
class Metadata:
    workbook: str
    forms: str  # "info@1,significance@1,…": form ids and versions, in sheet order
    partnership_id: str
    partnership_name: str
    council: str
    cycle: str
    issued_to: str
    issued_to_email: str
    issued_date: str  # ISO dates: text, so that no client can reinterpret them
    deadline: str
    issue_id: str
    format: str = FORMAT

    def cleaned(self) -> Metadata:
        """Every value as it is written, signed and read back (see :func:`partxl.config.clean`): a value signed as
        configured (a council name with a trailing space, say) would otherwise fail on every genuine return, whose
        reader strips it. A return is verified against what it holds, cleaned the same way, never the configuration."""
        return Metadata(**{f.name: clean(getattr(self, f.name)) for f in fields(self)})

    def entries(self) -> list[tuple[str, str]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]  # every field is text: no deep copy needed

    def heading(self) -> str:
        """Whose workbook it is, as every form sheet's heading shows it: what a copied-in metadata sheet contradicts."""
        return heading(self.partnership_name, self.partnership_id)

    def form_versions(self) -> dict[str, int]:
        pairs = (item.split("@") for item in self.forms.split(",") if item)
        return {form_id: int(version) for form_id, version in pairs}


def heading(name: str, partnership_id: str) -> str:
    """The start of each form sheet's heading (``name (ID) · council · cycle · form``): the partnership it is for."""
    return f"{name} ({partnership_id})" if name else "New partnership proposal"


def make_issue_id(partnership_id: str, cycle: str, issued: dt.date, forms: str) -> str:
    """Stable for the same issue, so re-running generate rewrites nothing."""
    text = "\x1f".join((partnership_id, cycle, issued.isoformat(), forms))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _canonical(meta: Metadata) -> bytes:
    return "\x1e".join(f"{k}\x1f{v}" for k, v in meta.entries()).encode("utf-8")


def sign(meta: Metadata, key: str) -> str:
    """The signature of ``meta`` as cleaned: what :func:`verify` recomputes from the values a return holds."""
    return hmac.new(key.encode("utf-8"), _canonical(meta.cleaned()), hashlib.sha256).hexdigest()


def verify(meta: Metadata, signature: str, key: str) -> bool:
    """Whether ``signature`` is this council's over ``meta`` as read from a return (cleaned, or as it stands: a
    workbook signed before values were cleaned keeps its signature over the raw ones). Compared as bytes:
    compare_digest refuses text that is not ASCII, and a damaged workbook can hold any."""
    given = signature.strip().lower().encode("utf-8", "surrogatepass")
    raw = hmac.new(key.encode("utf-8"), _canonical(meta), hashlib.sha256).hexdigest()
    return hmac.compare_digest(sign(meta, key).encode(), given) or hmac.compare_digest(raw.encode(), given)
