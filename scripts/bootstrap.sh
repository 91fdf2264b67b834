#!/usr/bin/env bash
# Install everything Wicketgate and its tests need on a Debian 12 machine:
# Debian packages, the Python virtualenv (.venv) and the front-end packages (node_modules).
#
# Safe to run again and again: each step leaves a stamp under .venv/ keyed on the sha256
# of the file it installed from, so a second run only checks and returns.
set -euo pipefail

# Debian packages the platform and its tests use. Add new ones here (squid-openssl,
# janus, kamailio, kiwix-tools, ...); a package is checked with dpkg-query unless
# `already_provided` below knows a better check for it.
# squid-openssl is the web gateway; curl drives it in the tests; nginx-light, wrk and
# squidguard are the gateway benchmark's upstream, load generator and peer. janus carries
# video calls (janus-tools: janus-pp-rec for recordings); iproute2 makes the network
# namespace the tests run Janus in (ICE never uses loopback). faketime (libfaketime) runs
# the suite again at moments ahead of today, so no test can lean on today's date.
# kamailio is the phone gateway (kamailio-utils-modules: http_client, to ask Wicketgate;
# kamailio-extra-modules: jansson, to read its answers); sip-tester (SIPp) plays handsets
# and the trunk in the phone tests; rtpengine-daemon relays (and records) the calls' audio;
# espeak-ng speaks the announcement the called person hears first; baresip-core is a real
# handset and called person with audio in the phone tests.
DEBIAN_PACKAGES="python3 python3-venv nodejs npm postgresql chromium squid-openssl curl nginx-light wrk squidguard janus janus-tools iproute2 faketime kamailio kamailio-utils-modules kamailio-extra-modules sip-tester rtpengine-daemon espeak-ng baresip-core kiwix-tools"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=.venv

say() { printf 'bootstrap: %s\n' "$*"; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# A stamp holds the sha256 of the file a step installed from; the step is done when
# the stamp matches the file as it is now.
stamp_matches() { [[ -f "$VENV/.stamp-$1" && "$(cat "$VENV/.stamp-$1")" == "$2" ]]; }
write_stamp() { printf '%s\n' "$2" >"$VENV/.stamp-$1"; }

venv_works() {
    local probe
    probe=$(mktemp -d)
    if python3 -m venv "$probe/venv" >/dev/null 2>&1 && [[ -x "$probe/venv/bin/pip" ]]; then
        rm -rf "$probe"
        return 0
    fi
    rm -rf "$probe"
    return 1
}

# True when what the package is for is already on the machine, however it got there
# (node from NodeSource, PostgreSQL binaries from another source, Python from pyenv).
already_provided() {
    case "$1" in
        python3) command -v python3 >/dev/null ;;
        # A working .venv means venv works; otherwise try to make one.
        python3-venv) [[ -x "$VENV/bin/python" ]] || venv_works ;;
        nodejs) command -v node >/dev/null ;;
        npm) command -v npm >/dev/null ;;
        postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null ;;
        chromium) [[ -x /usr/bin/chromium ]] ;;
        *) dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' ;;
    esac
}

install_debian_packages() {
    local missing=() pkg
    for pkg in $DEBIAN_PACKAGES; do
        already_provided "$pkg" || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        say "Debian packages: all present"
        return
    fi
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        say "WARNING: cannot install Debian packages (needs root on Debian with apt-get): ${missing[*]}"
        say "WARNING: carrying on without them; install them by hand for the parts that need them"
        return
    fi
    say "Debian packages: installing ${missing[*]}"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; }; then
        say "WARNING: apt-get could not install: ${missing[*]}; carrying on without them"
    fi
    quiet_system_services
}

# Installing squid or nginx may start the system's own copy (squid on *:3128, nginx on
# :80). Wicketgate runs its own Squid with its own configuration and the benchmark its
# own nginx, so the packaged services are stopped and kept from starting at boot.
quiet_system_services() {
    local service
    for service in squid nginx kamailio rtpengine-daemon; do
        if [[ -x /etc/init.d/$service ]]; then
            command -v update-rc.d >/dev/null && update-rc.d "$service" disable >/dev/null 2>&1 || true
            /etc/init.d/$service stop >/dev/null 2>&1 || true
        fi
    done
    # Janus ships a systemd unit only; Wicketgate starts its own Janus with its own config.
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
        systemctl disable --now janus kamailio rtpengine-daemon >/dev/null 2>&1 || true
    fi
}

install_python_env() {
    if [[ ! -x "$VENV/bin/python" || ! -x "$VENV/bin/pip" ]]; then
        say "creating $VENV"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
    fi

    local lock_hash
    lock_hash=$(sha256_of requirements.lock)
    if stamp_matches requirements "$lock_hash"; then
        say "Python packages: up to date with requirements.lock"
    else
        say "Python packages: installing from requirements.lock"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input \
            --require-hashes -r requirements.lock
        write_stamp requirements "$lock_hash"
        rm -f "$VENV/.stamp-project" # the project install depends on what is under it
    fi

    local project_hash
    project_hash=$(sha256_of pyproject.toml)
    if stamp_matches project "$project_hash" && [[ -x "$VENV/bin/wicketgate" ]]; then
        say "wicketgate: installed (editable)"
    else
        say "wicketgate: installing the project (editable)"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input --no-deps -e .
        write_stamp project "$project_hash"
    fi
}

install_node_modules() {
    if ! command -v npm >/dev/null; then
        say "WARNING: npm not found; node_modules not installed (front-end assets will be missing)"
        return
    fi
    local lock_hash
    lock_hash=$(sha256_of package-lock.json)
    if stamp_matches npm "$lock_hash" && [[ -d node_modules ]]; then
        say "node_modules: up to date with package-lock.json"
    else
        say "node_modules: npm ci"
        npm ci --no-audit --no-fund --loglevel=error
        write_stamp npm "$lock_hash"
    fi
}

install_debian_packages
install_python_env
install_node_modules
say "done"
