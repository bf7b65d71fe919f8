"""python -m pipeline: the same command as run.py and fnc-review."""

import multiprocessing
import sys

from pipeline.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
