"""Read what a real LibreOffice Calc shows in every cell of many files, in one soffice session.

Run with Debian's /usr/bin/python3 (it has the ``uno`` module from python3-uno):

    /usr/bin/python3 tests/lo_cells.py JOB.json

JOB.json: {"jobs": [{"in": path}, ...]} writes {"results": [{"in": path, "loaded": bool, "error": str,
"sheets": {sheet: {"data": rows, "formulas": rows}}, "names": {name: [sheet, row, column]}}]} to stdout as JSON: for
each sheet, over its used area from A1, what each cell holds as Calc computes it (a number, or text; "" when empty) and
as typed (its formula, or what was typed); and each workbook-level name that Calc resolves to one cell, with that cell
(row and column from 0): where Calc puts an answer in a format whose names openpyxl cannot read (.ods, .xls). Each
sheet is read with two calls, whatever its size. A file Calc cannot load is ``loaded: false``, not a failure: the test
decides what that means. Each document is loaded read-only on soffice's main thread, as lo_type.py does.
"""

import os
import shutil
import sys
import threading

import uno
import unohelper
from com.sun.star.awt import XCallback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lo_type import main, prop  # noqa: E402  (run as a script, beside lo_type.py)


class Read(unohelper.Base, XCallback):
    def __init__(self, ctx, job, workdir):
        self.ctx, self.job, self.workdir = ctx, job, workdir
        self.done, self.result = threading.Event(), None

    def notify(self, _data):
        try:
            self.result = self.run()
        except Exception as exc:  # a file Calc cannot open: said, and the next one read
            self.result = {"in": self.job["in"], "loaded": False, "error": repr(exc)[:300], "sheets": {},
                           "names": {}}
        finally:
            self.done.set()

    def run(self):
        desktop = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
        private = os.path.join(self.workdir, "in" + os.path.splitext(self.job["in"])[1])
        shutil.copyfile(self.job["in"], private)
        url = uno.systemPathToFileUrl(private)
        doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True), prop("ReadOnly", True),
                                                              prop("Silent", True), prop("RepairPackage", False)))
        if doc is None or not hasattr(doc, "Sheets"):
            if doc is not None:
                doc.close(True)
            return {"in": self.job["in"], "loaded": False, "error": "not loaded as a spreadsheet", "sheets": {}, "names": {}}
        try:
            sheets = {}
            for index in range(doc.Sheets.Count):
                sheet = doc.Sheets.getByIndex(index)
                cursor = sheet.createCursor()
                cursor.gotoEndOfUsedArea(False)
                end = cursor.RangeAddress
                area = sheet.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow)
                sheets[sheet.Name] = {"data": [list(row) for row in area.getDataArray()],
                                      "formulas": [list(row) for row in area.getFormulaArray()]}
            return {"in": self.job["in"], "loaded": True, "error": "", "sheets": sheets, "names": names(doc)}
        finally:
            doc.close(True)


def names(doc):
    """Each workbook-level named range that refers to one cell: name -> [sheet, row, column]."""
    found = {}
    for name in doc.NamedRanges.ElementNames:
        cells = doc.NamedRanges.getByName(name).getReferredCells()
        area = cells.getRangeAddress() if cells is not None else None
        if area is not None and (area.StartRow, area.StartColumn) == (area.EndRow, area.EndColumn):
            found[name] = [doc.Sheets.getByIndex(area.Sheet).Name, area.StartRow, area.StartColumn]
    return found


if __name__ == "__main__":
    main(Read)
