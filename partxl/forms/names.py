"""The defined names of answer cells: how every stage finds an answer, in a workbook and in a record.

A scalar field ``name`` of form ``info`` is ``info_name``; row ``2`` of table ``reps``, column
``started``, is ``info_reps_2_started``; a fixed row ``trust`` of table ``features`` is
``assessment_features_trust_score``. The underscore means a name is never a cell address.
"""

from __future__ import annotations

import functools
import sys


@functools.lru_cache(maxsize=16384)  # a form has a few hundred names, asked for with every answer read
def cell_name(form_id: str, item_id: str, row: str | None = None, column: str | None = None) -> str:
    """The workbook-level defined name of an input cell; an underscore means it is never a cell address."""
    parts = [form_id, item_id] + ([row, column or ""] if row is not None else [])
    return sys.intern("_".join(parts))  # one copy of each name, however many partnerships' answers it keys


@functools.lru_cache(maxsize=16384)
def ref_name(form_id: str, ref: str, row_key: str | None = None) -> str:
    """The cell name a rule reference means: ``name``, ``form:name``, or ``table.column`` on row ``row_key``."""
    if ":" in ref:
        other_form, ref = ref.split(":", 1)
        return cell_name(other_form, ref)
    item_id, _, column = ref.partition(".")
    if column:
        return cell_name(form_id, item_id, row_key or "", column)
    return cell_name(form_id, item_id)
