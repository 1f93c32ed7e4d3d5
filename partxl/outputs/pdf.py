"""The committee summary as a PDF for the council's website: printed by LibreOffice, then made accessible.

LibreOffice 7.4 writes a tagged PDF declared PDF/UA, but leaves out what the regulations need and it
does not carry: the document's language and title in every place readers look, the charts'
alternative text, tags on the cells' text. ``make_accessible`` adds them with pikepdf.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, unescape

from partxl.errors import PartxlError
from partxl.files import atomic_write
from partxl.xlsx.sheets import LANGUAGE


class PdfError(PartxlError):
    """The PDF could not be made (no LibreOffice, or it failed)."""

_PDF_EXPORT = {  # LibreOffice's PDF export (7.4 and later): tagged, and declared PDF/UA (ISO 14289-1)
    "UseTaggedPDF": {"type": "boolean", "value": "true"},
    "PDFUACompliance": {"type": "boolean", "value": "true"},
    "DisplayPDFDocumentTitle": {"type": "boolean", "value": "true"},
}
_LOCALE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>{language}</value></prop></item>
</oor:items>
"""


def to_pdf(workbook: Path, pdf: Path, *, language: str = LANGUAGE) -> Path:
    """Print ``workbook`` to PDF with LibreOffice headless (the committee papers, published on the council's website):
    a tagged PDF declaring PDF/UA, in ``language`` (BCP 47), titled as the workbook is, with each chart's
    alternative text from the workbook.

    LibreOffice takes the PDF's language from its locale setting (set in the throw-away profile, so that no
    system locale need be installed), leaves charts without alternative text and, in Calc 7.4, leaves cell
    text out of the structure tree altogether (a screen reader following the tags would read nothing of it):
    :func:`make_accessible` finishes the file.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise PdfError("LibreOffice is needed for --pdf and was not found: install it "
                           "(Debian/Ubuntu: apt-get install libreoffice-calc-nogui)")
    descriptions = chart_alt_texts(workbook)
    with tempfile.TemporaryDirectory(prefix="partxl-pdf-") as tmp:
        profile = Path(tmp) / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_LOCALE.format(language=escape(language)), encoding="utf-8")
        done = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                               "--convert-to", "pdf:calc_pdf_Export:" + json.dumps(_PDF_EXPORT), "--outdir", tmp, str(workbook)],
                              capture_output=True, text=True, timeout=600)
        made = Path(tmp) / (workbook.stem + ".pdf")
        if done.returncode != 0 or not made.exists():
            raise PdfError(f"LibreOffice could not print {workbook.name} to PDF: {done.stderr.strip() or done.stdout.strip()}")
        finished = Path(tmp) / "accessible.pdf"
        make_accessible(made, finished, language=language, alt_texts=descriptions)
        atomic_write(pdf, lambda target: shutil.copyfile(finished, target))
    return pdf


def chart_alt_texts(workbook: Path) -> list[str]:
    """Every chart's alternative text (``descr``) in ``workbook``, sheet by sheet in tab order, as each sheet draws them."""
    found: list[str] = []
    with zipfile.ZipFile(workbook) as package:
        names = set(package.namelist())

        def targets(part: str) -> dict[str, str]:
            """The relationships of ``part``: id -> the package path it points to."""
            folder, name = part.rsplit("/", 1)
            rels = f"{folder}/_rels/{name}.rels"
            if rels not in names:
                return {}
            return {r.get("Id", ""): _resolve(folder, r.get("Target", "")) for r in ElementTree.fromstring(package.read(rels))}

        books = targets("xl/workbook.xml")
        tabs = ElementTree.fromstring(package.read("xl/workbook.xml")).iter(f"{{{_MAIN}}}sheet")
        for tab in tabs:
            sheet = books.get(tab.get(f"{{{_RELS}}}id", ""), "")
            for drawing in (t for t in targets(sheet).values() if "/drawings/" in t and t in names):
                for frame in _FRAME.findall(package.read(drawing).decode()):
                    described = _DESCR.search(frame)
                    if "<c:chart " in frame:
                        found.append(unescape(described.group(1), {"&quot;": '"'}) if described else "")
    return found


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_FRAME = re.compile(r"<xdr:graphicFrame\b.*?</xdr:graphicFrame>", re.S)
_DESCR = re.compile(r'<xdr:cNvPr [^>]*\bdescr="([^"]*)"')


