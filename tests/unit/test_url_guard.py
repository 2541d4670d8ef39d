"""The outbound URL guard: tenants' webhooks never reach internal addresses."""

from __future__ import annotations

import pytest

from reelay.security.url_guard import HostDoesNotResolve, UnsafeUrl, check_outbound_url

REFUSED = [
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://127.8.9.10/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://localhost/hook", "loopback"),
    ("http://10.1.2.3/hook", "private"),
    ("http://172.16.0.5/hook", "private"),
    ("http://192.168.1.1/hook", "private"),
    ("http://[fc00::1]/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://169.254.170.2/v2/credentials", "link-local"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
    ("http://0.0.0.0/hook", "private"),
    ("http://224.0.0.1/hook", "reserved"),
    ("http://100.64.0.1/hook", "non-public"),
    # IPv6 forms that lead to an internal IPv4 address
    ("http://[2002:a9fe:a9fe::1]/latest/meta-data/", "link-local"),  # 6to4 of 169.254.169.254
    ("http://[2002:0a00:0005::1]/hook", "private"),  # 6to4 of 10.0.0.5
    ("http://[64:ff9b::a9fe:a9fe]/", "link-local"),  # NAT64 of the metadata address
    ("http://[64:ff9b:1::7f00:1]/", "loopback"),  # local-use NAT64 of 127.0.0.1
    ("http://[::a9fe:a9fe]/", "link-local"),  # IPv4-compatible
    ("http://[fec0::1]/hook", "private"),  # site-local
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_internal_addresses_are_refused_naming_why(url, reason):
    with pytest.raises(UnsafeUrl, match=reason):
        check_outbound_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://[::1]/hook", "http://localhost:9/x"])
def test_allow_loopback_lets_local_receivers_through(url):
    assert check_outbound_url(url, allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    ["http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/"],
)
def test_allow_loopback_still_refuses_private_and_metadata_addresses(url):
    with pytest.raises(UnsafeUrl):
        check_outbound_url(url, allow_loopback=True)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://93.184.216.34/hook", "93.184.216.34"),
        ("http://[2606:4700::1111]:8443/hook", "2606:4700::1111"),
        ("http://[2002:808:808::1]/hook", "2002:808:808::1"),  # 6to4 of a public address
    ],
)
def test_public_addresses_pass_and_are_returned(url, address):
    assert check_outbound_url(url) == [address]


@pytest.mark.parametrize(
    ("url", "reason"),
    [("ftp://93.184.216.34/x", "scheme"), ("file:///etc/passwd", "scheme"), ("http:///hook", "no host")],
)
def test_other_schemes_and_hostless_urls_are_refused(url, reason):
    with pytest.raises(UnsafeUrl, match=reason):
        check_outbound_url(url)


def test_a_host_name_no_resolver_could_look_up_is_refused_not_an_error():
    with pytest.raises(UnsafeUrl, match="not a valid host name"):
        check_outbound_url("https://" + "a" * 64 + ".example.com/hook")


def test_a_host_that_does_not_resolve_now_is_told_apart_from_a_forbidden_one():
    with pytest.raises(HostDoesNotResolve):
        check_outbound_url("https://reelay-test.invalid/hook")
