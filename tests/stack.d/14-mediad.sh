# Stack component: mediad (RTP bridge + replication to recorders) on an ephemeral SIP port.
# Sourced by tests/stack; defines mediad_up DIR, mediad_down DIR, mediad_status DIR.
# Extra options: MEDIAD_OPTS (e.g. "--max-ports 500 --rec-timeout 2000").

mediad_up() {
    local dir="$1" bin pid port sport
    bin="$(stack_bin mediad mediad)" || return 1
    rm -f "$dir/mediad.ports"
    # setsid: mediad outlives the shell that started it (scripts/demo exits).
    # shellcheck disable=SC2086
    setsid "$bin" --sip 127.0.0.1:0 --rtp-ports "${MEDIAD_RTP_PORTS:-30000-39999}" \
        --ports-file "$dir/mediad.ports" ${MEDIAD_OPTS:-} </dev/null >"$dir/mediad.log" 2>&1 &
    pid="$(stack_daemon_started "$dir" mediad SIP_PORT $! mediad "$dir/mediad.log")" || return 1
    port="$(stack_port_of "$dir/mediad.ports" SIP_PORT)"
    if ! stack_wait "mediad to answer OPTIONS" "$STACK_TIMEOUT" \
        stack_sip_answers "$port" "sip:mediad@127.0.0.1:$port"; then
        stack_tail_logs "$dir/mediad.log"
        return 1
    fi
    stack_setenv "$dir" MEDIAD_PID "$pid"
    stack_setenv "$dir" MEDIAD_SIP_ADDR "127.0.0.1:$port"
    # SIPS (MEDIAD_OPTS with --tls-cert-dir): its TLS port, for STACK_SIPS=1.
    sport="$(stack_port_of "$dir/mediad.ports" SIPS_PORT)"
    [ -z "$sport" ] || stack_setenv "$dir" MEDIAD_SIPS_ADDR "127.0.0.1:$sport"
    echo "stack: mediad $pid: SIP 127.0.0.1:$port (UDP)"
}

mediad_down() {
    stack_daemon_down "$1" mediad mediad "$1/mediad.log"
}

mediad_status() {
    stack_daemon_status "$1" mediad mediad
}
