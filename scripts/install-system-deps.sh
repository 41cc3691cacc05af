#!/usr/bin/env bash
# Install the Debian packages the test suite needs, when they are missing. Idempotent and fast
# when everything is there (a few dpkg queries, no network). Run by `make test` (target
# `system-deps`) before the tests, so a clean machine or CI gets them without a manual step.
#
#   PostgreSQL server binaries  the storage and API tests start a private server (initdb, pg_ctl)
#   Chromium                    the browser tests drive Debian's Chromium through Playwright
#                               (executable_path=/usr/bin/chromium; never a browser download)
#   fonts, Pango                WeasyPrint renders the family handout PDF
#   Java 17                     PySpark (screen --engine spark, the standalone cluster test)
#
# As root it runs apt-get itself; otherwise through sudo when that is available; otherwise it
# prints what is missing and the command to install it, and fails.
set -euo pipefail

missing=()

installed() {
	# dpkg says "install ok installed" only for a fully installed package.
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# PostgreSQL: any server version will do, as long as its initdb and pg_ctl are there.
have_pg=no
for dir in /usr/lib/postgresql/*/bin; do
	if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
		have_pg=yes
		break
	fi
done
[ "$have_pg" = yes ] || missing+=(postgresql)

[ -x /usr/bin/chromium ] || missing+=(chromium)

# Java for Spark (the Spark tests, and the standalone cluster of test_spark_cluster.py).
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)

for pkg in fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1; do
	installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "system-deps: all present (PostgreSQL, Chromium, fonts and Pango)"
	exit 0
fi

echo "system-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
	as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	as_root=(sudo -n)
else
	echo "system-deps: missing Debian packages: ${missing[*]}" >&2
	echo "system-deps: not root and no password-less sudo; install them with:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"

# Check what the tests will look for, so a failure shows here rather than in the tests.
[ -x /usr/bin/chromium ] || {
	echo "system-deps: /usr/bin/chromium is still missing after the install" >&2
	exit 1
}
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || {
	echo "system-deps: no /usr/lib/postgresql/*/bin/initdb after the install" >&2
	exit 1
}
echo "system-deps: done"
