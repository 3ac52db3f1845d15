# Sourced by the benchmark scripts: sets HALO to a release build of halo in SCRATCH (built from the
# repository at $repo), unless HALO is already set; `log` must be defined.
if [[ -z "${HALO:-}" ]]; then
    log "building halo (release) in $SCRATCH"
    (cd "$repo" && swift build -c release --product halo --scratch-path "$SCRATCH" >&2)
    HALO="$SCRATCH/release/halo"
fi
[[ -x "$HALO" ]] || { echo "error: no halo binary at $HALO" >&2; exit 1; }