def _resolve(base: str, target: str) -> str:
    """A relationship's target as a path in the package (targets are relative to the part's folder, or absolute)."""
    if target.startswith("/"):
        return target[1:]
    parts = base.split("/")
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def make_accessible(source: Path, target: Path, *, language: str = LANGUAGE, alt_texts: Sequence[str] = (),
                    title: str | None = None) -> None:
    """Finish LibreOffice's tagged PDF ``source`` as ``target``: its language and title (shown as the window's title),
    every chart's ``alt_texts`` on its /Figure, in order, and every piece of page content in the structure tree,
    in reading order, or marked as an artifact (page headers and footers, cell fills and borders)."""
    import pikepdf

    with pikepdf.open(source) as pdf:
        root = pdf.Root
        root.Lang = pikepdf.String(language)
        root.MarkInfo = pikepdf.Dictionary(Marked=True)
        if "/ViewerPreferences" not in root:
            root.ViewerPreferences = pikepdf.Dictionary()
        root.ViewerPreferences.DisplayDocTitle = True
        named = title or str(pdf.docinfo.get("/Title", "")) or source.stem
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = named
        pdf.docinfo.Title = named
        if "/StructTreeRoot" not in root:
            raise PdfError(f"{source.name} is not a tagged PDF: this LibreOffice did not take the UseTaggedPDF option")
        _Tagger(pdf).run()
        figures = [e for e in _elements(root.StructTreeRoot) if e.get("/S") == pikepdf.Name.Figure]
        if len(figures) != len(alt_texts):
            raise PdfError(f"{source.name} has {len(figures)} figure(s) for {len(alt_texts)} chart(s): cannot give each its "
                               "alternative text")
        for figure, text in zip(figures, alt_texts, strict=True):
            figure.Alt = pikepdf.String(text)
        pdf.save(target)


def _elements(node: Any) -> Iterator[Any]:
    """Every structure element under ``node``, depth first in document order."""
    import pikepdf

    kids = node.get("/K")
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type", pikepdf.Name.StructElem) == pikepdf.Name.StructElem \
                and "/S" in kid:
            yield kid
            yield from _elements(kid)


_PAINT = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "n", "sh", "Do", "INLINE IMAGE"}
_PATH = {"m", "l", "c", "v", "y", "h", "re", "W", "W*"}
_MARGIN = 54.0  # points: the page's top and bottom margins (0.75 inch), where headers and footers print


