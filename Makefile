# Targets for octabyte. `make plan` and `make test` are the README's two commands.
SHELL := /bin/bash
STACK ?= staging
GOLANGCI_LINT_VERSION := v2.15.0
ACTIONLINT_VERSION := v1.7.12
GOBIN := $(shell go env GOPATH)/bin
# The Debian packages the suites need, in one place: `make deps` installs the
# missing ones (git and jq for the workflow tests, shellcheck for actionlint,
# podman/buildah/runc/debootstrap for the container smoke test).
# APP_TEST_PACKAGES are what `make test-app` needs (PostgreSQL server
# binaries; haproxy, the ALB stand-in of the app's rollout tests): the pull
# request workflow's test job installs exactly these (TestPullRequestTestsInstallWhatTheAppTestsNeed).
APP_TEST_PACKAGES := postgresql haproxy
SYSTEM_PACKAGES := git make ca-certificates curl jq shellcheck podman buildah runc debootstrap $(APP_TEST_PACKAGES)

SIMULATOR := permissions/simulator
# Node.js runs the deploy-permission check's IAM simulator; Debian's packages
# are installed only on a machine that has no Node.js at all.
NODE_PACKAGES := nodejs npm

.PHONY: plan plan-json plan-bootstrap deps test test-infra test-app smoke lint fmt bench tools simulator

## plan: print the full plan of STACK (staging|prod) offline, no AWS account needed;
## PREVIEW=1 shows it as a first `pulumi preview` (values AWS computes unknown)
PLAN_FLAGS := --stack $(STACK) $(if $(filter 1 true yes,$(PREVIEW)),--preview)
plan: simulator
	go run . plan $(PLAN_FLAGS)

plan-json: simulator
	go run . plan $(PLAN_FLAGS) --json

## plan-bootstrap: the one-time per-account bootstrap project, offline
plan-bootstrap:
	go run ./bootstrap plan --stack bootstrap

## deps: install the missing system packages (as root; otherwise prints the command)
deps:
	@bash scripts/system-packages.sh $(SYSTEM_PACKAGES)

## test: every suite: infrastructure (mock engine), app (real PostgreSQL), container smoke, linters
test: deps
	$(MAKE) lint test-infra test-app smoke

test-infra: simulator
	go test ./...

test-app:
	cd app && go test ./...

smoke:
	bash scripts/container-smoke.sh

bench:
	bash scripts/bench.sh

lint: tools
	go vet ./...
	cd app && go vet ./...
	@unformatted="$$(gofmt -l . )"; if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GOBIN)/golangci-lint run ./...
	cd app && $(GOBIN)/golangci-lint run ./...
	$(GOBIN)/actionlint
	shellcheck -x .github/scripts/*.sh scripts/*.sh

fmt:
	gofmt -w .

tools:
	@test -x $(GOBIN)/golangci-lint && $(GOBIN)/golangci-lint version 2>/dev/null | grep -q $(GOLANGCI_LINT_VERSION:v%=%) || go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@test -x $(GOBIN)/actionlint && $(GOBIN)/actionlint -version | grep -q $(ACTIONLINT_VERSION:v%=%) || go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

## simulator: the Node tool the deploy-permission check runs (npm ci when package-lock.json changed)
simulator: $(SIMULATOR)/node_modules/.package-lock.json

$(SIMULATOR)/node_modules/.package-lock.json: $(SIMULATOR)/package-lock.json
	@command -v npm >/dev/null || bash scripts/system-packages.sh $(NODE_PACKAGES)
	npm ci --prefix $(SIMULATOR) --no-audit --no-fund
