"""One HTTP exchange with the collector, and what its failures mean.

:class:`Client` sends one request (token, user agent, TLS verification,
timeouts) and reads the answer in full; every failure becomes one of the
:class:`SyncError` classes, whose ``str()`` is one short line for the staff
screen (never the token):

- :class:`TokenRejected`: 401 (a token the collector does not know) or 403
  (a known token that may not upload: a retired kiosk or store, another
  role's token), stop syncing until staff press "Sync now";
- :class:`Retryable`: a network error or one of ``retry.RETRY_STATUSES``,
  worth another try after a backoff (``retry_after`` from the server);
- :class:`Fatal`: anything else the collector refuses; not retried in a loop.
"""

from __future__ import annotations

import requests

from sync import __version__
from sync.uploader.result import PushResult
from sync.uploader.retry import RETRY_STATUSES, parse_retry_after

BATCHES_PATH = "/api/v1/batches"
SURVEY_PATH = "/api/v1/survey"
KIOSK_PATH = "/api/v1/kiosk"


class SyncError(Exception):
    """A sync that did not complete; ``str()`` is one short line for the staff screen.

    ``result`` holds what was delivered before the error (set by ``push_all``).
    """

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status
        self.result: PushResult | None = None


class TokenRejected(SyncError):
    """The collector refused the kiosk's token (401) or its role (403): stop syncing."""


class Retryable(SyncError):
    """A failure that can succeed later: network error, 429, 502, 503, 504."""

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class Fatal(SyncError):
    """The collector refused the exchange for a reason a plain retry will not fix."""


class Client:
    """Requests to one collector with one kiosk token (a ``requests.Session`` underneath).

    An empty token sends no ``Authorization`` header (``hymy-kiosk enroll``).
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        ca_bundle: str | None = None,
        app_version: str = __version__,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5, 30),
    ):
        self.url = url.rstrip("/")
        self.token = token
        self.verify: str | bool = ca_bundle or True
        self.app_version = app_version
        self.session = session or requests.Session()
        self.timeout = timeout

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                data: bytes | None = None) -> requests.Response:
        """One HTTP exchange, its body read in full; failures become SyncErrors."""
        all_headers = {
            "User-Agent": f"hymy-kiosk/{self.app_version}",
            **(headers or {}),
        }
        if self.token:  # none yet while enrolling
            all_headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self.session.request(
                method, self.url + path, headers=all_headers, data=data,
                timeout=self.timeout, verify=self.verify,
            )
        except requests.exceptions.SSLError as error:
            raise Retryable(
                f"TLS error talking to {self.url} ({one_line(error)}); "
                "if the collector uses a private CA, set sync.ca_bundle"
            ) from error
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as error:
            raise Fatal(f"sync.url {self.url!r} is not a valid http(s) URL") from error
        except requests.RequestException as error:
            # Connection refused/reset, timeouts, a body cut mid-way: all can succeed later.
            raise Retryable(
                f"collector unreachable at {self.url} ({network_reason(error)})"
            ) from error
        except OSError as error:
            if not isinstance(self.verify, str):
                raise
            # requests raises a bare OSError for a CA bundle it cannot read.
            raise Fatal(
                f"sync.ca_bundle {self.verify!r} cannot be used ({one_line(error)}); "
                "point it at the PEM file of the collector's CA"
            ) from error
        check_status(response)
        return response


def check_status(response: requests.Response) -> None:
    """Raise the SyncError an HTTP status means; 2xx and 304 pass."""
    code = response.status_code
    if code < 300 or code == 304:
        return
    detail = _detail(response)
    if code == 401:
        raise TokenRejected(
            f"token rejected by the collector (HTTP 401{detail}); "
            "check sync.token (hymy-collector kiosk add)",
            status=code,
        )
    if code == 403:
        # The token is good but may not upload (a retired kiosk or store, a
        # token of another role); the collector's sentence says what to do.
        raise TokenRejected(f"the collector refuses this kiosk's uploads (HTTP 403{detail})",
                            status=code)
    if code in RETRY_STATUSES:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise Retryable(f"collector busy (HTTP {code}{detail})", status=code,
                        retry_after=retry_after)
    raise Fatal(f"collector refused the request (HTTP {code}{detail})", status=code)


def _detail(response: requests.Response) -> str:
    """': <detail>' from a FastAPI-style error body, or ''."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    if not detail:
        return ""
    return ": " + str(detail)[:200]


def network_reason(error: BaseException) -> str:
    """A few words on why a request failed: 'connection refused', 'timed out'..."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(error, requests.exceptions.ReadTimeout):
        return "no answer in time"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "answer cut off"
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        if type(cause).__name__ == "RemoteDisconnected":
            return "connection closed without an answer"
        if type(cause).__name__ == "IncompleteRead":
            return "answer cut off"
        nested = getattr(cause, "reason", None)
        if not isinstance(nested, BaseException):
            nested = next((a for a in cause.args if isinstance(a, BaseException)), None)
        cause = nested or cause.__cause__ or cause.__context__
    return one_line(error)


def one_line(error: BaseException) -> str:
    """The innermost useful line of a requests/urllib3 error."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]
