"""dataset -> construction -> network -> exact forward pass -> certificate, in one call."""

from __future__ import annotations

import inspect
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import data as data_mod
from . import engine, generalposition, geometry
from .certificate import build_certificate, write_certificate, write_dataset_file
from .checker import LONG_RUN_LIMITS, run_checker, run_sharded
from .constructions import GENERAL_POSITION, registry
from .errors import InternalError, ResourceError, UsageError
from .estimate import Heartbeat, data_profile, format_bytes, format_seconds, guard, progress_bar


def _log(verbose: bool, msg: str, t0: float) -> None:
    if verbose:
        print(f"[{time.perf_counter() - t0:7.2f}s] {msg}", file=sys.stderr, flush=True)


def certify(construction_id: str, data_spec: str, options: dict | None = None,
            seed: int | None = None, classes: int | None = None, verbose: bool = False,
            data_file: str | None = None, merge_duplicates: bool = False, max_memory: int | None = None,
            workers: int = 1) -> dict:
    """Build construction ``construction_id`` on the dataset ``data_spec`` and return its
    certificate (a dict).  ``options`` are the construction's keyword arguments; the recipe
    recorded in the certificate regenerates it byte for byte.  With ``data_file`` (a bare file
    name) the dataset goes to that sibling file instead of inline; the caller writes
    :func:`exactmem.certificate.dataset_file_bytes` there.  With ``max_memory`` (bytes), a build
    whose estimate (:func:`exactmem.estimate.estimate`) exceeds it raises ResourceError before
    anything large is built; None (the default) checks nothing.  ``workers`` > 1 runs the
    forward pass, and the hyperplane searches of the general-position constructions
    (:func:`exactmem.geometry.parallel`), in that many processes (same values)."""
    return certify_with_data(construction_id, data_spec, options, seed, classes, verbose, data_file,
                             merge_duplicates, max_memory, workers)[0]


def certify_with_data(construction_id, data_spec, options=None, seed=None, classes=None, verbose=False,
                      data_file=None, merge_duplicates=False, max_memory=None, workers=1):
    """:func:`certify`, also returning the loaded :class:`~exactmem.data.Dataset`.  With
    ``merge_duplicates`` a point repeated with the same label is kept once (recorded in the
    recipe, so the certificate regenerates).  ``max_memory``: for generated data (``random:``)
    the guard runs on the sizes the ``random:`` string gives, before a single point is generated; for a file, once it
    is loaded (a file is bounded by its size) and before the network is built."""
    options = dict(options or {})
    spec = data_spec
    if seed is not None and spec.startswith("random") and "seed=" not in spec:
        spec = spec + ("," if ":" in spec else ":") + f"seed={seed}"
    if max_memory is not None:
        _entry(construction_id)                 # an unknown id is a usage error before any guard
        if spec.startswith("random:") or spec == "random":
            n, d, dy, cls = _random_sizes(spec, classes)
            guard(construction_id, n, d, dy, cls, options, max_memory)
    with Heartbeat("loading data", verbose):
        ds = data_mod.load(spec, classes=classes, merge_duplicates=merge_duplicates)
    if max_memory is not None:
        guard(construction_id, ds.n, ds.d, ds.dy, ds.classes, options, max_memory, _profile(ds))
    entry = registry().get(construction_id)
    if seed is not None and entry and "seed" in inspect.signature(entry.build).parameters:
        options.setdefault("seed", seed)
    recipe = {"data": data_spec, "options": _json_safe(options), "seed": seed, "classes": classes}
    if data_file:
        recipe["data_file"] = data_file
    if merge_duplicates:
        recipe["merge_duplicates"] = True
    return _certify(construction_id, ds, options, recipe, verbose, data_file, workers)


def certify_dataset(construction_id: str, ds, options: dict | None = None, recipe: dict | None = None,
                    verbose: bool = False, data_file: str | None = None, workers: int = 1) -> dict:
    """Like :func:`certify` for a :class:`~exactmem.data.Dataset` already in memory (``workers``
    processes for the exact forward pass)."""
    return certify_in_memory(construction_id, ds, options, recipe, verbose, data_file, workers)[0]


