"""Several web processes on one port (``WEB_PROCESSES``): one listening socket, bound once by a small supervising
process and inherited by each ``python -m bot serve`` child, which accepts from it when it has time.

Why processes and not threads: a web process is bound by Python's GIL under a burst (a hundred Accept presses at
once: parsing, signatures, rendering, placing), so on a machine with cores to spare a second process answers
sooner, while PostgreSQL keeps them consistent (intake leases per process, the placement lock
:func:`bot.partnering.placement.hold_floor`, the outbox's claims). SQLite is refused: it has one writer at a time,
and processes queue for it by sleeping.

The supervisor sets the database up before the children start (so they do not race to migrate a new one),
restarts a child that dies (waiting longer each time one dies soon after its start), stops when one of the first
children cannot start (it exits on its own within STARTUP: bad settings, no database), passes SIGTERM/SIGINT on to
all of them, and holds a pipe whose end tells each child that the supervisor is gone.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
LISTEN_FD = "PARTNERUP_LISTEN_FD"  # set for a child: the number of the inherited listening socket
PARENT_FD = "PARTNERUP_PARENT_FD"  # set for a child: a pipe that reaches its end when the supervisor is gone
STARTUP = 15.0  # seconds: a first child that exits on its own sooner could not start (bad settings, no database)
RESTART_AFTER = 1.0  # seconds: the shortest wait before a dead child is started again, doubled while it keeps dying
LONGEST_WAIT = 30.0  # seconds: the longest such wait
STOP_WAIT = 10.0  # seconds the children get to finish what they answer before they are killed
POLL = 0.2  # seconds between looks at the children
BACKLOG = 2048  # connections the kernel queues for the children (a burst arrives at once)


def listening_socket(port: int) -> socket.socket:
    """The one socket all children accept from."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(BACKLOG)
    return listener


def inherited_socket() -> socket.socket | None:
    """In a child: the supervisor's listening socket (and a watch on the supervisor: when it is gone, this process
    stops, so no child keeps the port after a ``kill -9`` of its supervisor); None in a process started on its own."""
    fd = os.environ.get(LISTEN_FD, "").strip()
    if not fd.isdigit():
        return None
    parent = os.environ.get(PARENT_FD, "").strip()
    if parent.isdigit():
        threading.Thread(target=_stop_with_parent, args=(int(parent),), name="partnerup-supervisor-watch",
                         daemon=True).start()  # fmt: skip
    return socket.socket(fileno=int(fd))


def _stop_with_parent(fd: int) -> None:
    """Block until the supervisor's end of the pipe is closed (it exited or was killed), then stop as on SIGTERM."""
    with os.fdopen(fd, "rb") as pipe:
        pipe.read()
    log.warning("the supervising process is gone; stopping")
    os.kill(os.getpid(), signal.SIGTERM)


class Supervisor:
    """Runs ``processes`` children of ``command`` on one listening socket until told to stop."""

    def __init__(
        self, *, processes: int, port: int, command: list[str], clock: Callable[[], float] = time.monotonic,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:  # fmt: skip
        self.processes = processes
        self.port = port
        self.command = command
        self.clock = clock
        self.pause = pause
        self.children: dict[int, tuple[subprocess.Popen, float]] = {}  # slot -> (process, started)
        self.restarts: dict[int, int] = {}  # slot -> children that died soon after their start, in a row
        self._stopping = False  # a plain flag: set from a signal handler, which must not take a lock

    def run(self) -> int:
        """Until :meth:`stop`: 0 then, or the exit code of a first child that could not start."""
        listener = listening_socket(self.port)
        watch_read, watch_write = os.pipe()  # the children hold the read end; it ends when this process does
        env = dict(os.environ, **{LISTEN_FD: str(listener.fileno()), PARENT_FD: str(watch_read)})
        fds = (listener.fileno(), watch_read)
        due: dict[int, float] = {}  # slot -> when its next child may start
        try:
            for slot in range(self.processes):
                self._start(slot, env, fds)
            log.info("serving on http://0.0.0.0:%s with %s web processes", self.port, self.processes)
            while not self._stopping:
                self.pause(POLL)
                for slot, (child, started) in list(self.children.items()):
                    code = child.poll()
                    if code is None:
                        continue
                    lived = self.clock() - started
                    if slot not in due:
                        if code >= 0 and lived < STARTUP and slot not in self.restarts:
                            log.error("web process %s exited with %s while starting; stopping the others",
                                      child.pid, code)  # fmt: skip
                            return code if code > 0 else 1
                        self.restarts[slot] = self.restarts.get(slot, 0) + 1 if lived < STARTUP else 0
                        wait = min(LONGEST_WAIT, RESTART_AFTER * 2 ** max(0, self.restarts[slot] - 1))
                        due[slot] = self.clock() + (wait if lived < STARTUP else 0.0)
                        log.warning("web process %s exited with %s; starting another%s", child.pid, code,
                                    f" in {wait:.0f} s" if lived < STARTUP else "")  # fmt: skip
                    if self.clock() >= due[slot]:
                        del due[slot]
                        self._start(slot, env, fds)
            return 0
        finally:
            self._stop_all()
            listener.close()
            os.close(watch_read)
            os.close(watch_write)

    def stop(self) -> None:
        self._stopping = True

    def _start(self, slot: int, env: dict, fds: tuple[int, ...]) -> None:
        child = subprocess.Popen(self.command, env=env, pass_fds=fds)
        self.children[slot] = (child, self.clock())

    def _stop_all(self) -> None:
        running = [child for child, _ in self.children.values() if child.poll() is None]
        for child in running:
            child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT
        for child in running:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("web process %s did not stop in time; killing it", child.pid)
                child.kill()
                child.wait()


def supervise(*, processes: int, port: int) -> int:
    """``python -m bot serve`` with WEB_PROCESSES above 1: the same command, ``processes`` times, on one socket."""
    supervisor = Supervisor(processes=processes, port=port, command=[sys.executable, "-m", "bot", "serve"])
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: supervisor.stop())
    return supervisor.run()
