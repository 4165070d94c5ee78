"""The project's own results come from committed stores (docs/results/*.sqlite), and the reports
beside them (docs/results/*.md) are what `exactmem report` writes from them today: regenerated
here and compared byte for byte, so the numbers in the docs and the stores cannot drift apart.
The stores are copied first (reading one must not touch the committed file)."""

import shutil
import sqlite3

import pytest

from conftest import ROOT
from exactmem.cli import main

RESULTS = ROOT / "docs" / "results"
STORES = sorted(p.stem for p in RESULTS.glob("*.sqlite"))


def test_every_store_has_its_report_and_is_cited():
    assert STORES, "docs/results holds the stores the docs cite"
    assert {p.stem for p in RESULTS.glob("*.md")} == set(STORES)
    cited = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    for name in STORES:
        assert f"results/{name}.md" in cited, name


@pytest.mark.parametrize("name", STORES)
def test_report_regenerates_from_the_committed_store(name, tmp_path, capsys):
    store = tmp_path / f"{name}.sqlite"
    shutil.copyfile(RESULTS / f"{name}.sqlite", store)
    assert main(["report", str(store), "--out", str(tmp_path / "out"), "--no-plot"]) == 0
    capsys.readouterr()
    assert (tmp_path / "out" / "report.md").read_text(encoding="utf-8") == \
        (RESULTS / f"{name}.md").read_text(encoding="utf-8")
    with sqlite3.connect(store) as con:        # every row of a committed store was VERIFIED
        verdicts = [v for (v,) in con.execute("SELECT verdict FROM runs")]
    assert verdicts and all(v.startswith("s VERIFIED") for v in verdicts)