def certify_in_memory(construction_id: str, ds, options: dict | None = None, recipe: dict | None = None,
                      verbose: bool = False, data_file: str | None = None, workers: int = 1) -> tuple:
    """(certificate, the dataset it certifies): ``ds``, or the construction's re-encoding of it
    (YSJ19's one-hot labels), which is what a sibling dataset file must hold."""
    return _certify(construction_id, ds, options, recipe, verbose, data_file, workers)


def _entry(construction_id):
    entries = registry()
    if construction_id not in entries:
        raise UsageError(f"unknown construction {construction_id!r} (see `exactmem list`)")
    return entries[construction_id]


# The generator's defaults for the keys a ``random:`` spec leaves out (n, d, dy, ...).
_RANDOM_DEFAULTS = {k: p.default for k, p in inspect.signature(data_mod.random_dataset).parameters.items()}


def _profile(ds):
    """What the memory model reads of loaded data (:func:`exactmem.estimate.data_profile`)."""
    return data_profile(ds.points, ds.labels if ds.task == "classification" else None)


def _random_sizes(spec: str, classes):
    """(N, d, dy, classes) of a ``random:`` data string, read from the string alone; nothing is generated."""
    opts = {**_RANDOM_DEFAULTS, **data_mod.parse_random_spec(spec)}
    return opts["n"], opts["d"], opts["dy"], opts["classes"] if opts["classes"] is not None else classes


def _certify(construction_id, ds, options, recipe, verbose, data_file, workers=1):
    """(certificate, the dataset it certifies: the input, or the construction's re-encoding)."""
    t0 = time.perf_counter()
    entry = _entry(construction_id)
    options = dict(options or {})
    recorded = _json_safe(options)
    with Heartbeat("checking the data", verbose):
        ds.validate()
    kind = f"{ds.classes} classes" if ds.task == "classification" else f"dy={ds.dy}"
    if verbose:
        est = guard(construction_id, ds.n, ds.d, ds.dy, ds.classes, options, None, _profile(ds))
        _log(verbose, f"dataset: N={ds.n} d={ds.d} {kind} ({ds.task}); estimate: about "
                      f"{format_bytes(est.memory_bytes)}, {format_seconds(est.seconds)} with the check", t0)
    gp_mode, eps = options.pop("general_position", None), options.pop("perturb", None)
    if (gp_mode is not None or eps is not None) and construction_id not in GENERAL_POSITION:
        raise UsageError(f"--general-position and --perturb apply to the general-position constructions "
                         f"({', '.join(sorted(GENERAL_POSITION))}), not {construction_id}")
    accepted = list(inspect.signature(entry.build).parameters)[1:]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UsageError(f"{construction_id} does not take option(s) {', '.join(unknown)} "
                         f"(it takes: {', '.join(accepted) or 'none'})")
    seed = (recipe or {}).get("seed")
    if construction_id in GENERAL_POSITION:     # only these take --general-position / --perturb
        with Heartbeat(f"building {construction_id}", verbose), geometry.parallel(workers):
            ds, built, gp_claims, gp_info = generalposition.prepare(ds, gp_mode, eps, seed,
                                                                    lambda d: entry.build(d, **options))
        built.claims = list(built.claims) + gp_claims
        built.info.update(gp_info)
    else:
        with Heartbeat(f"building {construction_id}", verbose):
            built = entry.build(ds, **options)
    names = ds.class_names                # text labels of the input: class k is names[k - 1]
    if built.dataset is not None:
        ds = built.dataset
    if names:
        built.info["class_names"] = list(names)     # informative (UNCHECKED), so a reader can name the classes
    _log(verbose, f"built {construction_id}: depth {built.network.depth}, width {built.network.width}", t0)
    outputs = forward_with_progress(built.network, ds.points, verbose, workers)
    _log(verbose, "exact forward pass done", t0)
    targets = ds.targets()
    for i, (out, y) in enumerate(zip(outputs, targets)):
        if out != y:   # a construction bug, never a user error: refuse to certify it
            raise InternalError(f"internal error: {construction_id} misses point {i} ({out} != {y}); "
                                "nothing was certified")
    if recipe is None:
        recipe = {"data": ds.source or "in-memory", "options": recorded, "seed": None, "classes": None}
    construction = {"id": entry.id, "paper": entry.paper, "theorem": entry.theorem}
    with Heartbeat("assembling the certificate", verbose):
        cert = build_certificate(ds, construction, built, outputs, recipe, data_file)
    _log(verbose, "certificate assembled", t0)
    return cert, ds


