"""A pinned request goes to the checked address and keeps the host name for Host and TLS."""

from __future__ import annotations

import httpx
import pytest

from reelay.clients.pinned_http import pinned_target
from reelay_local.simulators.creatify.outbound import pinned_request


@pytest.mark.parametrize(
    ("url", "address", "sent_to", "host_header", "sni"),
    [
        ("https://hooks.example.com/in?x=1", "93.184.216.34", "https://93.184.216.34/in?x=1",
         "hooks.example.com", "hooks.example.com"),
        ("http://hooks.example.com:8080/in", "2606:4700::1111", "http://[2606:4700::1111]:8080/in",
         "hooks.example.com:8080", "hooks.example.com"),
        ("https://bücher.example/in", "93.184.216.34", "https://93.184.216.34/in",
         "xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)  # fmt: skip
def test_the_request_connects_to_the_address_and_names_the_host(url, address, sent_to, host_header, sni):
    with httpx.Client() as client:
        request = pinned_request(client, "POST", url, address, content=b"{}", headers={"x-a": "1"})

    assert str(request.url) == sent_to
    assert request.headers["host"] == host_header
    assert request.headers["x-a"] == "1"
    assert request.extensions["sni_hostname"] == sni


@pytest.mark.parametrize(
    ("url", "host", "port", "host_header", "path"),
    [
        ("https://hooks.example.com/in?x=1", "hooks.example.com", 443, "hooks.example.com", "/in?x=1"),
        ("http://hooks.example.com:8080/in", "hooks.example.com", 8080, "hooks.example.com:8080", "/in"),
        ("https://bücher.example", "xn--bcher-kva.example", 443, "xn--bcher-kva.example", "/"),
        ("http://[2606:4700::1111]:81/a", "2606:4700::1111", 81, "[2606:4700::1111]:81", "/a"),
    ],
)  # fmt: skip
def test_a_urllib3_pinned_request_names_the_host_and_keeps_the_path(url, host, port, host_header, path):
    # pinned_open connects to the checked address and sends these: SNI and the certificate check
    # take `host`, the Host header `host_header` (tests/integration/test_pinned_tls.py does it over TLS).
    target = pinned_target(url)

    assert (target.host, target.port, target.host_header, target.path) == (host, port, host_header, path)
