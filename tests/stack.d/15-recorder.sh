# Stack component: arec-recorder, the reference recorder, on an ephemeral SIP port.
# Sourced by tests/stack; defines recorder_up DIR, recorder_down DIR, recorder_status DIR.
# Recordings (WAV + JSON sidecar per session) go to DIR/recordings.

# True once the ports file exists and names the SIP port.
recorder_ports_ready() {
    grep -q '^SIP_PORT=[0-9]' "$1/recorder.ports" 2>/dev/null
}

# Sends one SIP OPTIONS over UDP and succeeds on a 200 answer (1 s receive timeout).
recorder_answers() {
    /usr/bin/python3 - "$1" <<'PY'
import socket, sys, uuid
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
lp = s.getsockname()[1]
branch = "z9hG4bK" + uuid.uuid4().hex
msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s\r\n"
       "From: <sip:stack@127.0.0.1:%d>;tag=%s\r\n"
       "To: <sip:127.0.0.1:%d>\r\n"
       "Call-ID: %s@stack\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
       "Content-Length: 0\r\n\r\n") % (port, lp, branch, lp, uuid.uuid4().hex[:8], port,
                                       uuid.uuid4().hex)
s.settimeout(1.0)
s.sendto(msg.encode(), ("127.0.0.1", port))
data = s.recv(65535)
sys.exit(0 if data.startswith(b"SIP/2.0 200") else 1)
PY
}

recorder_up() {
    local dir="$1" bin pid port
    bin="$(stack_bin recorder arec-recorder)" || return 1
    mkdir -p "$dir/recordings"
    rm -f "$dir/recorder.ports"
    # setsid: the recorder outlives the shell that started it (scripts/demo exits).
    setsid "$bin" --sip 127.0.0.1:0 --dir "$dir/recordings" --ports-file "$dir/recorder.ports" \
        ${RECORDER_OPTS:-} </dev/null >"$dir/recorder.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/recorder.pid"
    if ! stack_wait "recorder ports file" "$STACK_TIMEOUT" recorder_ports_ready "$dir"; then
        kill -0 "$pid" 2>/dev/null || echo "stack: arec-recorder exited early" >&2
        tail -n 20 "$dir/recorder.log" >&2 2>/dev/null || true
        return 1
    fi
    pid="$(sed -n 's/^PID=//p' "$dir/recorder.ports")"
    echo "$pid" >"$dir/recorder.pid"
    port="$(sed -n 's/^SIP_PORT=//p' "$dir/recorder.ports")"
    if ! stack_wait "recorder to answer OPTIONS" "$STACK_TIMEOUT" recorder_answers "$port"; then
        tail -n 20 "$dir/recorder.log" >&2 2>/dev/null || true
        return 1
    fi
    stack_setenv "$dir" RECORDER_PID "$pid"
    stack_setenv "$dir" RECORDER_DIR "$dir/recordings"
    stack_setenv "$dir" RECORDER_SIP_ADDR "127.0.0.1:$port"
    echo "stack: arec-recorder $pid: SIP 127.0.0.1:$port (UDP+TCP), recordings in $dir/recordings"
}

recorder_down() {
    local dir="$1" pid rc=0
    pid="$(cat "$dir/recorder.pid" 2>/dev/null || true)"
    [ -n "$pid" ] && stack_stop_pid "$pid" arec-recorder
    rm -f "$dir/recorder.pid"
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$dir/recorder.log" 2>/dev/null; then
        echo "stack: sanitizer report in $dir/recorder.log:" >&2
        grep -E -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$dir/recorder.log" | head -60 >&2
        rc=1
    fi
    return $rc
}

recorder_status() {
    local dir="$1" pid
    pid="$(cat "$dir/recorder.pid" 2>/dev/null || true)"
    if stack_pid_is "$pid" arec-recorder; then
        echo "recorder: running (pid $pid)"
    else
        echo "recorder: not running"
        return 1
    fi
}
