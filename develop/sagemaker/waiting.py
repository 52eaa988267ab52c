"""Every wait of the commands: polls a describe call, prints each change of status, and ends within its bound.

botocore's waiters poll too, but silently and without a hook to stream a job's logs between polls; this loop does
both, and says why it stopped (the resource's FailureReason, or the bound and the state it was left in).
"""

import sys
import time
from collections.abc import Callable

DELAY = 15.0  # seconds between two polls (SageMaker's own waiters: 30 s to 120 s)


class WaitFailed(Exception):
    """The resource reached a failed state, or the wait ran out; the message says which and why."""


def wait(
    describe: Callable[[], dict],
    *,
    what: str,
    status_key: str,
    done: set[str],
    failed: set[str],
    timeout: float,
    on_poll: Callable[[dict], None] | None = None,
    on_change: Callable[[dict], None] | None = None,
) -> dict:
    """Polls until the status is in `done` (returns the last description) or `failed` (raises), or `timeout` s pass."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        found = describe()
        if on_poll:
            on_poll(found)
        status = found[status_key]
        if status != last:
            if on_change:
                on_change(found)
            else:
                print(f"{what}: {status}", file=sys.stderr, flush=True)
            last = status
        if status in done:
            return found
        if status in failed:
            raise WaitFailed(f"{what} is {status}: {found.get('FailureReason') or 'SageMaker gave no reason'}")
        left = deadline - time.monotonic()
        if left <= 0:
            raise WaitFailed(
                f"gave up waiting for {what} after {timeout:g} s: it is still {status} "
                "(it goes on on SageMaker: bin/sagemaker.sh status shows it, bin/sagemaker.sh destroy removes it)"
            )
        time.sleep(min(DELAY, left))
