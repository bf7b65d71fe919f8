"""The shipped sample inbox is exactly what the generator makes (`make sample`)."""

import datetime as dt
import hashlib
import json

from conftest import ROOT

from pipeline import demo


def test_sample_inbox_equals_a_fresh_generation(campaign, tmp_path):
    key = demo.generate(campaign, tmp_path / "inbox", units=5, members=12, seed="sample", defects=True,
                        answer_key=tmp_path / "key.json", as_of=dt.date(2010, 8, 2))
    fresh = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "inbox").iterdir()}
    shipped = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "inbox").iterdir()}
    assert shipped == fresh, "regenerate with: make sample"
    assert json.loads((ROOT / "tests" / "sample_answer_key.json").read_text(encoding="utf-8")) == key
