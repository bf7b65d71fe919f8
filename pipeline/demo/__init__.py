"""Demo submissions for tests, the sample inbox and the benchmark (`run.py demo`)."""

from pipeline.demo.build import DemoError, default_as_of, generate, render
from pipeline.demo.defects import FORMULA_TEXTS
from pipeline.demo.units import suggested_grades

__all__ = ["FORMULA_TEXTS", "DemoError", "default_as_of", "generate", "render", "suggested_grades"]
