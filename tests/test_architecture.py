"""The package shows the flow: stages import only earlier stages, no cycles, small modules."""

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "pipeline"
# Stage order (STYLE: data flows one way). The core is what every stage may use.
STAGES = {"campaign": 0, "findings": 0, "frames": 0, "labels": 0, "layout": 0, "scoring": 0, "grading": 0, "fsio": 0, "timing": 0,
          "paths": 0, "intake": 1, "validation": 2, "ledger": 3, "rules": 4, "outputs": 5, "demo": 6,
          "run": 7, "window": 8, "upgrade": 8, "commands": 8, "cli": 9, "__main__": 10, "__init__": 0}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """The pipeline modules (or packages) this module imports."""
    out = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.rsplit(".", 1)[0] if not path.name == "__init__.py" else name
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("pipeline"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            if not base.startswith("pipeline"):
                continue
            for a in node.names:  # `from pipeline.rules import flags` imports a module
                out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in _modules() else base)
    return out


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGES[parts[1]] if len(parts) > 1 else 0


def test_every_top_level_name_has_a_stage():
    tops = {m.split(".")[1] for m in _modules() if m.count(".") >= 1}
    assert tops <= set(STAGES), tops - set(STAGES)


def test_no_module_imports_a_later_stage():
    late = [(m, i) for m, p in _modules().items() for i in _imports(m, p) if _stage(i) > _stage(m)]
    assert late == []


def test_no_import_cycle():
    mods = _modules()
    graph = {m: {i for i in _imports(m, p) if i in mods and i != m} for m, p in mods.items()}
    # Importing a package runs its __init__, which may re-export its own modules: not a cycle of stages.
    graph = {m: {i for i in deps if not (m.startswith(i + ".") and mods[i].name == "__init__.py")}
             for m, deps in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(m, trail):
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append(trail[trail.index(n):] + [n])
            elif n not in state:
                visit(n, trail + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_no_module_over_the_size_limit():
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in _modules().items()}
    assert {m: n for m, n in sizes.items() if n > MAX_LINES} == {}


def _asserts_outside_loops(fn: ast.FunctionDef) -> int:
    """Asserts (or assert_* calls, pytest.raises) of a test that run whatever its data: not under a loop or if."""
    count = 0

    def visit(node, guarded):
        nonlocal count
        for child in ast.iter_child_nodes(node):
            is_check = isinstance(child, ast.Assert) or (
                isinstance(child, ast.Call) and ("assert" in ast.unparse(child.func) or "raises" in ast.unparse(child.func)))
            count += is_check and not guarded
            visit(child, guarded or isinstance(child, (ast.For, ast.While, ast.If, ast.comprehension)))
    visit(fn, False)
    return count


def test_every_test_checks_something_that_always_runs():
    weak = []
    for p in sorted((ROOT / "tests").glob("test_*.py")):
        for fn in ast.parse(p.read_text(encoding="utf-8")).body:
            if isinstance(fn, ast.FunctionDef) and fn.name.startswith("test_") and not _asserts_outside_loops(fn):
                weak.append(f"{p.name}::{fn.name}")
    assert weak == []


def test_nothing_posix_only_in_the_product():
    """The clerk runs Windows (SPEC §11): no fcntl, resource, termios, pwd, grp or signal in the program."""
    posix = {"fcntl", "resource", "termios", "pwd", "grp", "signal"}
    files = sorted(PACKAGE.rglob("*.py")) + [ROOT / "run.py"]
    found = []
    for p in files:
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{p.name}: {n}" for n in names if n.split(".")[0] in posix]
    assert len(files) > 30 and found == []


# outputs/ by reader (STYLE: rooms by reader): the rooms each room of outputs/ may import. The kits are the
# floor; what units, leaders and the clerk receive stand on them, apart from each other; the run's plumbing
# (writers, workbooks, reuse) stands on top.
OUTPUT_ROOMS = {
    "kits": set(),
    "units": {"kits"},
    "leaders": {"kits"},
    "clerk": {"kits"},
    "workbooks": {"leaders", "kits"},
    "reuse": set(),
    "writers": {"clerk", "units", "leaders", "kits", "workbooks"},
}
MAX_MODULES, MAX_FOLDER_LINES, MAX_FUNCTION_LINES = 15, 2000, 60


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "outputs" else None


def test_the_outputs_rooms_are_by_reader_and_import_only_downwards():
    mods = _modules()
    rooms = {_room(m) for m in mods} - {None, "__init__"}
    assert rooms == set(OUTPUT_ROOMS)
    crossing = sorted((m, i) for m, p in mods.items() if _room(m) in OUTPUT_ROOMS for i in _imports(m, p)
                      if _room(i) not in (None, _room(m)) and _room(i) not in OUTPUT_ROOMS[_room(m)])
    assert crossing == []


def test_no_folder_holds_more_than_fifteen_modules_or_two_thousand_lines_directly():
    folders = {p.parent for p in PACKAGE.rglob("*.py")}
    big = {str(d.relative_to(ROOT)): (len(files), lines) for d in folders
           for files in [list(d.glob("*.py"))]
           for lines in [sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)]
           if len(files) > MAX_MODULES or lines > MAX_FOLDER_LINES}
    assert len(folders) > 10 and big == {}


def test_no_function_runs_past_sixty_lines():
    long = [f"{p.relative_to(ROOT)}:{n.lineno} {n.name}" for p in sorted(PACKAGE.rglob("*.py"))
            for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


def test_a_run_reads_as_named_steps_each_small():
    from pipeline.run import batch
    tree = ast.parse(Path(batch.__file__).read_text(encoding="utf-8"))
    steps = {n.name: n.end_lineno - n.lineno + 1 for n in tree.body if isinstance(n, ast.FunctionDef)
             and (n.name == "_run_locked" or n.name in ast.unparse(next(
                 f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "_run_locked")))}
    assert {"_take_in", "_decide", "_outputs"} <= set(steps)
    assert {k: v for k, v in steps.items() if v > 40} == {}


def _words(path: Path) -> list[str]:
    """The Chinese string literals of a module, its docstrings aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [f"{path.name}:{n.lineno} {n.value!r}" for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs and any("\u4e00" <= ch <= "\u9fff" for ch in n.value)]


def test_rules_return_facts_and_the_catalogue_speaks():
    """No sentence a person reads is written in the rules (STYLE: rules return facts, the catalogue speaks):
    their words come from findings.py's catalogue or from campaign.toml."""
    rules = [PACKAGE / "scoring.py", PACKAGE / "grading.py", *sorted((PACKAGE / "rules").glob("*.py"))]
    assert len(rules) > 5 and [w for p in rules for w in _words(p)] == []
