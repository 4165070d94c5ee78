"""Format 1.4: a dataset file read a point at a time (docs/certificate-format.md, section 25).

A lines file is the canonical body laid out by lines, its digest the body's: the same dataset
has the same sha256 inline, in a file and in lines, and the checker recomputes it while it reads.
Every way of changing the file's bytes is refused, with the verdict the format names."""

import hashlib
import json
import os
import shutil

import pytest
from hypothesis import given, strategies as st

from exactmem import data
from exactmem.certificate import load_certificate
from exactmem.cli import main

from conftest import load_checker, run_checker_inprocess

CHECKER = load_checker()


def build(tmp_path, spec, cid="ysj19-cor4.2", external="lines", name="c.json"):
    flags = ["--external-data", external] if external else []
    assert main(["build", cid, "--data", spec, "-o", str(tmp_path / name), "-q", *flags]) == 0
    return tmp_path / name


@pytest.mark.parametrize("cid, spec", [("ysj19-cor4.2", "random:n=30,d=3,classes=3,seed=1"),
                                       ("zhang17", "random:n=12,d=2,dy=2,seed=4")])
def test_a_lines_dataset_verifies_with_the_inline_digest(tmp_path, cid, spec):
    lines = build(tmp_path, spec, cid)
    inline = build(tmp_path, spec, cid, external=None, name="i.json")
    a, b = json.loads(lines.read_bytes()), json.loads(inline.read_bytes())
    assert a["version"] == "1.4" and a["dataset"]["lines"] == "c.data.jsonl"
    assert a["dataset"]["sha256"] == b["dataset"]["sha256"]
    # independently: the body rebuilt from the lines hashes to the recorded digest
    raw = (tmp_path / "c.data.jsonl").read_bytes().split(b"\n")
    head = json.loads(raw[0])
    body = {"classes": head["classes"], "labels": json.loads(raw[1]), "points": [json.loads(x) for x in raw[2:-1]],
            "task": head["task"]}
    assert body == b["dataset"]["inline"]
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(canon).hexdigest() == a["dataset"]["sha256"]
    code, out = run_checker_inprocess(CHECKER, lines)
    assert code == 0 and "s VERIFIED" in out
    got, want = load_certificate(lines)[1], load_certificate(inline)[1]
    assert (got.points, got.labels, got.task, got.classes) == (want.points, want.labels, want.task, want.classes)


@given(st.integers(1, 30), st.integers(1, 4), st.one_of(st.none(), st.integers(1, 4)), st.integers(0, 99))
def test_the_digest_of_the_pieces_is_the_digest_of_the_body(n, d, classes, seed):
    ds = data.random_dataset(n=n, d=d, classes=classes, seed=seed)
    body = data.canonical_bytes(ds.body())
    assert b"".join(ds.body_chunks()) == body
    assert ds.digest() == hashlib.sha256(body).hexdigest()
    lines = b"".join(ds.lines_chunks()).split(b"\n")
    assert len(lines) == n + 3 and lines[-1] == b""
    assert [json.loads(x) for x in lines[2:-1]] == ds.body()["points"]


