"""Authenticator codes for tests that sign in more than once with the same key.

The portal refuses a code from a step it has already accepted (no replay), so two sign-ins
within one 30-second step must not both send the current step's code. This hands out each
step once per key: the current one, then the next (the portal accepts one step of drift),
and waits for the clock only when both have been used.
"""

from __future__ import annotations

import time

from portal.core import totp

_last_step: dict[str, int] = {}


def unused_code(secret: str) -> str:
    now = totp.current_step()
    step = max(now, _last_step.get(secret, -1) + 1)
    while step > totp.current_step() + 1:
        time.sleep(0.5)
    _last_step[secret] = step
    return totp.code_at(secret, step)
