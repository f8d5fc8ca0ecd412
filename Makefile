# SPDX-License-Identifier: GPL-2.0
#
# The harness around patches/: fetch Linux 6.12, apply the series, build,
# boot under QEMU, test.  See README.md.

SHELL := /bin/bash
BUILD := $(CURDIR)/build
TREE := $(BUILD)/linux
export BASE KSRC

.PHONY: help check run bench tree export lint bisect mutants configs distro-check deb deps clean

help:
	@echo "make check        build base+series (debug), run the guest suite"
	@echo "make check BASE=1 the same suite on the unpatched base"
	@echo "make run          build base+series and show it at work (demo)"
	@echo "make bench        base vs base+series migration benchmark (non-debug)"
	@echo "make tree         build/linux: base plus one commit per patch"
	@echo "make export       write build/linux's commits back to patches/"
	@echo "make lint         checkpatch --strict on patches/, shellcheck"
	@echo "make bisect       build the kernel, mm selftests and tools/mm after each patch"
	@echo "make mutants      mutation testing: every mutant in mutants/ must be killed"
	@echo "make configs      the series in the config matrix (NUMA=n, i386, ...)"
	@echo "make distro-check the series' objects with Debian's own config, W=1"
	@echo "make deb          Debian packages of base+series (bench config)"

deps:
	@scripts/deps.sh

check:
	@scripts/check.sh check

run:
	@scripts/check.sh demo

bench:
	@scripts/bench.sh

tree: deps
	@scripts/tree.sh

export:
	@scripts/export.sh

lint: deps
	@scripts/lint.sh

bisect: deps
	@scripts/bisect.sh

mutants:
	@scripts/mutants.sh

configs:
	@scripts/configs.sh

distro-check:
	@scripts/distro-check.sh

deb:
	@scripts/deb.sh

clean:
	rm -rf $(BUILD)/out $(BUILD)/logs
