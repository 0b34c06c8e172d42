# The two commands the README opens with are `make demo` and `make test`; both install
# what they need (scripts/bootstrap is idempotent and fast when nothing changed).
.PHONY: demo test lint unit e2e bootstrap bench clean-sandbox

VENV := .venv/bin

bootstrap:
	scripts/bootstrap --sandbox

## A full local reconcile of tenants/ against the sandbox cloud.
demo: bootstrap
	scripts/demo

## Lint, then the whole test suite (unit, validator, program mocks, sandbox, end to end).
test: bootstrap
	$(MAKE) --no-print-directory lint
	$(VENV)/pytest

lint:
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy

unit: bootstrap
	$(VENV)/pytest -m "not e2e"

e2e: bootstrap
	$(VENV)/pytest -m e2e

bench: bootstrap
	$(VENV)/python bench/run_all.py

## Stop the demo's emulator and forget the local state (state, workspaces, sandbox data).
clean-sandbox:
	-$(VENV)/python -m sandbox down
	rm -rf .state .reconciler .sandbox
