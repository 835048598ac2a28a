"""Ray driver: `python -m qraft_nautilus.ray_driver ADDRESS` runs runner jobs as Ray remote functions.

The TypeScript side (src/core/backtest/tasks/ray.ts) starts one driver per command and talks to it
in JSON lines. stdin:
  {"frame": ID, "path": FILE}                    the prices of a job (put in the object store once)
  {"task": ID, "frame": ID, "path": FILE, "out": FILE}  the rest of a job (targets, costs, timing…)
  end of input                                   finish what was sent, then exit
stdout:
  {"ready": true, "address": …, "started": bool, "cpus": n}  connected (started: a local instance)
  {"done": ID}                                   the task's runner document is in its "out" file
  {"ok": false, "error": {"code", "message"}}    a fatal error (ray_missing, ray_unreachable, …)

ADDRESS: `auto` (a reachable local cluster, else a local instance with 2 CPUs started here and
stopped on exit), `ray://host:port` (Ray Client) or `host:port` (the cluster's GCS). The runner
package travels with the job (runtime_env py_modules); the prices go into the object store once.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import sys
import tempfile
import threading
from typing import Any

ERROR_RAY_MISSING = "ray_missing"
ERROR_RAY_UNREACHABLE = "ray_unreachable"
ERROR_RAY_FAILED = "ray_failed"
#: A task whose worker died is run again this many times (Ray's max_retries).
MAX_RETRIES = 3
_lock = threading.Lock()


def _say(document: dict[str, Any]) -> None:
    with _lock:
        sys.stdout.write(json.dumps(document) + "\n")
        sys.stdout.flush()


def _trace(text: str) -> None:
    if os.environ.get("QRAFT_DEBUG") == "1":
        sys.stderr.write(f"ray_driver: {text}\n")
        sys.stderr.flush()


def _fail(code: str, message: str) -> int:
    _say({"ok": False, "error": {"code": code, "message": message}})
    return 3


class RunnerLost(RuntimeError):
    """The runner process on the worker was killed by a signal: Ray runs the task again."""


def run_task(prices: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    """One runner job on a Ray worker: `python -m qraft_nautilus JOB OUT` in a fresh process there.

    A fresh process, as on the local pool: two runs are two cold starts, and NautilusTrader's
    engine does not share a process with Ray's worker (they abort together: a double free).
    """
    import subprocess

    import qraft_nautilus

    from qraft_nautilus.__main__ import _error

    root = os.path.dirname(os.path.dirname(os.path.abspath(qraft_nautilus.__file__)))
    with tempfile.TemporaryDirectory(prefix="qraft-ray-task-") as folder:
        job_path = os.path.join(folder, "job.json")
        out_path = os.path.join(folder, "out.json")
        with open(job_path, "w", encoding="utf-8") as handle:
            json.dump({**prices, **task}, handle)
        env = {**os.environ, "PYTHONPATH": root, "PYTHONDONTWRITEBYTECODE": "1"}
        result = subprocess.run([sys.executable, "-m", "qraft_nautilus", job_path, out_path], env=env, capture_output=True, text=True, check=False)
        if result.returncode < 0:
            raise RunnerLost(f"the runner was killed by signal {-result.returncode}")
        try:
            with open(out_path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            last = (result.stderr.strip().splitlines() or [""])[-1]
            return _error("nautilus_error", f"The runner exited with code {result.returncode} and wrote no result{': ' + last if last else ''}")


def _reachable(address: str) -> str | None:
    """None when something listens at the address's host:port, else why not."""
    target = address[len("ray://"):] if address.startswith("ray://") else address
    host, sep, port = target.rpartition(":")
    if not sep or not host or not port.isdigit():
        return f'"{address}" is not a Ray address (expected auto, ray://HOST:PORT or HOST:PORT)'
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
            return None
    except OSError as exc:
        return f"nothing answers at {host}:{port} ({exc.strerror or type(exc).__name__})"


