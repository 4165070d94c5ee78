"""Studies: analyses built on top of the core pipeline, each behind one ``exactmem`` command.

* :mod:`.precision`      -- the fewest bits a memorizing network needs (``exactmem precision``);
* :mod:`.pieces`         -- YSJ19 Theorem 3.3: bounds, the witness, the survey (``exactmem pieces``);
* :mod:`.paper_numbers`  -- YSJ19's numeric claims reproduced by real runs (``exactmem claims``);
* :mod:`.sgd`            -- YSJ19 Theorem 5.1 as a float64 experiment (``exactmem sgd-near``);
* :mod:`.tradeoff`       -- the yy26 width/depth trade-off (``exactmem tradeoff``).

The dependency is one-way: studies import the core (pipeline, certificate, checker, engine,
constructions, ...), and only the CLI imports studies.  No core module and no construction may
import this package, and no study imports the CLI.
"""
