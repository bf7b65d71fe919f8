"""Build step: the campaign file, the templates and the sample round travel inside the package
(pipeline/starter/, where `fnc-review init` finds them), copied from their one home at the top of the
repository. Everything else is in pyproject.toml."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from pipeline.paths import copy_starter  # noqa: E402


class BuildWithStarter(build_py):
    def run(self):
        super().run()
        copy_starter(ROOT, Path(self.build_lib) / "pipeline" / "starter")


setup(cmdclass={"build_py": BuildWithStarter})
