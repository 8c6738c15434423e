"""Each token's request rate, and each address's refused requests: over the limit, 429 with
Retry-After.

A moving window kept by the `limits` library in this process's memory: with several `loanwatch
web` replicas behind a load balancer, a token may make up to the limit on each of them.

Refusals (no token, a wrong or revoked one, 401/403) are each audited, so without a limit of
their own anyone who can reach the port could write audit records as fast as they can send
requests. `REFUSALS` a minute are answered and audited per client address (behind a proxy, the
proxy's); past them the address gets 429 and nothing is written until the window moves.
"""

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

# Refused requests answered (and audited) per client address.
REFUSALS = "30/minute"


class TokenRateLimit:
    """`hit(token_id)` and `refused(address)`: None when the request may go on, else the
    seconds to wait."""

    def __init__(self, rate: str) -> None:
        self.item: RateLimitItem = parse(rate)
        self.refusals: RateLimitItem = parse(REFUSALS)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, token_id: int) -> int | None:
        return self._wait(self.item, "token", str(token_id))

    def refused(self, address: str) -> int | None:
        return self._wait(self.refusals, "refused", address)

    def _wait(self, item: RateLimitItem, *keys: str) -> int | None:
        if self.limiter.hit(item, *keys):
            return None
        reset = self.limiter.get_window_stats(item, *keys).reset_time
        return max(1, math.ceil(reset - time.time()))
