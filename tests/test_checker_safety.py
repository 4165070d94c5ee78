"""Safety properties of the checker and the builder.

* check.py and every check_*.py beside it, read with ``ast``: no eval/exec/compile, no import by name, no pickle/marshal/
  subprocess/ctypes/network modules, no process control, and no file opened for writing or
  changed on disk -- the checker only reads.  The scanner is itself tested on bad snippets.
* ``exactmem build`` leaves no partial certificate: not after an error, not after SIGINT
  (a build of a big dataset is interrupted in a subprocess), and never a stray temp file.
"""

import ast
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / "certificates" / "check.py"

BANNED_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dbm", "sqlite3", "subprocess", "ctypes", "cffi",
                  "importlib", "imp", "pkgutil", "zipimport", "runpy", "code", "codeop", "pty", "socket",
                  "ssl", "http", "urllib", "ftplib", "smtplib", "xmlrpc", "webbrowser", "multiprocessing",
                  "concurrent", "tempfile", "shutil", "signal", "builtins", "__builtin__", "gc", "inspect"}
BANNED_CALLS = {"eval", "exec", "compile", "__import__", "globals", "locals", "vars", "breakpoint", "input",
                "setattr", "delattr", "memoryview"}
# os/sys attributes that run programs, change files or the process, or load code by name.
BANNED_ATTRS = {"system", "popen", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp",
                "spawnvpe", "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe",
                "fork", "forkpty", "kill", "killpg", "remove", "unlink", "rename", "renames", "replace",
                "rmdir", "removedirs", "mkdir", "makedirs", "mkfifo", "mknod", "chmod", "chown", "lchown",
                "link", "symlink", "truncate", "ftruncate", "write", "writev", "pwrite", "fdopen", "putenv",
                "unsetenv", "startfile", "write_text", "write_bytes", "touch", "import_module",
                "modules", "load_module", "exec_module", "setrecursionlimit", "settrace", "setprofile"}


