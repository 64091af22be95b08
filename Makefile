# idtrace build. Modelled on libbpf-bootstrap: BPF objects -> skeletons ->
# daemon, all build output under $(OUTPUT). Quiet unless V=1.
#
#   make            build .output/idtrace
#   make run        install deps, build, run the daemon (root) to stdout
#   make test       install deps, build, run unit + kernel tests
#   make unit       unit tests only (no root needed)
#   make asan       unit tests under AddressSanitizer + UBSan
#   make bench      side-by-side benchmarks (root)
#   make format     clang-format the sources

OUTPUT    ?= .output
CLANG     ?= clang
CC        ?= gcc
BPFTOOL   ?= bpftool
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VMLINUX   := $(OUTPUT)/vmlinux.h
VERSION   := 0.1.0

PKGS      := libbpf jansson libssl libcrypto zlib libnghttp2 rdkafka
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lpthread

WARN      := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
             -Wimplicit-fallthrough -Wno-unused-parameter -Wno-format-truncation
CFLAGS    ?= -g -O2
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -DIDTRACE_VERSION='"$(VERSION)"' \
              -Iinclude -I$(OUTPUT) $(PKG_CFLAGS) -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS   += $(EXTRA_LDFLAGS)

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -Iinclude -I$(OUTPUT)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

USER_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
LIB       := $(OUTPUT)/libidtrace.a
BIN       := $(OUTPUT)/idtrace

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(OUTPUT)/tests/helpers/%,$(HELPER_SRCS))
# Test and bench tools that link the daemon's library (fixtures, drivers).
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(OUTPUT)/tests/tools/%,$(TOOL_SRCS))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps run test unit kernel-test asan bench format clean

all: $(BIN) idtrace

# A link at the top so `./idtrace` works from the source tree.
idtrace: $(BIN)
	$(Q)ln -sf $(BIN) idtrace

deps:
	$(Q)./scripts/deps.sh

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/tests $(OUTPUT)/tests/helpers $(OUTPUT)/tests/tools:
	$(Q)mkdir -p $@

$(VMLINUX): | $(OUTPUT)
	$(call msg,VMLINUX,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BPF_OBJS): $(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $@.d -MT $@ -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

# A static pattern rule: explicit, so the empty rules -MP writes for headers
# cannot shadow it.
$(SKELS): $(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# Every user object may include a skeleton; generate them all first.
$(OUTPUT)/user/%.o: user/%.c | $(OUTPUT)/user $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The skeletons embed the BPF objects: the loader must be rebuilt with them.
$(OUTPUT)/user/loader.o: $(SKELS)

$(LIB): $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(OUTPUT)/user/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(PKG_LIBS) $(LDFLAGS) -o $@

$(OUTPUT)/tests/%: tests/unit/%.c $(LIB) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Iuser $< $(LIB) -lcmocka $(PKG_LIBS) $(LDFLAGS) -o $@

$(OUTPUT)/tests/helpers/%: tests/helpers/%.c | $(OUTPUT)/tests/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

# OpenSSL linked into the program and exported, as Node.js carries it.
$(OUTPUT)/tests/helpers/tls_embedded_client: tests/helpers/tls_embedded_client.c | $(OUTPUT)/tests/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -Wl,--export-dynamic -Wl,-Bstatic -lssl -lcrypto -Wl,-Bdynamic \
		-ldl -pthread -o $@

$(OUTPUT)/tests/tools/%: tests/tools/%.c $(LIB) | $(OUTPUT)/tests/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Iuser $< $(LIB) $(PKG_LIBS) $(LDFLAGS) -o $@

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(BIN) $(ARGS)

unit: $(UNIT_BINS)
	$(Q)./tests/run-unit.sh $(UNIT_BINS)

# OpenSSL 1.1 for the TLS tests (Debian 12 has only 3): fetched, checked
# and unpacked by the script, never installed.
OPENSSL11 := $(OUTPUT)/peers/openssl-1.1/usr/bin/openssl

$(OPENSSL11):
	$(Q)./scripts/openssl11.sh $(OUTPUT)/peers/openssl-1.1

kernel-test: $(BIN) $(HELPER_BINS) $(TOOL_BINS) $(OPENSSL11)
	$(Q)python3 tests/kernel/run.py $(CASES)

test: deps
	$(Q)$(MAKE) --no-print-directory all unit
	$(Q)$(MAKE) --no-print-directory kernel-test

# Sanitizer build in its own output directory so it never mixes with the
# normal one.
asan:
	$(Q)$(MAKE) --no-print-directory OUTPUT=.output-asan \
		CFLAGS='-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
		EXTRA_LDFLAGS='-fsanitize=address,undefined' unit

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(HELPER_BINS) $(TOOL_BINS)
	$(Q)python3 scripts/bench.py $(BENCH)

format:
	$(Q)clang-format -i $(wildcard bpf/*.c bpf/*.h user/*.c user/*.h include/*.h tests/unit/*.c tests/helpers/*.c)

clean:
	$(Q)rm -rf .output .output-asan idtrace

-include $(wildcard $(OUTPUT)/user/*.d $(OUTPUT)/bpf/*.d $(OUTPUT)/tests/*.d $(OUTPUT)/tests/tools/*.d)
