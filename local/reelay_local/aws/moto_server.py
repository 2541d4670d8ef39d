"""moto in server mode on 127.0.0.1, and the process settings that send every AWS call to it.

`reelay up` and `reelay demo` run the handlers in this process; their own boto3 clients
read `AWS_ENDPOINT_URL`, so once `MotoServer.start()` has set it (with fake credentials
and no profile or config file), nothing in this process can reach a real AWS account.
The start refuses to go on if any client would still resolve to a non-loopback endpoint.
"""

from __future__ import annotations

import contextlib
import os
import socket
from functools import cache
from typing import Any

from reelay_cli.endpoints import is_loopback

REGION = "us-east-1"
FAKE_ACCESS_KEY = "local"
FAKE_SECRET_KEY = "local"  # noqa: S105

# Every service the template's resources and the handlers use, checked before anything runs.
SERVICES = (
    "cloudformation",
    "dynamodb",
    "dynamodbstreams",
    "events",
    "iam",
    "lambda",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "sts",
)

# Variables that could send a client elsewhere: a profile, config files with endpoints or
# credential processes, per-service endpoint overrides.
_REDIRECTING = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


class UnsafeEndpoint(RuntimeError):
    """An AWS client in this process would not talk to the local moto server."""


def isolate_from_real_aws(endpoint_url: str, region: str = REGION) -> None:
    """Point every boto3 client of this process at `endpoint_url`, with fake credentials."""
    if not is_loopback(endpoint_url):
        raise UnsafeEndpoint(f"refusing to use {endpoint_url}: the local stack only talks to 127.0.0.1")
    for name in _REDIRECTING:
        os.environ.pop(name, None)
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL_")]:
        del os.environ[name]
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            # No ~/.aws files: they may hold endpoints, profiles or credential processes.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            # DynamoDB's account-based endpoints would otherwise be tried by newer botocore.
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )
    check_isolated(endpoint_url)


def check_isolated(endpoint_url: str) -> None:
    """Raise UnsafeEndpoint unless a default boto3 client of every service resolves to `endpoint_url`."""
    import boto3

    session = boto3.session.Session()
    credentials = session.get_credentials()
    if credentials is None or credentials.access_key != FAKE_ACCESS_KEY:
        raise UnsafeEndpoint("AWS credentials other than the local fake ones are in effect")
    for service in SERVICES:
        url = session.client(service).meta.endpoint_url
        if url.rstrip("/") != endpoint_url.rstrip("/"):
            raise UnsafeEndpoint(f"a {service} client would call {url}, not the local moto server")


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


class MotoServer:
    """moto's threaded server on a free loopback port, in this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._started = False

    def start(self, isolate: bool = True) -> MotoServer:
        """Start serving; with `isolate`, also point this process's AWS clients at it (see module doc)."""
        self._server.start()
        self._started = True
        if isolate:
            try:
                isolate_from_real_aws(self.endpoint_url)
            except UnsafeEndpoint:
                self.stop()
                raise
        return self

    @property
    def address(self) -> tuple[str, int]:
        return self._server.get_host_and_port()

    @property
    def endpoint_url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def clients(self, service: str) -> Any:
        return _client(self.endpoint_url, service)

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        wsgi = self._server._server  # ThreadedMotoServer.stop() leaves the socket open
        self._server.stop()
        if wsgi is not None:
            wsgi.server_close()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


@cache
def _client(endpoint_url: str, service: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=FAKE_ACCESS_KEY,
        aws_secret_access_key=FAKE_SECRET_KEY,
    )
