# Stack component: mediad (RTP bridge + replication to recorders) on an ephemeral SIP port.
# Sourced by tests/stack; defines mediad_up DIR, mediad_down DIR, mediad_status DIR.
# Extra options: MEDIAD_OPTS (e.g. "--max-ports 500 --rec-timeout 2000").

# True once the ports file exists and names the SIP port.
mediad_ports_ready() {
    grep -q '^SIP_PORT=[0-9]' "$1/mediad.ports" 2>/dev/null
}

# One SIP OPTIONS over UDP; succeeds on a 200 answer (mediad's health check).
mediad_answers() {
    /usr/bin/python3 - "$1" <<'PY'
import socket, sys, uuid
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
lp = s.getsockname()[1]
msg = ("OPTIONS sip:mediad@127.0.0.1:%d SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
       "From: <sip:stack@127.0.0.1:%d>;tag=%s\r\nTo: <sip:mediad@127.0.0.1:%d>\r\n"
       "Call-ID: %s@stack\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
       "Content-Length: 0\r\n\r\n") % (port, lp, uuid.uuid4().hex, lp, uuid.uuid4().hex[:8],
                                       port, uuid.uuid4().hex)
s.settimeout(1.0)
s.sendto(msg.encode(), ("127.0.0.1", port))
sys.exit(0 if s.recv(65535).startswith(b"SIP/2.0 200") else 1)
PY
}

mediad_up() {
    local dir="$1" bin pid port
    bin="$(stack_bin mediad mediad)" || return 1
    rm -f "$dir/mediad.ports"
    # setsid: mediad outlives the shell that started it (scripts/demo exits).
    # shellcheck disable=SC2086
    setsid "$bin" --sip 127.0.0.1:0 --rtp-ports "${MEDIAD_RTP_PORTS:-30000-39999}" \
        --ports-file "$dir/mediad.ports" ${MEDIAD_OPTS:-} </dev/null >"$dir/mediad.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/mediad.pid"
    if ! stack_wait "mediad ports file" "$STACK_TIMEOUT" mediad_ports_ready "$dir"; then
        kill -0 "$pid" 2>/dev/null || echo "stack: mediad exited early" >&2
        tail -n 20 "$dir/mediad.log" >&2 2>/dev/null || true
        return 1
    fi
    pid="$(sed -n 's/^PID=//p' "$dir/mediad.ports")"
    echo "$pid" >"$dir/mediad.pid"
    port="$(sed -n 's/^SIP_PORT=//p' "$dir/mediad.ports")"
    if ! stack_wait "mediad to answer OPTIONS" "$STACK_TIMEOUT" mediad_answers "$port"; then
        tail -n 20 "$dir/mediad.log" >&2 2>/dev/null || true
        return 1
    fi
    stack_setenv "$dir" MEDIAD_PID "$pid"
    stack_setenv "$dir" MEDIAD_SIP_ADDR "127.0.0.1:$port"
    echo "stack: mediad $pid: SIP 127.0.0.1:$port (UDP)"
}

mediad_down() {
    local dir="$1" pid rc=0
    pid="$(cat "$dir/mediad.pid" 2>/dev/null || true)"
    [ -n "$pid" ] && stack_stop_pid "$pid" mediad
    rm -f "$dir/mediad.pid"
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$dir/mediad.log" 2>/dev/null; then
        echo "stack: sanitizer report in $dir/mediad.log:" >&2
        grep -E -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$dir/mediad.log" | head -60 >&2
        rc=1
    fi
    return $rc
}

mediad_status() {
    local dir="$1" pid
    pid="$(cat "$dir/mediad.pid" 2>/dev/null || true)"
    if stack_pid_is "$pid" mediad; then
        echo "mediad: running (pid $pid)"
    else
        echo "mediad: not running"
        return 1
    fi
}
