"""Reporting: every view of a conformance run built on one result model.

* :mod:`~conformance.reporting.model` -- the result model: test records, clause
  results (the worst status of the tests citing a clause), a run report, and its
  JSON form (read and written here only).
* :mod:`~conformance.reporting.keys` -- what the suite's plugin hands the reporting
  plugin through ``config.stash`` (so neither imports the other).
* :mod:`~conformance.reporting.collector` -- the pytest plugin that collects a run
  into the model and writes the JSON report, the HTML page and the terminal table,
  and puts each test's clauses into pytest's JUnit XML.
* :mod:`~conformance.reporting.terminal` -- the terminal clause table.
* :mod:`~conformance.reporting.spectext` -- each clause's own text from SPEC.md.
* :mod:`~conformance.reporting.html` -- shared pieces of the HTML pages (style,
  script, result badges), :mod:`~conformance.reporting.run_page` -- one page per
  run, :mod:`~conformance.reporting.matrix_page` -- the clause x backend page,
  :mod:`~conformance.reporting.matrix_table` -- the clause x backend grid and its
  markdown form.
"""
