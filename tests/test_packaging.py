"""A wheel built from this repository carries the default network, and an install of it
plays with that network from any working directory.

The repository keeps the model in the top-level data/ folder, outside the package, so
nothing but pyproject.toml's package-dir mapping puts it into the wheel; these tests
catch a mapping or package list that silently drops it (or drops a module), and a
package-data pattern that drags the match records into the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHIPPED_DATA = ("MODEL.md", "policy.safetensors")


def _pip(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"pip {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def wheel_file(tmp_path_factory) -> Path:
    """Build the wheel offline from a copy of the sources, so the build's own build/ and
    egg-info folders (and any stale files in them) never touch the repository."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for name in ("goengine", "data"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    _pip("wheel", str(source), "--no-deps", "--no-build-isolation", "--no-index", "-w", str(out), cwd=out)
    (wheel,) = out.glob("goengine-*.whl")
    return wheel


def test_wheel_carries_the_model_and_its_card_and_nothing_else_from_data(wheel_file):
    with zipfile.ZipFile(wheel_file) as wheel:
        names = wheel.namelist()
        shipped = sorted(name for name in names if name.startswith("goengine/data/"))
        assert shipped == [f"goengine/data/{name}" for name in SHIPPED_DATA]
        for name in SHIPPED_DATA:
            assert wheel.read(f"goengine/data/{name}") == (REPO / "data" / name).read_bytes()
    assert not [name for name in names if name.endswith((".sgf", ".jsonl", ".pyc"))]


def test_wheel_carries_every_module_of_the_package(wheel_file):
    modules = {path.relative_to(REPO).as_posix() for path in (REPO / "goengine").rglob("*.py")}
    with zipfile.ZipFile(wheel_file) as wheel:
        missing = modules - set(wheel.namelist())
    assert not missing, f"add their packages to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_installed_wheel_plays_the_shipped_model_from_any_directory(wheel_file, tmp_path):
    target = tmp_path / "site"
    _pip("install", "--no-deps", "--no-index", "--target", str(target), str(wheel_file), cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "GOENGINE_MODEL"}
    env["PYTHONPATH"] = str(target)  # the installed copy only, not this checkout
    answer = subprocess.run(
        [sys.executable, str(target / "bin" / "goengine"), "gtp"],
        input="1 boardsize 19\n2 genmove b\n3 quit\n", capture_output=True, text=True, timeout=300,
        cwd=elsewhere, env=env,
    )
    assert answer.returncode == 0, answer.stderr
    assert f"model {target / 'goengine' / 'data' / 'policy.safetensors'} " in answer.stderr
    lines = [line for line in answer.stdout.splitlines() if line]
    assert lines[0] == "=1" and lines[1].startswith("=2 ") and lines[2] == "=3"
    assert lines[1].split()[1] not in ("pass", "resign")
