"""丰年村街创先争优活动 评议汇总程序 (fnc-review): python run.py --help, python -m pipeline, or fnc-review."""

__version__ = "0.2.0"
