"""Local ports for the private servers the tests start, and for a server that is not there."""

import socket


def free_port() -> int:
    """A local port nothing listens on now: for a private server to take, or, left alone, a
    service that refuses connections (a broker or cache unplugged)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
