#!/usr/bin/env bash
# captar's benchmark against GNU tar and bsdtar (issue 5, section 1): builds captar in release
# mode, then runs bench/bench.py, which prints the Markdown report and writes bench/RESULTS.md.
#
#   sudo bench/run.sh            # full run (< 20 min on 2 cores)
#   sudo bench/run.sh --quick    # smaller corpus, 3 rounds (a few minutes)
#   bench/run.sh --help          # every option
#
# Environment: CAPTAR=path uses that binary and skips the build; CARGO_TARGET_DIR is honoured;
# BENCH_DIR (default /var/tmp/captar-bench) holds the corpora (built once, reused) and the mount
# points. Needs root: it mounts a tmpfs and loop ext4 images and gives corpus files capabilities.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")

for arg in "$@"; do
    if [[ $arg == -h || $arg == --help ]]; then
        exec python3 "$here/bench.py" --help
    fi
done

# command -> Debian package that provides it
declare -A needs=(
    [tar]=tar [bsdtar]=libarchive-tools [zstd]=zstd [pigz]=pigz [gzip]=gzip
    [setcap]=libcap2-bin [getcap]=libcap2-bin [mkfs.ext4]=e2fsprogs [findmnt]=util-linux
    [mount]=mount [python3]=python3 [/usr/bin/time]=time
)
missing=()
for cmd in "${!needs[@]}"; do
    command -v "$cmd" >/dev/null || missing+=("${needs[$cmd]}")
done
if ((${#missing[@]})); then
    echo "bench: missing tools; install them with:" >&2
    echo "  apt-get install -y $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')" >&2
    exit 1
fi
if ((EUID != 0)); then
    echo "bench: run as root (it mounts filesystems and sets capabilities)" >&2
    exit 1
fi

if [[ -z ${CAPTAR:-} ]]; then
    (cd "$repo" && cargo build --release)
    target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    export CAPTAR="$target_dir/release/captar"
fi
exec python3 "$here/bench.py" "$@"
