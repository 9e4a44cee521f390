# vmhop — plain Makefile.  `make help` lists the targets.
# SPDX-License-Identifier: LGPL-2.1-or-later

PREFIX   ?= /usr/local
DESTDIR  ?=
# Where `make install` puts things, each under $(DESTDIR) (a Debian package:
# PREFIX=/usr, which puts the tmpfiles.d entry in /usr/lib/tmpfiles.d).
SBINDIR  ?= $(PREFIX)/sbin
DATADIR  ?= $(PREFIX)/share
MANDIR   ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
INSTALL  ?= install
CC       ?= cc
V        ?= 0
BUILD    ?= build

PKGS     := libnl-3.0 libnl-genl-3.0 libvirt json-c libxml-2.0
# libvirt, libxml2 and liblvm2cmd are loaded on first use (dlopen: src/base/dl.h),
# not linked: only their headers are used at build time.  They are still
# required at run time for `vmhop virt`, `vmhop lvm` and the move (see `make install`).
# libdevmapper is not used (device-mapper is driven by ioctl).
DLOPEN_PKGS := libvirt libxml-2.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(filter-out $(DLOPEN_PKGS),$(PKGS)) 2>/dev/null)

# The caller's CPPFLAGS, CFLAGS and LDFLAGS (Debian's hardening flags come
# in through them) are added after ours, so that they win: CPPFLAGS and CFLAGS
# to every object of the vmhop program and the lab helpers, CFLAGS and
# LDFLAGS (then LDLIBS) to their links.  The ASan/UBSan (unit) and fuzz builds
# take CFLAGS and LDFLAGS as before, but not CPPFLAGS: _FORTIFY_SOURCE's
# checked copies of memcpy and the like would hide those calls from the
# sanitizers.
OPT      ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-unused-parameter -Wvla
ifneq ($(CI),)
WERROR   ?= 1
endif
ifeq ($(WERROR),1)
WARN     += -Werror
endif
VERSION  := 0.1.0
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DVMHOP_VERSION=\"$(VERSION)\" $(WARN) -Isrc $(PKG_CFLAGS) -MMD -MP
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

ifeq ($(V),0)
Q   := @
say  = @printf '  %-6s %s\n' $(1) $(2);
else
Q   :=
say  =
endif

