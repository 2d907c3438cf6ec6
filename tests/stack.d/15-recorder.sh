# Stack component: arec-recorder, the reference recorder, on an ephemeral SIP port.
# Sourced by tests/stack; defines recorder_up DIR, recorder_down DIR, recorder_status DIR.
# Recordings (WAV + JSON sidecar per session) go to DIR/recordings.

recorder_up() {
    local dir="$1" bin pid port sport
    bin="$(stack_bin recorder arec-recorder)" || return 1
    mkdir -p "$dir/recordings"
    rm -f "$dir/recorder.ports"
    # setsid: the recorder outlives the shell that started it (scripts/demo exits).
    setsid "$bin" --sip 127.0.0.1:0 --dir "$dir/recordings" --ports-file "$dir/recorder.ports" \
        ${RECORDER_OPTS:-} </dev/null >"$dir/recorder.log" 2>&1 &
    pid="$(stack_daemon_started "$dir" recorder SIP_PORT $! arec-recorder "$dir/recorder.log")" ||
        return 1
    port="$(stack_port_of "$dir/recorder.ports" SIP_PORT)"
    if ! stack_wait "recorder to answer OPTIONS" "$STACK_TIMEOUT" \
        stack_sip_answers "$port" "sip:127.0.0.1:$port"; then
        stack_tail_logs "$dir/recorder.log"
        return 1
    fi
    stack_setenv "$dir" RECORDER_PID "$pid"
    stack_setenv "$dir" RECORDER_DIR "$dir/recordings"
    stack_setenv "$dir" RECORDER_SIP_ADDR "127.0.0.1:$port"
    # SIPS (RECORDER_OPTS with --tls-cert-dir): its TLS port, for STACK_SIPS=1.
    sport="$(stack_port_of "$dir/recorder.ports" SIPS_PORT)"
    [ -z "$sport" ] || stack_setenv "$dir" RECORDER_SIPS_ADDR "127.0.0.1:$sport"
    echo "stack: arec-recorder $pid: SIP 127.0.0.1:$port (UDP+TCP), recordings in $dir/recordings"
}

recorder_down() {
    stack_daemon_down "$1" recorder arec-recorder "$1/recorder.log"
}

recorder_status() {
    stack_daemon_status "$1" recorder arec-recorder
}
