"""Every command the README and docs/ show works (tests/documented_commands.py).

``test_every_documented_command_has_a_rule`` and ``test_ci_runs_the_ci_commands``
always run. The commands themselves run under ``nox -s docs`` (which sets
``KIT_CHECK_DOCUMENTED_COMMANDS=1``; ``.ci/run`` calls it): each in a fresh
environment made from the wheel of this checkout, in reduced form where its
rule says so, and a command that fails fails its test with its output.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from documented_commands import PLACEHOLDERS, Command, documented_commands, rule_for

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = documented_commands(ROOT)
CHECK = os.environ.get("KIT_CHECK_DOCUMENTED_COMMANDS") == "1"
TIMEOUT = 900


def test_every_documented_command_has_a_rule():
    missing = [str(c) for c in COMMANDS if rule_for(c) is None]
    assert not missing, (
        "documented commands with no rule in tests/documented_commands.py (say how each is checked):\n"
        + "\n".join(missing)
    )


def test_the_documents_show_commands():
    """The reader above finds the blocks (a broken reader would pass the rule check)."""
    assert len(COMMANDS) >= 20
    assert any(c.text.endswith("nox -s tests") for c in COMMANDS)


def test_ci_runs_the_ci_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    for command in COMMANDS:
        rule = rule_for(command)
        if rule is not None and rule.check == "ci":
            session = command.text.split("nox ", 1)[1]
            assert session in ci, f"{command}: its rule says CI runs it, and .ci/run does not"


def test_the_browser_tests_named_by_the_rules_exist_and_ci_runs_them():
    """A ``browser`` rule names a test under tests/browser that defines the named
    function; ``nox -s browser`` runs tests/browser and ``.ci/run`` runs that session."""
    named = {rule_for(c).test for c in COMMANDS if rule_for(c) is not None and rule_for(c).check == "browser"}
    assert named, "the premise: some documented commands are checked in the browser"
    for test in named:
        path, _, function = test.partition("::")
        assert path.startswith("tests/browser/") and function, f"{test}: not tests/browser/FILE.py::FUNCTION"
        source = ROOT / path
        assert source.is_file(), f"{test}: no such file"
        tree = ast.parse(source.read_text())
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert function in defined, f"{test}: {path} defines no {function}"
    noxfile = ast.parse((ROOT / "noxfile.py").read_text())
    (session,) = [n for n in noxfile.body if isinstance(n, ast.FunctionDef) and n.name == "browser"]
    runs = any(isinstance(node, ast.Constant) and node.value == "tests/browser" for node in ast.walk(session))
    assert runs, "nox -s browser does not run tests/browser"
    assert "nox -s browser" in (ROOT / ".ci" / "run").read_text(), ".ci/run does not run nox -s browser"


def _check_env(fresh: Path) -> dict[str, str]:
    dropped = ("PYTHONPATH", "CONFORMANCE_BACKEND", "VIRTUAL_ENV", "RAY_ADDRESS")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["PATH"] = f"{fresh / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(fresh)
    env["HYPOTHESIS_PROFILE"] = "dev"
    env["RAY_ADDRESS"] = "local"  # a private Ray per command, never one running beside it
    return env


def _sh(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )


@pytest.fixture(scope="session")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | dict[str, str]]:
    """A venv holding the wheel of this checkout with its ``test`` extras; an
    outside directory with the placeholder backends; a copy of the checkout."""
    base = tmp_path_factory.mktemp("documented")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", base / "dist", ROOT],
        cwd=base, capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = (base / "dist").glob("parallel_iter_kit-*.whl")
    venv.create(base / "venv", with_pip=True)
    env = _check_env(base / "venv")
    pip = _sh(f"python -m pip install -q '{wheel}[test]' nox ruff", base, env)
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    outside = base / "outside"
    outside.mkdir()
    _placeholders(outside)
    checkout = base / "checkout"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    for name in listed:
        source, target = ROOT / name, checkout / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # conformance/spec -> ../spec
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    clone = base / "clone"
    subprocess.run(["git", "clone", "-q", ROOT, clone], check=True)
    # the placeholder backends are part of the revision a command names as its
    # base (--base-rev main), as a user's backend is part of their main branch
    _placeholders(clone)
    git = ["git", "-c", "user.name=docs", "-c", "user.email=docs@localhost"]
    subprocess.run([*git, "add", "-A"], cwd=clone, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "placeholder backends"], cwd=clone, check=True)
    for ref in ("refs/heads/main", "refs/remotes/origin/main"):  # what the documents call the base
        subprocess.run(["git", "update-ref", ref, "HEAD"], cwd=clone, check=True)
    return {"env": env, "outside": outside, "checkout": checkout, "clone": clone}


def _placeholders(directory: Path) -> None:
    """docs/example_backend.py, and a copy under each placeholder name the documents use."""
    example = ROOT / "docs" / "example_backend.py"
    shutil.copy(example, directory / "example_backend.py")
    for placeholder in PLACEHOLDERS:
        if placeholder == "my_backend.py":
            continue  # docs/backend-authors.md makes it with cp
        target = directory / placeholder
        target.parent.mkdir(exist_ok=True)
        (target.parent / "__init__.py").touch()
        # ``module:object`` specs name an object holding the API: the module itself will do
        as_object = "\n\nimport sys as _sys  # noqa: E402\n\napi = _sys.modules[__name__]\n"
        target.write_text(example.read_text() + as_object)


def _runnable() -> list:
    params, seen = [], set()
    for command in COMMANDS:
        rule = rule_for(command)
        if rule is None or rule.check != "run":
            continue
        key = (rule.command(command), rule.where)
        if key in seen:
            continue  # the same run already checks it
        seen.add(key)
        params.append(pytest.param(command, id=f"{command.path}:{command.line}"))
    return params


@pytest.mark.skipif(not CHECK, reason="runs under `nox -s docs` (KIT_CHECK_DOCUMENTED_COMMANDS=1): "
                    "each command in a fresh environment")
@pytest.mark.parametrize("command", _runnable())
@pytest.mark.timeout(TIMEOUT + 600)  # the first one also builds the fresh environment
def test_documented_command_works(command: Command, fresh) -> None:
    rule = rule_for(command)
    shell = rule.command(command)
    done = _sh(shell, fresh[rule.where], fresh["env"])
    reduced = "" if shell == command.text else f"\nrun as: {shell}\nbecause: {rule.why}"
    assert done.returncode in rule.exits, (
        f"{command}{reduced}\nexit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    if rule.expect:
        assert rule.expect in done.stdout, f"{command}: expected {rule.expect!r} in\n{done.stdout[-2000:]}"
