"""Command line: `python -m qraft_nautilus JOB.json OUT.json` or `python -m qraft_nautilus --probe`.

Exit codes: 0 success, 3 any error incl. wrong usage (the error JSON goes to OUT.json when it can be
written, and always to stdout). Tracebacks go to stderr only with QRAFT_DEBUG=1.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import traceback
from typing import Any

from .names import ERROR_BAD_JOB, ERROR_NAUTILUS_ERROR, ERROR_NAUTILUS_MISSING

EXIT_OK = 0
EXIT_USAGE = 3  # same as any other error: the caller only needs "not 0"
EXIT_ERROR = 3

USAGE = "usage: python -m qraft_nautilus JOB.json OUT.json | python -m qraft_nautilus --probe"


def _debug() -> bool:
    return os.environ.get("QRAFT_DEBUG") == "1"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def _print(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document) + "\n")
    sys.stdout.flush()


def probe() -> int:
    try:
        import nautilus_trader
    except Exception as exc:  # noqa: BLE001 - any import failure means "not usable"
        if _debug():
            traceback.print_exc(file=sys.stderr)
        _print(_error(ERROR_NAUTILUS_MISSING, f"nautilus_trader cannot be imported ({type(exc).__name__}: {exc})."))
        return EXIT_ERROR
    _print({"ok": True, "nautilus_trader": str(nautilus_trader.__version__), "python": platform.python_version()})
    return EXIT_OK


def _write(path: str, document: dict[str, Any]) -> bool:
    try:
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(document, handle, allow_nan=False)
        os.replace(tmp, path)
        return True
    except (OSError, ValueError):
        if _debug():
            traceback.print_exc(file=sys.stderr)
        return False


def run(job_path: str, out_path: str) -> int:
    from .job import QraftError, load_job

    try:
        from .runner import run_job

        document = run_job(load_job(job_path))
    except QraftError as exc:
        if _debug():
            traceback.print_exc(file=sys.stderr)
        document = _error(exc.code, exc.message)
    except MemoryError:
        document = _error(ERROR_NAUTILUS_ERROR, "The runner ran out of memory.")
    except Exception as exc:  # noqa: BLE001 - never a bare traceback on stdout/stderr
        if _debug():
            traceback.print_exc(file=sys.stderr)
        detail = " ".join(str(exc).split())[:300]
        document = _error(ERROR_NAUTILUS_ERROR, f"Unexpected failure: {type(exc).__name__}: {detail}")

    if document.get("ok"):
        if not _write(out_path, document):
            document = _error(ERROR_BAD_JOB, f"The output file {out_path} cannot be written.")
            _print(document)
            return EXIT_ERROR
        _print({"ok": True, "out": out_path, "fills": len(document["fills"]), "elapsed_ms": document["elapsed_ms"]})
        return EXIT_OK
    _write(out_path, document)
    _print(document)
    return EXIT_ERROR


def main(argv: list[str]) -> int:
    if argv == ["--probe"]:
        return probe()
    if len(argv) == 2 and not any(a.startswith("--") for a in argv):
        return run(argv[0], argv[1])
    sys.stderr.write(USAGE + "\n")
    _print(_error(ERROR_BAD_JOB, "Wrong arguments; expected JOB.json OUT.json or --probe."))
    return EXIT_USAGE


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
