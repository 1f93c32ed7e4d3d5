"""``python -m partxl``: the same as the ``partxl`` command."""

from .cli import main

main()
