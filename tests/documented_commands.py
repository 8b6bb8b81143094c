"""Every command the README and docs/ show, and how it is checked.

:func:`documented_commands` reads the shell blocks (```` ```sh ````) of the
project's documents; :data:`RULES` says, for each command, how it is checked:

* ``ci`` -- ``.ci/run`` runs it as written (the test checks that it does);
* ``install`` -- an install line; the fresh environment of the check is made by
  installing the wheel built from this checkout with the same extras;
* ``run`` -- ``tests/test_documented_commands.py`` runs it in a fresh
  environment (the wheel and its ``test`` extras in a new venv, its ``bin``
  first on ``PATH``), from a directory outside the checkout (``where="outside"``)
  from a copy of the checkout's files (``where="checkout"``), or from a git clone
  of the checkout, for commands that build a revision (``where="clone"``). A rule's ``run`` is the
  command actually run when it is not the documented one: the same program and
  code path at the smallest size, or with a placeholder backend replaced by a
  real one; ``why`` says what was changed and why;
* ``browser`` -- it needs Playwright and Chromium, which the fresh environment
  does not have: the browser test named by ``test`` (``path::function``) runs
  the same program the same way under ``nox -s browser``, which CI runs (the
  test checks that the named test exists).

Placeholders (``my_pkg.backend``, ``my_package.my_backend``, ``mypkg.backend``)
are backends the reader writes; the check provides each as a copy of
``docs/example_backend.py``. A command with no rule fails
``test_every_documented_command_has_a_rule``: add one when you document a command.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DOCUMENTS = (
    "README.md", "docs/*.md", "docs/examples/README.md", "conformance/README.md", "benchmarks/README.md",
)
SHELL_BLOCK = re.compile(r"^```(?:sh|bash|console)\n(.*?)^```", re.M | re.S)
#: placeholder backend modules the documents use, provided as docs/example_backend.py
PLACEHOLDERS = ("my_pkg/backend.py", "my_package/my_backend.py", "mypkg/backend.py", "my_backend.py")
#: what a compare run that compared prints: the benchmark's row of the table (an
#: argument error exits 2 too, as an unresolved comparison does)
COMPARED = "| cheap[gather_async] |"
#: the smallest run of the suite that still judges a backend end to end
ONE_CHAPTER = "-q -k test_ordering"


@dataclass(frozen=True)
class Command:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


@dataclass(frozen=True)
class Rule:
    pattern: str
    check: str  # "ci" | "install" | "run" | "browser"
    run: str | Callable[[str], str] | None = None
    why: str = ""
    where: str = "outside"  # "outside" | "checkout" | "clone"
    expect: str = ""  # text the command must print
    exits: tuple[int, ...] = (0,)  # exit statuses that mean it worked
    test: str = ""  # for "browser": the test that runs it, tests/browser/FILE.py::FUNCTION

    def matches(self, command: Command) -> bool:
        return re.fullmatch(self.pattern, command.text) is not None

    def command(self, command: Command) -> str:
        """The shell command the check runs for ``command``."""
        if self.run is None:
            return command.text
        return self.run(command.text) if callable(self.run) else self.run


def _one_chapter(text: str) -> str:
    return f"{text} {ONE_CHAPTER}"


def _without_sizes(text: str) -> str:
    return re.sub(r" --size \S+| -k (\"[^\"]*\"|\S+)| --results=\S+", "", text)


def _tiny_bench(text: str) -> str:
    return f"{_without_sizes(text)} --size tiny --results=bench-results -k cheap"


def _tiny_compare(text: str) -> str:
    text = _without_sizes(text).replace("BASE CANDIDATE", "reference reference")
    text = text.replace("/path/to/main-env/bin/python", '"$(command -v python)"')
    return f"{text} --size tiny --budget 10 --max-pairs 9 --results=bench-results -k cheap[gather_async]"


def documented_commands(root: Path) -> list[Command]:
    """The commands of every shell block, one per line (comments and blank lines
    dropped, a line ending in a backslash joined with the next)."""
    found: list[Command] = []
    for pattern in DOCUMENTS:
        for path in sorted(root.glob(pattern)):
            text = path.read_text()
            for block in SHELL_BLOCK.finditer(text):
                first = text.count("\n", 0, block.start(1)) + 1
                pending, start = "", 0
                for offset, raw in enumerate(block.group(1).splitlines()):
                    line = re.sub(r"\s+#.*$", "", raw).strip()
                    if not line or line.startswith("#"):
                        continue
                    if not pending:
                        start = first + offset
                    if line.endswith("\\"):
                        pending += line[:-1] + " "
                        continue
                    found.append(Command(str(path.relative_to(root)), start, pending + line))
                    pending = ""
    return found


def rule_for(command: Command) -> Rule | None:
    return next((rule for rule in RULES if rule.matches(command)), None)


_NOX = "python -m nox --no-venv --no-install"
_NOX_WHY = (
    "run with nox in the fresh environment (--no-venv --no-install: the session's own "
    "commands, without building another environment of the same packages)"
)

def _committed_probe(pattern: str, run: str | Callable[[str], str], why: str, expect: str) -> Rule:
    """A probe script committed beside its results, run smaller from the checkout."""
    return Rule(pattern, "run", run=run, why=f"{why} (a committed probe: from the checkout)",
                where="checkout", expect=expect)


RULES: tuple[Rule, ...] = (
    # -- what CI runs as written ------------------------------------------------
    Rule(r"python3 -m pip install nox && python3 -m nox -s (tests|cluster|docs|browser)", "ci"),
    Rule(r"python3 -m nox -s (tests|cluster|docs|browser)", "ci"),
    # -- installs: the fresh environment is the wheel with these extras ------------
    Rule(r"(python3? -m )?pip install .*parallel[-_]iter[-_]kit.*", "install"),
    Rule(r"(python3? -m )?pip install -e '\.\[[a-z,]+\]'", "install"),
    # -- the suite -----------------------------------------------------------------
    Rule(
        r"python3 -m pip install nox && python3 -m nox -s conformance",
        "run",
        run=f"{_NOX} -s conformance -- conformance.model {ONE_CHAPTER}",
        why=f"{_NOX_WHY}; judges the model on one chapter (CI judges the reference in full in nox -s tests)",
        where="checkout",
    ),
    Rule(
        r"python -m pytest --pyargs conformance --backend=conformance\.model +"
        r"--conformance-report=model\.json --conformance-html=model\.html",
        "run",
        run=_one_chapter,
        why=f"one chapter ({ONE_CHAPTER}); in the checkout, where the next command's reports are",
        where="checkout",
    ),
    Rule(
        r"(CONFORMANCE_BACKEND=\S+ |PYTHONPATH=\. )?python -m pytest --pyargs conformance"
        r"( --backend=\S+)?( --conformance-\S+)*",
        "run",
        run=_one_chapter,
        why=f"one chapter ({ONE_CHAPTER}); placeholder backends are docs/example_backend.py",
    ),
    Rule(
        r'python -c "import reference as it; print\(.*\)"',
        "run",
        why="as written",
        expect="[1, 2, 3, 4, 5]",
    ),
    Rule(
        r"cp example_backend\.py my_backend\.py", "run", why="in a directory holding docs/example_backend.py"
    ),
    Rule(
        r"RAY_ADDRESS=local HYPOTHESIS_PROFILE=dev python -m pytest --pyargs conformance +"
        r"--backend=BACKEND --conformance-report=BACKEND\.json --conformance-html=BACKEND\.html",
        "run",
        run=lambda text: _one_chapter(text.replace("BACKEND", "conformance.model")),
        why=f"BACKEND as conformance.model (no Ray actors), one chapter ({ONE_CHAPTER}); in the "
        "checkout, beside docs/examples/",
        where="checkout",
    ),
    # -- the report pages and their screenshots (docs/examples/README.md) ----------------
    Rule(
        r"python -m conformance\.reporting\.run_page docs/examples/\S+\.json run\.html",
        "run",
        why="as written, in the checkout (the reports of docs/examples/)",
        where="checkout",
    ),
    Rule(
        r"python -m conformance\.matrix --html matrix\.html"
        r" docs/examples/\S+ +docs/examples/\S+ docs/examples/\S+",
        "run",
        why="as written, in the checkout (the reports of docs/examples/)",
        where="checkout",
    ),
    Rule(
        r"python tools/screenshot\.py (run|matrix)\.html docs/\S+\.png( --(hash|height|width) \S+)*",
        "browser",
        why="needs Playwright and Chromium; the test runs tools/screenshot.py on a run page (also at a "
        "permalink) and a matrix page, as these commands do",
        test="tests/browser/test_screenshot.py::test_the_documented_screenshot_commands_write_pngs_of_the_viewport",
    ),
    # -- the matrix ------------------------------------------------------------------
    Rule(
        r"python -m conformance\.matrix --html matrix\.html model\.json docs/\S+ docs/\S+",
        "run",
        why="as written, in the checkout (the reports of docs/examples/ and the run before)",
        where="checkout",
        expect="",
    ),
    Rule(
        r"python -m conformance\.matrix --html \S+ before\.json after\.json",
        "run",
        why="as written, on the reports of the two runs before",
    ),
    Rule(
        r"python -m conformance\.matrix( \S+)*",
        "run",
        run="python -m conformance.matrix conformance.model --out matrix.md",
        why="the model only (each backend is a whole suite run); writes the table",
    ),
    # -- the mutants -----------------------------------------------------------------
    Rule(
        r"RAY_ADDRESS=local HYPOTHESIS_PROFILE=ci python -m conformance\.mutants",
        "run",
        run="RAY_ADDRESS=local HYPOTHESIS_PROFILE=ci python -m conformance.mutants take_whole_rounds "
        "--no-control --targeted-only --no-confirm",
        why="one mutant, judged by the tests of its own clauses (the full run is the whole suite 66 "
        "times, about 25 minutes)",
    ),
    Rule(
        r"python -m conformance\.mutants( \S+)?",
        "run",
        run="python -m conformance.mutants take_whole_rounds --no-control --targeted-only --no-confirm",
        why="one mutant, judged by the tests of its own clauses (the full control is the whole suite)",
    ),
    # -- benchmarks and the gate --------------------------------------------------------
    Rule(r"python -m conformance\.bench( compare)? --help", "run", why="as written", expect="usage:"),
    Rule(
        r"(python -m conformance\.bench|nox -s bench --) (compare \S+ \S+|--compare) --base-rev \S+( .*)?",
        "run",
        run=lambda text: _tiny_compare(text.replace("nox -s bench --", f"{_NOX} -s bench --")),
        why="in a clone of the checkout (a git repository); the smallest sizes, one benchmark, a 10 s "
        "budget: unresolved (exit 2) is an expected verdict at that size",
        where="clone",
        exits=(0, 1, 2),
        expect=COMPARED,
    ),
    Rule(
        r"python -m conformance\.bench compare .*",
        "run",
        run=_tiny_compare,
        why="the smallest sizes, one benchmark, a 10 s budget (unresolved, exit 2, is an expected "
        "verdict at that size); BASE CANDIDATE and the base's python are the fresh environment's",
        exits=(0, 1, 2),
        expect=COMPARED,
    ),
    Rule(
        r"python -m conformance\.bench( .*)?",
        "run",
        run=_tiny_bench,
        why="tiny sizes, the cheap-items benchmarks only, results in a scratch directory",
    ),
    Rule(r'K="[^"]+"', "run", why="sets the selection the next commands use"),
    _committed_probe(
        r"RAY_ADDRESS=local REFERENCE_COMPILED_ROUNDS=0 python benchmarks/results/compare-19-upstream/"
        r"aftermath\.py 0 2",
        "RAY_ADDRESS=local REFERENCE_COMPILED_ROUNDS=0 python "
        "benchmarks/results/compare-19-upstream/aftermath.py 0",
        "one pause setting of the two",
        "pause 0 s: reference",
    ),
    _committed_probe(
        r"RAY_ADDRESS=local (RAY_preallocate_plasma_memory=1 )?"
        r"python benchmarks/results/gate-validation/payload-faults/probe\.py \d+ \d+( --together)?",
        lambda text: re.sub(r"probe\.py \d+ \d+", "probe.py 1 2", text),
        "one process, two rounds",
        "| 0 |",
    ),
    _committed_probe(
        r"RAY_ADDRESS=local REFERENCE_COMPILED_ROUNDS=0 python benchmarks/results/compare-19-upstream-cpu/"
        r"gaps\.py \d+( --fresh)?",
        lambda text: re.sub(r"gaps\.py \d+", "gaps.py 1", text),
        "one run of each backend",
        "| ray.util.iter |",
    ),
    _committed_probe(
        r"RAY_ADDRESS=local python benchmarks/results/streamed-rounds/probe\.py \d+( --busy \d+)?",
        lambda text: re.sub(r"probe\.py \d+", "probe.py 2", text),
        "two runs of each way per row",
        "| CPU-bound, 4 shards |",
    ),
    _committed_probe(
        r"RAY_ADDRESS=local python benchmarks/results/gate-validation/stand-in-sync/threads/probe\.py \d+",
        "RAY_ADDRESS=local python benchmarks/results/gate-validation/stand-in-sync/threads/probe.py 20",
        "a budget of 20 s",
        "| candidate's shard worker |",
    ),
    _committed_probe(
        r"RAY_ADDRESS=local python benchmarks/results/compiled-idle/probe\.py \d+",
        "RAY_ADDRESS=local python benchmarks/results/compiled-idle/probe.py 1",
        "one pause of each kind",
        "| 1 |",
    ),
    Rule(
        r"RAY_ADDRESS=local python benchmarks/recovery\.py",
        "run",
        run="RAY_ADDRESS=local python benchmarks/recovery.py --shards 2 --repeats 1 --per-shard 200",
        why="2 shards, one repeat, 200 items a shard",
        where="checkout",
    ),
    Rule(
        r'python -m benchmarks\.slowed_reference --side (worker|consumer) --pct [\d.]+( --rounds \d+)?'
        r'( -k "[^"]+")*',
        "run",
        run=lambda text: f"RAY_ADDRESS=local {_without_sizes(text)} --rounds 1 -k cheap[gather_async]",
        why="one round of one benchmark (the repository's tool: from the checkout)",
        where="checkout",
        expect="| cheap[gather_async] |",
    ),
    Rule(
        r"python -m benchmarks\.profile_cheap .*",
        "run",
        run="RAY_ADDRESS=local python -m benchmarks.profile_cheap --size quick --seconds 2 "
        "--case reference:gather_async_tuned --out profile-scratch",
        why="one case at the quick size, 2 s of py-spy samples (the repository's tool: from the "
        "checkout; py-spy comes with the test extra)",
        where="checkout",
        expect="written:",
    ),
    Rule(
        r"python -m benchmarks\.validate_gate \S+ --runs \d+ .*",
        "run",
        run=lambda text: re.sub(r" --runs \d+", " --runs 1", text.split(" -- ")[0])
        + " -- --size tiny --budget 10 --max-pairs 9 -k cheap[gather_async]",
        why="one run of the smallest size, one benchmark, a 10 s budget (the repository's tool: "
        "from the checkout)",
        where="checkout",
        expect="| cheap[gather_async] |",
    ),
    # -- nox sessions a user runs in a clone ---------------------------------------------
    Rule(r"python3 -m nox -s lint", "run", run=f"{_NOX} -s lint", why=_NOX_WHY, where="checkout"),
)
