"""The suite's test modules, one per chapter of ``spec/SPEC.md``.

Every test cites the clauses it checks (``@cites("ORD-3", ...)``) and uses only the
backend's public API (the ``api`` and ``backend`` fixtures of
:mod:`conformance.plugin`).  Run with ``python -m pytest --pyargs conformance
--backend=MODULE``.
"""
