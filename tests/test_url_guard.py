"""The URL guard connects only to the addresses it vetted: a name that resolves to a public
address for the check and to loopback for the connection (DNS rebinding) is refused, and
IPv6 forms of private IPv4 addresses (NAT64, 6to4, mapped, compatible) are not public.

DNS cannot run here, so the resolver is replaced (socket.getaddrinfo, which the socket layer
also uses to connect); the HTTP part is real, served on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsqa.errors import LoadError
from newsqa.ingest.loaders import LoadOptions
from newsqa.ingest.urlguard import check_url, is_public
from newsqa.ingest.urls import load_inputs
from newsqa.types import Article

PAGE = (Path(__file__).parent / "fixtures" / "formats" / "pages" / "escape-room-fire.html"
        ).read_bytes()


class _Handler(BaseHTTPRequestHandler):
    hosts: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.hosts.append(self.headers.get("Host", ""))
        if self.path == "/hop":
            self.send_response(302)
            self.send_header("Location", f"http://rebind.test:{self.server.server_port}/")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    _Handler.hosts = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """Names this test's resolver answers: each lookup of a name pops its next answer (the
    last one stays), so a name can change its address between two lookups."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            lookups.append(host)
            queue = answers[host]
            ip = queue.pop(0) if len(queue) > 1 else queue[0]
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (ip, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["lookups"] = lookups
    return answers


def fetch(url: str, **opts) -> list[Article | LoadError]:
    return list(load_inputs([url], LoadOptions(**opts)))


def test_rebinding_name_is_refused_at_connection_time(port, dns):
    dns["rebind.test"] = ["93.184.216.34", "127.0.0.1"]  # public for the check, then not
    check_url(f"http://rebind.test:{port}/", allow_private=False)  # the up-front check passes
    (err,) = fetch(f"http://rebind.test:{port}/")
    assert isinstance(err, LoadError) and "(127.0.0.1): not a public address" in err.reason
    assert _Handler.hosts == []  # nothing reached the server


def test_connection_goes_to_the_vetted_address_with_the_host_kept(port, dns):
    dns["news.test"] = ["127.0.0.1"]
    (art,) = fetch(f"http://news.test:{port}/", allow_private_urls=True)
    assert isinstance(art, Article) and art.title.startswith("Escape room fire")
    assert _Handler.hosts == [f"news.test:{port}"]
    assert dns["lookups"] == ["news.test"]  # resolved once, by the guard; never again


def test_every_redirect_hop_is_vetted_as_it_connects(port, dns):
    dns["start.test"] = ["127.0.0.1"]
    dns["rebind.test"] = ["127.0.0.1"]
    (art,) = fetch(f"http://start.test:{port}/hop", allow_private_urls=True)
    assert isinstance(art, Article) and _Handler.hosts == [f"start.test:{port}",
                                                           f"rebind.test:{port}"]
    assert dns["lookups"] == ["start.test", "rebind.test"]  # each by the guard, connecting


@pytest.mark.parametrize("address", [
    "64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b:1::808:808", "2002:7f00:1::1",
    "2002:c0a8:101::", "::ffff:127.0.0.1", "::127.0.0.1", "::ffff:10.0.0.1", "::1",
    "fe80::1", "fc00::1", "127.0.0.1", "169.254.169.254", "100.64.0.1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2"])
def test_non_public_addresses_in_every_form(address, dns):
    assert not is_public(ipaddress.ip_address(address))
    dns["evil.test"] = [address]
    (err,) = fetch("http://evil.test/")
    assert "not a public address" in err.reason


@pytest.mark.parametrize("address", ["93.184.216.34", "64:ff9b::5db8:d822", "2002:5db8:d822::1",
                                     "2606:4700::1111"])
def test_public_addresses_in_every_form(address):
    assert is_public(ipaddress.ip_address(address))
