#!/usr/bin/env python3
"""Writes the seed corpora of the HTTP fuzz targets:
corpus/http_router/ (FuzzedDataProvider layouts: strings end at a backslash
followed by another byte; the last byte is the loopback flag) and
corpus/http_server/ (raw requests). Run from anywhere; overwrites."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def layout(loopback, *fields):
    out = b""
    for f in fields[:-1]:
        out += f.replace(b"\\", b"\\\\") + b"\\;"
    return out + fields[-1] + (b"\x01" if loopback else b"\x00")


ROUTER = {
    "reload_loopback": layout(True, b"POST", b"/-/reload", b"127.0.0.1:9464",
                              b"", b"", b""),
    "reload_token": layout(False, b"POST", b"/-/reload", b"outcomesd:9464",
                           b"Bearer fuzz-admin-token-0123456789", b"", b""),
    "reload_cross_site": layout(True, b"POST", b"/-/reload", b"127.0.0.1:9464",
                                b"", b"https://evil.example", b"cross-site"),
    "reload_get": layout(True, b"GET", b"/-/reload", b"localhost", b"", b"",
                         b""),
    "provider": layout(False, b"GET", b"/api/v1/providers/prov-a", b"x", b"",
                       b"", b""),
    "healthz": layout(False, b"GET", b"/healthz", b"[::1]:9464", b"", b"",
                      b"none"),
}

SERVER = {
    "get_healthz": b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "get_provider_query":
        b"GET /api/v1/providers/p%20a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n",
    "pipelined": b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"
                 b"GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n",
    "post_reload_body": b"POST /-/reload HTTP/1.1\r\nHost: localhost\r\n"
                        b"Content-Length: 5\r\nOrigin: http://evil\r\n\r\nhello",
    "chunked": b"POST /-/reload HTTP/1.1\r\nHost: h\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "http10": b"GET /metrics HTTP/1.0\r\n\r\n",
    "expect_continue": b"POST /-/reload HTTP/1.1\r\nHost: h\r\n"
                       b"Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    "big_content_length": b"POST /-/reload HTTP/1.1\r\nHost: h\r\n"
                          b"Content-Length: 99999999999999999999\r\n\r\n",
    "folded_header": b"GET /healthz HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n"
                     b"  continued\r\n\r\n",
    "garbage": b"\x00\xff\r\n\r\n",
}

for name, seeds in (("http_router", ROUTER), ("http_server", SERVER)):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for key, value in seeds.items():
        with open(os.path.join(d, key), "wb") as f:
            f.write(value)
