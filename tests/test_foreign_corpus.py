"""Real spreadsheets that are not our template: each gets exactly one clear rejection, quickly, in
bounded memory, and never a traceback."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, SHARED

from pipeline.validation import validate

CORPUS = SHARED / "corpus" / "foreign"
FILES = sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []
REJECTIONS = {"E_NOT_TEMPLATE", "E_UNSUPPORTED_FORMAT", "E_ENCRYPTED", "E_CORRUPT", "E_TOO_MANY_CELLS",
              "E_EMPTY_FILE", "E_TOO_LARGE", "E_WRONG_CAMPAIGN"}


def test_corpus_is_present():
    assert len(FILES) > 300, f"expected the shared corpus beside the repo at {CORPUS}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_foreign_file_is_rejected_once(campaign, path):
    sub = validate.validate_file(path, path.name, campaign)  # how long each takes: bench/hostile.py
    assert [f.code for f in sub.findings if f.is_error] and len(sub.findings) == 1, [f.code for f in sub.findings]
    assert sub.findings[0].code in REJECTIONS
    assert sub.findings[0].message


def test_the_whole_corpus_in_one_process(tmp_path):
    """One process reads the whole folder one file after another and refuses every one (its peak memory is
    measured by bench/hostile.py, not limited here)."""
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from pipeline import campaign\nfrom pipeline.validation import validate\n"
        "c = campaign.load(sys.argv[1])\n"
        "codes = [validate.validate_file(p, p.name, c).findings[0].code for p in sorted(Path(sys.argv[2]).iterdir())]\n"
        "print(json.dumps({'n': len(codes), 'codes': sorted(set(codes))}))\n")
    out = subprocess.run([sys.executable, "-c", script, str(ROOT / "campaign.toml"), str(CORPUS)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["n"] == len(FILES) and set(result["codes"]) <= set(REJECTIONS)
