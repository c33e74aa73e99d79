"""Several web processes on one port (``WEB_PROCESSES``): one listening socket, bound once by a small supervising
process and inherited by each ``python -m bot serve`` child, which accepts from it when it has time.

Why processes and not threads: a web process is bound by Python's GIL under a burst (a hundred Accept presses at
once: parsing, signatures, rendering, placing), so on a machine with cores to spare a second process answers
sooner, while PostgreSQL keeps them consistent (intake leases per process, the placement lock
:func:`bot.partnering.placement.hold_floor`, the outbox's claims). SQLite is refused: it has one writer at a time,
and processes queue for it by sleeping.

The supervisor sets the database up before the children start (so they do not race to migrate a new one),
restarts a child that dies (a signal, or an exit once it has been up a while), stops when one cannot start (it
exits on its own within STARTUP: bad settings, no database), and passes SIGTERM/SIGINT on to all of them.
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
STARTUP = 15.0  # seconds: a child that exits on its own sooner could not start (bad settings, no database): stop all
RESTART_AFTER = 1.0  # seconds: a child killed (by a signal: out of memory, a kill -9) is started again, at most this often
STOP_WAIT = 10.0  # seconds the children get to finish what they answer before they are killed
BACKLOG = 2048  # connections the kernel queues for the children (a burst arrives at once)


def listening_socket(port: int) -> socket.socket:
    """The one socket all children accept from."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(BACKLOG)
    listener.set_inheritable(True)
    return listener


def inherited_socket() -> socket.socket | None:
    """In a child: the supervisor's listening socket; None in a process started on its own."""
    fd = os.environ.get(LISTEN_FD, "").strip()
    if not fd.isdigit():
        return None
    return socket.socket(fileno=int(fd))


class Supervisor:
    """Runs ``processes`` children of ``command`` on one listening socket until told to stop."""

    def __init__(self, *, processes: int, port: int, command: list[str], clock: Callable[[], float] = time.monotonic):
        self.processes = processes
        self.port = port
        self.command = command
        self.clock = clock
        self.children: dict[int, tuple[subprocess.Popen, float]] = {}  # slot -> (process, started)
        self._stop = threading.Event()

    def run(self) -> int:
        """Until :meth:`stop`: 0 then, or the exit code of a child that could not start."""
        listener = listening_socket(self.port)
        env = dict(os.environ, **{LISTEN_FD: str(listener.fileno())})
        try:
            for slot in range(self.processes):
                self._start(slot, env, listener)
            log.info("serving on http://0.0.0.0:%s with %s web processes", self.port, self.processes)
            while not self._stop.wait(0.2):
                for slot, (child, started) in list(self.children.items()):
                    code = child.poll()
                    if code is None:
                        continue
                    if code >= 0 and self.clock() - started < STARTUP:
                        log.error("web process %s exited with %s while starting; stopping the others", child.pid, code)
                        return code if code > 0 else 1
                    if self.clock() - started < RESTART_AFTER:
                        continue  # killed again right after its start: wait a moment before the next one
                    log.warning("web process %s exited with %s; starting another", child.pid, code)
                    self._start(slot, env, listener)
            return 0
        finally:
            self._stop_all()
            listener.close()

    def stop(self) -> None:
        self._stop.set()

    def _start(self, slot: int, env: dict, listener: socket.socket) -> None:
        child = subprocess.Popen(self.command, env=env, pass_fds=(listener.fileno(),))
        self.children[slot] = (child, self.clock())

    def _stop_all(self) -> None:
        running = [child for child, _ in self.children.values() if child.poll() is None]
        for child in running:
            child.send_signal(signal.SIGTERM)
        deadline = self.clock() + STOP_WAIT
        for child in running:
            try:
                child.wait(max(0.1, deadline - self.clock()))
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
