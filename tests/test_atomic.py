"""Atomic writes: an interrupted write leaves the previous file whole and no debris."""

import pytest

from goengine.atomic import atomic_write, atomic_write_text


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "report.json"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w") as handle:
            handle.write("half of the new")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_a_finished_write_replaces_the_file(tmp_path):
    target = tmp_path / "model.bin"
    with atomic_write(target) as handle:
        handle.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    atomic_write_text(target, "text é")
    assert target.read_text(encoding="utf-8") == "text é"
