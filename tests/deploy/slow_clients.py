#!/usr/bin/env python3
"""Holds many slow connections against a web server on loopback and times normal requests meanwhile.

Half the slow connections trickle a request head (slowloris: one header line a second, never the
blank line), half send a POST head and trickle its body (one byte a second). Each comes from one of
the given loopback source addresses. A connection the server closes is opened again after 0.5 s.
A probe thread meanwhile asks the given paths one after another, each on a new connection from
--probe-source (127.0.0.1), and every answer must come in under --max-latency seconds with the expected status.

Only loopback addresses are accepted as target and sources; the run is bounded by --hold.
Exit status 0 when every probe answered in time (and --min-held was reached, when given).
"""
import argparse
import http.client
import ipaddress
import resource
import selectors
import socket
import statistics
import sys
import threading
import time


def loopback(addr):
    if not ipaddress.ip_address(addr).is_loopback:
        sys.exit(f"slow_clients: {addr} is not a loopback address")
    return addr


def established(port):
    """Server-side sockets in ESTABLISHED state on local port `port` (from /proc/net/tcp*)."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        n += 1
        except OSError:
            pass
    return n


class Slow:
    def __init__(self, index, source, post):
        self.index, self.source, self.post = index, source, post
        self.sock = None
        self.connected = False
        self.next_at = 0.0
        self.reopen_at = 0.0
        self.sent_head = False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--sources", default="127.0.0.1", help="comma-separated loopback source addresses")
    ap.add_argument("--hold", type=float, default=8.0, help="seconds to hold the connections once opened")
    ap.add_argument("--probe-source", default="127.0.0.1", help="loopback address the probes come from")
    ap.add_argument("--probe", action="append", default=[], help="STATUS:PATH asked during the hold")
    ap.add_argument("--max-latency", type=float, default=1.0)
    ap.add_argument("--min-held", type=int, default=0, help="fail unless this many stay open (server side)")
    ap.add_argument("--label", default="slow clients")
    ap.add_argument("--settle", type=float, default=10.0, help="seconds at most to wait for every connection to open")
    a = ap.parse_args()
    loopback(a.host)
    loopback(a.probe_source)
    sources = [loopback(s.strip()) for s in a.sources.split(",") if s.strip()]
    probes = [(int(p.split(":", 1)[0]), p.split(":", 1)[1]) for p in a.probe] or [(200, "/healthz")]

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, a.conns * 2 + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    sel = selectors.DefaultSelector()
    slow = [Slow(i, sources[i % len(sources)], i % 2 == 1) for i in range(a.conns)]
    closed_by_server = 0

    def open_conn(s, now):
        s.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.sock.setblocking(False)
        try:
            s.sock.bind((s.source, 0))
        except OSError as e:
            sys.exit(f"slow_clients: cannot bind {s.source}: {e}")
        s.sock.connect_ex((a.host, a.port))
        s.connected, s.sent_head, s.next_at = False, False, now
        sel.register(s.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, s)

    def drop(s, now):
        nonlocal closed_by_server
        closed_by_server += 1
        try:
            sel.unregister(s.sock)
        except (KeyError, ValueError):
            pass
        s.sock.close()
        s.sock, s.connected = None, False
        s.reopen_at = now + 0.5

    def send(s, data, now):
        try:
            s.sock.send(data)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            drop(s, now)

    def pump(until):
        while True:
            now = time.monotonic()
            if now >= until:
                return
            for key, mask in sel.select(timeout=0.05):
                s = key.data
                if s.sock is None:
                    continue
                if mask & selectors.EVENT_WRITE and not s.connected:
                    err = s.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        drop(s, now)
                        continue
                    s.connected = True
                    sel.modify(s.sock, selectors.EVENT_READ, s)
                if mask & selectors.EVENT_READ and s.sock is not None:
                    try:
                        data = s.sock.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        drop(s, now)
            now = time.monotonic()
            for s in slow:
                if s.sock is None:
                    if now >= s.reopen_at:
                        open_conn(s, now)
                    continue
                if not s.connected or now < s.next_at:
                    continue
                if not s.sent_head:
                    head = (f"POST /wechat HTTP/1.1\r\nHost: {a.host}\r\nContent-Type: text/xml\r\n"
                            "Content-Length: 60000\r\n\r\n" if s.post else
                            f"GET /?slow={s.index} HTTP/1.1\r\nHost: {a.host}\r\nUser-Agent: slowloris\r\n")
                    send(s, head.encode(), now)
                    s.sent_head = True
                else:
                    send(s, b"x" if s.post else f"X-Slow-{int(now * 10) % 1000}: 1\r\n".encode(), now)
                s.next_at = now + 1.0

    # Open everything, let it settle, then probe while holding.
    t0 = time.monotonic()
    for s in slow:
        open_conn(s, t0)
    pump(t0 + 1.0)
    while time.monotonic() < t0 + a.settle and sum(1 for s in slow if s.connected) < a.conns:
        pump(time.monotonic() + 0.5)  # handshakes the kernel dropped are retried after 1 s, then 3 s
    pump(time.monotonic() + 0.5)
    ramp = time.monotonic() - t0

    latencies = {path: [] for _, path in probes}
    failures = []
    stop = threading.Event()

    def prober():
        while not stop.is_set():
            for want_status, path in probes:
                start = time.monotonic()
                try:
                    c = http.client.HTTPConnection(a.host, a.port, timeout=5, source_address=(a.probe_source, 0))
                    c.request("GET", path, headers={"Connection": "close"})
                    r = c.getresponse()
                    r.read()
                    status = r.status
                    c.close()
                except Exception as e:  # a timeout or a reset is exactly what this test looks for
                    status = f"{type(e).__name__}: {e}"
                took = time.monotonic() - start
                latencies[path].append(took)
                if status != want_status or took >= a.max_latency:
                    failures.append(f"{path}: {status} in {took * 1000:.0f} ms")
            stop.wait(0.1)

    held = []
    thread = threading.Thread(target=prober)
    thread.start()
    hold_end = time.monotonic() + a.hold
    while time.monotonic() < hold_end:
        pump(min(hold_end, time.monotonic() + 1.0))
        held.append(established(a.port))
    stop.set()
    thread.join()
    open_now = sum(1 for s in slow if s.sock is not None and s.connected)
    for s in slow:
        if s.sock is not None:
            s.sock.close()

    print(f"{a.label}: {a.conns} slow connections ({a.conns - a.conns // 2} slowloris, {a.conns // 2} slow POST) "
          f"from {len(sources)} address(es), opened in {ramp:.1f} s, held {a.hold:.0f} s")
    print(f"  open on the server side (sampled each second): min {min(held)}, max {max(held)}; "
          f"open on the client side at the end: {open_now}; closed by the server: {closed_by_server}")
    for _, path in probes:
        xs = sorted(latencies[path])
        if xs:
            print(f"  {path}: {len(xs)} requests, median {statistics.median(xs) * 1000:.1f} ms, "
                  f"max {xs[-1] * 1000:.1f} ms")
    ok = True
    if failures:
        ok = False
        print(f"  FAIL {len(failures)} probe(s) over {a.max_latency} s or wrong status, first: {failures[:5]}")
    if not any(latencies.values()) or min(len(v) for v in latencies.values()) < 3:
        ok = False
        print("  FAIL too few probes ran")
    if a.min_held and min(held) < a.min_held:
        ok = False
        print(f"  FAIL only {min(held)} connections stayed open, wanted {a.min_held}")
    print(f"{a.label}: {1 if ok else 0} passed, {0 if ok else 1} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
