"""AWS clients, created lazily and once per process from one session, with retries sized for Lambda.

Clients are botocore's, made by one shared botocore session: a boto3 client is the same object,
but importing boto3 also imports s3transfer (about 50 ms of a cold start) for its S3 and
resource helpers, which Reelay does not use. Nothing imports botocore until a code path needs
AWS. The endpoint comes from the standard AWS_ENDPOINT_URL variables, which is how the embedded
stack points everything at moto.

Every call retries what AWS says is passing (throttling such as DynamoDB's
ProvisionedThroughputExceededException, 5xx, connection errors, timeouts) in botocore's
standard mode: up to `TOTAL_ATTEMPTS` attempts with full-jitter exponential backoff (at most
1 + 2 + 4 s of waiting between the attempts; recent botocore waits a twentieth of that for
errors that are not throttling). Adaptive mode adds a client-side rate limiter
that learns from throttling; a Lambda instance is short-lived and alone in its process, so it
would mostly learn nothing and sleep before calls at random. A few passing errors are missing
from botocore's lists (or only in recent releases, while Lambda's runtime ships an older
one); `ALSO_RETRIED` adds them with the same attempts and backoff. What the retries cannot absorb
is raised, and each handler hands it to the event source to retry later (a stream record or
an SQS message reported as a batch item failure).
"""

from __future__ import annotations

import random
import threading
from functools import cache
from typing import Any

# The first attempt and three retries: a throttled call waits at most about 7 s in all, which
# leaves room in every function's timeout (the API's is 28 s) for the calls around it.
TOTAL_ATTEMPTS = 4
# Botocore waits 60 s by default for an answer, longer than the API function lives. AWS answers
# the calls Reelay makes (single items, one message, one event) in milliseconds, so a request
# unanswered after this long is retried; 10 s rather than less because the local stack's moto
# can be slow under a burst, and a retried publish whose first attempt did go through is one
# more copy of an event (same event_id, but a copy).
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 10

# Error codes worth another attempt that botocore's standard mode may not retry: SNS's
# throttling (a 429 only recent botocore retries), KMS throttling behind an encrypted topic or
# queue, and DynamoDB refusing a single-item write while a transaction holds the item.
ALSO_RETRIED = frozenset({"Throttled", "KMSThrottling", "KmsThrottled", "TransactionConflictException"})
_MAX_BACKOFF_SECONDS = 20.0

# A client is safe to share between threads, but making one from the shared session is
# not: the local stack runs several invocations at once in one process (Lambda never does).
_creating = threading.Lock()


@cache
def aws_session() -> Any:
    """The botocore session every client comes from (its credentials and models loaded once)."""
    import botocore.session

    return botocore.session.get_session()


@cache
def aws_client(service: str) -> Any:
    with _creating:
        client = aws_session().create_client(service, config=_config())
    # First, so its delay wins when botocore's own handler would retry the same answer too.
    client.meta.events.register_first(
        f"needs-retry.{client.meta.service_model.service_id.hyphenize()}", _also_retry
    )
    return client


def _also_retry(attempts: int, response: Any = None, **_: Any) -> float | None:
    """Seconds to wait before another attempt at an answer in ALSO_RETRIED; None leaves it to botocore."""
    if response is None or attempts >= TOTAL_ATTEMPTS:
        return None
    _, parsed = response
    if parsed.get("Error", {}).get("Code") not in ALSO_RETRIED:
        return None
    return random.random() * min(2.0 ** (attempts - 1), _MAX_BACKOFF_SECONDS)


def _config() -> Any:
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": TOTAL_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )


# Error codes that mean "AWS is busy", beside any 5xx or 429.
_BUSY_CODES = ALSO_RETRIED | {
    "Throttling",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "TooManyRequestsException",
}


def is_aws_outage(exc: BaseException) -> bool:
    """An AWS error that outlasted the retries and would pass: busy, failing, unreachable or silent.

    Nothing is imported for an exception that is not botocore's, so a handler can ask this of any
    error without paying for botocore on a path that never called AWS.
    """
    if not type(exc).__module__.startswith("botocore."):
        return False
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ConnectionError | HTTPClientError):  # no connection, or no answer in time
        return True
    if not isinstance(exc, ClientError):
        return False
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return status >= 500 or status == 429 or exc.response.get("Error", {}).get("Code") in _BUSY_CODES