class _Tagger:
    """Puts all of a LibreOffice Calc PDF's page content in its structure tree, in the order it is drawn.

    Calc 7.4 tags only what its drawing layer draws (charts, as a /Figure followed by a /P for each of their
    labels; text boxes; headers and footers) and leaves cell text untagged. Here each untagged text object
    becomes a /P of its own (Calc draws cells row by row, so that is reading order), fills and rules become
    artifacts, headers and footers become pagination artifacts, a chart's labels go inside its /Figure (its
    alternative text says what they show), and the whole goes under one /Document element.
    """

    def __init__(self, pdf: Any):
        import pikepdf

        self.pikepdf = pikepdf
        self.pdf = pdf
        self.tree = pdf.Root.StructTreeRoot
        self.document = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document,
                                                             P=self.tree, K=pikepdf.Array()))
        self.parents = pikepdf.NumberTree(self.tree.ParentTree) if "/ParentTree" in self.tree else None
        self.next_key = int(self.tree.get("/ParentTreeNextKey", 0))
        self.placed: set[tuple[int, int]] = set()  # elements already in reading order (or inside a figure)
        self.removed: set[tuple[int, int]] = set()  # headers and footers, now artifacts

    def run(self) -> None:
        pikepdf = self.pikepdf
        before = [k for k in _kids(self.tree.get("/K"))]
        order: list[Any] = []
        entries: dict[int, Any] = {}
        for page in self.pdf.pages:
            key, marked = self._page_elements(page)
            placed = self._page(page, marked, order)
            entries[key] = pikepdf.Array(placed)
        order += [kid for kid in before if isinstance(kid, pikepdf.Dictionary) and kid.objgen not in self.placed | self.removed]
        for element in order:
            element.P = self.document
        self.document.K = pikepdf.Array(order)
        self.tree.K = pikepdf.Array([self.document])
        tree = pikepdf.NumberTree.new(self.pdf)
        for key, array in sorted(entries.items()):
            tree[key] = self.pdf.make_indirect(array)
        self.tree.ParentTree = tree.obj
        self.tree.ParentTreeNextKey = max(entries, default=-1) + 1

    def _page_elements(self, page: Any) -> tuple[int, list[Any]]:
        """The page's key in the parent tree and its structure elements by MCID (LibreOffice's, or none yet)."""
        if "/StructParents" in page.obj:
            key = int(page.obj.StructParents)
            marked = list(self.parents[key]) if self.parents is not None and key in self.parents else []
        else:
            key, self.next_key = self.next_key, self.next_key + 1
            page.obj.StructParents = key
            marked = []
        return key, marked

    def _page(self, page: Any, marked: list[Any], order: list[Any]) -> list[Any]:
        """Tag ``page``'s untagged content; add its top-level elements to ``order``. Returns its elements by MCID."""
        pikepdf = self.pikepdf
        height = float(page.mediabox[3])
        instructions = list(pikepdf.parse_content_stream(page))
        out: list[Any] = []
        path: list[Any] = []
        i = 0
        figure: Any = None  # the chart whose labels LibreOffice is drawing, while it is
        ctm = _Matrix()
        stack: list[_Matrix] = []

        def emit(operator: str, *operands: Any) -> None:
            out.append(pikepdf.ContentStreamInstruction(list(operands), pikepdf.Operator(operator)))

        while i < len(instructions):
            inst = instructions[i]
            op = str(inst.operator) if not isinstance(inst, pikepdf.ContentStreamInlineImage) else "INLINE IMAGE"
            ctm = _graphics_state(op, inst, ctm, stack)
            if op in ("BDC", "BMC"):  # LibreOffice's own marked content, kept whole
                end = _matching_emc(instructions, i)
                mcid = _mcid(inst) if op == "BDC" else None
                element = marked[mcid] if mcid is not None and mcid < len(marked) else None
                block = instructions[i:end + 1]
                ys = _text_heights(block, ctm)
                if element is not None and element.get("/S") == pikepdf.Name.P and ys and \
                        all(y > height - _MARGIN or y < _MARGIN for y in ys):  # a header or footer
                    emit("BDC", pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination))
                    out.extend(block[1:])
                    marked[mcid or 0] = None
                    self.removed.add(element.objgen)
                    i = end + 1
                    continue
                out.extend(block)
                top = _top(element, self.tree) if element is not None else None
                if top is not None:
                    if top.get("/S") == pikepdf.Name.Figure:
                        figure = top
                        self._place(order, top)
                    elif figure is not None and top.get("/S") == pikepdf.Name.P and _inside(ys, figure):
                        if top.objgen not in self.placed:
                            _adopt(figure, top, pikepdf)
                            self.placed.add(top.objgen)
                    else:
                        figure = None
                        self._place(order, top)
                i = end + 1
                continue
            if op == "BT":
                end = next(j for j in range(i, len(instructions)) if str(instructions[j].operator) == "ET")
                emit("BDC", pikepdf.Name.P, pikepdf.Dictionary(MCID=len(marked)))
                out.extend(instructions[i:end + 1])
                emit("EMC")
                element = self.pdf.make_indirect(pikepdf.Dictionary(
                    Type=pikepdf.Name.StructElem, S=pikepdf.Name.P, P=self.document, Pg=page.obj, K=len(marked)))
                marked.append(element)
                self._place(order, element)
                figure = None
                i = end + 1
                continue
            if (op in _PATH or path) and op not in _PAINT:
                path.append(inst)
            elif op in _PAINT:
                emit("BMC", pikepdf.Name.Artifact)
                out.extend(path)
                out.append(inst)
                emit("EMC")
                path = []
            else:
                out.extend(path)
                path = []
                out.append(inst)
            i += 1
        out.extend(path)
        page.obj.Contents = self.pdf.make_stream(pikepdf.unparse_content_stream(out))
        return [m if isinstance(m, pikepdf.Dictionary) and "/S" in m else None for m in marked]

    def _place(self, order: list[Any], element: Any) -> None:
        if element.objgen not in self.placed:
            self.placed.add(element.objgen)
            order.append(element)


