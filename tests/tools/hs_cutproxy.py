#!/usr/bin/env python3
"""hs_cutproxy.py - a TCP relay that a test can cut, for fault tests.

Usage: hs_cutproxy.py UPSTREAM_HOST UPSTREAM_PORT [DELAY_FILE]

Listens on 127.0.0.1 on a free port, prints "PORT <n>" on stdout, and
relays every connection to UPSTREAM byte for byte (TLS passes through
untouched).  Each chunk from a client is held for the number of
milliseconds DELAY_FILE holds (read again for every chunk; none or 0: no
delay) before it is forwarded, to slow a client down so that a test can
watch its progress and cut in the middle.  Signals:

  SIGUSR1  die: close every open connection (both sides) and stop
           listening, so new connects are refused (the server died);
  SIGUSR2  come back: listen again on the same port and relay as before;
  SIGHUP   black hole: keep every connection open and keep accepting, but
           forward nothing in either direction any more (a silent server).

Each event is logged on stderr: "conn N" (a connection accepted), "up N"
(a client chunk of N bytes forwarded), "cut", "back", "blackhole".
"""
import selectors
import signal
import socket
import sys
import time


def main():
	up = (sys.argv[1], int(sys.argv[2]))
	delay_file = sys.argv[3] if len(sys.argv) > 3 else None

	def delay():
		try:
			with open(delay_file) as f:
				return float(f.read().strip() or 0) / 1000
		except (TypeError, OSError, ValueError):
			return 0.0

	sel = selectors.DefaultSelector()
	pending = []  # [due, sock, data]: client chunks waiting for their delay
	pairs = {}  # sock -> its peer
	state = {"cmd": None, "listener": None, "port": 0, "black": False, "conns": 0}

	def listen():
		ls = socket.socket()
		ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		ls.bind(("127.0.0.1", state["port"]))
		ls.listen(128)
		ls.setblocking(False)
		state["port"] = ls.getsockname()[1]
		state["listener"] = ls
		sel.register(ls, selectors.EVENT_READ, "listen")

	def close_all():
		for s in list(pairs):
			try:
				sel.unregister(s)
			except (KeyError, ValueError):
				pass
			s.close()
		pairs.clear()
		pending.clear()

	def on_signal(signum, _frame):
		state["cmd"] = signum

	for s in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP):
		signal.signal(s, on_signal)
	listen()
	print("PORT %d" % state["port"], flush=True)
	while True:
		cmd, state["cmd"] = state["cmd"], None
		if cmd == signal.SIGUSR1:
			if state["listener"]:
				sel.unregister(state["listener"])
				state["listener"].close()
				state["listener"] = None
			close_all()
			state["black"] = False
			print("cut", file=sys.stderr, flush=True)
		elif cmd == signal.SIGUSR2:
			if not state["listener"]:
				listen()
			state["black"] = False
			print("back", file=sys.stderr, flush=True)
		elif cmd == signal.SIGHUP:
			state["black"] = True
			pending.clear()
			for s in pairs:
				sel.unregister(s)  # kept open, never read again
			print("blackhole", file=sys.stderr, flush=True)
		now = time.monotonic()
		while pending and pending[0][0] <= now:
			_, dst, data = pending.pop(0)
			if dst in pairs:
				try:
					dst.sendall(data)
					print("up %d" % len(data), file=sys.stderr, flush=True)
				except OSError:
					pass
		timeout = 0.05
		if pending:
			timeout = max(0.0, min(timeout, pending[0][0] - now))
		try:
			events = sel.select(timeout)
		except InterruptedError:
			continue
		for key, _ in events:
			s = key.fileobj
			if key.data == "listen":
				try:
					c, _ = s.accept()
				except OSError:
					continue
				state["conns"] += 1
				print("conn %d" % state["conns"], file=sys.stderr, flush=True)
				if state["black"]:
					pairs[c] = None  # open, never read
					continue
				try:
					u = socket.create_connection(up, timeout=5)
				except OSError:
					c.close()
					continue
				for x in (c, u):
					x.setblocking(True)
					x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
				pairs[c], pairs[u] = u, c
				sel.register(c, selectors.EVENT_READ, "client")
				sel.register(u, selectors.EVENT_READ, "server")
				continue
			try:
				data = s.recv(65536)
			except OSError:
				data = b""
			peer = pairs.get(s)
			if not data:
				for x in (s, peer):
					if x is not None and x in pairs:
						sel.unregister(x)
						del pairs[x]
						x.close()
				continue
			wait = delay() if key.data == "client" else 0
			if key.data == "client" and (wait > 0 or pending):
				# in order: never before a chunk queued earlier
				due = time.monotonic() + wait
				if pending:
					due = max(due, pending[-1][0])
				pending.append([due, peer, data])
			else:
				try:
					peer.sendall(data)
					if key.data == "client":
						print("up %d" % len(data), file=sys.stderr, flush=True)
				except OSError:
					pass


if __name__ == "__main__":
	main()
