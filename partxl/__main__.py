"""``python -m partxl``: the same as the ``partxl`` command."""

from partxl.cli import main

main()
