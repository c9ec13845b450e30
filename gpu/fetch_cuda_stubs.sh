#!/usr/bin/env bash
# Fetch the CUDA headers and the libcuda.so link stub from Debian non-free's
# nvidia-cuda-dev package, for compiling (never running) the cuda build.
#
# Usage: gpu/fetch_cuda_stubs.sh DEST    (DEST gets include/ and stubs/)
#
# apt runs with a private configuration in a temporary directory: the
# machine's own Debian source entries, copied with the non-free component
# added, and private lists and cache. The system's apt configuration is not
# touched and no mirror host is written into the repository.
set -euo pipefail
dest=${1:?usage: $0 DEST}
if [ -f "$dest/include/cuda.h" ] && [ -f "$dest/stubs/libcuda.so" ]; then
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/etc/sources.list.d" "$tmp/etc/preferences.d" "$tmp/lists/partial" \
	"$tmp/cache/archives/partial" "$tmp/deb" "$tmp/x"

# The machine's own entries, deb822 and one-line style, plus non-free.
found=0
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	sed -E '/^Components:/{/(^|[[:space:]])non-free([[:space:]]|$)/!s/$/ non-free/}' "$f" \
		>"$tmp/etc/sources.list.d/$(basename "$f")"
	found=1
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	grep -E '^[[:space:]]*deb[[:space:]]' "$f" |
		sed -E '/[[:space:]]non-free([[:space:]]|$)/!s/$/ non-free/' \
			>>"$tmp/etc/sources.list.d/system.list" || true
	found=1
done
if [ "$found" = 0 ]; then
	echo "fetch_cuda_stubs: no Debian source entry found in /etc/apt" >&2
	exit 1
fi

apt_opts=(
	-o "Dir::Etc::SourceList=$tmp/etc/sources.list"
	-o "Dir::Etc::SourceParts=$tmp/etc/sources.list.d"
	-o "Dir::Etc::Preferences=$tmp/etc/preferences"
	-o "Dir::Etc::PreferencesParts=$tmp/etc/preferences.d"
	-o "Dir::State::Lists=$tmp/lists"
	-o "Dir::Cache=$tmp/cache"
	-o "APT::Sandbox::User=root"
	-o "Debug::NoLocking=1"
	-q
)
apt-get "${apt_opts[@]}" update >"$tmp/update.log" 2>&1 || { cat "$tmp/update.log" >&2; exit 1; }
(cd "$tmp/deb" && apt-get "${apt_opts[@]}" download nvidia-cuda-dev) >&2
deb=$(ls "$tmp"/deb/nvidia-cuda-dev_*.deb)

# Only usr/include and the stubs/ folder (libcuda.so link stub).
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" --wildcards --no-anchored 'usr/include/*' '*/stubs/*'
stubs=$(find "$tmp/x" -type d -name stubs | head -n1)
if [ ! -f "$tmp/x/usr/include/cuda.h" ] || [ -z "$stubs" ] || [ ! -e "$stubs/libcuda.so" ]; then
	echo "fetch_cuda_stubs: cuda.h or stubs/libcuda.so missing from $(basename "$deb")" >&2
	exit 1
fi
mkdir -p "$dest"
rm -rf "$dest/include" "$dest/stubs"
mv "$tmp/x/usr/include" "$dest/include"
mv "$stubs" "$dest/stubs"
echo "fetch_cuda_stubs: $(basename "$deb") -> $dest (include/, stubs/)"
