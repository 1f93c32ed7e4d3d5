"""One base for every error that stops partxl from running at all.

Problems with a return or a register row are findings (``partxl.findings``), collected and
reported; these exceptions are for the cases where no work can go on: a configuration or a
form definition to fix, a register that cannot be read, a folder that cannot be written. The
command line catches :class:`PartxlError` and prints its message (exit code 2); a script can
catch it in the same way.
"""

from __future__ import annotations


class PartxlError(Exception):
    """partxl could not do what was asked; the message says why, in words an officer can act on."""
