"""Each token's request rate: over the limit, 429 with Retry-After.

A moving window kept by the `limits` library in this process's memory: with several `loanwatch
web` replicas behind a load balancer, a token may make up to the limit on each of them.
"""

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class TokenRateLimit:
    """`hit(token_id)`: None when the request may go on, else the seconds to wait."""

    def __init__(self, rate: str) -> None:
        self.item: RateLimitItem = parse(rate)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, token_id: int) -> int | None:
        if self.limiter.hit(self.item, "token", str(token_id)):
            return None
        reset = self.limiter.get_window_stats(self.item, "token", str(token_id)).reset_time
        return max(1, math.ceil(reset - time.time()))
