"""Estimates, guards and progress for long work: what a build will cost before it starts, the
``--max-memory`` guard that refuses one too large for the machine, and the progress shown while
a long step runs (docs/performance.md, "Estimates and guards").

* :func:`estimate` -- a deliberately conservative model of a build's peak memory and time per
  construction, from N, d, dy, the classes and the options alone (no dataset is generated, no
  network built).  Fitted to measurements at small sizes; meant to be right within a small
  factor, on the safe side (larger than the measurement).
* :func:`guard` -- :class:`~exactmem.errors.ResourceError` (exit 4) when the estimate exceeds a
  limit; :func:`parse_bytes` reads ``8G``, ``512M``; :func:`default_max_memory` is half of the
  machine's physical memory.
* :class:`Heartbeat` -- a daemon thread printing "building vys21 ... 15 s" every
  :data:`HEARTBEAT_S` seconds on stderr while a step that cannot report progress itself runs;
  :func:`progress_bar` -- a tqdm bar on stderr for a step that can (the forward pass, per chunk).

The estimates use integers only (bytes and whole seconds); they never touch a network's values.
"""

from __future__ import annotations

import math
import os
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from .errors import ResourceError, UsageError

# ---------------------------------------------------------------------------------------------
# The model (docs/performance.md, "Estimates and guards", has the measurements it is fitted to)

MB = 1 << 20

# The interpreter with exactmem, FLINT and numpy imported: about 30 MiB resident, measured; the
# estimate counts 100 MiB so that a small build is never under-estimated by the fixed part.
BASE_BYTES = 100 * MB

# One coordinate of the dataset as a Fraction on the 2^-16 grid: the Fraction (~56 bytes), its two
# ints (~28 each), the tuple slot; with the generator's own copy (integer grid tuples and the
# dict that keeps them distinct), the loaders' copies and the certificate's text of the same
# number, about 350 bytes per coordinate were measured; the model counts 500 and as much again
# per point (the point's tuples and its label).
BYTES_PER_COORDINATE = 500
BYTES_PER_POINT = 1000
# A coordinate that is an integer in 0..4095 (pixels): the loaders and generators share one
# Fraction per value, so the point's tuple holds a pointer (8 bytes); with the certificate's text
# of the number (up to 5 bytes, twice while it is written) the model counts 24.
SMALL_COORDINATE_BYTES = 24

# The forward pass holds, per layer and chunk of points, a neurons x chunk block of integers
# about three times (the FLINT product's entries as Python objects, the ints made from them, the
# activated rows).  Measured: about 100 bytes per neuron-point entry for values of under 64 bits
# (zhang17), 200 for cor4.2's values of about 100 bits, 1,100 to 2,200 for ysj19-thm3.1's values
# of a few N bits.  The model counts 160 bytes plus 3/8 of the value's bits (three copies).
BYTES_PER_ENTRY = 160

# Time of one neuron-point evaluation, build and independent check together, in nanoseconds for
# values of under 256 bits (zhang17: 2.1 to 2.7 us measured, build plus check); values of b bits
# cost (1 + b/256) times that.  Only informative (the log line): nothing is refused on time.
NS_PER_UNIT = 3000
# The integral constructions' networks are evaluated packed (exactmem/packed.py and the checker's
# check_packed.py): a neuron costs a few passes over its slot, bits/64 + 1 words per point.
# Measured, build and check together, per neuron-point-word of the model's units and bits:
# vys21 18 ns at N = 4,000, 24 ns at N = 16,000; the model counts 80.
PACKED = ("vys21", "vys21-depth", "yy26")
NS_PER_PACKED_WORD = 80


def _entry_bytes(bits: int) -> int:
    return BYTES_PER_ENTRY + (3 * bits) // 8


@dataclass(frozen=True)
class Estimate:
    """A build's predicted peak memory (bytes, the builder's process) and time (whole seconds,
    build and independent check together), and one line saying what dominates."""

    memory_bytes: int
    seconds: int
    note: str


