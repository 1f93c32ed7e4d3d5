"""Type into a workbook the way a person does, in a real LibreOffice Calc, and save it.

Run with Debian's /usr/bin/python3 (it has the ``uno`` module from python3-uno):

    /usr/bin/python3 tests/lo_type.py JOB.json

JOB.json: {"jobs": [{"in": path, "out": path, "format": "xlsx"|"ods"|"xls",
                      "typing": [[sheet, "B6", "text"], ...]}]}
For every typed cell it records what the cell holds afterwards, and writes
{"results": [{"out": path, "cells": [[sheet, cell, typed, holds], ...]}]} to stdout as JSON.

Typing goes through Calc's dispatcher (.uno:GoToCell then .uno:EnterString), so sheet
protection applies exactly as it does to a person: a locked cell refuses the text.
Each document's load–type–save runs in one callback on soffice's main thread.
"""

import json
import os
import shutil
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
    def __init__(self, ctx, job):
        self.ctx, self.job, self.done, self.result, self.error = ctx, job, threading.Event(), None, None

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
        url = uno.systemPathToFileUrl(os.path.abspath(self.job["in"]))
        doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
        try:
            controller = doc.getCurrentController()
            frame = controller.getFrame()
            cells = []
            for sheet_name, address, text in self.job.get("typing", []):
                sheet = doc.Sheets.getByName(sheet_name)
                controller.setActiveSheet(sheet)
                dispatcher.executeDispatch(frame, ".uno:GoToCell", "", 0, (prop("ToPoint", address),))
                dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0, (prop("StringName", text),))
                cells.append([sheet_name, address, text, sheet.getCellRangeByName(address).getString()])
            out = uno.systemPathToFileUrl(os.path.abspath(self.job["out"]))
            doc.storeToURL(out, (prop("FilterName", FILTERS[self.job.get("format", "xlsx")]), prop("Overwrite", True)))
            return {"out": self.job["out"], "cells": cells}
        finally:
            doc.close(True)


def main():
    with open(sys.argv[1]) as handle:
        jobs = json.load(handle)["jobs"]
    profile = tempfile.mkdtemp(prefix="partxl-lo-")
    pipe = f"partxl{os.getpid()}"
    proc = subprocess.Popen(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--invisible", "--norestore",
         "--nologo", "--nodefault", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = []
    try:
        ctx = connect(pipe, proc)
        callback = ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.AsyncCallback", ctx)
        for spec in jobs:
            job = Job(ctx, spec)
            callback.addCallback(job, None)
            if not job.done.wait(120):
                raise SystemExit(f"LibreOffice did not finish {spec['in']} in 120 s")
            if job.error:
                raise SystemExit(f"LibreOffice failed on {spec['in']}: {job.error}")
            results.append(job.result)
        try:
            smgr = ctx.ServiceManager
            smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx).terminate()
        except Exception:
            pass  # terminating drops the bridge; that is expected
    finally:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
