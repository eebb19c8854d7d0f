"""The safety watchdog: a small supervisor that switches the bench off when the runner dies.

Why a second process: a runner killed with SIGKILL, crashed in C code, or cut off by an OOM
killer runs none of its ``finally`` blocks, and a DC source left on keeps charging a possibly
damaged pack with nobody watching (issue 11). So before the first output of a run can go on, the
runner starts ``python -m bench.watchdog`` in its **own session and process group** (a
``kill -- -<pgid>`` of the runner's group or a closed terminal does not reach it) and keeps the
write end of a pipe to the watchdog's standard input. The kernel closes that pipe when the runner
ends, however it ends, so the watchdog learns of the death by reading EOF: no polling of files or
pids. A clean end writes ``done`` first.

Without ``done``, the watchdog (from the endpoints and store of the station config the runner
used, handed over as the first line on the pipe) opens every source and load itself, switches
every output off *with confirmation* (each driver's ``make_safe``, the confirmed safe-state path
of ``instruments.safe_state``; retried until confirmed or ``SAFE_DEADLINE_S``), then marks the
runner's running run interrupted with the reason, sets the unit back from ``on_bench`` and logs
everything to ``<data dir>/logs/watchdog.log``.

What it cannot cover (docs/safety.md): the host losing power or the watchdog being killed with
the runner (then only the instrument's own OVP/OCP and hardware timers act, and the next command's
safe start switches the outputs off before it measures).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from bench import paths
from bench.errors import EXIT_INSTRUMENT, BenchError

READY = b"ready\n"
DONE = b"done\n"
START_TIMEOUT_S = 15.0
"""How long the runner waits for the watchdog's ``ready`` (a loaded 2-core bench PC included)."""
SAFE_DEADLINE_S = 30.0
"""How long the watchdog keeps retrying an instrument whose safe state is not confirmed."""
RETRY_PAUSE_S = 0.5
LOG_NAME = "watchdog.log"
ACTOR = "watchdog"
OUTPUT_ROLES = ("source", "load", "chamber")
"""Roles the watchdog makes safe, in this order: source channels and the load input off first
(they can charge or drain the pack), then a temperature chamber back to standby (a run killed in
its 0 degC soak would leave it cooling for hours). Meters are left alone."""
SAFE_STATE_WORDS = {"chamber": "at standby (confirmed)"}
"""What ``make_safe`` achieved, where it is not outputs switched off and read back."""


class WatchdogError(BenchError):
    """The watchdog could not be started: the run is refused before any output goes on."""

    exit_code = EXIT_INSTRUMENT


@dataclass(frozen=True)
class Target:
    """One instrument with an output, as the runner reached it."""

    role: str
    model: str | None
    resource: str
    timeout_s: float = 2.0
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """Everything the watchdog needs, sent as one JSON line (it never re-reads files)."""

    runner_pid: int
    host: str
    station: str
    station_file: str
    database: str | None
    """``None``: nothing to mark (``self_test``)."""
    unit_id: int | None
    targets: tuple[Target, ...]
    log_file: str
    note: str = ""
    """Why ``targets`` may be empty (an in-process simulator ends with the runner)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> Plan:
        data = json.loads(text)
        data["targets"] = tuple(Target(**t) for t in data["targets"])
        return cls(**data)


def log_file() -> Path:
    """``<packbench data dir>/logs/watchdog.log`` (created on first use)."""
    return paths.data_dir() / "logs" / LOG_NAME


def _package_root() -> str:
    return str(Path(__file__).resolve().parent.parent)


class Watchdog:
    """The runner's handle on its watchdog: ``done()`` on a clean end, nothing otherwise."""

    def __init__(self, process: subprocess.Popen[bytes], plan: Plan) -> None:
        self.process = process
        self.plan = plan
        self._ended = False

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    def start(cls, plan: Plan, *, timeout: float = START_TIMEOUT_S) -> Watchdog:
        """Spawn the watchdog in its own session; return once it says it watches.

        Raises ``WatchdogError`` (nothing energised yet) if it cannot be started or does not
        answer within ``timeout``.
        """
        log = Path(plan.log_file)
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            errors = log.open("ab")
        except OSError as exc:
            raise WatchdogError(
                f"safety watchdog: cannot write its log {log}: {exc.strerror}. Fix: make the "
                "packbench data directory writable (or set XDG_DATA_HOME)"
            ) from exc
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_package_root(), env.get("PYTHONPATH", "")) if p
        )
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "bench.watchdog"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                start_new_session=True,
                close_fds=True,
                env=env,
                cwd="/",
            )
        except OSError as exc:
            raise WatchdogError(
                f"safety watchdog: cannot start {sys.executable} -m bench.watchdog: {exc}. Fix: "
                "check that the Python running packbench can start processes"
            ) from exc
        finally:
            errors.close()
        watchdog = cls(process, plan)
        try:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(plan.to_json().encode() + b"\n")
            process.stdin.flush()
            reply = _read_line(process.stdout, timeout)
        except (OSError, TimeoutError) as exc:
            watchdog._kill()
            raise WatchdogError(
                f"safety watchdog did not start ({exc}); see {log}. Fix: run `packbench doctor`"
            ) from exc
        finally:
            if process.stdout is not None:
                process.stdout.close()
        if reply != READY:
            watchdog._kill()
            raise WatchdogError(
                f"safety watchdog answered {reply!r} instead of ready; see {log}. Fix: run "
                "`packbench doctor`"
            )
        return watchdog

    def done(self, timeout: float = 0.0) -> None:
        """The run ended cleanly (its own safe state ran): tell the watchdog and let it go.

        ``timeout`` > 0 waits that long for it to exit (the self-test checks its status)."""
        if self._ended:
            return
        self._ended = True
        stdin = self.process.stdin
        with contextlib.suppress(OSError):  # a dead watchdog has nothing left to hear
            if stdin is not None:
                stdin.write(DONE)
                stdin.close()
        if timeout > 0:
            with contextlib.suppress(subprocess.TimeoutExpired):  # it still ends on its own
                self.process.wait(timeout)
        else:
            self.process.poll()  # reaped later by Popen's own clean-up, or by init

    def _kill(self) -> None:
        self._ended = True
        try:
            self.process.kill()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass


