#!/usr/bin/env bash
# make setup: install what `make test` needs on a fresh Debian machine that
# has Go and Node. Each mk/install.d/*.sh checks for its tools and installs
# only what is missing, through apt_install below (apt-get as root, sudo
# otherwise; `apt-get update` once, before the first install). npm packages
# come from the lockfiles (npm ci) in the targets that use them.
set -euo pipefail
cd "$(dirname "$0")/.."

updated=0
apt_install() {
	local run=()
	if [ "$(id -u)" != 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "setup: need the Debian packages: $*; run as root or install sudo" >&2
			exit 1
		fi
		run=(sudo)
	fi
	if [ "$updated" = 0 ]; then
		"${run[@]}" apt-get update
		updated=1
	fi
	DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y --no-install-recommends "$@"
}
export -f apt_install 2>/dev/null || true

for f in mk/install.d/*.sh; do
	# shellcheck source=/dev/null
	. "$f"
done
