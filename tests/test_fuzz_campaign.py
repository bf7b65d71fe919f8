"""A seeded sample of the fuzz campaign (bench/fuzz.py runs ten thousand): mutated workbooks (structure,
values, packages) through the whole pipeline in rounds, each round in its own process. No crash (exit 1, a
traceback, an E_INTERNAL), no hang, every file in its round's manifest."""

import importlib.util

from conftest import ROOT


def _fuzz():
    spec = importlib.util.spec_from_file_location("fuzz_bench", ROOT / "bench" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_seeded_sample_of_mutated_workbooks_never_crashes_or_hangs():
    totals = _fuzz().campaign_run(files=120, round_size=60, seed=35, timeout=600)
    assert totals["files"] == 120 and totals["rounds"] == 2
    assert totals["crashes"] == [] and totals["hangs"] == 0 and totals["missing"] == []
    assert set(totals["mutations"]) == {"structure", "value", "package"}, "every family of mutation was tried"


def test_a_package_whose_part_fails_its_checksum_is_refused_as_corrupt(campaign, tmp_path):
    """Found by the fuzz campaign: a flipped byte in a worksheet's deflated data raised zlib.error (or a bad
    CRC) while reading the sheet's declared size, and the file got E_INTERNAL instead of its verdict."""
    import zipfile
    from conftest import make_demo
    from pipeline.validation import validate
    folder, _ = make_demo(campaign, tmp_path / "in", units=1, members=4, seed=5)
    src = next(folder.glob("FN01*.xlsx"))
    data = bytearray(src.read_bytes())
    info = next(i for i in zipfile.ZipFile(src).infolist() if i.filename.startswith("xl/worksheets/sheet"))
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle] ^= 0xFF
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(bytes(data))
    sub = validate.validate_file(bad, bad.name, campaign)
    assert [f.code for f in sub.findings] == ["E_CORRUPT"]


def test_a_package_whose_directory_points_before_the_file_is_refused_as_corrupt(campaign, tmp_path):
    """Found by the fuzz campaign: a central directory whose declared offset is past its place makes every
    part's offset negative; seeking there raised OSError (EINVAL), and the file got E_INTERNAL."""
    import struct
    from conftest import make_demo
    from pipeline.validation import validate
    folder, _ = make_demo(campaign, tmp_path / "in", units=1, members=4, seed=5)
    data = bytearray(next(folder.glob("FN01*.xlsx")).read_bytes())
    end = data.rindex(b"PK\x05\x06")  # the end of central directory record; its offset field is at +16
    struct.pack_into("<I", data, end + 16, struct.unpack_from("<I", data, end + 16)[0] + 10**6)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(bytes(data))
    sub = validate.validate_file(bad, bad.name, campaign)
    assert [f.code for f in sub.findings] == ["E_CORRUPT"]
