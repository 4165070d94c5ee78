"""Errors a user can cause, each with the exit code the CLI documents.

Exit codes of the ``exactmem`` command (the checker has its own, see
``docs/certificate-format.md``):

* 0 success
* 2 bad input data (malformed file, duplicate points, labels out of range, ...)
* 3 a construction cannot be built with the given parameters (inadmissible widths, ...)
* 4 a resource limit was hit
* 5 usage or I/O error (unknown command, unreadable file, ...)
* 1 the certificate written was rejected by the checker (``check``, ``demo``, ``regress``)
* 70 internal error: a bug in exactmem, never the user's input (please report it; nothing is
  written; ``EXACTMEM_DEBUG=1`` shows the traceback)
* 130 interrupted (Ctrl-C); 141 the output pipe was closed (e.g. piped into ``head``)
"""


class ExactmemError(Exception):
    """Base class: the message is one line meant for the user."""

    exit_code = 5


class DataError(ExactmemError):
    exit_code = 2


class ConstructionError(ExactmemError):
    exit_code = 3


class ResourceError(ExactmemError):
    exit_code = 4


class UsageError(ExactmemError):
    exit_code = 5


class InternalError(ExactmemError):
    """A bug in exactmem (for example a construction whose network misses a data point): the
    tool refuses to certify and says so, with its own exit code."""

    exit_code = 70
