#!/usr/bin/env bash
# Fetch OpenSSL 1.1 (Debian 11's libssl1.1 and openssl packages) for the
# kernel tests, and unpack it under DEST (default .output/peers/openssl-1.1).
#
# Debian 12 ships only OpenSSL 3, but OpenSSL 1.1 is what older images and
# programs that bring their own libssl still run; the TLS probes are tested
# against both. Nothing is installed on the system: the files are unpacked
# into DEST and run with LD_LIBRARY_PATH. Each package is checked against its
# SHA-256 from Debian 11's package index before it is unpacked.
# Idempotent: an unpacked DEST is left alone.
set -euo pipefail

DEST=${1:-.output/peers/openssl-1.1}
VERSION=1.1.1w-0+deb11u1
POOL=pool/main/o/openssl
PKGS=(
	"libssl1.1_${VERSION}_amd64.deb aadf8b4b197335645b230c2839b4517aa444fd2e8f434e5438c48a18857988f7"
	"openssl_${VERSION}_amd64.deb 04873d74cbe86bad3a9901f6e57f1150040eba9891b443c5c975a72a97238e35"
)
# deb.debian.org while Debian 11 is served there, then its archive.
MIRRORS=(http://deb.debian.org/debian http://archive.debian.org/debian
	http://snapshot.debian.org/archive/debian/20250520T000000Z)

if [ -x "$DEST/usr/bin/openssl" ] && [ -f "$DEST/usr/lib/x86_64-linux-gnu/libssl.so.1.1" ]; then
	exit 0
fi
if [ "$(dpkg --print-architecture)" != amd64 ]; then
	echo "openssl11.sh: the pinned packages are amd64; this machine is $(dpkg --print-architecture)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for entry in "${PKGS[@]}"; do
	read -r file sum <<<"$entry"
	got=
	for m in "${MIRRORS[@]}"; do
		if curl -fsS --retry 2 --max-time 120 -o "$tmp/$file" "$m/$POOL/$file"; then
			got=$m
			break
		fi
	done
	if [ -z "$got" ]; then
		echo "openssl11.sh: could not download $file from any of: ${MIRRORS[*]}" >&2
		exit 1
	fi
	if ! echo "$sum  $tmp/$file" | sha256sum -c --quiet -; then
		echo "openssl11.sh: $file from $got does not match its SHA-256" >&2
		exit 1
	fi
	dpkg-deb -x "$tmp/$file" "$tmp/root"
done
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$tmp/root" "$DEST"
echo "openssl11.sh: OpenSSL $VERSION unpacked in $DEST" >&2
