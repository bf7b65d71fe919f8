"""丰年村街创先争优活动 评议汇总程序：python run.py --help"""

import multiprocessing
import sys

from pipeline.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # Windows: worker processes are spawned from this script
    sys.exit(main())