SRC      := $(sort $(wildcard src/*/*.c))
TOOL_SRC := $(sort $(wildcard tools/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_SUPPORT := $(sort $(wildcard tests/unit/support_*.c))
LAB_SRC  := $(sort $(wildcard tools/lab/*.c))

OBJ      := $(SRC:%.c=$(BUILD)/obj/%.o)
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
SOBJ     := $(SRC:%.c=$(BUILD)/asan/%.o)
SUP_OBJ  := $(TEST_SUPPORT:%.c=$(BUILD)/asan/%.o)
TESTS    := $(TEST_SRC:tests/unit/%.c=$(BUILD)/test/%)
LAB_BINS := $(LAB_SRC:tools/lab/%.c=$(BUILD)/lab-bin/%) $(BUILD)/lab-bin/busyvm.img

.SECONDARY:
.PHONY: all unit check demo deps deps-lab lab-smoke install uninstall deb clean help bench fuzz fuzz-replay
all: $(BUILD)/vmhop $(LAB_BINS)

help:
	@echo "make          build libvmhop.a, the vmhop program and the lab helpers"
	@echo "make unit     fast unit tests (cmocka, ASan+UBSan), and tests/unit/*-check.sh"
	@echo "make check    deps-lab, the build, the package, unit tests and every lab scenario (needs root)"
	@echo "make demo     deps-lab, build, boot the two-hypervisor lab, show a busy VM"
	@echo "make fuzz     run every libFuzzer harness for FUZZ_TIME seconds (default 60)"
	@echo "make fuzz-replay  replay the fuzz corpora and regression inputs (part of check)"
	@echo "make deps     install what building, make unit, make fuzz and make deb need (apt, what is missing)"
	@echo "make deps-lab the same, then the lab's packages (QEMU, libvirtd, drbd-utils...) and Debian's kernel"
	@echo "make deb      the Debian package build/deb/vmhop_*.deb (dpkg-buildpackage on a copy of the tree)"
	@echo "make install  the program, its man page, bash completion and tmpfiles.d entry, under DESTDIR:"
	@echo "              SBINDIR=$(SBINDIR) MANDIR=$(MANDIR)"
	@echo "              BASHCOMPDIR=$(BASHCOMPDIR)"
	@echo "              TMPFILESDIR=$(TMPFILESDIR) (PREFIX=$(PREFIX))"
	@echo "make uninstall  remove what make install put there (the same variables)"

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(OPT) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC-SAN,$<)$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) -Itests/unit $(CFLAGS) -c -o $@ $<

$(BUILD)/libvmhop.a: $(OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/libvmhop-san.a: $(SOBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/vmhop: $(TOOL_OBJ) $(BUILD)/libvmhop.a
	$(call say,LD,$@)$(CC) $(OPT) $(CFLAGS) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(BUILD)/libvmhop.a $(PKG_LIBS) $(LDLIBS)

# Test binaries also link the program's objects except main(), so that
# command-line logic is testable too.
TOOL_LIB_SOBJ := $(filter-out $(BUILD)/asan/tools/main.o,$(TOOL_SRC:%.c=$(BUILD)/asan/%.o))
$(BUILD)/test/%: $(BUILD)/asan/tests/unit/%.o $(SUP_OBJ) $(TOOL_LIB_SOBJ) $(BUILD)/libvmhop-san.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -g $(SAN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

# Lab helpers: small programs that run inside the lab guests or check their results.
$(BUILD)/lab-bin/%: tools/lab/%.c $(BUILD)/libvmhop.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(OPT) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvmhop.a $(PKG_LIBS) $(LDLIBS)

$(BUILD)/lab-bin/busyvm.img: tools/lab/busyvm.S
	@mkdir -p $(dir $@)
	$(call say,AS,$<)as --32 -o $(BUILD)/lab-bin/busyvm.o $< && \
		ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o $@ $(BUILD)/lab-bin/busyvm.o && \
		test $$(stat -c %s $@) -eq 512

# Fuzzing: tests/fuzz/fuzz_NAME.c is one libFuzzer harness.  Its seed corpus
# is tests/fuzz/corpus/NAME/ (small inputs, mostly derived from tests/data/),
# and inputs that once crashed it are kept in tests/data/fuzz/NAME/.
# `make fuzz` grows a working corpus under build/fuzz/ for FUZZ_TIME seconds
# per harness; `make fuzz-replay` runs every kept input once (no new fuzzing).
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZERS   := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FOBJ      := $(SRC:%.c=$(BUILD)/fobj/%.o)

$(BUILD)/fobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC-FUZZ,$<)$(FUZZ_CC) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(filter-out -Wformat=2,$(BASE_CFLAGS)) -Itests/unit -Itests/fuzz $(CFLAGS) -c -o $@ $<

$(BUILD)/libvmhop-fuzz.a: $(FOBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/%: $(BUILD)/fobj/tests/fuzz/%.o $(BUILD)/libvmhop-fuzz.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(FUZZ_CC) -g $(FUZZ_SAN) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do n=$${f##*/fuzz_}; \
		mkdir -p $(BUILD)/fuzz/work/$$n; \
		echo "fuzz: $$n for $(FUZZ_TIME) s"; \
		$$f -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/crash-$$n- $(BUILD)/fuzz/work/$$n \
			$$(for d in tests/fuzz/corpus/$$n tests/data/fuzz/$$n; do [ -d $$d ] && echo $$d; done) \
			2>$(BUILD)/fuzz/$$n.log || { tail -40 $(BUILD)/fuzz/$$n.log; echo "fuzz: $$n FAILED"; exit 1; }; \
		grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)' $(BUILD)/fuzz/$$n.log | tr '\n' ' '; echo; \
	done