def _read_line(stream: IO[bytes], timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    fd = stream.fileno()
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no answer within {timeout:g} s")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                raise OSError("the watchdog ended before it was ready")
            data += chunk
    return data


def targets_of(endpoints: dict[str, Any]) -> tuple[Target, ...]:
    """What the watchdog makes safe of ``endpoints`` (resolved ``Endpoint`` objects by role):
    the ``OUTPUT_ROLES``, in their order whatever the station file's order."""
    chosen = [(role, e) for role, e in endpoints.items() if role in OUTPUT_ROLES]
    chosen.sort(key=lambda pair: OUTPUT_ROLES.index(pair[0]))
    return tuple(
        Target(e.role, e.model, e.resource, e.timeout_s, dict(e.options)) for _, e in chosen
    )


def start_for_run(
    config: Any, endpoints: dict[str, Any], *, unit_id: int | None, in_process: bool
) -> Watchdog:
    """The watchdog of one run: the station's sources, loads and chamber, store and unit.

    ``config`` is the runner's ``StationConfig`` and ``endpoints`` the station's resolved
    ``Endpoint`` objects (by role). ``in_process``: a simulator started inside the runner ends
    with it, so there is nothing to reach afterwards (the watchdog still closes the run).
    """
    targets = () if in_process else targets_of(endpoints)
    plan = Plan(
        runner_pid=os.getpid(),
        host=socket.gethostname(),
        station=config.station_id,
        station_file=config.source,
        database=config.database,
        unit_id=unit_id,
        targets=targets,
        log_file=str(log_file()),
        note="in-process simulator: its outputs end with the runner" if in_process else "",
    )
    return Watchdog.start(plan)


def self_test() -> str | None:
    """``None`` when a watchdog can be started on this host; else the problem and its fix.

    Starts a real watchdog (own session, pipe, ready handshake) with nothing to watch over and
    ends it cleanly, exactly as a run would.
    """
    plan = Plan(
        runner_pid=os.getpid(),
        host=socket.gethostname(),
        station="self-test",
        station_file="",
        database=None,
        unit_id=None,
        targets=(),
        log_file=str(log_file()),
        note="packbench doctor self-test",
    )
    try:
        watchdog = Watchdog.start(plan)
    except WatchdogError as exc:
        return str(exc)
    watchdog.done(timeout=10.0)
    if watchdog.process.returncode != 0:
        return (
            f"safety watchdog self-test ended with status {watchdog.process.returncode}; see "
            f"{plan.log_file}. Fix: run `python -m bench.watchdog` by hand to see the error"
        )
    return None


# -- the watchdog process ---------------------------------------------------------------------


def _logger(path: str) -> logging.Logger:
    logger = logging.getLogger("packbench.watchdog")
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(
        logging.Formatter("%(asctime)s watchdog[%(process)d] %(levelname)s %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logging.getLogger("instruments").addHandler(handler)
    return logger


def _preload() -> None:
    """Import what a take-over needs while the run is still fine: no import delay when the
    runner dies (the outputs must be off within about a second)."""
    import importlib

    for module in ("instruments.factory", "results.db", "results.recorder", "bench.safe_start"):
        importlib.import_module(module)


def switch_off(targets: tuple[Target, ...], log: logging.Logger) -> list[str]:
    """Every target's outputs off, confirmed; retried until ``SAFE_DEADLINE_S``. Returns one
    line per target saying what came of it."""
    from instruments.factory import open_instrument

    outcome: list[str] = []
    for target in targets:
        deadline = time.monotonic() + SAFE_DEADLINE_S
        attempt = 0
        while True:
            attempt += 1
            try:
                instrument = open_instrument(
                    target.resource,
                    role=target.role,
                    model=target.model,
                    timeout=target.timeout_s,
                    **target.options,
                )
                try:
                    instrument.make_safe()
                finally:
                    instrument.close()
            except Exception as exc:  # every target is tried until the deadline, whatever it is
                log.error(
                    "%s %s: safe state not confirmed (attempt %d): %s: %s",
                    target.role,
                    target.resource,
                    attempt,
                    type(exc).__name__,
                    exc,
                )
                if time.monotonic() + RETRY_PAUSE_S > deadline:
                    outcome.append(
                        f"{target.role} {target.resource}: safe state NOT confirmed after "
                        f"{attempt} attempt(s) ({exc}); switch it off at the front panel"
                    )
                    break
                time.sleep(RETRY_PAUSE_S)
                continue
            done = SAFE_STATE_WORDS.get(target.role, "outputs off (confirmed)")
            log.warning("%s %s: %s", target.role, target.resource, done)
            outcome.append(f"{target.role} {done}")
            break
    return outcome


def close_run(plan: Plan, reason: str, log: logging.Logger) -> None:
    """Mark the runner's running run(s) interrupted and set the unit back from on_bench."""
    if plan.database is None:
        return
    from bench.safe_start import close_runs_of_process

    try:
        notices = close_runs_of_process(
            plan.database,
            host=plan.host,
            pid=plan.runner_pid,
            unit_id=plan.unit_id,
            reason=reason,
            actor=ACTOR,
        )
    except Exception as exc:  # the store may be down: the outputs are what mattered
        log.error(
            "store %s: could not mark the run interrupted: %s: %s (the next packbench command "
            "marks it)",
            _without_password(plan.database),
            type(exc).__name__,
            exc,
        )
        return
    for notice in notices:
        log.warning("%s", notice)


def _without_password(database: str) -> str:
    """A store URL fit for a log file (``postgresql://user:***@host/db``)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(database).render_as_string(hide_password=True)
    except Exception:  # a plain SQLite path is no URL: nothing to hide
        return database


def take_over(plan: Plan, log: logging.Logger) -> None:
    log.warning(
        "runner %s:%d (station %s, %s) ended without a clean end; taking over",
        plan.host,
        plan.runner_pid,
        plan.station,
        plan.station_file,
    )
    if plan.note:
        log.warning("%s", plan.note)
    done = switch_off(plan.targets, log)
    reason = (
        f"runner process {plan.host}:{plan.runner_pid} ended without finishing the run "
        "(killed, crashed or its terminal closed); safety watchdog: "
        + ("; ".join(done) if done else plan.note or "no output to switch off")
    )
    close_run(plan, reason, log)
    log.warning("take-over finished")


def main() -> int:
    """``python -m bench.watchdog``: read the plan, say ready, wait for EOF or ``done``."""
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)  # a Ctrl-C or hang-up is the runner's business
    stdin = sys.stdin.buffer
    plan = Plan.from_json(stdin.readline())
    log = _logger(plan.log_file)
    os.write(1, READY)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the runner closed its end: a later print must not raise
    os.close(devnull)
    if plan.targets:  # an in-process simulator (no targets) needs no hurry, so no early imports
        _preload()
    clean = False
    for line in stdin:  # blocks until the runner writes or ends
        if line == DONE:
            clean = True
    if clean:
        return 0
    take_over(plan, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
