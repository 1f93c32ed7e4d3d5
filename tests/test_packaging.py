"""What a fresh `pip install .` ships: every subpackage of partxl, its data files, and the public API."""

from __future__ import annotations

import tomllib

import partxl

from .conftest import REPO


def test_every_subpackage_is_in_the_wheel():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "partxl").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages in pyproject.toml"


def test_the_public_api_is_what_all_says():
    assert partxl.__version__
    for name in partxl.__all__:
        assert getattr(partxl, name) is not None, name
    assert not [n for n in partxl.__all__ if n.startswith("_") and n != "__version__"]
