"""Qraft's NautilusTrader runner: `python -m qraft_nautilus JOB.json OUT.json` or `--probe`.

Only the standard library is imported here, so `--probe` and job errors stay fast.
"""

__all__ = ["__version__"]

__version__ = "1.0.0"
