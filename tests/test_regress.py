"""CI regression: every golden certificate regenerates byte for byte from its recipe, and the
independent checker verifies it in an isolated interpreter (no site-packages)."""

import json
import subprocess
import sys

import pytest

from exactmem.certificate import certificate_bytes
from exactmem.pipeline import regenerate

from conftest import CHECKER, ROOT

GOLDEN = sorted((ROOT / "certificates" / "golden").glob("*.json"))


def test_there_are_golden_certificates_for_every_construction():
    ids = {json.loads(p.read_text())["construction"]["id"] for p in GOLDEN}
    assert {"zhang17", "ysj19-thm3.1", "ysj19-prop3.2", "ysj19-prop3.4", "ysj19-cor4.2", "ysj19-thm4.1", "ysj19-thm3.3", "vys21", "vys21-depth", "yy26"} <= ids


@pytest.mark.parametrize("path", GOLDEN, ids=[p.name for p in GOLDEN])
def test_golden_regenerates_identically_and_verifies(path):
    old = path.read_bytes()
    assert certificate_bytes(regenerate(json.loads(old))) == old
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[-1].startswith("s VERIFIED")


def test_checker_imports_only_the_standard_library():
    import ast
    files = sorted(CHECKER.parent.glob("check*.py"))
    own = {p.stem for p in files}
    for path in files:
        tree = ast.parse(path.read_text())
        mods = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        mods |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "exactmem" not in mods, path.name
        assert mods <= set(sys.stdlib_module_names) | own, (path.name, mods)