#: The temp dir of a local instance this driver started (removed when it stops).
_started_temp: list[str] = []


def _connect(ray: Any, address: str, runtime_env: dict[str, Any]) -> tuple[bool, str]:
    common = {"runtime_env": runtime_env, "log_to_driver": False, "logging_level": "ERROR"}
    if address == "auto":
        try:
            ray.init(address="auto", **common)
            return False, "auto"
        except ConnectionError:
            # No cluster here: a local instance for trying it out, stopped when this driver exits.
            temp = tempfile.mkdtemp(prefix="qr", dir="/tmp" if os.path.isdir("/tmp") else None)
            _started_temp.append(temp)
            ray.init(num_cpus=2, include_dashboard=False, _temp_dir=temp, **common)
            return True, "local"
    ray.init(address=address, **common)
    return False, address


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        return _fail(ERROR_RAY_FAILED, "Wrong arguments; expected ADDRESS.")
    address = argv[0].strip()
    # As `ray start` does: with a token at hand and no mode chosen, the cluster expects token auth.
    token = os.environ.get("RAY_AUTH_TOKEN") or os.path.exists(os.environ.get("RAY_AUTH_TOKEN_PATH") or os.path.expanduser("~/.ray/auth_token"))
    if "RAY_AUTH_MODE" not in os.environ and token:
        os.environ["RAY_AUTH_MODE"] = "token"
    try:
        import ray
    except Exception as exc:  # noqa: BLE001 - any import failure means "not usable"
        return _fail(ERROR_RAY_MISSING, f"ray cannot be imported ({type(exc).__name__}: {exc})")
    if address != "auto":
        problem = _reachable(address)
        if problem:
            return _fail(ERROR_RAY_UNREACHABLE, problem)
    # The messages come on stdin; the processes Ray starts inherit fd 0 and must not read them.
    messages = os.fdopen(os.dup(0), "r", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    package = os.path.dirname(os.path.abspath(__file__))
    try:
        started, where = _connect(ray, address, {"py_modules": [package], "env_vars": {"PYTHONDONTWRITEBYTECODE": "1"}})
    except Exception as exc:  # noqa: BLE001
        return _fail(ERROR_RAY_UNREACHABLE, f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
    remote = ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=[RunnerLost])(run_task)
    _say({"ready": True, "address": where, "started": started, "cpus": int(ray.cluster_resources().get("CPU", 0))})

    inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def read() -> None:
        for line in messages:
            if line.strip():
                inbox.put(json.loads(line))
        inbox.put(None)

    threading.Thread(target=read, daemon=True).start()
    frames: dict[str, Any] = {}
    pending: dict[Any, dict[str, Any]] = {}
    open_input = True
    try:
        while open_input or pending:
            # Take every message waiting (block briefly only when there is nothing to wait on).
            while True:
                try:
                    message = inbox.get(timeout=0.05 if pending else None) if open_input else None
                except queue.Empty:
                    break
                if message is None:
                    open_input = False
                    break
                if "task" in message:
                    with open(message["path"], encoding="utf-8") as handle:
                        task = json.load(handle)
                    pending[remote.remote(frames[message["frame"]], task)] = message
                    _trace(f"submitted {message['task']}")
                else:
                    with open(message["path"], encoding="utf-8") as handle:
                        frames[message["frame"]] = ray.put(json.load(handle))
                if inbox.empty():
                    break
            if not pending:
                continue
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.1)
            for ref in ready:
                message = pending.pop(ref)
                document = ray.get(ref)
                tmp = f"{message['out']}.tmp"
                with open(tmp, "w", encoding="utf-8") as handle:
                    json.dump(document, handle, allow_nan=False)
                os.replace(tmp, message["out"])
                _say({"done": message["task"]})
    except Exception as exc:  # noqa: BLE001 - a lost cluster, a task that failed MAX_RETRIES times
        return _fail(ERROR_RAY_FAILED, f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
    finally:
        ray.shutdown()
        for temp in _started_temp:
            shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
