"""The results store: one SQLite file (standard library), one row per finished run.

A row is inserted in one transaction, only once its run is complete, under a UNIQUE run key (the
canonical JSON of its configuration): an interrupted sweep leaves no partial row, a resumed one
skips every key already present, and two processes that finish the same run insert it once
(``INSERT OR IGNORE``).  Several worker processes write their own rows concurrently: the file is
in WAL mode and every connection waits up to :data:`BUSY_TIMEOUT_S` for a lock.

Certificates live in the folder :func:`cert_dir` beside the store (``S.sqlite`` ->
``S.certs/``); a row records its certificate's path relative to the store's folder.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ...errors import UsageError

BUSY_TIMEOUT_S = 60
SCHEMA_VERSION = 1

# (column, SQL type); every column but id is written by insert_row from a row dict.
COLUMNS = (
    ("run_key", "TEXT NOT NULL UNIQUE"), ("construction", "TEXT NOT NULL"), ("series", "TEXT NOT NULL"),
    ("n", "INTEGER NOT NULL"), ("d", "INTEGER NOT NULL"), ("dy", "INTEGER NOT NULL"), ("classes", "INTEGER"),
    ("seed", "INTEGER NOT NULL"), ("options", "TEXT NOT NULL"), ("config", "TEXT NOT NULL"),
    ("status", "TEXT NOT NULL"),          # ok | refused (ConstructionError/DataError) | rejected | error
    ("message", "TEXT"),
    ("depth", "INTEGER"), ("width", "INTEGER"), ("widths", "TEXT"), ("hidden_neurons", "INTEGER"),
    ("params_dense", "INTEGER"), ("params_nonzero", "INTEGER"), ("bit_complexity", "INTEGER"),
    ("bounds", "TEXT"),                   # JSON list: quantity, measured, bound, ratio, formula, source, kind
    ("bound_quantity", "TEXT"), ("bound_measured", "INTEGER"), ("bound_value", "REAL"), ("bound_ratio", "REAL"),
    ("fixed_k", "INTEGER"), ("float_p", "INTEGER"), ("arith_p", "INTEGER"), ("proven_k", "INTEGER"),
    ("precision_checks", "TEXT"),         # JSON list: kind, role (suffice | witness), checker exit and verdict
    ("build_s", "REAL"), ("check_s", "REAL"), ("precision_s", "REAL"), ("peak_rss_kib", "INTEGER"),
    ("cert_path", "TEXT"), ("cert_sha256", "TEXT"), ("verdict", "TEXT"), ("exactmem_version", "TEXT"),
)
NAMES = tuple(c for c, _ in COLUMNS)
# Columns added after the first stores were written; an older store gets them (empty) on connect.
ADDED_COLUMNS = ("precision_checks",)


def cert_dir(store_path) -> Path:
    """The certificates' folder beside the store: S.sqlite -> S.certs/."""
    p = Path(store_path)
    return p.with_name(p.stem + ".certs")


def connect(path, create: bool = True) -> sqlite3.Connection:
    """A connection in WAL mode with a busy timeout; the table is created when ``create``.
    UsageError (exit 5) for a file that is missing (without ``create``) or not a results store."""
    p = Path(path)
    if not create and not p.is_file():
        raise UsageError(f"{path}: no such results store")
    if create and not p.parent.is_dir():
        raise UsageError(f"{path}: folder {p.parent} does not exist")
    try:
        con = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        if create:
            con.execute("PRAGMA journal_mode = WAL")
            cols = ", ".join(f"{c} {t}" for c, t in COLUMNS)
            con.execute(f"CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, {cols})")
            con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        have = {r[1] for r in con.execute("PRAGMA table_info(runs)")}
    except sqlite3.Error as e:
        raise UsageError(f"{path}: not a readable results store ({e})") from None
    missing = [c for c, _ in COLUMNS if c not in have]
    if not have or set(missing) - set(ADDED_COLUMNS):
        con.close()
        raise UsageError(f"{path}: not an exactmem results store (no runs table with the sweep's columns)")
    for c in missing:                      # a store from before a column was added: add it, empty
        con.execute(f"ALTER TABLE runs ADD COLUMN {c} {dict(COLUMNS)[c]}")
    return con


def done_keys(con) -> set:
    """Run keys already stored."""
    return {r[0] for r in con.execute("SELECT run_key FROM runs")}


def insert_row(con, row: dict) -> bool:
    """Insert one complete row in one transaction; False when its key was already there."""
    vals = [json.dumps(row[c], sort_keys=True) if isinstance(row.get(c), (list, dict)) else row.get(c)
            for c in NAMES]
    con.execute("BEGIN IMMEDIATE")
    try:
        cur = con.execute(f"INSERT OR IGNORE INTO runs ({', '.join(NAMES)}) VALUES ({', '.join('?' * len(NAMES))})",
                          vals)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return cur.rowcount == 1


def rows(con) -> list[dict]:
    """Every row as a dict (JSON columns decoded), ordered by id."""
    cur = con.execute("SELECT * FROM runs ORDER BY id")
    names = [c[0] for c in cur.description]
    out = []
    for r in cur.fetchall():
        row = dict(zip(names, r))
        for c in ("options", "config", "widths", "bounds", "precision_checks"):
            if row.get(c) is not None:
                row[c] = json.loads(row[c])
        out.append(row)
    return out