def _edit(tmp_path, change):
    """A copy of a VERIFIED lines certificate with its lines file changed; (exit code, output)."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    if not (src / "c.json").exists():
        build(src, "random:n=20,d=3,classes=2,seed=7", cid="zhang17")
    case = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    shutil.copytree(src, case)
    lines = (case / "c.data.jsonl").read_bytes().split(b"\n")[:-1]
    cert = json.loads((case / "c.json").read_bytes())
    new_lines, new_cert = change(lines, cert)
    if new_lines is not None:
        (case / "c.data.jsonl").write_bytes(new_lines)
    if new_cert is not None:
        from exactmem.certificate import certificate_bytes
        import exactmem.data as D
        body = {k: v for k, v in new_cert.items() if k != "certificate_sha256"}
        new_cert["certificate_sha256"] = hashlib.sha256(D.canonical_bytes(body)).hexdigest()
        (case / "c.json").write_bytes(certificate_bytes(new_cert))
    return run_checker_inprocess(CHECKER, case / "c.json")


def joined(lines):
    return b"\n".join(lines) + b"\n"


def point(lines, i, tokens):
    out = list(lines)
    out[2 + i] = json.dumps(tokens, separators=(",", ":")).encode()
    return out


CASES = {
    "unchanged": (lambda L, c: (None, None), 0, "s VERIFIED"),
    "a coordinate changed": (lambda L, c: (joined(point(L, 3, ["7", "1", "2"])), None), 1, "dataset sha256 mismatch"),
    "two points swapped": (lambda L, c: (joined(L[:2] + [L[3], L[2]] + L[4:]), None), 1, "dataset sha256 mismatch"),
    "a space in a line": (lambda L, c: (joined(L[:2] + [L[2].replace(b",", b", ", 1)] + L[3:]), None), 2,
                          "not in canonical form"),
    "no final newline": (lambda L, c: (joined(L)[:-1], None), 2, "not ended by a newline"),
    "a line too many": (lambda L, c: (joined(L + [L[-1]]), None), 2, "more than N + 2"),
    "a line missing": (lambda L, c: (joined(L[:-1]), None), 2, "missing, or not ended by a newline"),
    "a point of d + 1 tokens": (lambda L, c: (joined(point(L, 0, ["1", "2", "3", "4"])), None), 2, "expected 3 entries"),
    "a header key more": (lambda L, c: (joined([b'{"classes":2,"extra":1,"task":"classification"}'] + L[1:]), None), 2,
                          "unknown fields"),
    "another class count": (lambda L, c: (joined([L[0].replace(b'"classes":2', b'"classes":3')] + L[1:]), None), 1,
                            "dataset sha256 mismatch"),
    "a label changed": (lambda L, c: (joined(L[:1] + [json.dumps([3 - v for v in json.loads(L[1])], separators=(",", ":"))
                                                      .encode()] + L[2:]), None), 1, "dataset sha256 mismatch"),
    "a 1.3 certificate naming lines": (lambda L, c: (None, {**c, "version": "1.3"}), 2, "dataset: missing fields"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_change_to_a_lines_file_is_refused(tmp_path, name):
    change, want, text = CASES[name]
    code, out = _edit(tmp_path, change)
    assert code == want, out
    assert text in out, out


def test_a_lines_file_must_be_a_regular_file(tmp_path):
    cert = build(tmp_path, "random:n=10,d=2,classes=2,seed=3")
    os.replace(tmp_path / "c.data.jsonl", tmp_path / "elsewhere.jsonl")
    code, out = run_checker_inprocess(CHECKER, cert)
    assert code == 5 and "cannot read dataset file c.data.jsonl" in out, out
    os.symlink(tmp_path / "elsewhere.jsonl", tmp_path / "c.data.jsonl")
    code, out = run_checker_inprocess(CHECKER, cert)
    assert code == 5 and "symbolic link" in out, out
    code, out = run_checker_inprocess(CHECKER, cert, "--allow-dataset-symlink")
    assert code == 0, out


def test_a_lines_build_is_deterministic_and_regenerates(tmp_path):
    """Same inputs, same bytes (both files), and the recipe's data_file brings the lines back."""
    from exactmem.pipeline import regenerate
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for folder in (a, b):
        build(folder, "random:n=25,d=2,classes=3,seed=9", cid="zhang17")
    assert (a / "c.json").read_bytes() == (b / "c.json").read_bytes()
    assert (a / "c.data.jsonl").read_bytes() == (b / "c.data.jsonl").read_bytes()
    cert = json.loads((a / "c.json").read_bytes())
    assert cert["recipe"]["data_file"] == "c.data.jsonl"
    again = regenerate(cert)
    assert again == cert
