# Shared helpers for the scripts in this folder. Source it; do not run it.
#
#   source "$(dirname "$0")/lib.sh"
#   load_env            # PATH and tool variables written by scripts/setup
#   with_wasm_toolchain cargo clippy --target wasm32-unknown-unknown -p wallet-service
#
# The tools themselves live outside the repository, in
# ${WALLET_TOOLS_DIR:-$HOME/.cache/wallet-tools}, so every clone on a machine shares them.
# The environment file lives in the clone, because it names this clone's node_modules.

# The versions below are the ones known to work together. wasm-bindgen-cli is not listed:
# it must equal the wasm-bindgen version in Cargo.lock, so it is read from there.
WORKER_BUILD_VERSION="0.8.7"
WASM_BINDGEN_DEFAULT_VERSION="0.2.130"
NODE_VERSION="22.23.5"
NODE_VERSION_MIN="22.12.0"
WASM_TARGET="wasm32-unknown-unknown"

# The name under which Debian's rustc-web toolchain is linked into rustup when rustup cannot
# provide the wasm32 target itself.
DEBIAN_TOOLCHAIN_NAME="wallet-debian-web"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${WALLET_TOOLS_DIR:-$HOME/.cache/wallet-tools}"
ENV_FILE="$REPO_ROOT/.toolchain-env.sh"

log() {
    printf '%s: %s\n' "$(basename "$0")" "$*" >&2
}

die() {
    log "error: $*"
    exit 1
}

# True when version $1 is at least version $2 (dotted numbers, a leading "v" ignored).
version_at_least() {
    local have="${1#v}" want="${2#v}"
    [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n 1)" = "$want" ]
}

# Prints the wasm-bindgen version locked in the workspace's Cargo.lock, or the default when
# there is no lock file or no such package in it yet.
locked_wasm_bindgen_version() {
    local lock="$REPO_ROOT/Cargo.lock" version=""
    if [ -f "$lock" ]; then
        version="$(awk '
            /^\[\[package\]\]/ { name = "" }
            /^name = / { name = $3; gsub(/"/, "", name) }
            /^version = / && name == "wasm-bindgen" { v = $3; gsub(/"/, "", v); print v; exit }
        ' "$lock")"
    fi
    printf '%s\n' "${version:-$WASM_BINDGEN_DEFAULT_VERSION}"
}

# Sources the environment file that scripts/setup writes.
load_env() {
    [ -f "$ENV_FILE" ] || die "$ENV_FILE is missing: run scripts/setup first"
    # shellcheck source=/dev/null
    . "$ENV_FILE"
}

# Runs a command with the variables that select the wasm32 toolchain. They are kept out of
# the general environment on purpose: host builds and tests use rustup's default toolchain,
# and only the wasm build may need Debian's compiler with std built from source.
with_wasm_toolchain() {
    if [ -n "${WALLET_WASM_TOOLCHAIN:-}" ]; then
        # Cargo, when it runs a script, names itself in CARGO; a cargo of another toolchain
        # must not be picked up from there by tools that honour it.
        env -u CARGO -u RUSTC -u RUSTDOC \
            RUSTUP_TOOLCHAIN="$WALLET_WASM_TOOLCHAIN" \
            RUSTC_BOOTSTRAP=1 \
            CARGO_UNSTABLE_BUILD_STD="$WALLET_WASM_BUILD_STD" \
            "$@"
    else
        "$@"
    fi
}
