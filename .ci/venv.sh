# shellcheck shell=bash
# Sourced by the .ci/*-up.sh that keep a tool in a venv of its own (registry-up.sh: the AWS CLI and moto; sdk-up.sh:
# the SageMaker Python SDK). The caller defines log() and runs from the repository's root.

# provision_venv WHAT VENV VARIABLE REQUIREMENTS [PIP OPTIONS...]: installs REQUIREMENTS into the venv VENV (VARIABLE
# names the setting that moves it), unless the venv holds exactly these requirements already (their checksum in a
# stamp file); a folder there that is not a venv is never removed.
provision_venv() {
    local what=$1 venv=$2 variable=$3 requirements=$4
    shift 4
    local stamp="$venv/.requirements-installed" wanted
    wanted=$(cksum <"$requirements")
    if [[ -f $stamp && $(<"$stamp") == "$wanted" ]]; then
        log "$what already in $venv"
        return 0
    fi
    if [[ -e $venv && ! -f $venv/pyvenv.cfg ]]; then
        log "error: $venv exists and is not a venv: remove it or set $variable"
        exit 1
    fi
    log "installing $what into $venv"
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" -r "$requirements" >&2
    echo "$wanted" >"$stamp"
}
