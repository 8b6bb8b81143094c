"""Benchmarks of backends of the ``ray.util.iter`` API: pytest-benchmark
workloads comparing backends with each other and with peers (Ray Data,
multiprocessing, serial Python), as ratios measured side by side in one run.

Run against any installed backend (a module path or ``module:attribute``, as
for the conformance suite; a module in the current directory works too)::

    python -m conformance.bench --backend=reference --backend=ray.util.iter --size quick

It writes ``./benchmark-results/`` (``results.md``, ``chart.png``,
``latest.json``, ``skipped.json``) and saves a pytest-benchmark baseline in
``./.benchmarks/``. The regression gate, ``python -m conformance.bench compare
BASE CANDIDATE``, runs both sides in one run, interleaved, and fails when the
candidate is slower beyond tolerance, judged with 95 % intervals.
``python -m conformance.bench --help`` lists the options.

* :mod:`conformance.bench.workloads` -- workloads, sizes and contenders, independent of pytest.
* :mod:`conformance.bench.cases` -- the benchmarks (named so that the conformance suite
  never collects them).
* :mod:`conformance.bench.plugin` -- their pytest plugin (``-p conformance.bench.plugin``).
* :mod:`conformance.bench.report` -- ``results.md`` and ``chart.png`` from one run's JSON.
* :mod:`conformance.bench.yardstick` -- the probes each round is measured against.
* :mod:`conformance.bench.compare` -- the regression gate: two sides interleaved, ABBA.
* :mod:`conformance.bench.side` -- one side's long-lived benchmark process.
* :mod:`conformance.bench.stats` -- the ratio's interval and the verdicts.
* :mod:`conformance.bench.gate` -- the earlier gate: two stored runs' ratios to yardsticks.
"""
