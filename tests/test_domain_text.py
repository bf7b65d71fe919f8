"""Domain text lives in campaign.toml (SPEC §2, STYLE): Python code outside the demo repeats at most a
handful of its Chinese values, and each of those is general wording, not a form, grade or criterion."""

import ast
import re
import tomllib

from conftest import ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")
HANDFUL = 5


def _toml_values() -> set[str]:
    out = set()

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                out.add(k)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str):
            out.add(x)
    walk(tomllib.loads((ROOT / "campaign.toml").read_text(encoding="utf-8")))
    return {v for v in out if CJK.search(v)}


def _literals(path) -> list[tuple[int, str]]:
    """String constants of a module (f-string parts included), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def _repeats() -> list[str]:
    values = _toml_values()
    return [f"{p.relative_to(ROOT)}:{line}: {text}" for p in sorted((ROOT / "pipeline").rglob("*.py"))
            if "demo" not in p.relative_to(ROOT / "pipeline").parts
            for line, text in _literals(p) if text in values]


def test_the_check_finds_a_repeated_value(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""群众评议 in a docstring is fine."""\nx = "群众评议"\ny = f"{x}的意见"\n', encoding="utf-8")
    assert [t for _, t in _literals(module) if t in _toml_values()] == ["群众评议"]


def test_at_most_a_handful_of_campaign_values_in_code():
    repeats = _repeats()
    assert len(repeats) <= HANDFUL, "\n".join(repeats)


def test_no_form_grade_or_criterion_name_in_code():
    toml = tomllib.loads((ROOT / "campaign.toml").read_text(encoding="utf-8"))
    names = {f["name"] for g in toml["forms"].values() for f in g}
    names |= {b["grade"] for g in toml["grades"].values() for b in g["bands"]}
    names |= {c["name"] for g in toml["criteria"].values() for c in g}
    hits = [r for r in _repeats() if r.split(": ", 1)[1] in names]
    assert hits == []
