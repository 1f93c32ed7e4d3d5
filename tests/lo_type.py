"""Type into a workbook the way a person does, in a real LibreOffice Calc, and save it.

Run with Debian's /usr/bin/python3 (it has the ``uno`` module from python3-uno):

    /usr/bin/python3 tests/lo_type.py JOB.json

JOB.json: {"jobs": [{"in": path, "out": path, "format": "xlsx"|"ods"|"xls", "pause": seconds (optional),
                      "ops": [op, ...]}]}
(Calc stamps each save with the time, to the second in .xlsx: "pause" before a job makes its save
clearly later than the one before.)
with the operations
    ["type", sheet, "B6", "text"]      type into a cell, as a person does (protection applies)
    ["clear", sheet, "B6"]             select a cell and press Delete (protection applies)
    ["set", sheet, "B6", "text"]       write through the API, as a tool would (ignores protection)
    ["unprotect", sheet, password]     remove a sheet's protection
    ["insert_rows", sheet, row, n]     insert n rows before 1-based row (needs an unprotected sheet)
    ["recalc", ""]                     recalculate every formula, as Calc's Ctrl+Shift+F9 does
For every cell op it records what the cell holds afterwards, and writes
{"results": [{"out": path, "cells": [[sheet, cell, typed, holds], ...]}]} to stdout as JSON.

Typing goes through Calc's dispatcher (.uno:GoToCell then .uno:EnterString), so sheet
protection applies exactly as it does to a person: a locked cell refuses the text.
Each document's load–type–save runs in one callback on soffice's main thread.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import uno
import unohelper
from com.sun.star.awt import XCallback
from com.sun.star.beans import PropertyValue

FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "ods": "calc8", "xls": "MS Excel 97"}


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe, proc):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + 60
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if time.time() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.2)


class Job(unohelper.Base, XCallback):
    def __init__(self, ctx, job, workdir):
        self.ctx, self.job, self.workdir = ctx, job, workdir
        self.done, self.result, self.error = threading.Event(), None, None

    def notify(self, _data):
        try:
            self.result = self.run()
        except Exception as exc:  # reported to the test, which fails with it
            self.error = repr(exc)
        finally:
            self.done.set()

    def run(self):
        smgr = self.ctx.ServiceManager
        desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
        dispatcher = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", self.ctx)
        private = os.path.join(self.workdir, "in" + os.path.splitext(self.job["in"])[1])
        shutil.copyfile(self.job["in"], private)  # LibreOffice's lock file then never lands beside the user's file
        url = uno.systemPathToFileUrl(private)
        doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
        if doc is None:
            raise RuntimeError("LibreOffice could not load the document")
        try:
            controller = doc.getCurrentController()
            frame = controller.getFrame()
            cells = []
            for op, sheet_name, *args in self.job.get("ops", []):
                if op == "recalc":
                    doc.calculateAll()
                    continue
                sheet = doc.Sheets.getByName(sheet_name)
                if op == "unprotect":
                    sheet.unprotect(args[0])
                    continue
                if op == "insert_rows":
                    sheet.getRows().insertByIndex(int(args[0]) - 1, int(args[1]))
                    continue
                address = args[0]
                if op == "set":
                    sheet.getCellRangeByName(address).setString(args[1])
                else:
                    controller.setActiveSheet(sheet)
                    dispatcher.executeDispatch(frame, ".uno:GoToCell", "", 0, (prop("ToPoint", address),))
                    if op == "clear":
                        dispatcher.executeDispatch(frame, ".uno:Delete", "", 0, (prop("Flags", "A"),))
                    else:
                        dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0, (prop("StringName", args[1]),))
                cells.append([sheet_name, address, args[1] if len(args) > 1 else "", sheet.getCellRangeByName(address).getString()])
            out = uno.systemPathToFileUrl(os.path.abspath(self.job["out"]))
            doc.storeToURL(out, (prop("FilterName", FILTERS[self.job.get("format", "xlsx")]), prop("Overwrite", True)))
            return {"out": self.job["out"], "cells": cells}
        finally:
            doc.close(True)


def session(specs, make):
    """Start a throw-away soffice, hand it each spec's job (``make(ctx, spec, profile)``, an XCallback that sets
    ``done``, ``result`` and perhaps ``error``) on its main thread, one at a time, and end it: the results in order."""
    profile = tempfile.mkdtemp(prefix="partxl-lo-")
    pipe = f"partxl{os.getpid()}"
    proc = subprocess.Popen(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--invisible", "--norestore",
         "--nologo", "--nodefault", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    results = []
    try:
        ctx = connect(pipe, proc)
        callback = ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.AsyncCallback", ctx)
        for spec in specs:
            time.sleep(float(spec.get("pause", 0)))
            job = make(ctx, spec, profile)
            callback.addCallback(job, None)
            if not job.done.wait(120):
                raise SystemExit(f"LibreOffice did not finish {spec['in']} in 120 s")
            if getattr(job, "error", None):
                raise SystemExit(f"LibreOffice failed on {spec['in']}: {job.error}")
            results.append(job.result)
        try:
            smgr = ctx.ServiceManager
            smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx).terminate()
        except Exception:
            pass  # terminating drops the bridge; that is expected
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # soffice.bin and anything it started
        shutil.rmtree(profile, ignore_errors=True)
    return results


def main(make=None):
    """Run the jobs of the file named on the command line, printing their results as JSON."""
    with open(sys.argv[1]) as handle:
        jobs = json.load(handle)["jobs"]
    json.dump({"results": session(jobs, make or Job)}, sys.stdout)


if __name__ == "__main__":
    main()
