"""Conformance suite for sharded lazy parallel iterators (the ``ray.util.iter`` API).

Run it against a backend with::

    PYTHONPATH=. python -m pytest conformance --backend=conformance.model
    PYTHONPATH=. python -m pytest conformance --backend=ray.util.iter

Layout (one concept per module):

* :mod:`conformance.clauses` -- the clause index parsed from ``spec/SPEC.md``.
* :mod:`conformance.backend` -- loading a backend and its optional hooks (SPEC §13).
* :mod:`conformance.known_deviations` -- the kit's table of known upstream deviations.
* :mod:`conformance.model` -- the in-process oracle, also selectable as a backend.
* :mod:`conformance.oracle` -- expected per-shard outputs ("chains") of a model plan.
* :mod:`conformance.checks` -- comparing a backend's output with those expectations.
* :mod:`conformance.pipeline` / :mod:`conformance.strategies` -- pipelines as data and
  the public Hypothesis strategies that generate them.
* :mod:`conformance.funcs` / :mod:`conformance.probes` -- picklable user functions and
  cross-process side-effect probes used by the tests.
* :mod:`conformance.plugin` / :mod:`conformance.report` -- the pytest plugin and the
  clause report.
"""
