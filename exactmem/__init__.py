"""exactmem: memorization theorems for ReLU networks as exact, checkable objects.

Pipeline: dataset (``data``) -> construction (``constructions``) -> exact network
(``network``) -> forward pass (``engine``) -> certificate (``certificate``) ->
independent checker (``certificates/check.py``, standard library only).
"""

__version__ = "0.1.0"
