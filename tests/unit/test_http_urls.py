"""`check_http_url`: the rule a URL coming into Reelay is held to before Creatify is asked to use it.

The verdicts of the URL standard's parser (pydantic-core's `Url`, which pydantic's `AnyUrl`
runs) for an http(s) URL with a host, after spaces and control characters are refused, written
beside each URL: its leniencies too (a percent-encoded host, an unclosed IPv6 bracket), so a
change of parser is noticed here."""

from __future__ import annotations

import pytest

from reelay.models.http_urls import check_http_url


def verdict(value: str) -> bool:
    try:
        assert check_http_url(value) == value  # what is kept and sent on is the raw string
    except ValueError:
        return False
    return True


ACCEPTED = [
    "https://cdn.example.com/shoe.png",
    "http://cdn.example.com",
    "https://cdn.example.com:8443/a/b.png?size=large&v=2#top",
    "HTTPS://CDN.Example.COM/Shoe.PNG",
    "hTTp://example.com/",
    "https://user:secret@cdn.example.com/shoe.png",
    "https://@cdn.example.com/",
    "https://a@b@cdn.example.com/",
    "https://cdn.example.com:/shoe.png",
    "https://cdn.example.com:0/",
    "https://cdn.example.com:65535/",
    "https://cdn.example.com:00080/",
    "https://cdn.example.com./",
    "https://localhost/",
    "https://a..b/",
    "https://under_score.example.com/",
    "https://-leading-hyphen.example.com/",
    "https://cdn.example.com/a%20b/%2F.png",
    "https://cdn.example.com/schuhé.png",
    "https://cdn.example.com/?q=a|b^c",
    "https://cdn.example.com\\shoe.png",
    "https:cdn.example.com/shoe.png",
    "https:/cdn.example.com/shoe.png",
    "https:///cdn.example.com/shoe.png",
    "https:\\\\cdn.example.com\\shoe.png",
    "https://ex%41mple.com/",
    "https://ex%2Eample.com/",
    "https://1.2.3.4/",
    "https://1.2.3.4./",
    "https://255.255.255.255/",
    "https://0x7f.0.0.1/",
    "https://0177.0.0.1/",
    "https://127.1/",
    "https://2130706433/",
    "https://0x/",
    "https://1.2.3.0x/",
    "https://example.0x1g/",
    "https://[::1]/",
    "https://[::1]:8080/shoe.png",
    "https://[2001:db8::7]/",
    "https://[::ffff:1.2.3.4]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://bücher.de/shoe.png",
    "https://xn--bcher-kva.de/shoe.png",
    "https://b%C3%BCcher.de/",
    "https://例え.テスト/",
    "https://☃.net/",
    "https://example.com/" + "a" * 300,
]

REFUSED = [
    "",
    "cdn.example.com/shoe.png",
    "//cdn.example.com/shoe.png",
    "/shoe.png",
    "ftp://cdn.example.com/shoe.png",
    "mailto:shop@example.com",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "data:image/png;base64,AAAA",
    "http//cdn.example.com",
    "1http://cdn.example.com",
    "https://",
    "https:",
    "https:///",
    "https://?q",
    "https://#f",
    "https://:443/",
    "https://user@/",
    "https://user:pw@:80/",
    "https://cdn.example.com:65536/",
    "https://cdn.example.com:8o/",
    "https://cdn.example.com:-1/",
    "https://cdn.example.com:80:80/",
    "https://cdn.example.com:\uff18\uff10/",  # fullwidth digits
    "https://cdn example.com/",
    "https://cdn.example.com/a b.png",
    " https://cdn.example.com/",
    "https://cdn.example.com/\n",
    "https://cdn.example.com/\t",
    "https://cdn.example.com/\x00",
    "https://cdn.example.com/\u200b",
    "https://exa<mple.com/",
    "https://exa>mple.com/",
    "https://exa^mple.com/",
    "https://exa|mple.com/",
    "https://exa[mple.com/",
    "https://exa%mple.com/",
    "https://exa%zzmple.com/",
    "https://ex%00ample.com/",
    "https://ex%20ample.com/",
    "https://ex%2Fample.com/",
    "https://%ff/",
    "https://1.2.3.256/",
    "https://1.2.3.4.5/",
    "https://256.0.0.1/",
    "https://1.2..3/",
    "https://0x100.0.0.1/",
    "https://08.0.0.1/",
    "https://4294967296/",
    "https://example.123/",
    "https://[::1/",
    "https://[::1]x/",
    "https://[::g]/",
    "https://[1.2.3.4]/",
    "https://[fe80::1%25eth0]/",
    "https://[::ffff:01.2.3.4]/",
    "https://xn--/",
    "https://xn--a.com/",
    "https://xn--ß.de/",
    "https://a\u200db.com/",
    "https://%ef%bf%bd/",
]


@pytest.mark.parametrize("value", ACCEPTED)
def test_a_url_the_parser_reads_as_http_with_a_host_is_accepted(value: str) -> None:
    assert verdict(value) is True


@pytest.mark.parametrize("value", REFUSED)
def test_a_url_the_parser_refuses_or_reads_otherwise_is_refused(value: str) -> None:
    assert verdict(value) is False


@pytest.mark.parametrize("value", ACCEPTED + REFUSED)
def test_the_check_gives_the_verdict_of_pydantics_anyurl(value: str) -> None:
    # The API's request models and shop intake share this check; it calls pydantic-core's parser
    # directly so shop intake need not import pydantic, and must still read a URL as AnyUrl does.
    from pydantic import AnyUrl, ValidationError

    try:
        url = AnyUrl(value)
        anyurl = url.scheme in ("http", "https") and bool(url.host)
    except ValidationError:
        anyurl = False
    spaced = any(ch.isspace() or not ch.isprintable() for ch in value)
    assert verdict(value) is (anyurl and not spaced)


def test_none_is_no_url_to_check() -> None:
    assert check_http_url(None) is None


def test_the_reason_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="spaces or control characters"):
        check_http_url("https://cdn.example.com/a b.png")
    with pytest.raises(ValueError, match="absolute http or https URL"):
        check_http_url("cdn.example.com/shoe.png")
