#!/usr/bin/env bash
# Packaging test (ctest label `packaging`), on a build tree whose anomstreamd and
# anomstreamctl are built:
#   1. `cmake --install --prefix /usr` into a DESTDIR staging root: exactly the expected
#      files, binaries that run, the shipped configuration valid for the shipped daemon;
#   2. the staged unit: no placeholder left, the settings the service relies on, every
#      path it names present, `systemd-analyze verify` silent on it;
#   3. the sysusers.d file creates the unit's User= with StateDirectory= as its home;
#   4. `cpack -G DEB`: the same files, conffiles, Depends from dpkg-shlibdeps, and
#      maintainer scripts that work with and without systemd's tools.
# Needs no root: the user is created under a scratch root and systemd is never asked to
# start anything. Exit 77 (ctest: skipped) only when a tool it needs is missing.
#
# Usage: check_install.sh BUILD_DIR SOURCE_DIR   (CMAKE and CPACK name the tools to use)
set -euo pipefail

build="$(cd "$1" && pwd)"
source_dir="$(cd "$2" && pwd)"
CMAKE="${CMAKE:-cmake}"
CPACK="${CPACK:-cpack}"
work="$build/packaging-test"

fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in "$CMAKE" "$CPACK" dpkg dpkg-deb dpkg-shlibdeps systemd-analyze systemd-sysusers; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"
    exit 77
  fi
done

rm -rf "$work"
mkdir -p "$work"
started=$SECONDS

# Every regular file a /usr install must hold, relative to the root.
expected_files() {
  printf '%s\n' usr/bin/anomstreamd usr/bin/anomstreamctl \
    usr/lib/systemd/system/anomstreamd.service usr/lib/sysusers.d/anomstream.conf \
    etc/anomstream/anomstreamd.yaml \
    usr/share/doc/anomstream/README.md usr/share/doc/anomstream/LICENSE \
    usr/share/doc/anomstream/copyright
  for doc in "$source_dir"/docs/*.md; do
    echo "usr/share/doc/anomstream/${doc##*/}"
  done
}
expected_files | sort >"$work/expected-files"

# The installed files of ROOT as LABEL against the expected list: a missing file and a
# stray one (a config under /usr/etc, say) both fail.
check_file_list() {  # root, label
  (cd "$1" && find . ! -type d | sed 's|^\./||' | sort) >"$work/$2-files"
  diff -u "$work/expected-files" "$work/$2-files" >&2 ||
    fail "$2: files differ from the expected list (- missing, + unexpected)"
}

# The binaries under ROOT run, and the daemon accepts the configuration shipped beside it.
check_binaries() {  # root, label
  for bin in anomstreamd anomstreamctl; do
    [ -x "$1/usr/bin/$bin" ] || fail "$2: /usr/bin/$bin is not executable"
    "$1/usr/bin/$bin" --version >/dev/null || fail "$2: /usr/bin/$bin --version failed"
  done
  "$1/usr/bin/anomstreamd" --check-config "$1/etc/anomstream/anomstreamd.yaml" >/dev/null ||
    fail "$2: the daemon rejects the installed /etc/anomstream/anomstreamd.yaml"
}

echo "== cmake --install --prefix /usr into a staging root"
stage="$work/stage"
DESTDIR="$stage" "$CMAKE" --install "$build" --prefix /usr >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "cmake --install failed"; }
check_file_list "$stage" stage
check_binaries "$stage" stage
cmp -s "$source_dir/config/default.yaml" "$stage/etc/anomstream/anomstreamd.yaml" ||
  fail "the installed configuration is not config/default.yaml"

echo "== the installed unit"
unit="$stage/usr/lib/systemd/system/anomstreamd.service"
if grep -n '@[A-Z_]*@' "$unit" >&2; then fail "the unit still holds placeholders"; fi
# shellcheck disable=SC2016  # $MAINPID is the unit's, not ours
for line in 'Type=notify' 'NotifyAccess=main' 'WatchdogSec=30s' \
  'ExecStart=/usr/bin/anomstreamd --config /etc/anomstream/anomstreamd.yaml --state-dir %S/anomstream' \
  'ExecReload=/bin/kill -HUP $MAINPID' 'User=anomstream' 'Group=anomstream' \
  'StateDirectory=anomstream' 'ConfigurationDirectory=anomstream'; do
  grep -qxF "$line" "$unit" || fail "the unit lacks the line: $line"