def violations(source):
    """What in this Python source a read-only, code-loading-free checker must not contain."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.Import):
            found += [f"line {line}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] in BANNED_MODULES]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in BANNED_MODULES or node.level:
                found.append(f"line {line}: from {node.module} import ...")
            found += [f"line {line}: from ... import {a.name}" for a in node.names
                      if a.name in BANNED_CALLS | BANNED_ATTRS or a.name == "*"]
        elif isinstance(node, ast.Name) and node.id in BANNED_CALLS:
            found.append(f"line {line}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in BANNED_ATTRS:
            found.append(f"line {line}: .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
            if len(node.args) < 2 or not isinstance(node.args[1], ast.Constant):
                found.append(f"line {line}: getattr with a computed name")
        elif isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Name) and node.func.id == "open")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "open")):
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), ast.Constant("r"))
            if not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)
                    and set(mode.value) <= set("rbt")):
                found.append(f"line {line}: open() not read-only ({ast.unparse(mode)})")
    return found


CHECKER_FILES = sorted(CHECK.parent.glob("check*.py"))


def test_every_checker_file_is_scanned():
    names = {p.name for p in CHECKER_FILES}
    assert {"check.py", "check_base.py", "check_network.py", "check_claims.py", "check_theorems.py"} <= names
    assert names == {p.name for p in CHECK.parent.glob("*.py") if p.name != "__init__.py"}


@pytest.mark.parametrize("path", CHECKER_FILES, ids=lambda p: p.name)
def test_checker_is_read_only_and_loads_no_code(path):
    assert violations(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", CHECKER_FILES, ids=lambda p: p.name)
def test_checker_files_import_only_the_standard_library_and_each_other(path):
    """Rule of the audit guide (docs/checker.md): stdlib and the checker's own check_*.py files,
    never exactmem; and no feature file imports check.py (it would load a second copy)."""
    siblings = {p.stem for p in CHECKER_FILES} - {"check"}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mods = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    mods |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert mods <= set(sys.stdlib_module_names) | siblings, mods - set(sys.stdlib_module_names) - siblings


@pytest.mark.parametrize("snippet", [
    "eval('1')", "exec('x = 1')", "compile('1', 'f', 'eval')", "__import__('os')", "import pickle",
    "import subprocess", "from importlib import import_module", "import importlib.util", "import ctypes",
    "os.system('ls')", "os.popen('ls')", "os.execv('/bin/sh', [])", "os.remove('x')", "os.replace('a', 'b')",
    "open('x', 'w')", "open('x', 'ab')", "open('x', mode='r+')", "open('x', m)", "Path('x').write_text('')",
    "getattr(os, name)", "sys.modules['os']", "from os import system", "import marshal", "from . import x",
    "io.open('x', 'wb')", "os.fdopen(1, 'w')", "import socket", "globals()['x']",
], ids=lambda s: s[:30])
def test_scanner_finds(snippet):
    assert violations(snippet), snippet


def test_scanner_allows_what_the_checker_needs():
    assert violations("import json, hashlib, math, os, re, sys\nopen(p, 'rb')\nopen(p)\nos.path.isfile(p)\n"
                      "re.compile('x')\nsys.stdout.flush()\ngetattr(x, 'y')") == []


# ---------------------------------------------------------------------------------------------
# The builder leaves no partial certificate

def exactmem(*args, cwd):
    return subprocess.Popen([sys.executable, "-m", "exactmem.cli", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


BIG = ["build", "zhang17", "--data", "random:n=1500,d=8,seed=0", "-o", "out.json"]


@pytest.mark.parametrize("after", ["built zhang17", "exact forward pass done", "certificate assembled"])
def test_sigint_leaves_no_partial_certificate(tmp_path, after):
    """SIGINT once the build log reaches a stage: then either the build was interrupted (exit
    130) and there is no certificate, or the interrupt came after the atomic rename (exit 0) and
    the certificate is complete and verifies.  Never a half-written file, never a temp file."""
    p = exactmem(*BIG, cwd=tmp_path)
    log = []
    for line in p.stderr:
        log.append(line)
        if after in line:
            p.send_signal(signal.SIGINT)
            break
    else:
        pytest.fail("build log ended early: " + "".join(log))
    out, err = p.communicate(timeout=120)
    files = sorted(f.name for f in tmp_path.iterdir())
    assert not [f for f in files if f.endswith(".tmp")], files
    if p.returncode == 130:
        assert files == [], files
        assert "interrupted" in err
    else:
        assert p.returncode == 0 and files == ["out.json"], (p.returncode, files, err)
        done = subprocess.run([sys.executable, "-I", "-S", str(CHECK), "-q", str(tmp_path / "out.json")],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout
    if after == "built zhang17":                    # the forward pass takes seconds: interrupted
        assert p.returncode == 130


@pytest.mark.parametrize("args,code", [
    (["build", "ysj19-thm3.1", "--data", "random:n=100,d=4,seed=0", "--widths", "4,4"], 3),
    (["build", "zhang17", "--data", "no-such-file.csv"], 5),
    (["build", "no-such-construction", "--data", "random:n=5,d=1,seed=0"], 5),
], ids=["impossible", "missing-data", "unknown-construction"])
def test_build_error_leaves_no_file(tmp_path, args, code):
    p = exactmem(*args, "-o", "out.json", "--external-data", cwd=tmp_path)
    p.communicate(timeout=120)
    assert p.returncode == code
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_interrupted_mid_write(tmp_path, monkeypatch):
    """An interrupt while the bytes go to disk removes the temp file and leaves no target."""
    from exactmem import certificate

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(certificate.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        certificate.write_atomic(tmp_path / "c.json", b"{}\n" * 1000)
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_replaces_whole_file(tmp_path):
    from exactmem import certificate
    target = tmp_path / "c.json"
    target.write_bytes(b"old")
    certificate.write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n" and [f.name for f in tmp_path.iterdir()] == ["c.json"]


def test_interrupted_checker_is_usage_not_a_verdict(monkeypatch):
    """Ctrl-C during a check: exit 5 with 's USAGE interrupted', never a verdict on the data."""
    from test_checker_negative import CHECKER, SMALL, assert_verdict, run_inprocess

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(CHECKER, "forward", interrupted)
    assert assert_verdict(run_inprocess([SMALL]), 5) == "s USAGE interrupted"
