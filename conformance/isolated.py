"""Run a scenario in a separate driver process, with a hard time limit.

Some checks may make a non-conforming backend hang or spin forever (an empty
repeating shard, a dead worker).  Running them in a child process that joins the same
Ray cluster keeps the main session safe: when the child is killed on time-out, Ray
also stops the actors and tasks it owns.

The child is ``python -m conformance.isolated SCENARIO``: it loads the backend named
by ``CONFORMANCE_BACKEND``, calls its setup hook (for Ray-default backends ``ray.init``
joins the parent's cluster through ``RAY_ADDRESS``) unless ``--no-setup`` is given,
runs ``conformance.scenarios.<SCENARIO>(api)`` and prints its JSON result on the last
line of stdout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import traceback
from dataclasses import dataclass
from typing import Any

from conformance.backend import ENV_VAR, Backend, load

MARKER = "@@conformance-result@@"


@dataclass
class Outcome:
    """What happened in the child: ``status`` is ``ok``, ``error`` or ``timeout``."""

    status: str
    value: Any = None
    error: str = ""
    output: str = ""


def _ray_address() -> str | None:
    if "ray" not in sys.modules:
        return None
    import ray

    if not ray.is_initialized():
        return None
    return ray.get_runtime_context().gcs_address


def run(
    backend: Backend,
    scenario: str,
    *,
    timeout: float,
    setup: bool = True,
    join_ray: bool = True,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Run ``scenarios.<scenario>`` against ``backend`` in a child process."""
    child_env = dict(os.environ)
    child_env[ENV_VAR] = backend.spec
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    child_env.pop("RAY_ADDRESS", None)
    address = _ray_address() if join_ray else None
    if address:
        child_env["RAY_ADDRESS"] = address
    child_env.update(env or {})
    cmd = [sys.executable, "-m", "conformance.isolated", scenario]
    if not setup:
        cmd.append("--no-setup")
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=child_env,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return Outcome("timeout", output=out[-4000:])
    for line in reversed(out.splitlines()):
        if line.startswith(MARKER):
            payload = json.loads(line[len(MARKER) :])
            return Outcome(payload["status"], payload.get("value"), payload.get("error", ""), out[-4000:])
    return Outcome("error", error=f"child exited with {proc.returncode} and no result", output=out[-4000:])


def main(argv: list[str]) -> int:
    from conformance import scenarios

    name = argv[0]
    b = load(os.environ[ENV_VAR])
    if "--no-setup" not in argv:
        b.setup()
    try:
        value = getattr(scenarios, name)(b.api)
        payload = {"status": "ok", "value": value}
    except BaseException as exc:  # noqa: BLE001 - everything is reported to the parent
        payload = {
            "status": "error",
            "error": f"{type(exc).__name__}: {exc}",
            "value": traceback.format_exc()[-3000:],
        }
    print(MARKER + json.dumps(payload, default=repr), flush=True)
    os._exit(0)  # do not wait for backend shutdown; the parent owns the cluster


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