done
if grep -n '^DynamicUser=' "$unit" >&2; then fail "the unit uses DynamicUser="; fi

# A command the unit runs comes from the package or, failing that, from this system
# (/bin/kill); any other absolute path it names (a --config file, the documentation)
# must be in the package.
verify_root="$work/verify-root"
cp -al "$stage" "$verify_root"
while read -r command _; do
  [ -e "$stage$command" ] && continue
  [ -x "$command" ] || fail "the unit runs $command, which neither the package nor this system has"
  mkdir -p "$verify_root$(dirname "$command")"
  cp "$command" "$verify_root$command"
done < <(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*//p' "$unit")
for path in $(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*[^ ]*//p' "$unit" | tr ' ' '\n' | grep '^/') \
  $(sed -n 's|^Documentation=file://||p' "$unit"); do
  [ -e "$stage$path" ] || fail "the unit names $path, which the package does not install"
done
# Units it orders itself against or is wanted by: systemd-analyze below checks the unit
# alone, so their names are checked against this system's units here.
# shellcheck disable=SC2013  # the values are space-separated unit names
for dep in $(sed -n 's/^\(After\|Before\|Wants\|Requires\|WantedBy\)=//p' "$unit"); do
  [ -e "/usr/lib/systemd/system/$dep" ] || [ -e "/lib/systemd/system/$dep" ] ||
    fail "the unit names $dep, which is not a unit of this system"
done
# --root makes verify load the unit and resolve its commands inside the staging root;
# --recursive-errors=no keeps it from failing on systemd's own units, absent there. It
# warns (unknown key, bad value) without failing, so any output fails the test.
if ! systemd-analyze verify --recursive-errors=no --root="$verify_root" anomstreamd.service \
  >"$work/verify.log" 2>&1 || [ -s "$work/verify.log" ]; then
  cat "$work/verify.log" >&2
  fail "systemd-analyze verify rejects the installed unit"
fi

echo "== the sysusers.d user"
sysusers_root="$work/sysusers-root"
mkdir -p "$sysusers_root/etc"
systemd-sysusers --root="$sysusers_root" "$stage/usr/lib/sysusers.d/anomstream.conf" \
  >"$work/sysusers.log" 2>&1 || { cat "$work/sysusers.log" >&2; fail "systemd-sysusers failed"; }
unit_user="$(sed -n 's/^User=//p' "$unit")"
unit_group="$(sed -n 's/^Group=//p' "$unit")"
state_dir="/var/lib/$(sed -n 's/^StateDirectory=//p' "$unit")"
home="$(awk -F: -v user="$unit_user" '$1 == user { print $6 }' "$sysusers_root/etc/passwd")"
[ -n "$home" ] || fail "the sysusers.d file does not create the unit's user $unit_user"
[ "$home" = "$state_dir" ] || fail "user $unit_user has home $home, not the unit's $state_dir"
grep -q "^$unit_group:" "$sysusers_root/etc/group" ||
  fail "the sysusers.d file does not create the unit's group $unit_group"

echo "== cpack -G DEB"
"$CPACK" -G DEB --config "$build/CPackConfig.cmake" -B "$work/deb" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
debs=("$work"/deb/*.deb)
if [ "${#debs[@]}" -ne 1 ] || [ ! -f "${debs[0]}" ]; then
  fail "cpack made ${#debs[@]} .deb files, not one"
fi
deb="${debs[0]}"

field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = anomstream ] || fail "Package is '$(field Package)', not anomstream"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture is '$(field Architecture)'"
version="$("$stage/usr/bin/anomstreamd" --version | awk '{ print $2 }')"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', the daemon says $version"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
field Description | grep -q 'Apache-2.0' || fail "the description does not state the licence"
# procps by hand (the unit's /bin/kill), the rest from dpkg-shlibdeps; patterns, so a
# library's soname version may move.
depends="$(field Depends | tr ',' '\n' | awk '{ print $1 }')"
for wanted in procps libc6 'libstdc++[0-9]*' 'libgrpc++[0-9]*' 'libprotobuf[0-9]*' \
  'libyaml-cpp[0-9]*' 'libssl[0-9]*'; do
  found=""
  for package in $depends; do
    # shellcheck disable=SC2053  # $wanted is a pattern
    [[ $package == $wanted ]] && found=yes
  done
  [ -n "$found" ] || fail "Depends lacks $wanted: $(field Depends)"
done

# The package's files: the same list as the staged install, and the same unit, user and
# configuration; its (stripped) binaries still run.
dpkg-deb --extract "$deb" "$work/deb-root"
check_file_list "$work/deb-root" deb
check_binaries "$work/deb-root" deb
for file in usr/lib/systemd/system/anomstreamd.service usr/lib/sysusers.d/anomstream.conf \
  etc/anomstream/anomstreamd.yaml; do
  cmp -s "$stage/$file" "$work/deb-root/$file" || fail "the .deb's /$file differs from the install's"
done

control="$work/deb-control"
dpkg-deb --control "$deb" "$control"
[ "$(cat "$control/conffiles")" = /etc/anomstream/anomstreamd.yaml ] ||
  fail "conffiles is '$(cat "$control/conffiles")', not /etc/anomstream/anomstreamd.yaml"
for script in postinst prerm postrm; do
  [ -x "$control/$script" ] || fail "the .deb has no executable $script"
  sh -n "$control/$script" || fail "$script is not valid sh"
done

# The maintainer scripts run with nothing on PATH but stand-ins for systemd's tools,
# which log their calls: with none of them (a container without systemd) every step
# passes; with them, the user is created, and systemctl is asked what it should be asked
# on this system (daemon-reload and stop only when systemd runs, which /run/systemd/system
# tells).
run_script() {  # PATH directory, script, arguments...
  local path="$1" script="$2"
  shift 2
  env -i PATH="$path" /bin/sh "$control/$script" "$@" ||
    fail "$script $* exits $? with PATH=$path"
}
mkdir -p "$work/no-tools" "$work/stand-ins"
for tool in systemd-sysusers systemctl; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$tool" "$work/calls" >"$work/stand-ins/$tool"
  chmod +x "$work/stand-ins/$tool"
done
for args in "postinst configure" "postinst configure 0.0.1" "prerm remove" "prerm upgrade 9.9" \
  "postrm remove" "postrm purge"; do
  # shellcheck disable=SC2086  # a script name, then its arguments
  run_script "$work/no-tools" $args
done

expect_calls() {  # what, expected calls...
  local what="$1"
  shift
  printf '%s\n' "$@" | sed '/^$/d' >"$work/calls-expected"
  diff -u "$work/calls-expected" "$work/calls" >&2 || fail "$what: unexpected calls (- expected, + made)"
  : >"$work/calls"
}
: >"$work/calls"
running=""
[ -d /run/systemd/system ] && running=yes
run_script "$work/stand-ins" postinst configure
expect_calls "postinst on install" "systemd-sysusers anomstream.conf" \
  "${running:+systemctl --system daemon-reload}"
run_script "$work/stand-ins" postinst configure 0.0.1
expect_calls "postinst on upgrade" "systemd-sysusers anomstream.conf" \
  "${running:+systemctl --system daemon-reload}" \
  "${running:+systemctl --system try-restart anomstreamd.service}"
run_script "$work/stand-ins" prerm upgrade 9.9
expect_calls "prerm on upgrade"
run_script "$work/stand-ins" prerm remove
expect_calls "prerm on remove" "${running:+systemctl --system stop anomstreamd.service}" \
  "systemctl --system disable anomstreamd.service"
run_script "$work/stand-ins" postrm purge
expect_calls "postrm on purge" "${running:+systemctl --system daemon-reload}"

echo "ok: installed files, unit, user and ${deb##*/} checked in $((SECONDS - started)) s"
