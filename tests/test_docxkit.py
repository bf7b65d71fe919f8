"""The documents' kit (kits/docxkit.py) and the one adapter under it that reaches into python-docx
(kits/docx_internals.py): the streamed rows of a long table and the public calls give the same document."""

import ast
import datetime as dt
import re
import zipfile

from conftest import ROOT

from pipeline.outputs.kits import docx_internals, docxkit

WHEN = dt.datetime(2010, 8, 2, 18)


def _document_xml(folder, fast: bool, monkeypatch) -> bytes:
    monkeypatch.setattr(docx_internals, "fast", lambda: fast)
    doc = docxkit.document("党办", "通知", WHEN)
    docxkit.para(doc, "表前一段")
    docxkit.table(doc, ["单位", "姓名", "等次"], [[f"单位{i}", f"姓名{i}", "优秀 <&>"] for i in range(60)])
    docxkit.para(doc, "表后一段")
    docxkit.table(doc, ["序号"], [[str(i)] for i in range(5)])  # a short one between
    docxkit.table(doc, ["序号", "备注"], [[str(i), "含\x01控制字符"] for i in range(40)])
    path = docxkit.save(doc, folder / f"{fast}.docx")
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml")


def test_streamed_rows_and_the_public_calls_give_the_same_document(tmp_path, monkeypatch):
    streamed = _document_xml(tmp_path, True, monkeypatch)
    public = _document_xml(tmp_path, False, monkeypatch)
    assert streamed == public
    text = streamed.decode("utf-8")
    assert text.count("<w:tr>") + text.count("<w:tr ") == 61 + 6 + 41
    assert "姓名59" in text and "优秀 &lt;&amp;&gt;" in text and "@@table" not in text
    assert text.count("<w:tblHeader/>") == 3 and text.count("<w:cantSplit/>") == 61 + 6 + 41
    assert "\ufffd" in text, "a character XML forbids is replaced, not raised"


def test_the_fast_path_is_guarded_by_the_versions_it_was_checked_against():
    assert docx_internals.fast() == __import__("docx").__version__.startswith(docx_internals.FAST_VERSIONS)


def test_only_the_adapter_reaches_under_python_docx():
    """python-docx's private names (_Cell, _element, _tbl, _tr, a document's __dict__) appear in one module."""
    private = re.compile(r"\b_Cell\b|\._element\b|\._tbl\b|\._tr\b|\.__dict__")
    found = sorted(p.name for p in (ROOT / "pipeline").rglob("*.py") if private.search(p.read_text(encoding="utf-8"))
                   and "docx" in p.read_text(encoding="utf-8"))
    assert found == ["docx_internals.py"]
    tree = ast.parse((ROOT / "pipeline" / "outputs" / "kits" / "docxkit.py").read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert "_Cell" not in imported and "OxmlElement" not in imported