def forward(network, points, on_chunk=None, workers: int = 1) -> list:
    """The exact forward pass (:func:`exactmem.engine.forward`); ``on_chunk(done, total)`` after
    each chunk of points, for a progress bar.  The values are the engine's, untouched.  With
    ``workers`` > 1 the chunks (points never interact) go to that many processes, each of which
    receives the network once, and the outputs are joined in the points' order."""
    chunk = engine.CHUNK                                 # read now: tests shrink it
    if workers <= 1 or len(points) < 2:
        return engine.forward(network, points, chunk=chunk, on_chunk=on_chunk)
    from concurrent.futures import ProcessPoolExecutor

    parts = [points[a:a + chunk] for a in range(0, len(points), chunk)]
    out = []
    with ProcessPoolExecutor(max_workers=min(workers, len(parts)), initializer=_hold_network,
                             initargs=(network, chunk)) as pool:
        for values in pool.map(_forward_part, parts):
            out += values
            if on_chunk is not None:
                on_chunk(len(out), len(points))
    return out


_WORKER = {}


def _hold_network(network, chunk: int) -> None:
    """A worker process's copy of the network, sent once when the process starts."""
    _WORKER.update(network=network, chunk=chunk)


def _forward_part(points) -> list:
    return engine.forward(_WORKER["network"], points, chunk=_WORKER["chunk"])


def forward_with_progress(network, points, verbose: bool, workers: int = 1) -> list:
    """:func:`forward` with a bar over the points on stderr when ``verbose``; a heartbeat also
    redraws the bar, so its clock moves while one chunk takes long."""
    bar = progress_bar(len(points), "exact forward pass", verbose)
    if bar is None:
        return forward(network, points, workers=workers) if workers > 1 else forward(network, points)
    try:
        with Heartbeat("exact forward pass", True, bar=bar):
            return forward(network, points, on_chunk=lambda done, total: bar.update(done - bar.n), workers=workers)
    finally:
        bar.close()


def write_verified(out, cert: dict, ds=None, data_file: str | None = None, verbose: bool = False,
                   workers: int = 1) -> None:
    """Write a certificate (and, with ``data_file``, its sibling dataset file) only once the
    independent checker has verified it.  Both files are written into a fresh hidden folder
    beside ``out``, the checker runs on that copy in its own interpreter, and only a VERIFIED pair
    is moved into place (the dataset file first, so a certificate never names a missing file).
    Anything else writes nothing: ResourceError when the checker's budget (LONG_RUN_LIMITS) is
    too small for it, InternalError with the checker's reason otherwise (a bug in exactmem).
    ``workers`` > 1 checks ranges of points in that many processes and composes their receipts
    (:func:`exactmem.checker.run_sharded`)."""
    t0 = time.perf_counter()
    out = Path(out)
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise UsageError(f"-o {out}: is a folder; give the certificate's file name")
    if not folder.is_dir():
        raise UsageError(f"output folder does not exist: {folder}")
    stage = Path(tempfile.mkdtemp(prefix=".exactmem-verify-", dir=folder))
    try:
        with Heartbeat("independent check", verbose):
            if data_file:
                write_dataset_file(stage / data_file, ds)
            write_certificate(stage / out.name, cert)
            if workers > 1:
                code, last = run_sharded(stage / out.name, workers, LONG_RUN_LIMITS, quiet=True)
            else:
                code, last = run_checker(stage / out.name, quiet=True, capture=True, extra=LONG_RUN_LIMITS)
        if code == 4:
            raise ResourceError(f"the independent checker ran out of its budget on the certificate just built "
                                f"({last}); nothing was written (--no-verify writes it unchecked)")
        if code != 0:
            raise InternalError(f"internal error: the independent checker does not verify the certificate just "
                                f"built ({last}); nothing was written")
        _log(verbose, "independent checker: VERIFIED", t0)
        if data_file:
            os.replace(stage / data_file, out.with_name(data_file))
        os.replace(stage / out.name, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _json_safe(options: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}


def regenerate(cert: dict) -> dict:
    """Rebuild a certificate from its recorded recipe (for regression tests)."""
    r = cert["recipe"]
    return certify(cert["construction"]["id"], r["data"], r["options"], r.get("seed"), r.get("classes"),
                   data_file=r.get("data_file"), merge_duplicates=r.get("merge_duplicates", False))
