# welfbridge — build, test, run and benchmark the Fluent Bit output plugin.
#
#   make run    the main job: WELF for the bundled Airlock sample on stdout
#   make test   everything CI runs (installs what it needs on Debian first)
#   make bench  the Go benchmarks

SHELL   := /bin/bash
GO      ?= go
CC      ?= gcc
export CGO_ENABLED := 1

PLUGIN  := build/out_welf.so
HARNESS := build/flbhost
# The same harness without -rdynamic: its cmetrics stand-ins are not
# visible to dlsym, like a host that lacks them.
HARNESS_NOCMT := build/flbhost-nocmt
# syslog-ng is the second real receiver (its kv-parser reads the WELF back,
# and failover runs against it). Debian's syslog-ng-core conflicts with
# rsyslog (both provide system-log-daemon), so it is not installed: deps
# downloads the package and unpacks it under build/syslog-ng, and only its
# libraries, which conflict with nothing, are installed. kv-parser
# (libkvformat) and format-json (libjson-plugin) are in syslog-ng-core.
SYSLOGNG_DIR  := build/syslog-ng
SYSLOGNG      := $(SYSLOGNG_DIR)/usr/sbin/syslog-ng
SYSLOGNG_LIBS := libglib2.0-0 libivykis0 libjson-c5 libnet1 libpcre3 libssl3 libsystemd0 libwrap0 libcap2
# Debian packages the build and the tests need: gcc and libc headers for cgo
# and the harness; rsyslog (with its TLS drivers and RELP input) as the real
# syslog receiver of the delivery tests; openssl for their certificates;
# syslog-ng's libraries.
APT_PACKAGES := gcc libc6-dev rsyslog rsyslog-gnutls rsyslog-openssl rsyslog-relp openssl $(SYSLOGNG_LIBS)
# How many inputs `make test` runs through each fuzz target beyond its seed
# corpus. A count, not a duration: Go 1.26's fuzz coordinator can fail a
# duration-bound run with a bare "context deadline exceeded" when its
# workers are starved (golang/go#75804, fixed in Go 1.27); a count has no
# deadline to race. Targets under test/ start a harness process per input,
# hence their smaller count. Either may be a duration for a long local run.
FUZZTIME         ?= 50000x
FUZZTIME_HARNESS ?= 300x
PREFIX  ?= /usr/local/lib/fluent-bit

GO_SOURCES := go.mod go.sum $(shell find plugin internal -name '*.go' -not -name '*_test.go')

.PHONY: build deps test unit integration fuzz bench pgo run replay install clean

build: $(PLUGIN) $(HARNESS) $(HARNESS_NOCMT)

# plugin/default.pgo, a CPU profile of the flush-path benchmarks, makes
# go build optimise the plugin for that path (profile-guided optimisation:
# hot calls inlined, hot blocks aligned); make pgo refreshes it.
$(PLUGIN): $(GO_SOURCES) plugin/default.pgo
	$(GO) build -buildmode=c-shared -trimpath -o $@ ./plugin

pgo:
	$(GO) test -run '^$$' -bench 'Flush$$|FlushCorrelated$$|FlushMWG$$' -cpu 1 -benchtime 3s -cpuprofile $(CURDIR)/plugin/default.pgo ./internal/pipeline

# -rdynamic exports the harness's cmetrics functions to the plugin, as the
# fluent-bit binary exports its own.
$(HARNESS): test/flbhost/flbhost.c
	@mkdir -p build
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -rdynamic -o $@ $< -ldl -lpthread

$(HARNESS_NOCMT): test/flbhost/flbhost.c
	@mkdir -p build
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $< -ldl -lpthread

# deps installs the missing Debian packages (as root, or through sudo) and
# unpacks syslog-ng.
deps: $(SYSLOGNG)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The unpacked syslog-ng (see SYSLOGNG_DIR); apt-get download needs the
# package lists, so they are fetched when it finds nothing.
$(SYSLOGNG):
	@echo "make deps: unpacking syslog-ng-core into $(SYSLOGNG_DIR)"
	@rm -rf build/debs $(SYSLOGNG_DIR) && mkdir -p build/debs
	@sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	cd build/debs && { apt-get download -qq syslog-ng-core 2>/dev/null || \
		{ $$sudo apt-get update -qq && apt-get download -qq syslog-ng-core; }; }
	dpkg-deb -x build/debs/syslog-ng-core_*.deb $(SYSLOGNG_DIR)
	@touch $(SYSLOGNG)

test: deps build
	$(GO) vet ./...
	$(MAKE) --no-print-directory unit integration fuzz

unit:
	$(GO) test -count=1 ./internal/... ./plugin/

integration: build
	$(GO) test -count=1 ./test/...

# fuzz runs every fuzz target for FUZZTIME, or FUZZTIME_HARNESS under test/
# (their seed corpora already ran as ordinary tests in `unit` and
# `integration`).
fuzz:
	@mkdir -p build; set -e; for dir in $$(grep -l '^func Fuzz' $$(find internal test -name '*_test.go') | xargs -n1 dirname | sort -u); do \
		for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | cut -c6-); do \
			budget=$(FUZZTIME); case $$dir in test|test/*) budget=$(FUZZTIME_HARNESS);; esac; \
			echo "fuzz ./$$dir $$target ($$budget)"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $$budget ./$$dir >build/fuzz.log 2>&1 || \
				{ echo "fuzz ./$$dir $$target FAILED:"; cat build/fuzz.log; exit 1; }; \
		done; \
	done

# Benchmarks are built with the plugin's profile, as the plugin is.
bench: build
	$(GO) test -pgo=$(CURDIR)/plugin/default.pgo -run '^$$' -bench . -benchmem -count 1 ./internal/... ./test/... | tee build/bench.txt

# run feeds the bundled Airlock sample through conf/fluent-bit.conf: with
# Fluent Bit installed, in Fluent Bit; otherwise in the harness that mirrors
# Fluent Bit's Go proxy. Paths in conf/ are relative to conf/, so both run there.
run: build
	@cd conf && if command -v fluent-bit >/dev/null 2>&1; then \
		exec fluent-bit -c fluent-bit.conf; \
	else \
		echo "make run: fluent-bit is not on PATH; running conf/fluent-bit.conf with the same plugin in the test harness (build/flbhost)" >&2; \
		exec ../build/flbhost -c fluent-bit.conf; \
	fi

# replay turns a downloaded archive into WELF and exits when all of it is
# read: TRACES is a connection_tracing .zip, a directory of trace files, or
# an Airlock log / Kibana export; OUT a file (default standard output).
# REPLAY_FLAGS passes more, e.g. REPLAY_FLAGS='-set Time_Zone=UTC'.
replay: build
	@if [ -z "$(TRACES)" ]; then echo "usage: make replay TRACES=<zip | directory | file> [OUT=<file>]" >&2; exit 2; fi
	@$(GO) run ./cmd/welf-replay -traces "$(TRACES)" $(if $(OUT),-out "$(OUT)") $(REPLAY_FLAGS)

install: $(PLUGIN)
	install -D -m 0755 $(PLUGIN) $(DESTDIR)$(PREFIX)/out_welf.so

clean:
	rm -rf build
