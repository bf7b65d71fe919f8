# Two commands on a fresh machine with only python3 and make:
#   make run   - set up .venv if needed, then run the pipeline on the shipped sample (示例/: its own
#                inbox, outbox and archive, never the real archive/)
#   make test  - set up .venv if needed, then run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The sample is a demo round of 第一阶段; its as-of date (a few days after the deadline) is kept in
# 示例/基准日期.txt, which `run.py example` reads.
SAMPLE_AS_OF ?= 2010-08-02

.PHONY: run test setup clean templates sample bundle mutants compat

setup: $(STAMP)

$(STAMP): requirements/runtime.lock requirements/test.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/runtime.lock -r requirements/test.lock
	touch $(STAMP)

# Exit status 3 means "finished, some files are sent back to their units": a normal outcome.
run: $(STAMP)
	$(PY) run.py example; status=$$?; \
	if [ $$status -eq 0 ] || [ $$status -eq 3 ]; then exit 0; else exit $$status; fi

test: $(STAMP)
	$(PY) -m pytest

templates: $(STAMP)
	$(PY) run.py templates

# Regenerate the shipped sample inbox (a handful of units, one with mistakes).
sample: $(STAMP)
	rm -rf 示例/inbox && $(PY) run.py demo --inbox 示例/inbox --units 5 --members 12 --seed sample --defects \
	  --answer-key tests/sample_answer_key.json --as-of $(SAMPLE_AS_OF)
	echo $(SAMPLE_AS_OF) > 示例/基准日期.txt

# The offline Windows zip (SPEC §11): dist/fnc-review-win64.zip. Needs the package index once;
# downloads are cached in $(BUNDLE_CACHE) (default ~/.cache/fnc-review-bundle).
bundle: $(STAMP)
	$(PY) packaging/bundle.py

# The fast tests on Python 3.13 and on the lowest dependency versions pyproject.toml allows
# (requirements/lowest.txt): run by CI after `make test`, each in a venv of its own.
PY313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3) $(shell command -v python3.13))
COMPAT_TESTS := tests/test_scoring.py tests/test_campaign_contract.py tests/test_clerk_loop.py tests/test_exact_reading.py \
	tests/test_package_edits.py tests/test_reuse.py tests/test_linear.py
compat:
	test -x .venv-py313/bin/python || $(PY313) -m venv .venv-py313
	.venv-py313/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/runtime.lock -r requirements/test.lock
	.venv-py313/bin/python -m pytest -q -p no:cacheprovider $(COMPAT_TESTS)
	test -x .venv-lowest/bin/python || $(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/lowest.txt -r requirements/test.lock
	.venv-lowest/bin/python -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning $(COMPAT_TESTS)

# Mutation testing of the rules (scoring.py, grading.py, rules/, validation/crosscheck.py): slow, never part of `make test`. Configured in
# pyproject.toml ([tool.mutmut]); the score and the surviving mutants judged harmless are in bench/mutants.md.
MUTMUT := mutmut==3.8.1
mutants: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check $(MUTMUT)
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children $${MUTANT_CHILDREN:-2}
	$(VENV)/bin/mutmut export-cicd-stats
	cat mutants/mutmut-cicd-stats.json

clean:
	rm -rf $(VENV) .venv-py313 .venv-lowest dist
