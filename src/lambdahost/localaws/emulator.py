"""The local AWS: moto's server in a process of its own, run as
``python -m lambdahost.localaws.emulator FD STATE_FILE``.

It serves on a listening socket the host has already bound (descriptor ``FD``), so the endpoint
exists from the first instant and a client that calls before moto has imported waits in the
socket's backlog rather than being refused. moto keeps its state in memory only; this process
loads it from ``STATE_FILE`` before serving and writes it back when the host lets it go (its
standard input closes: the host stopped, or died, even by SIGKILL) or on SIGTERM. Ctrl-C, which
reaches the whole process group, is the host's to act on.
"""

from __future__ import annotations

import collections
import fcntl
import io
import os
import pickle
import signal
import sys
import threading
from pathlib import Path

import cloudpickle
from moto import backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

_LOCKS = (type(threading.Lock()), type(threading.RLock()))


def _defaultdict(cls: type, factory, items: dict, attributes: dict) -> collections.defaultdict:
    restored = collections.defaultdict.__new__(cls)
    restored.default_factory = factory
    restored.update(items)
    restored.__dict__.update(attributes)
    return restored


class _Pickler(cloudpickle.Pickler):
    """moto's backends as they are, with what plain pickle refuses: locks (made anew), lambdas
    (cloudpickle takes them by value) and defaultdict subclasses whose ``__init__`` wants more
    than a factory (SSM's parameters)."""

    def reducer_override(self, obj):
        if isinstance(obj, _LOCKS):
            return (threading.RLock if "RLock" in type(obj).__name__ else threading.Lock, ())
        if isinstance(obj, collections.defaultdict) and type(obj) is not collections.defaultdict:
            return _defaultdict, (type(obj), obj.default_factory, dict(obj), getattr(obj, "__dict__", {}))
        return super().reducer_override(obj)


def save(path: Path) -> None:
    """All of moto's state, written whole and then renamed over the last, so a failed write
    leaves the previous state."""
    # Each service's backends by account and region, and what the service keeps beside them
    # (S3's owner of each bucket name, for one).
    state = {
        name: (dict(backend), vars(backend)) for name in _loaded_services() for backend in [backends.get_backend(name)]
    }
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as file:
        file.write(buffer.getvalue())
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def load(path: Path) -> None:
    if not path.exists():
        return
    with open(path, "rb") as file:
        state = pickle.load(file)
    for name, (accounts, attributes) in state.items():
        live = backends.get_backend(name)
        live.clear()
        live.update(accounts)
        vars(live).update(attributes)


def _loaded_services() -> list[str]:
    """The services a request has reached: moto imports a service's module on first use."""
    found = []
    for module in backends.list_of_moto_modules():
        if f"moto.{module}.models" in sys.modules:
            try:
                backend = backends.get_backend(module)
            except Exception:  # a module whose backend has another name: nothing of it is saved
                continue
            if len(backend):
                found.append(module)
    return found


def main(fd: int, state_file: str) -> None:
    path = Path(state_file)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Held from before loading to after saving: an emulator started while the last one still
    # saves (its host was killed and started again) waits for that state.
    held = open(path.with_name(path.name + ".lock"), "w")  # noqa: SIM115 - for the process's life
    fcntl.flock(held, fcntl.LOCK_EX)
    load(path)
    server = make_server(
        "127.0.0.1",
        0,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=MotoRequestHandler,
        fd=fd,
    )
    stopped = threading.Event()

    def stop(*_) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), stop()), daemon=True).start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stopped.wait()
    server.shutdown()
    save(path)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
