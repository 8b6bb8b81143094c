"""Conformance suite for sharded lazy parallel iterators (the ``ray.util.iter`` API).

Judge a backend, from any directory, with the kit installed::

    python -m pytest --pyargs conformance --backend=my_package.my_backend
    CONFORMANCE_BACKEND=ray.util.iter python -m pytest --pyargs conformance

Layout -- a reusable library, the suite's test modules, the model, the kit's tools:

The library (one concept per module; all of it public, for backend authors too):

* :mod:`conformance.entry` -- the ``pytest11`` entry point, inert until a run names the suite.
* :mod:`conformance.plugin` -- the pytest plugin: ``--backend``, clause marks, capabilities,
  known deviations, SHOULD results, Hypothesis profiles.
* :mod:`conformance.reporting` -- the clause report: one result model and every view of
  it (terminal table, JSON file, JUnit properties, HTML page per run, clause x backend
  matrix as markdown or HTML).
* :mod:`conformance.backend` -- loading a backend and its optional hooks (SPEC §13).
* :mod:`conformance.clauses` -- the clause index, read from the packaged ``spec/SPEC.md``.
* :mod:`conformance.coverage` -- which clauses the suite's tests cite.
* :mod:`conformance.known_deviations` -- the kit's table of known ``ray.util.iter``
  deviations; renders ``spec/DEVIATIONS.md`` (``python -m conformance.known_deviations``).
* :mod:`conformance.strategies` / :mod:`conformance.pipeline` -- public Hypothesis
  strategies and pipelines as data.
* :mod:`conformance.oracle` / :mod:`conformance.checks` -- expected per-shard outputs
  ("chains") of a model plan, and comparing a backend's output with them.
* :mod:`conformance.funcs` / :mod:`conformance.probes` -- picklable user functions and
  cross-process side-effect probes.
* :mod:`conformance.recovery_funcs` -- user code that ends its own process once, for the
  recovery tests (SPEC §14).
* :mod:`conformance.isolated` / :mod:`conformance.scenarios` -- checks run in a child driver.
* :mod:`conformance.bounded` -- every call into the backend bounded in time; a call that
  does not return fails its test with ``BackendHang`` (BACK-5).
* :mod:`conformance.hang_limit` -- ``--conformance-max-hangs``: after the backend has hung
  in K tests, the rest are reported as not run and the run ends.
* :mod:`conformance.util` -- the ``cites`` and ``needs`` marks and small iteration helpers.

The suite, the oracle and the tools:

* :mod:`conformance.suite` -- the test modules, one per spec chapter, and
  :mod:`conformance.suite.dimensions`, what each clause of §4–§9 ranges over and which
  of those ranges its tests do not draw yet.
* :mod:`conformance.model` -- the executable model (the oracle, also a backend), its
  modules named as the reference's: ``plan``, ``local``, ``operators``, ``sources``,
  ``metrics``, ``validation``, plus ``fetch`` (asynchronous gathers on threads, the
  model's stand-in for shard workers); it shares no code with the reference.
* :mod:`conformance.mutants` -- broken backends the suite must catch
  (``python -m conformance.mutants``; needs the ``ray`` extra).
* :mod:`conformance.matrix` -- the suite against several backends (or their JSON reports)
  as one clause table, markdown or HTML (``python -m conformance.matrix``).
* :mod:`conformance.bench` -- benchmarks of backends and peers side by side
  (``python -m conformance.bench``; needs the ``bench`` extra).
* ``spec/`` -- ``SPEC.md`` and ``DEVIATIONS.md``, shipped as package data.
"""
