"""Build step: the campaign file, the templates and the sample round travel inside the package
(pipeline/starter/, where `fnc-review init` finds them), copied from their one home at the top of the
repository. Everything else is in pyproject.toml."""

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from pipeline.paths import STARTER_FILES  # noqa: E402


class BuildWithStarter(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "pipeline" / "starter"
        for name in STARTER_FILES:
            src, dst = ROOT / name, target / name
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildWithStarter})
