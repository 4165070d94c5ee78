"""The docs and the sources stand on their own.

* Every certificate format version that README.md or docs/*.md names ("format 1.1", "formats 1.0
  to 1.2", ``"version": "1.2"``) is one the independent checker accepts (certificates/check.py's
  SUPPORTED_MAJOR / SUPPORTED_MINOR), so the docs cannot run ahead of the checker.
* No tracked text points outside the repository or at how the work was organised (an external
  specification's section numbers, a shared folder, an issue): each construction is explained in
  our own words, or by a section of an in-repo doc.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# "format 1.1", "Format 1.2: what is new", "formats 1.0 to 1.2", "format 1.0, 1.1 and 1.2"
_FORMAT_RE = re.compile(r"\bformats?\s+(\d+\.\d+(?:\s*(?:,|and|or|to|–|-)\s*\d+\.\d+)*)", re.IGNORECASE)
_VERSION_FIELD_RE = re.compile(r'"version"\s*:\s*"(\d+\.\d+)"')
_READS_RE = re.compile(r"\breads\s+(\d+\.\d+)\s+to\s+(\d+\.\d+)")


def versions_named(text: str) -> list:
    """(version, line number) for every certificate format version the text names."""
    found = []
    for no, line in enumerate(text.splitlines(), 1):
        for m in _FORMAT_RE.finditer(line):
            found += [(v, no) for v in re.findall(r"\d+\.\d+", m.group(1))]
        found += [(m.group(1), no) for m in _VERSION_FIELD_RE.finditer(line)]
        for m in _READS_RE.finditer(line):
            found += [(m.group(1), no), (m.group(2), no)]
    return found


def _accepted(checker, version: str) -> bool:
    major, minor = (int(x) for x in version.split("."))
    return major == checker.SUPPORTED_MAJOR and minor <= checker.SUPPORTED_MINOR


def _doc_files() -> list:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def test_version_pattern_finds_what_it_should():
    text = ('format 1.3\nformats 1.0 to 1.4\ncertificate format 1.0, 1.1 and 1.5\n'
            '{"version": "1.6"}\nthis checker reads 1.0 to 1.7\nFormat 2.0: what is new\n'
            'certificate version 1.9 is refused (an example of a rejected header)\n')
    names = {v for v, _ in versions_named(text)}
    assert names == {"1.0", "1.1", "1.3", "1.4", "1.5", "1.6", "1.7", "2.0"}


def test_docs_name_only_format_versions_the_checker_accepts(checker):
    bad, seen = [], 0
    for path in _doc_files():
        for version, no in versions_named(path.read_text(encoding="utf-8")):
            seen += 1
            if not _accepted(checker, version):
                bad.append(f"{path.relative_to(ROOT)}:{no}: format {version} (checker reads "
                           f"{checker.SUPPORTED_MAJOR}.0 to {checker.SUPPORTED_MAJOR}.{checker.SUPPORTED_MINOR})")
    assert seen, "no format version found in README.md or docs/*.md: the pattern is broken"
    assert not bad, "\n".join(bad)


def test_readme_names_the_checkers_newest_format(checker):
    newest = f"{checker.SUPPORTED_MAJOR}.{checker.SUPPORTED_MINOR}"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert newest in {v for v, _ in versions_named(text)}, f"README.md does not name format {newest}"


# Pointers outside the repository, or at how the work was organised.
FORBIDDEN = [
    r"spec section", r"\bspec [0-9§]", r"\bspec\.md\b", r"\bshared/", r"\bpapers/", r"acceptance run",
    r"\bthe issue\b", r"\bissue [0-9]", r"\bspeed issue\b", r"\blater issue\b", r"\bthe brief\b",
    r"\bthe spec\b", r"\bspec's\b", r"\bour spec\b", r"\bpitfall [0-9]", r"\bproto_\w+\.py",
    r"yy2026", r"ysj2019", r"vys2021",
]
_FORBIDDEN_RE = re.compile("|".join(FORBIDDEN), re.IGNORECASE)
SCANNED = ("exactmem/", "certificates/", "docs/", "benchmarks/", "tests/", "README.md")


def _tracked_files() -> list:
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, text=True, check=True, timeout=60).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        out = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()]
    keep = []
    for name in sorted(set(out)):
        name = name.replace("\\", "/")
        if not name.startswith(SCANNED) or name == "tests/test_docs.py":
            continue
        if name.endswith((".py", ".md")) or (name.startswith("certificates/golden/") and name.endswith(".json")):
            keep.append(ROOT / name)
    return [p for p in keep if p.is_file()]


@pytest.mark.parametrize("line,bad", [
    ("# Planner (spec section 6.1)", True), ("YY26 spec 5, Mode S", True), ("see shared/papers/x.md", True),
    ("(the issue's acceptance run)", True), ("yy2026.md", True), ("left for the speed issue", True),
    ("# Planner (docs/yy26.md, \"Planner\")", False), ("--data SPEC", False), ("spec.loader.exec_module", False),
    ("data_spec = spec", False),
])
def test_forbidden_pattern(line, bad):
    assert bool(_FORBIDDEN_RE.search(line)) is bad


def test_no_pointers_outside_the_repository():
    files = _tracked_files()
    assert any(p.name == "README.md" for p in files) and any(p.parent.name == "golden" for p in files)
    hits = []
    for path in files:
        for no, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            m = _FORBIDDEN_RE.search(line)
            if m:
                hits.append(f"{path.relative_to(ROOT)}:{no}: {m.group(0)!r} in "
                            f"{line[max(0, m.start() - 60):m.end() + 60].strip()!r}")
    assert not hits, "text that points outside the repository:\n" + "\n".join(hits)


def _code_lines(path: Path) -> int:
    """Lines that are neither blank, nor comments, nor part of a docstring."""
    import ast
    src = path.read_text(encoding="utf-8")
    doc = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                doc.update(range(first.lineno, first.end_lineno + 1))
    return sum(1 for no, line in enumerate(src.splitlines(), 1)
               if line.strip() and not line.strip().startswith("#") and no not in doc)


def test_checker_audit_guide_names_every_file_with_its_line_count():
    """docs/checker.md's audit guide lists every checker file with its true line count, and the
    core path's totals it states are the files' own."""
    text = (ROOT / "docs" / "checker.md").read_text(encoding="utf-8")
    guide = text[text.index("## Audit guide"):text.index("## Figures of the last run")]
    rows = dict(re.findall(r"^\| \d+ \| `(check[a-z_]*\.py)` \| (\d+) \|", guide, re.MULTILINE))
    files = {p.name: p for p in (ROOT / "certificates").glob("check*.py")}
    assert set(rows) == set(files)
    for name, lines in rows.items():
        assert int(lines) == len(files[name].read_text(encoding="utf-8").splitlines()), name
    core = ["check.py", "check_base.py", "check_network.py", "check_claims.py"]
    m = re.search(r"files 1-4 \(([\d,]+)\s+lines,\s+of\s+which\s+([\d,]+)\s+are\s+code", guide)
    assert m, "the guide states the core path's size"
    assert int(m.group(1).replace(",", "")) == sum(int(rows[n]) for n in core)
    assert int(m.group(2).replace(",", "")) == sum(_code_lines(files[n]) for n in core)
    m = re.search(r"theorem table \((\d+)\s+lines,\s+(\d+)\s+code\)", guide)
    assert m and int(m.group(1)) == int(rows["check_theorems.py"])
    assert int(m.group(2)) == _code_lines(files["check_theorems.py"])


def test_corpus_counts_in_checker_doc_are_the_corpus():
    """The counts docs/checker.md states for the golden and negative corpora are the files'."""
    text = (ROOT / "docs" / "checker.md").read_text(encoding="utf-8")
    goldens = len(list((ROOT / "certificates" / "golden").glob("*.json")))
    stated = [int(n) for n in re.findall(r"(\d+) golden certificates", text)]
    assert stated and set(stated) == {goldens}
    entries = [line.split("\t") for line in (ROOT / "certificates" / "negative" / "EXPECTED.txt")
               .read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    m = re.search(r"\| negative corpus \| (\d+) bad certificates", text)
    assert m and int(m.group(1)) == len(entries)
    by_code = dict(re.findall(r"^\| (\d) [A-Z]+ \| (\d+) \|", text, re.MULTILINE))
    for code in "12345":
        assert int(by_code[code]) == sum(1 for e in entries if e[1] == code), code


def test_every_source_file_the_docs_name_exists():
    """A `path.py` named in README.md or docs/*.md is a file of this repository: the path ends
    one of its files' paths (so `exactmem/precision.py` after a move is caught, and `thm31.py`
    in a row about constructions/ysj19/ is found)."""
    files = ["/" + p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.py")
             if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)]
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "benchmarks").glob("*.md"))]
    missing = []
    for doc in docs:
        for name in set(re.findall(r"`([A-Za-z0-9_/.{},]+\.py)", doc.read_text(encoding="utf-8"))):
            if "{" in name or name.startswith("/"):   # a brace list {a,b}.py; a machine's own path in a run record
                continue
            if not any(f.endswith("/" + name) for f in files):
                missing.append(f"{doc.name}: {name}")
    assert missing == []
