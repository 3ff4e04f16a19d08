#!/usr/bin/env bash
# Create the peer-benchmark virtual environments (idempotent):
#   <repo>/.bench-venvs/starsim  with starsim==3.7.2
#   <repo>/.bench-venvs/flee     with flee==3.1
# A venv that already has the right version installed is left alone; a broken or
# outdated one is repaired in place. Usage:
#   bash benchmarks/setup_peers.sh [starsim] [flee]      (default: both)
# Environment: PYTHON (interpreter for the venvs, default python3),
#              CROSSINGS_BENCH_VENVS (folder, default <repo>/.bench-venvs).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venvs="${CROSSINGS_BENCH_VENVS:-$repo/.bench-venvs}"
python="${PYTHON:-python3}"

declare -A spec=([starsim]="starsim==3.7.2" [flee]="flee==3.1")
declare -A module=([starsim]="starsim" [flee]="flee")

make_venv() {
    local name="$1" req="${spec[$1]}" dir="$venvs/$1"
    local want="${req#*==}"
    if [[ -x "$dir/bin/python" ]] \
        && have="$("$dir/bin/python" -m pip show "${req%%==*}" 2>/dev/null \
                   | sed -n 's/^Version: //p')" \
        && [[ "$have" == "$want" ]]; then
        echo "ok: $dir already has $req"
        return 0
    fi
    if [[ ! -x "$dir/bin/python" ]]; then
        echo "creating $dir"
        rm -rf "$dir"
        "$python" -m venv "$dir"
    fi
    echo "installing $req into $dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$req"
    # Smoke test: the package imports (Starsim without fetching fonts, Flee without beartype).
    STARSIM_INSTALL_FONTS=0 FLEE_TYPE_CHECK=false \
        "$dir/bin/python" -c "import ${module[$name]}; print('ok: ${module[$name]}', \
getattr(${module[$name]}, '__version__', '?'))"
}

mkdir -p "$venvs"
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
    names=(starsim flee)
fi
for name in "${names[@]}"; do
    if [[ -z "${spec[$name]+x}" ]]; then
        echo "unknown peer '$name' (known: ${!spec[*]})" >&2
        exit 2
    fi
    make_venv "$name"
done