fuzz-replay: $(FUZZERS)
	@set -e; pass=0; fail=0; for f in $(FUZZERS); do n=$${f##*/fuzz_}; \
		files=$$(find tests/fuzz/corpus/$$n tests/data/fuzz/$$n -type f 2>/dev/null | sort); \
		if [ -z "$$files" ]; then echo "fuzz-replay: $$n has no inputs"; fail=$$((fail+1)); continue; fi; \
		if $$f -runs=1 $$files >$(BUILD)/fuzz/$$n.replay.log 2>&1; then pass=$$((pass+1)); \
		else fail=$$((fail+1)); tail -30 $(BUILD)/fuzz/$$n.replay.log; echo "FAILED: fuzz-replay $$n"; fi; \
	done; echo "fuzz-replay: $$pass passed, $$fail failed"; test $$fail -eq 0

# `make unit` also runs the shell checks tests/unit/*-check.sh, after the
# cmocka tests and counted with them: `make install`/`uninstall` into
# temporary DESTDIRs, and the man page and the bash completion against
# every --help.  They use the program itself, $(BUILD)/vmhop.  VMHOP_LOG=0:
# the commands the tests run write nothing to this machine's system log
# (test_oplog.c checks the records through its own writer).
UNIT_SCRIPTS := $(sort $(wildcard tests/unit/*-check.sh))

unit: $(TESTS) $(BUILD)/vmhop
	@set -e; pass=0; fail=0; \
	for t in $(TESTS) $(UNIT_SCRIPTS); do \
		if BUILD='$(BUILD)' VMHOP_LOG=0 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 timeout 60 $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAILED: $$t"; fi; \
	done; \
	echo "unit: $$pass passed, $$fail failed"; test $$fail -eq 0

# `make deps`: what building, `make unit`, `make fuzz` and `make deb` need,
# and nothing of the lab (a production build host).  `make deps-lab`: that,
# then the lab's packages (QEMU, libvirtd, LVM, drbd-utils: its reference
# tools) and Debian's kernel for the guests.  Each installs only what is
# missing (tools/deps.sh).  deps-lab comes after deps, never beside it
# (make -j): two apt-get at once would fight over dpkg's lock.
deps:
	$(Q)tools/deps.sh build

deps-lab: deps
	$(Q)tools/deps.sh lab

check: deps-lab
	$(Q)tests/lab/run.sh --tools
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory deb
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory fuzz-replay
	$(Q)tests/lab/run.sh

lab-smoke: deps-lab all
	$(Q)tests/lab/run.sh 00-smoke

demo: deps-lab
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh

bench: deps-lab all
	$(Q)tools/bench/run.sh

# The Debian package, from a copy of the tree (tools/deb.sh): the working
# tree's build is not touched.  build/deb/vmhop_VERSION_ARCH.deb.  `make
# check` builds it before `make unit` (tests/unit/install-check.sh checks it
# against `make install`) and the lab installs it (tests/lab/70-send.sh).
deb:
	$(Q)BUILD='$(BUILD)' tools/deb.sh

# The files `make install` puts in place, one line each (uninstall removes these).
INSTALLED := $(SBINDIR)/vmhop $(MANDIR)/man8/vmhop.8 $(BASHCOMPDIR)/vmhop $(TMPFILESDIR)/vmhop.conf

install: $(BUILD)/vmhop
	$(INSTALL) -D -m 0755 $(BUILD)/vmhop $(DESTDIR)$(SBINDIR)/vmhop
	$(INSTALL) -D -m 0644 docs/vmhop.8 $(DESTDIR)$(MANDIR)/man8/vmhop.8
	$(INSTALL) -D -m 0644 tools/completion/vmhop $(DESTDIR)$(BASHCOMPDIR)/vmhop
	$(INSTALL) -D -m 0644 tools/tmpfiles/vmhop.conf $(DESTDIR)$(TMPFILESDIR)/vmhop.conf
	@echo "vmhop loads libvirt.so.0, libxml2.so.2 and liblvm2cmd.so.2.03 when a command needs them"
	@echo "(dlopen): they are required for 'vmhop virt', 'vmhop lvm' and the move"
	@echo "(Debian: libvirt0 libxml2 liblvm2cmd2.03).  readelf -n $(BUILD)/vmhop lists them (.note.dlopen)."
	@echo "The state directory /var/lib/vmhop (0700): systemd-tmpfiles --create vmhop.conf"

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

clean:
	rm -rf $(BUILD)/obj $(BUILD)/asan $(BUILD)/fobj $(BUILD)/fuzz $(BUILD)/test $(BUILD)/lab-bin $(BUILD)/*.a $(BUILD)/vmhop $(BUILD)/deb

# (not those of a package build's copy of the tree, $(BUILD)/deb/src, left
# there when it failed: their targets are that copy's)
-include $(shell find $(BUILD) -path '$(BUILD)/deb' -prune -o -name '*.d' -print 2>/dev/null)
