"""The network boundary: every refused address class, names that resolve inward,
and the checked address being the one connected to (no DNS rebinding)."""

from __future__ import annotations

import pytest

from registry.remote import http
from registry.remote.boundary import AllowList, address_of, pin
from registry.remote.errors import RefusedError

ANY_NAME = AllowList.parse(["models.example.com", "*.corp.example"])


def resolver(*addresses: str):
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return list(addresses)

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.5", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.10.20", "link-local"),
        ("fe80::1", "link-local"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("100.64.0.1", "non-global"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "cloud metadata"),
    ],
)
def test_a_name_resolving_to_an_internal_address_is_refused_with_its_class(
    address, kind
):
    with pytest.raises(RefusedError, match=f"a {kind} address") as caught:
        pin("models.example.com", 443, ANY_NAME, resolver(address))
    assert caught.value.address == str(address_of(address))


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "2001:db8::1"]
)
def test_an_address_literal_not_on_the_list_is_refused(host):
    with pytest.raises(RefusedError, match="is not on the allow-list"):
        pin(host, 80, ANY_NAME, resolver())


def test_a_host_off_the_list_is_refused_before_any_lookup():
    resolve = resolver("93.184.216.34")
    with pytest.raises(RefusedError, match="'evil.example' is not on the allow-list"):
        pin("evil.example", 443, ANY_NAME, resolve)
    assert resolve.calls == []


def test_localhost_is_refused_even_when_its_name_is_allow_listed():
    allow = AllowList.parse(["localhost"])
    with pytest.raises(RefusedError, match="a loopback address"):
        pin("localhost", 80, allow, http.boundary.system_resolve)


def test_a_name_with_one_internal_address_among_public_ones_is_refused():
    resolve = resolver("93.184.216.34", "10.0.0.8")
    with pytest.raises(RefusedError, match="10.0.0.8, a private address"):
        pin("api.corp.example", 443, ANY_NAME, resolve)


def test_an_allow_listed_network_permits_its_internal_addresses_only():
    allow = AllowList.parse(["models.example.com", "10.0.0.0/24"])
    assert pin("models.example.com", 80, allow, resolver("10.0.0.7")) == "10.0.0.7"
    with pytest.raises(RefusedError, match="10.0.1.7, a private address"):
        pin("models.example.com", 80, allow, resolver("10.0.1.7"))


def test_a_public_address_of_an_allowed_name_is_returned():
    resolve = resolver("93.184.216.34")
    assert pin("x.corp.example", 443, ANY_NAME, resolve) == "93.184.216.34"
    with pytest.raises(RefusedError, match="not on the allow-list"):
        pin("corp.example.evil", 443, ANY_NAME, resolve)


def test_a_name_that_does_not_resolve_is_refused():
    def fail(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(RefusedError, match="does not resolve: Name or service"):
        pin("models.example.com", 443, ANY_NAME, fail)


@pytest.mark.parametrize("entry", ["not a host", "http://x", "a..b", "x/y/z"])
def test_a_bad_allow_list_entry_is_named(entry):
    with pytest.raises(ValueError, match="not a host name or address"):
        AllowList.parse([entry])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "must start with http"),
        ("gopher://models.example.com/", "must start with http"),
        ("http://user:pw@models.example.com/", "named secret, not in the URL"),
        ("http:///nohost", "must start with http"),
    ],
)
def test_urls_other_than_plain_http_are_refused(url, message):
    with pytest.raises(http.RemoteError, match=message):
        http.connect(url, allow=ANY_NAME, limits=http.Limits(), resolve=resolver())


def test_the_checked_address_is_the_one_connected_to(nodejs):
    """A resolver that answers loopback, then (rebinding) a private address:
    the call asks it once and every request goes to the checked address."""
    port = int(nodejs.url.rsplit(":", 1)[1])
    answers = iter([["127.0.0.1"], ["10.9.9.9"], ["10.9.9.9"]])
    asked: list[str] = []

    def rebinding(host: str, _port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    allow = AllowList.parse(["models.test", "127.0.0.1"])
    connection = http.connect(
        f"http://models.test:{port}/ok/v2/models/lin",
        allow=allow,
        limits=http.Limits(timeout=5),
        resolve=rebinding,
    )
    for _ in range(3):
        body = connection.exchange("GET", "/ok/v2/models/lin")
        assert b'"platform":"node-linear"' in body
    connection.close()
    assert asked == ["models.test"]
    assert connection.pool.host == "127.0.0.1"
    assert connection.target.host_header == f"models.test:{port}"