@dataclass(frozen=True)
class _Shape:
    """What the model needs of a construction's network, each an upper bound that never
    decreases as N or d grows: ``width`` the widest layer (the widest neurons x chunk block of
    the forward pass), ``params`` the weights (held as ints, as text and as bytes), ``bits`` of
    a typical value between layers, ``units`` the neurons evaluated per point (time)."""

    width: int
    params: int
    bits: int
    units: int
    note: str
    seconds: int | None = None          # the construction's own time model, when it has one
    state: int = 0                      # small values per point held beside the widest block
    small_params: int = 0               # weights of at most small_bits bits, beside ``params``
    small_bits: int | None = None       # bits of those and of an output, when not ``bits``


@dataclass(frozen=True)
class DataProfile:
    """What the model reads of data already loaded: whether every coordinate is an integer in
    0..4095 (the loaders then share one Fraction per value, so a coordinate costs a pointer, not
    a number: :func:`exactmem.data.small_shared`), and ``bits``, an upper bound on the bits of a
    coordinate over the data's common denominator (numerator bits + bits of the lcm of the
    denominators), which sizes the general-position constructions' normals."""

    small_integers: bool
    bits: int
    largest_class: int | None = None


# Data not yet generated (``random:``): coordinates on the 2^-16 grid of [-1, 1], 17 bits of
# numerator over the denominator 2^16 (17 bits), classes of unknown sizes.
UNKNOWN_DATA = DataProfile(False, 34)


def data_profile(points, labels=None) -> DataProfile:
    """The :class:`DataProfile` of loaded points (one pass over the coordinates), with the size
    of the largest class when class ``labels`` are given."""
    small, top, dens = True, 0, set()
    for p in points:
        nums = [v.numerator for v in p]
        dens.update(v.denominator for v in p)
        lo, hi = min(nums, default=0), max(nums, default=0)
        small = small and lo >= 0 and hi < 4096
        top = max(top, abs(lo).bit_length(), abs(hi).bit_length())
    small = small and dens <= {1}
    largest = max(Counter(labels).values(), default=0) if labels is not None else None
    return DataProfile(small, top + math.lcm(*dens).bit_length() if dens else 1, largest)


def _isqrt_up(x: int) -> int:
    r = math.isqrt(x)
    return r if r * r >= x else r + 1


def _int_list(value) -> list[int]:
    try:
        return [int(v) for v in value]
    except (TypeError, ValueError):
        return []


def _int_option(options: dict, key: str) -> int | None:
    try:
        v = options.get(key)
        return None if v is None else max(int(v), 1)
    except (TypeError, ValueError):
        return None


def _zhang17_shape(n: int, d: int, dy: int) -> _Shape:
    """Zhang et al.'s one hidden layer of N ReLUs on one direction: a point costs one product and
    a bisection (exactmem/one_direction.py, the checker's check_pairs.py), so the forward pass is
    about linear in N.  The size is not: an output neuron has one denominator, the lcm of its N
    weights' denominators (slopes over the gaps between consecutive projections), measured at
    4.0 bits a point at N = 10,000 and 1.07 at N = 100,000 on random data (the lcm of gaps drawn
    from a bounded range saturates), so its N weights hold about N x that many bits, and the
    engine's prefix sums as much again.  The model counts min(4N, 2^17) + 64 bits for each of
    3 N dy such numbers, and time for the checker's canonical-form gcds along them, quadratic in
    their words (about 1 ns a word squared measured at N = 10,000)."""
    bits = min(4 * n, 1 << 17) + 64
    words = bits // 64 + 1
    seconds = (n * (d + 16) * NS_PER_UNIT + 2 * n * dy * words * words) // 10 ** 9
    return _Shape(dy + 1, 3 * n * dy, bits, d + 16, "one hidden layer of N neurons on one direction: an "
                  "output neuron's N weights share one denominator of up to ~4N bits (a certificate of ~N^2 bits)",
                  seconds=seconds, small_params=n * (d + 1) + d, small_bits=64 + 4 * d)


