# The two set-up commands of the Đắk Nông portal (see README.md):
#   make up     install what is missing, start PostgreSQL, Redis, Solr and the portal with demo data
#   make test   start the same services (test database) and run the whole test suite
# and: make down (stop what we started), make status, make lint, make bench,
# make screenshots (docs/screenshots/ from the portal that `make up` started).
SHELL := /bin/bash
STACK := deployment/scripts/stack.sh

.PHONY: up test down status lint format bench i18n screenshots

up:
	@bash $(STACK) up

test:
	@bash $(STACK) test $(PYTEST_ARGS)

down:
	@bash $(STACK) down

status:
	@bash $(STACK) status

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	@.venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench:
	@bash bench/run.sh

i18n:
	@.venv/bin/python deployment/scripts/i18n.py

screenshots:
	@bash $(STACK) screenshots