@dataclass(frozen=True)
class _Matrix:
    a: float = 1
    b: float = 0
    c: float = 0
    d: float = 1
    e: float = 0
    f: float = 0

    def __mul__(self, o: _Matrix) -> _Matrix:
        return _Matrix(self.a * o.a + self.b * o.c, self.a * o.b + self.b * o.d, self.c * o.a + self.d * o.c,
                       self.c * o.b + self.d * o.d, self.e * o.a + self.f * o.c + o.e, self.e * o.b + self.f * o.d + o.f)


def _graphics_state(op: str, inst: Any, ctm: _Matrix, stack: list[_Matrix]) -> _Matrix:
    """The transformation after ``inst``: q saves it on ``stack``, Q restores it, cm changes it; others keep it."""
    if op == "q":
        stack.append(ctm)
    elif op == "Q" and stack:
        return stack.pop()
    elif op == "cm":
        return _Matrix(*map(float, inst.operands)) * ctm
    return ctm


def _text_heights(block: Sequence[Any], ctm: _Matrix) -> list[float]:
    """Where on the page (points up from its foot) each piece of text in ``block`` starts."""
    found: list[float] = []
    line = _Matrix()
    stack: list[_Matrix] = []
    for inst in block:
        op = str(getattr(inst, "operator", ""))
        ctm = _graphics_state(op, inst, ctm, stack)
        if op == "BT":
            line = _Matrix()
        elif op == "Tm":
            line = _Matrix(*map(float, inst.operands))
        elif op in ("Td", "TD"):
            x, y = map(float, inst.operands)
            line = _Matrix(e=x, f=y) * line
        elif op in ("Tj", "TJ", "'", '"'):
            found.append((line * ctm).f)
    return found


def _inside(ys: Sequence[float], figure: Any) -> bool:
    """Whether text at heights ``ys`` lies within ``figure``'s bounding box (as far as it gives one)."""
    attributes = figure.get("/A")
    listed = _kids(attributes) if attributes is not None and not hasattr(attributes, "keys") else [attributes]
    box = next((a.get("/BBox") for a in listed if a is not None and hasattr(a, "keys") and "/BBox" in a), None)
    if box is None:
        return True
    low, high = float(box[1]) - 2, float(box[3]) + 2
    return all(low <= y <= high for y in ys)


def _matching_emc(instructions: Sequence[Any], start: int) -> int:
    depth = 0
    for j in range(start, len(instructions)):
        op = str(getattr(instructions[j], "operator", ""))
        if op in ("BDC", "BMC"):
            depth += 1
        elif op == "EMC":
            depth -= 1
            if depth == 0:
                return j
    return len(instructions) - 1


def _mcid(inst: Any) -> int | None:
    properties = inst.operands[1] if len(inst.operands) > 1 else None
    value = properties.get("/MCID") if properties is not None and hasattr(properties, "get") else None
    return int(value) if value is not None else None


def _kids(k: Any) -> list[Any]:
    if k is None:
        return []
    return list(k) if hasattr(k, "append") and not hasattr(k, "keys") else [k]


def _top(element: Any, tree: Any) -> Any:
    """The ancestor of ``element`` just under the tree's root (the element itself, in LibreOffice's flat tree)."""
    while "/P" in element and element.P.objgen != tree.objgen and element.P.get("/Type") != "/StructTreeRoot":
        element = element.P
    return element


def _adopt(figure: Any, element: Any, pikepdf: Any) -> None:
    """Make ``element`` (a chart's label) a child of ``figure``, after what the figure already holds."""
    kids = figure.get("/K")
    figure.K = pikepdf.Array(_kids(kids) + [element])
    element.P = figure
