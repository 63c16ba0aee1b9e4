# Targets for octabyte. `make plan` and `make test` are the README's two commands.
SHELL := /bin/bash
STACK ?= staging
GOLANGCI_LINT_VERSION := v2.15.0
ACTIONLINT_VERSION := v1.7.12
GOBIN := $(shell go env GOPATH)/bin

SIMULATOR := permissions/simulator

.PHONY: plan plan-json plan-bootstrap test test-infra test-app smoke lint fmt bench tools simulator

## plan: print the full plan of STACK (staging|prod) offline, no AWS account needed
plan: simulator
	go run . plan --stack $(STACK)

plan-json: simulator
	go run . plan --stack $(STACK) --json

## plan-bootstrap: the one-time per-account bootstrap project, offline
plan-bootstrap:
	go run ./bootstrap plan --stack bootstrap

## test: every suite: infrastructure (mock engine), app (real PostgreSQL), container smoke, linters
test: lint test-infra test-app smoke

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

fmt:
	gofmt -w .

tools:
	@test -x $(GOBIN)/golangci-lint && $(GOBIN)/golangci-lint version 2>/dev/null | grep -q $(GOLANGCI_LINT_VERSION:v%=%) || go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@test -x $(GOBIN)/actionlint && $(GOBIN)/actionlint -version | grep -q $(ACTIONLINT_VERSION:v%=%) || go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

## simulator: the Node tool the deploy-permission check runs (npm ci when package-lock.json changed)
simulator: $(SIMULATOR)/node_modules/.package-lock.json

$(SIMULATOR)/node_modules/.package-lock.json: $(SIMULATOR)/package-lock.json
	npm ci --prefix $(SIMULATOR) --no-audit --no-fund
