"""Reading several asynchronous gathers at once, as their items become ready
(LOC-10).

A non-deterministic ``union`` opens each input that is a bare asynchronous
gather in *poll mode*: instead of blocking, the gather yields a
:class:`NotReady` naming the requests it is waiting on. The union goes on with
the other inputs and, when none has an item, waits for the first of all those
requests to finish -- never a busy loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import ray


@dataclass(frozen=True)
class NotReady:
    """Yielded by a gather in poll mode: no item is ready; ``refs`` are the
    shard requests whose answers would make one ready."""

    refs: list


def wait_for_any(pending: list[NotReady]) -> None:
    """Block until one of the requests behind ``pending`` has an answer."""
    refs = [ref for p in pending for ref in p.refs]
    if refs:
        ray.wait(refs, num_returns=1, fetch_local=False)