def _shape(cid: str, n: int, d: int, dy: int, classes, options: dict, profile: DataProfile) -> _Shape:
    """The per-construction part of the model, in closed form: nothing here loops over N (the
    constructions' own default rules, such as YSJ19's width search or VYS21's block size, are
    replaced by their growth, rounded up)."""
    c = classes or 1
    widths = _int_list(options.get("widths") or ())
    if cid == "ysj19-thm3.3" and _int_option(options, "depth") == 3:
        cid = "ysj19-thm3.1"
    if cid == "zhang17":
        return _zhang17_shape(n, d, dy)
    if cid == "ysj19-thm3.3":
        # One hidden layer of N ReLUs on one direction a = (1, T, ..., T^(d-1)); values a.x - b of
        # d small powers of T (T is small on random data), under 64 + 4d bits.  The forward pass
        # reads the layer with the next one by a bisection (exactmem/one_direction.py), but the
        # checker's count of the pieces on the segment evaluates the hidden layer itself at each
        # of about N points: about 8 times zhang17's dense check (84 s at N = 2,000).
        units = (n + 1) * (8 + d) // 8 * 8
        return _Shape(n + 1, n * (d + 1 + dy) + d, 64 + 4 * d, units,
                      "one hidden layer of N neurons: the pieces on the segment meet all of them (quadratic in N)")
    if cid in ("ysj19-thm3.1", "ysj19-prop3.2", "ysj19-prop3.4"):
        # Default widths about 2 sqrt(N dy) each (d1 d2 >= 4 N dy, balanced), + 4C for Prop 3.2's
        # class layer; the H3 block's weights grow with the cells it separates, so a point's
        # column holds a few N bits (2.5 N measured): the model counts 4N.
        out = c if cid == "ysj19-prop3.2" else dy
        w = max(widths) if widths else 2 * _isqrt_up(n * (1 if cid == "ysj19-prop3.2" else dy)) + 4 * out + 16
        layers = len(widths) + 1 if widths else (4 if cid == "ysj19-prop3.2" else 3)
        return _Shape(w, w * (d + 1) + (layers - 1) * w * (w + 1), 4 * n + 64, w * layers,
                      "H3 layers: per-point columns of a few N bits")
    if cid in ("ysj19-cor4.2", "ysj19-thm4.1"):
        return _general_position_shape(cid, n, d, c, widths, options, profile)
    if cid in ("vys21", "vys21-depth", "yy26"):
        # Narrow and deep: width 10 to 12 (+ C in the class decoder), or yy26's --width; depth
        # 11.6 sqrt(N) and weights of 7.5 sqrt(N) bits measured (vys21, N = 1,000 and 2,000):
        # the model counts 16 sqrt(N) layers and 8 sqrt(N) + 64 bits.  A depth budget widens
        # the network (vys21-depth, yy26 --depth).
        root = _isqrt_up(n)
        bits = 8 * root + 64
        layers = 16 * root + 16
        w = 12 + c
        depth = _int_option(options, "depth")
        width = _int_option(options, "width")
        if cid == "vys21-depth":
            # Below the block layout's least depth (about 40 at N = 1,000) the direct network is
            # built: one step layer of 2N - 2 units (measured at L = 3 and L = 40).
            w = max(w, 2 * n + 16 + c)
            layers = (depth or 3) + 4
        if cid == "yy26":
            if width is not None:
                w = max(width, 8)
                layers = 16 * n // max(1, (w - 6) * (w - 5)) + 8 if w >= 8 else n + 8
                layers = layers + bits // 8
            else:
                L = depth or 2
                w = _isqrt_up(16 * n // (L - 3)) + 8 if L >= 4 else 2 * n + 8
                layers = L
            w = w + c
            if depth is not None:
                layers = min(layers, depth + 4)
        core = w - c                                # the class decoder is one layer, not every one
        if cid == "vys21-depth":                    # one wide step layer between narrow ones
            params, units = layers * 13 * 12 + core * (d + 32) + c * 13, core + 12 * layers
        else:
            params, units = layers * core * (core + 1) + (d + 1) * w + c * (core + 1), core * layers
        return _Shape(w, params, bits, units, "narrow deep network: depth and bit size growing like sqrt(N)")
    # Unknown to the model: like the widest above (one neuron per point, values of a few N bits).
    return _Shape(n + 1, (n + 1) * (d + dy + 1), 4 * n + 64, 3 * (n + 1), "no specific model: one neuron per point")


def _general_position_shape(cid: str, n: int, d: int, c: int, widths: list, options: dict,
                            profile: DataProfile) -> _Shape:
    """YSJ19 Cor 4.2 and Thm 4.1: G = ceil(N/d) + C class-pure groups of r <= min(d, N) points,
    each with a trap bump of 4 units on the hyperplane through it.  A normal is an integer null
    vector of the group's r - 1 differences (k-bit integers over the common denominator), so
    each entry is an (r-1)-minor: under r (k + 1 + log2(r)/2) bits (Hadamard), plus the scale K
    (k bits).  Measured at the CIFAR shape (8-bit pixels, r = 3,072): 10.6 bits per group
    point, the bound 15.8.  The hidden units fall like 4N/d as d grows while the bits grow like
    d, so this model, unlike the others, may fall as d grows (it never falls as N grows).
    A group is no larger than the largest class (when the profile knows it)."""
    k = profile.bits
    r = min(d, n, profile.largest_class or n)
    lg_r = r.bit_length()
    entry = r * (k + 1) + (r * lg_r) // 2 + k + 64          # bits of one weight of a bump unit
    value = entry + k + d.bit_length() + 8                  # bits of a bump unit's value at a point
    groups = -(-n // d) + c
    if cid == "ysj19-cor4.2":
        # One hidden layer of d1 = 4N/d + 4C units (or --widths), every one holding a normal.
        w = max(max(widths) if widths else 0, 4 * groups + 8)
        width, params, small, units, state = w, w * (d + 1), w * c, w, 0
        note = "4N/d + 4C hidden units with general-position weights of d (k + log d) bits"
    else:
        # Residual blocks (4 units of one group by default, or --block-widths), a d-wide state.
        bw = max(_int_list(options.get("block_widths") or ()) or [4])
        head = max(_int_option(options, "head_width") or 0, 2 * c)
        width = bw + head + 8
        params = 4 * groups * (d + 1)                     # the bump rows
        small = 4 * groups * d + d + head * (d + c + 1)    # pushes, shift, head
        units = 4 * groups + head
        state = 2 * d                                      # the state h and its update, small values
        note = "residual bump blocks with general-position weights of d (k + log d) bits"
    # Time (informative): per point and group, the normal's product with the point in the build,
    # the forward pass and the check (d words of entry/64 + 1 limbs each), plus ~150 us of
    # Python per point and group (cor4.2 and thm4.1 at d = 8, N = 250 to 1,000: 2 to 27 s);
    # and one RREF per group, ~4 r^3 ns at the class size r (FLINT, r = 600 to 3,072 measured).
    r_class = min(r, -(-n // c))                       # balanced classes
    ns = n * groups * (3 * d * (entry // 64 + 1) + 150_000) + groups * 4 * r_class ** 3
    return _Shape(width, params, value, units, note, seconds=ns // 10 ** 9, state=state, small_params=small,
                  small_bits=64 + 2 * k)


def estimate(construction_id: str, n: int, d: int, dy: int = 1, classes: int | None = None,
             options: dict | None = None, chunk: int = 1024, profile: DataProfile | None = None) -> Estimate:
    """Conservative peak memory and time of ``exactmem build construction_id`` on N points of
    dimension d with dy outputs (``classes`` C for class labels), from the sizes alone, and the
    data's :class:`DataProfile` once they are loaded (None: :data:`UNKNOWN_DATA`).

    memory = BASE_BYTES + the dataset (BYTES_PER_COORDINATE per coordinate and label, or
    SMALL_COORDINATE_BYTES for small integers, and BYTES_PER_POINT per point) + the forward
    pass's widest block (width x min(N, chunk) entries of :func:`_entry_bytes`, and the
    construction's small per-point state) + the network and the outputs three times over (ints,
    text, bytes: 64 bytes + bits/8 per number).  seconds = N x units x NS_PER_UNIT x
    (1 + bits/256), or for the packed (integral) constructions N x units x NS_PER_PACKED_WORD x
    (bits/64 + 1), or the construction's own time model.  Both never decrease as N grows, nor as
    d grows except for the general-position constructions (:func:`_general_position_shape`).
    ``chunk``: the engine's chunk size (its ``CHUNK``)."""
    n, d, dy = max(int(n), 1), max(int(d), 1), max(int(dy), 1)
    profile = profile or UNKNOWN_DATA
    shape = _shape(construction_id, n, d, dy, classes, dict(options or {}), profile)
    out = max(dy, classes or 1)
    per_coordinate = SMALL_COORDINATE_BYTES if profile.small_integers else BYTES_PER_COORDINATE
    dataset = n * (d + out) * per_coordinate + n * BYTES_PER_POINT
    block = min(n, max(int(chunk), 1))
    forward = block * (shape.width * _entry_bytes(shape.bits) + shape.state * BYTES_PER_ENTRY)
    small_bits = shape.bits if shape.small_bits is None else shape.small_bits
    network = 3 * shape.params * (64 + shape.bits // 8) + 3 * (shape.small_params + n * out) * (64 + small_bits // 8)
    memory = BASE_BYTES + dataset + forward + network
    if shape.seconds is not None:
        seconds = shape.seconds
    elif construction_id in PACKED:
        seconds = n * shape.units * NS_PER_PACKED_WORD * (shape.bits // 64 + 1) // 10 ** 9
    else:
        seconds = n * shape.units * NS_PER_UNIT * (256 + shape.bits) // (256 * 10 ** 9)
    return Estimate(memory, seconds, shape.note)


def guard(construction_id: str, n: int, d: int, dy: int, classes, options, max_memory: int | None,
          profile: DataProfile | None = None) -> Estimate:
    """The estimate, or ResourceError (exit 4) when it exceeds ``max_memory`` bytes (no limit
    when None).  The message names the estimate, the limit and the flag that raises it."""
    est = estimate(construction_id, n, d, dy, classes, options, profile=profile)
    if max_memory is not None and est.memory_bytes > max_memory:
        raise ResourceError(f"{construction_id} on N={n}, d={d} needs about {format_bytes(est.memory_bytes)} "
                            f"(estimate), more than --max-memory={format_bytes(max_memory)}; raise "
                            f"--max-memory or use less data")
    return est


# ---------------------------------------------------------------------------------------------
# Sizes and the default limit

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:I?B)?\s*", re.IGNORECASE)


def parse_bytes(text: str, flag: str = "--max-memory") -> int:
    """A byte count: an integer or decimal with an optional binary suffix K, M, G or T (KiB, MiB,
    GiB, TiB; ``8G``, ``512M``, ``1.5GiB``); UsageError otherwise, and for zero."""
    m = _SIZE.fullmatch(str(text))
    if not m:
        raise UsageError(f"{flag} expects a size such as 8G, 512M or 1000000 (bytes), got {text!r}")
    value = int(Fraction(m.group(1)) * _UNITS[m.group(2).upper()])
    if value < 1:
        raise UsageError(f"{flag} must be at least one byte, got {text!r}")
    return value


def format_bytes(n: int) -> str:
    """1536 -> '1.5 KiB'; one decimal below 10 units, none above (integer arithmetic)."""
    for name, unit in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= unit:
            tenths = (10 * n + unit // 2) // unit
            return f"{tenths // 10}.{tenths % 10} {name}" if tenths < 100 else f"{(n + unit // 2) // unit} {name}"
    return f"{n} B"


def format_seconds(s: int) -> str:
    """A duration for the log: '40 s', '3 min', '2.5 h'."""
    if s < 120:
        return f"{max(s, 1)} s"
    if s < 7200:
        return f"{(s + 30) // 60} min"
    tenths = (s + 180) // 360
    return f"{tenths // 10}.{tenths % 10} h"


# Where the system does not report its memory (no os.sysconf), the default limit is this.
FALLBACK_MAX_MEMORY = 8 << 30


def default_max_memory() -> int:
    """Half of the machine's physical memory (os.sysconf), the default of ``--max-memory``."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MAX_MEMORY
    return total // 2 if total > 0 else FALLBACK_MAX_MEMORY


# ---------------------------------------------------------------------------------------------
# Progress on stderr

# Seconds between heartbeat lines (tests shorten it).
HEARTBEAT_S = 5.0
# Least seconds between two redraws of a bar on a terminal; in a log (stderr not a terminal)
# a bar is redrawn at most every HEARTBEAT_S seconds, one line each, so logs stay short.
BAR_MININTERVAL_S = 0.5
# A bar appears only once its step has run this long (a fast step prints nothing).
BAR_DELAY_S = 2.0


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Heartbeat:
    """``with Heartbeat("building vys21", enabled):`` -- while the block runs, a daemon thread
    prints "building vys21 ... 15 s" on stderr every :data:`HEARTBEAT_S` seconds (nothing for a
    block shorter than that, nothing when disabled).  With ``bar`` (a tqdm bar) it redraws the
    bar instead, so the bar's elapsed time moves even while one chunk takes long.  The thread
    is stopped and joined when the block ends, so no line follows it."""

    def __init__(self, label: str, enabled: bool = True, bar=None):
        self.label, self.enabled, self.bar = label, enabled, bar
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        if self.enabled:
            interval, t0 = HEARTBEAT_S, time.monotonic()
            self._thread = threading.Thread(target=self._run, args=(interval, t0), daemon=True,
                                            name=f"exactmem-heartbeat:{self.label}")
            self._thread.start()
        return self

    def _run(self, interval: float, t0: float) -> None:
        while not self._stop.wait(interval):
            if self.bar is not None:
                self.bar.refresh()
            else:
                print(f"[{int(time.monotonic() - t0):6d} s] {self.label} ...", file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return False


class LogLines:
    """stderr for a bar when it is not a terminal (a log): each redraw becomes its own line,
    without the carriage returns a terminal needs."""

    def write(self, text: str) -> None:
        text = text.replace("\r", "").rstrip()
        if text:
            print(text, file=sys.stderr, flush=True)

    def flush(self) -> None:
        sys.stderr.flush()


def progress_bar(total: int, desc: str, enabled: bool = True, unit: str = "pt"):
    """A tqdm bar on stderr over ``total`` items, or None when disabled.  It appears once its
    step has run BAR_DELAY_S seconds, and shows in logs too (stderr need not be a terminal):
    on a terminal it is redrawn in place at most every BAR_MININTERVAL_S seconds; elsewhere
    as a line "[elapsed] desc: k/total unit (p%)" at most every HEARTBEAT_S seconds.  Closing
    it prints its final state (if it appeared)."""
    if not enabled:
        return None
    from tqdm import tqdm

    if _stderr_is_terminal():
        return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=True,
                    mininterval=BAR_MININTERVAL_S, delay=BAR_DELAY_S)
    return tqdm(total=total, desc=desc, unit=unit, file=LogLines(), leave=True, mininterval=HEARTBEAT_S,
                delay=BAR_DELAY_S, bar_format="[{elapsed:>8}] {desc}: {n_fmt}/{total_fmt} {unit} ({percentage:3.0f}%)")
