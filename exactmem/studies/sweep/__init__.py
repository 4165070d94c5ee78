"""``exactmem sweep`` and ``exactmem report``: the measured constants behind every bound, across N.

A sweep runs a grid of configurations (constructions x N x d x classes or dy x seeds x
construction options; :mod:`.grid`, with named presets and a TOML format), certifies each one,
runs the independent checker on it, optionally measures its minimum precision, and stores one row
per run in a SQLite file (:mod:`.store`, resumable, safe with several worker processes;
:mod:`.runner`).  Each row carries the theorem's bound for its configuration (:mod:`.bounds`, the
one place the bounds are written).  The report (:mod:`.report`) turns a store into markdown and
plots, with log-log fits (:mod:`.fit`).

A study: it imports core modules (pipeline, certificate, checker, data, constructions) and the
precision study, never the CLI; no core module imports it.
"""

from .grid import PRESETS, expand, load_toml, preset, run_key
from .report import write_report
from .runner import run_sweep

__all__ = ["PRESETS", "expand", "load_toml", "preset", "run_key", "run_sweep", "write_report"]
