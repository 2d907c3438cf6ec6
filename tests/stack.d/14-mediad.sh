# Stack component: mediad (RTP bridge + replication to recorders) on an ephemeral SIP port.
# Sourced by tests/stack; defines mediad_up DIR, mediad_down DIR, mediad_status DIR.
# Extra options: MEDIAD_OPTS (e.g. "--max-ports 500 --rec-timeout 2000").
# --mediads N: instances 2..N are mediad2..mediadN (MEDIAD<i>_PID, MEDIAD<i>_SIP_ADDR), each
# with its own 1000-port RTP range from 40000 up.

# Start one instance: NAME (mediad, mediad2...), RTP range, env prefix (MEDIAD, MEDIAD2...).
mediad_start_one() {
    local dir="$1" name="$2" rtp="$3" envp="$4" bin pid port sport
    bin="$(stack_bin mediad mediad)" || return 1
    rm -f "$dir/$name.ports"
    # setsid: mediad outlives the shell that started it (scripts/demo exits).
    # shellcheck disable=SC2086
    setsid "$bin" --sip 127.0.0.1:0 --rtp-ports "$rtp" \
        --ports-file "$dir/$name.ports" ${MEDIAD_OPTS:-} </dev/null >"$dir/$name.log" 2>&1 &
    pid="$(stack_daemon_started "$dir" "$name" SIP_PORT $! mediad "$dir/$name.log")" || return 1
    port="$(stack_port_of "$dir/$name.ports" SIP_PORT)"
    if ! stack_wait "$name to answer OPTIONS" "$STACK_TIMEOUT" \
        stack_sip_answers "$port" "sip:mediad@127.0.0.1:$port"; then
        stack_tail_logs "$dir/$name.log"
        return 1
    fi
    stack_setenv "$dir" "${envp}_PID" "$pid"
    stack_setenv "$dir" "${envp}_SIP_ADDR" "127.0.0.1:$port"
    # SIPS (MEDIAD_OPTS with --tls-cert-dir): its TLS port, for STACK_SIPS=1.
    sport="$(stack_port_of "$dir/$name.ports" SIPS_PORT)"
    [ -z "$sport" ] || stack_setenv "$dir" "${envp}_SIPS_ADDR" "127.0.0.1:$sport"
    echo "stack: $name $pid: SIP 127.0.0.1:$port (UDP)"
}

mediad_up() {
    local dir="$1" i lo
    mediad_start_one "$dir" mediad "${MEDIAD_RTP_PORTS:-30000-39999}" MEDIAD || return 1
    for ((i = 2; i <= ${STACK_MEDIADS:-1}; i++)); do
        lo=$((40000 + (i - 2) * 1000))
        mediad_start_one "$dir" "mediad$i" "$lo-$((lo + 999))" "MEDIAD$i" || return 1
    done
}

mediad_down() {
    local dir="$1" rc=0 f name
    for f in "$dir"/mediad[0-9]*.pid; do
        [ -e "$f" ] || continue
        name="$(basename "$f" .pid)"
        stack_daemon_down "$dir" "$name" mediad "$dir/$name.log" || rc=1
    done
    stack_daemon_down "$dir" mediad mediad "$dir/mediad.log" || rc=1
    return $rc
}

mediad_status() {
    stack_daemon_status "$1" mediad mediad
}
