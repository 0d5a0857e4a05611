"""Polling with a deadline: tests wait for a state, never for a fixed time."""

import time


def wait_until(probe, timeout: float = 30, interval: float = 0.1, what: str = "condition"):
    """Calls `probe()` until it returns something truthy and returns that; fails with
    the last value seen after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")
        time.sleep(interval)
