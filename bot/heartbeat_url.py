"""The dead man's switch's URL (LOANWATCH_HEARTBEAT_URL): checked once, and its two targets.

healthchecks.io documents query strings on a ping URL (`?create=1`, `?rid=…`): `/fail` goes at
the end of the URL's path, before its query, or the service would take a failure for a success.
"""

from urllib.parse import urlsplit, urlunsplit

EXAMPLE = "https://hc-ping.com/<uuid>"


def ping_targets(url: str) -> tuple[str, str]:
    """The URL to GET after a clean cycle and the one after a failed cycle (`<path>/fail`, the
    query kept); ValueError saying what is wrong, without quoting the URL (a credential)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(f"must be an http(s) URL such as {EXAMPLE}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http(s) URL with a host, such as {EXAMPLE}")
    if any(char.isspace() for char in url.strip()):
        raise ValueError("must not hold a space: write it as the service shows it")
    if "#" in url:
        raise ValueError("must not have a #fragment: a fragment never reaches the service")
    path = parts.path.rstrip("/")
    return urlunsplit(parts._replace(path=path)), urlunsplit(parts._replace(path=path + "/fail"))
