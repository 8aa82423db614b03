"""Abusive HTTP clients, for tests/integration/test_http_safety.py and
tests/bench/http_bench.py: idle connections that never send a byte, slow
clients that dribble a header a byte at a time (and reconnect when cut), and
a /healthz prober that measures each answer."""
import socket
import threading
import time


def open_idle(port, count, deadline_s=30):
    """`count` connected sockets that send nothing. Caller closes them."""
    socks = []
    end = time.monotonic() + deadline_s
    while len(socks) < count and time.monotonic() < end:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        socks.append(s)
    return socks


class SlowClients:
    """`count` threads, each sending an unfinished request one byte every
    `interval` seconds; a connection the server closes is reopened."""

    def __init__(self, port, count, interval=0.5):
        self.port = port
        self.interval = interval
        self.stop = threading.Event()
        self.reconnects = 0
        self.threads = [threading.Thread(target=self._run, daemon=True)
                        for _ in range(count)]
        for t in self.threads:
            t.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port),
                                              timeout=5) as s:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    for _ in range(100000):
                        if self.stop.wait(self.interval):
                            return
                        s.sendall(b"a")
            except OSError:
                self.reconnects += 1
                self.stop.wait(0.05)

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(10)


def probe_healthz(port, count, timeout=1.0):
    """Latencies in seconds of `count` fresh-connection GET /healthz; None
    for a probe that failed or took longer than `timeout`."""
    out = []
    request = (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Connection: close\r\n\r\n")
    for _ in range(count):
        start = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port),
                                          timeout=timeout) as s:
                s.sendall(request)
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            ok = data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok\n")
            out.append(time.monotonic() - start if ok else None)
        except OSError:
            out.append(None)
    return out


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]
