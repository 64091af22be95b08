#!/usr/bin/env bash
# Install the Debian 12 packages idtrace needs to build, run and test.
# Idempotent: packages already present are not touched, and apt is only
# refreshed when something is missing.
set -euo pipefail

PKGS=(
	make gcc clang llvm pkg-config
	libbpf-dev bpftool libelf-dev zlib1g-dev libjansson-dev libssl-dev
	libcmocka-dev libnghttp2-dev librdkafka-dev
	# peers and real programs used by the kernel tests and the benchmark
	curl openssl python3 libbpf-tools auditd util-linux procps
	gnutls-bin nginx rsyslog rsyslog-openssl kcat bpftrace
	golang-go git nodejs
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	echo "deps.sh: run as root (or with sudo) to install them" >&2
	exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The servers among these (nginx, rsyslog, auditd) are for the tests, which
# start their own on loopback: do not let the packages start services.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
