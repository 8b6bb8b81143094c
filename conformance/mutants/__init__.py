"""Deliberately broken backends: the conformance suite must catch each one.

Every module here except ``control`` and the private ones is a *mutant*: a
backend (``--backend=conformance.mutants.NAME``) that is the reference behind
the thin proxy layer of ``_wrap.py`` with exactly one realistic bug. Its
docstring starts with what it breaks, ``Breaks **CLAUSE-ID** (...)``, which
the runner reads as the mutant's target. ``control`` is the same proxy layer
with no bug: the suite must pass it.

Run them all with ``nox -s mutants`` (or ``python -m conformance.mutants``,
see ``__main__.py``): the run fails unless the control passes and every mutant
is caught, and prints which clauses caught each mutant and the mutation score.

Adding a mutant: copy a small one (``union_swapped.py``), subclass
``_wrap.ParallelIterator`` / ``_wrap.LocalIterator`` and override one thing,
using only the reference's public API, and end the module with
``globals().update(_wrap.exports(ParallelIterator))``; keep the rest of the
behaviour right (names, argument checks, errors), so the mutant shows whether
the suite checks that one clause rather than whether it notices collateral
damage.
"""
