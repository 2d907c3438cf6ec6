# Stack component: arec-recorder, the reference recorder, on an ephemeral SIP port.
# Sourced by tests/stack; defines recorder_up DIR, recorder_down DIR, recorder_status DIR.
# Recordings (WAV + JSON sidecar per session) go to DIR/recordings.
# --recorders N: instances 2..N are recorder2..recorderN (RECORDER<i>_PID,
# RECORDER<i>_SIP_ADDR, RECORDER<i>_DIR = DIR/recordings<i>). Extra options: RECORDER_OPTS for
# the first, RECORDER<i>_OPTS for instance i (e.g. RECORDER2_OPTS="--answer-delay 3000").

# Start one instance: NAME (recorder, recorder2...), recordings folder, env prefix.
recorder_start_one() {
    local dir="$1" name="$2" rdir="$3" envp="$4" bin pid port sport opts_var="${4}_OPTS"
    bin="$(stack_bin recorder arec-recorder)" || return 1
    mkdir -p "$rdir"
    rm -f "$dir/$name.ports"
    # setsid: the recorder outlives the shell that started it (scripts/demo exits).
    # shellcheck disable=SC2086
    setsid "$bin" --sip 127.0.0.1:0 --dir "$rdir" --ports-file "$dir/$name.ports" \
        ${!opts_var:-} </dev/null >"$dir/$name.log" 2>&1 &
    pid="$(stack_daemon_started "$dir" "$name" SIP_PORT $! arec-recorder "$dir/$name.log")" ||
        return 1
    port="$(stack_port_of "$dir/$name.ports" SIP_PORT)"
    if ! stack_wait "$name to answer OPTIONS" "$STACK_TIMEOUT" \
        stack_sip_answers "$port" "sip:127.0.0.1:$port"; then
        stack_tail_logs "$dir/$name.log"
        return 1
    fi
    stack_setenv "$dir" "${envp}_PID" "$pid"
    stack_setenv "$dir" "${envp}_DIR" "$rdir"
    stack_setenv "$dir" "${envp}_SIP_ADDR" "127.0.0.1:$port"
    # SIPS (RECORDER_OPTS with --tls-cert-dir): its TLS port, for STACK_SIPS=1.
    sport="$(stack_port_of "$dir/$name.ports" SIPS_PORT)"
    [ -z "$sport" ] || stack_setenv "$dir" "${envp}_SIPS_ADDR" "127.0.0.1:$sport"
    echo "stack: arec-recorder $pid ($name): SIP 127.0.0.1:$port (UDP+TCP), recordings in $rdir"
}

recorder_up() {
    local dir="$1" i
    recorder_start_one "$dir" recorder "$dir/recordings" RECORDER || return 1
    for ((i = 2; i <= ${STACK_RECORDERS:-1}; i++)); do
        recorder_start_one "$dir" "recorder$i" "$dir/recordings$i" "RECORDER$i" || return 1
    done
}

recorder_down() {
    local dir="$1" rc=0 f name
    for f in "$dir"/recorder[0-9]*.pid; do
        [ -e "$f" ] || continue
        name="$(basename "$f" .pid)"
        stack_daemon_down "$dir" "$name" arec-recorder "$dir/$name.log" || rc=1
    done
    stack_daemon_down "$dir" recorder arec-recorder "$dir/recorder.log" || rc=1
    return $rc
}

recorder_status() {
    stack_daemon_status "$1" recorder arec-recorder
}
