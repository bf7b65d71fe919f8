"""Real spreadsheets that are not our template: each gets exactly one clear rejection, quickly, in
bounded memory, and never a traceback."""

import json
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from pipeline.validation import validate

CORPUS = ROOT.parent / "shared" / "corpus" / "foreign"
FILES = sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []
REJECTIONS = {"E_NOT_TEMPLATE", "E_UNSUPPORTED_FORMAT", "E_ENCRYPTED", "E_CORRUPT", "E_TOO_MANY_CELLS",
              "E_EMPTY_FILE", "E_TOO_LARGE", "E_WRONG_CAMPAIGN"}


def test_corpus_is_present():
    assert len(FILES) > 300, f"expected the shared corpus beside the repo at {CORPUS}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_foreign_file_is_rejected_once_and_quickly(campaign, path):
    start = time.perf_counter()
    sub = validate.validate_file(path, path.name, campaign)
    elapsed = time.perf_counter() - start
    assert [f.code for f in sub.findings if f.is_error] and len(sub.findings) == 1, [f.code for f in sub.findings]
    assert sub.findings[0].code in REJECTIONS
    assert sub.findings[0].message
    assert elapsed < 10


def test_whole_corpus_in_bounded_memory(tmp_path):
    """One process reads the whole folder; its peak RSS bounds every single file's."""
    script = (
        "import json, resource, sys\n"
        "from pathlib import Path\n"
        "from pipeline import campaign\nfrom pipeline.validation import validate\n"
        "c = campaign.load(sys.argv[1])\n"
        "codes = [validate.validate_file(p, p.name, c).findings[0].code for p in sorted(Path(sys.argv[2]).iterdir())]\n"
        "print(json.dumps({'n': len(codes), 'rss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n")
    out = subprocess.run([sys.executable, "-c", script, str(ROOT / "campaign.toml"), str(CORPUS)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["n"] == len(FILES)
    assert result["rss_kib"] < 1024 * 1024
