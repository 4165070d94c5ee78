"""Reusable exact ReLU gadgets, defined once and composed by the constructions.

Layers are passed around in rational form: ``(W, b, activation)`` with W a list of rows of
Fractions.  :func:`exactmem.network.Layer.from_rationals` turns them into the integer IR.
"""

from __future__ import annotations

from fractions import Fraction


def zero_rows(count: int, n_in: int):
    """``count`` dead units: zero row, zero bias (ReLU(0) = hard-tanh(0) = 0)."""
    return [[Fraction(0)] * n_in for _ in range(count)], [Fraction(0)] * count


def hardtanh_to_relu(layers, relu_widths=None):
    """Convert hard-tanh hidden layers to ReLU ones with the identity

        hardtanh(a) = ReLU(a + 1) - ReLU(a - 1) - 1.

    Each *used* hard-tanh unit (nonzero row or bias) with pre-activation a becomes the adjacent
    pair ReLU(a + 1), ReLU(a - 1); a weight w on it in the next layer becomes (+w, -w) and that
    layer's bias absorbs -w.  Unused units compute hardtanh(0) = 0 and are dropped.  Each hidden
    layer is then padded with zero ReLUs to ``relu_widths[l]`` (default: no padding).
    The last layer (the output, any activation) only receives the fold.
    """
    out = []
    keep = None          # used-unit indices of the previous hard-tanh layer
    prev_pad = 0         # zero ReLUs appended to the previous layer
    for li, (W, b, act) in enumerate(layers):
        last = li == len(layers) - 1
        if keep is not None:                            # fold the previous layer's conversion
            newW, newb = [], []
            for row, bias in zip(W, b):
                r = []
                for k in keep:
                    r += [row[k], -row[k]]
                newW.append(r + [Fraction(0)] * prev_pad)
                newb.append(bias - sum(row[k] for k in keep))
            W, b = newW, newb
        if last:
            out.append((W, b, act))
            break
        if act != "hardtanh":
            raise ValueError("hardtanh_to_relu expects hard-tanh hidden layers")
        keep = [k for k, (row, bias) in enumerate(zip(W, b)) if bias or any(row)]
        rw, rb = [], []
        for k in keep:
            rw += [list(W[k]), list(W[k])]
            rb += [b[k] + 1, b[k] - 1]
        if relu_widths is not None:
            pad = relu_widths[li] - len(rw)
            if pad < 0:
                raise ValueError(f"layer {li + 1}: {len(rw)} ReLUs needed, width {relu_widths[li]}")
            n_in = len(W[0]) if W else 0
            zw, zb = zero_rows(pad, n_in)
            rw, rb = rw + zw, rb + zb
            prev_pad = pad
        out.append((rw, rb, "relu"))
    return out
