"""丰年村街创先争优活动 评议汇总程序：python run.py --help"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # Windows: worker processes are spawned from this script
    # Imported here, not above: a spawned worker re-imports this script and needs only its own stage.
    from pipeline.cli import main
    sys.exit(main())
