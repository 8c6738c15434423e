"""A file shared in Slack, fetched for an import: `files.info`, then its bytes with the bot token.

The bot token is a password to the whole workspace, so it is sent only to Slack's own file
host: the host of SLACK_API_URL itself, or that host with `files.` in front (`files.slack.com`
for `https://slack.com/api/`), over the same scheme. A `url_private_download` anywhere else is
refused before any connection is made, and a redirect is not followed (Slack answers a download
it will not serve by sending the browser to its sign-in page). A file larger than
LOANWATCH_IMPORT_MAX_BYTES is refused from the size `files.info` gives, and again while its
bytes arrive, so no more than the limit is ever read. Only CSV files and `.xlsx` workbooks are
fetched at all: an import reads nothing else.
"""

import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.errors import InputError
from bot.i18n import N_, _, ngettext
from bot.settings import Settings
from bot.slack.import_words import not_importable

log = logging.getLogger(__name__)

# Slack's filetype for each kind an import reads; a name's extension is taken when Slack's
# filetype is vaguer (a CSV uploaded as "text").
IMPORTABLE = {"csv": "csv", "xlsx": "xlsx"}
CHUNK = 64 * 1024
NOT_DESCRIBED = N_("Slack would not describe the file: {code}")
_HINTS = {
    "missing_scope": N_(
        "Slack would not describe the file: {code} (the app needs the files:read scope: "
        "reinstall it)"
    ),
    "file_not_found": N_(
        "Slack would not describe the file: {code} (is loanwatch in the channel where it was "
        "shared? /invite @loanwatch)"
    ),
}
TIMEOUT_SECONDS = 20


class FileRefusedError(InputError):
    """The shared file cannot be fetched for an import; the message says why, for its sender.
    `name`: the file's name, once Slack said it (the refusal names the file by it)."""

    def __init__(self, message: str, *, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class SharedFile:
    """A file as `files.info` describes it, and (once fetched) its bytes."""

    id: str
    name: str
    kind: str  # csv or xlsx
    data: bytes = b""


def fetch(client: WebClient, settings: Settings, file_id: str) -> SharedFile:
    """The file's description and bytes, or FileRefusedError (nothing was sent anywhere else)."""
    try:
        info: dict[str, Any] = client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        said = _(_HINTS.get(str(code), NOT_DESCRIBED))
        raise FileRefusedError(said.format(code=code)) from error
    except (SlackClientError, OSError) as error:
        raise FileRefusedError(
            _("Slack could not be asked about the file ({error}); try again").format(
                error=type(error).__name__
            )
        ) from error
    name = str(info.get("name") or info.get("title") or "")
    try:
        return _fetch_described(info, settings, file_id, name or _("the file"))
    except FileRefusedError as error:
        raise FileRefusedError(str(error), name=name or None) from error


def _fetch_described(
    info: dict[str, Any], settings: Settings, file_id: str, name: str
) -> SharedFile:
    """The bytes of the file `info` describes, named `name`."""
    kind = importable_kind(info)
    size = info.get("size")
    limit = settings.import_max_bytes
    if isinstance(size, int) and size > limit:
        raise FileRefusedError(
            _(
                "{file} is {size}; loanwatch imports files up to {limit} "
                "(LOANWATCH_IMPORT_MAX_BYTES). Split it, or import it with `loanwatch import`"
            ).format(file=name, size=_size(size), limit=_size(limit))
        )
    url = info.get("url_private_download") or info.get("url_private")
    if not isinstance(url, str) or not url:
        raise FileRefusedError(_("Slack gave no download address for {file}").format(file=name))
    check_host(url, settings.slack_api_url)
    return SharedFile(file_id, name, kind, _download(url, _token(settings), limit, name))


def importable_kind(info: dict[str, Any]) -> str:
    """csv or xlsx, from Slack's filetype or the name; FileRefusedError for anything else."""
    name = str(info.get("name") or "")
    filetype = str(info.get("filetype") or "").lower()
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    kind = IMPORTABLE.get(filetype) or IMPORTABLE.get(extension)
    if kind is None:
        shown = str(info.get("pretty_type") or filetype or extension)
        raise FileRefusedError(not_importable(name, shown, old_xls="xls" in (filetype, extension)))
    return kind


def allowed_hosts(api_url: str) -> tuple[str, frozenset[str]]:
    """(scheme, the netlocs the token may go to) for SLACK_API_URL."""
    api = urlsplit(api_url)
    host = (api.hostname or "").lower()
    port = f":{api.port}" if api.port else ""
    return api.scheme.lower(), frozenset({f"{host}{port}", f"files.{host}{port}"})


def check_host(url: str, api_url: str) -> None:
    """Nothing if `url` is on Slack's file host (see the module), else FileRefusedError."""
    scheme, hosts = allowed_hosts(api_url)
    parts = urlsplit(url)
    if parts.scheme.lower() != scheme or parts.netloc.lower() not in hosts:
        log.warning("refused to download a shared file from %s", parts.netloc[:100])
        raise FileRefusedError(
            _(
                "the file's address is not on Slack's file host ({hosts}), so loanwatch did "
                "not download it"
            ).format(hosts=", ".join(sorted(hosts)))
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _download(url: str, token: str, limit: int, name: str) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            if response.headers.get_content_type() == "text/html":
                raise FileRefusedError(
                    _(
                        "Slack sent a web page instead of {file}: the app may lack the "
                        "files:read scope (reinstall it)"
                    ).format(file=name)
                )
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FileRefusedError(_too_large(name, limit))
            data = bytearray()
            while chunk := response.read(CHUNK):
                data += chunk
                if len(data) > limit:
                    raise FileRefusedError(_too_large(name, limit))
            return bytes(data)
    except urllib.error.HTTPError as error:
        raise FileRefusedError(
            _("Slack did not hand over {file} (HTTP {code}); try again in a minute").format(
                file=name, code=error.code
            )
        ) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise FileRefusedError(
            _("{file} could not be downloaded from Slack ({error})").format(file=name, error=error)
        ) from error


def _too_large(name: str, limit: int) -> str:
    return _("{file} is larger than {limit}").format(file=name, limit=_size(limit))


def _token(settings: Settings) -> str:
    secret = settings.slack_bot_token
    return secret.get_secret_value() if secret else ""


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MiB"
    if count >= 1024:
        return f"{count / 1024:.0f} KiB"
    return ngettext("{count} byte", "{count} bytes", count).format(count=count)
