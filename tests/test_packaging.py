"""The package list in pyproject.toml is the tree's, and a wheel carries the checker.

setuptools is told every package by name (so that the checker's files can ship as
exactmem/_checker/); a subpackage added without being listed would silently be missing from
the wheel, which this test catches.  Building a wheel and running its checker is checked too.
"""

import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is in the standard library from 3.11")
def test_every_package_is_listed_for_the_wheel():
    import tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    tree = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "exactmem").rglob("__init__.py")}
    assert set(config["packages"]) == tree | {"exactmem._checker"}
    assert config["package-dir"] == {"exactmem._checker": "certificates"}


def test_wheel_ships_every_checker_file_and_no_corpus(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot build a wheel here (no package registry?): {done.stderr.strip()[-200:]}")
    (wheel,) = tmp_path.glob("exactmem-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith("exactmem/_checker/")}
    assert shipped == {p.name for p in (ROOT / "certificates").glob("check*.py")}
    assert not [n for n in names if "golden" in n or "negative" in n]
    # the shipped checker runs on its own, as the library runs it
    target = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(target)
    golden = ROOT / "certificates" / "golden" / "zhang17-n5-d1.json"
    run = subprocess.run([sys.executable, "-I", "-S", str(target / "exactmem" / "_checker" / "check.py"), str(golden)],
                         capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.splitlines()[-1].startswith("s VERIFIED"), run.stdout[-300:]
