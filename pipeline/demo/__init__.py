"""Demo submissions for tests, the sample inbox and the benchmark (`run.py demo`)."""

from pipeline.demo.build import (
    FORMULA_TEXTS,
    DemoError,
    default_as_of,
    generate,
    render,
    suggested_grades,
)

__all__ = ["FORMULA_TEXTS", "DemoError", "default_as_of", "generate", "render", "suggested_grades"]
