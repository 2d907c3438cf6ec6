# Stack component: gatewayd (T-Lib over TCP, JSON over WebSocket, HTTP) on ephemeral ports.
# Sourced by tests/stack; defines gatewayd_up DIR, gatewayd_down DIR, gatewayd_status DIR.

# The test configuration: every port 0 on loopback, short frame timeout, the demo
# applications of config/gatewayd.conf. --gateway-opt KEY=VALUE lines go to [gateway].
# Demo credentials of the generated configuration (docs/websocket-api.md, status-page.md).
GATEWAYD_WS_TOKEN="demo-desktop-token"
GATEWAYD_STATUS_TOKEN="demo-status-token"

gatewayd_write_config() {
    local dir="$1" conf="$1/gatewayd.conf" opt md_addr rec_addr
    # 14-mediad.sh and 15-recorder.sh ran first and wrote their addresses.
    md_addr="$(sed -n 's/^MEDIAD_SIP_ADDR=//p' "$dir/stack.env" 2>/dev/null || true)"
    rec_addr="$(sed -n 's/^RECORDER_SIP_ADDR=//p' "$dir/stack.env" 2>/dev/null || true)"
    # STACK_SIPS=1 (docs/sip.md "SIPS"): gatewayd -> mediad and mediad -> recorder over TLS.
    local md_uri="sip:$md_addr" rec_uri="sip:$rec_addr" sips
    if [ "${STACK_SIPS:-}" = 1 ]; then
        sips="$(sed -n 's/^MEDIAD_SIPS_ADDR=//p' "$dir/stack.env" 2>/dev/null || true)"
        [ -z "$sips" ] || md_uri="sips:$sips"
        sips="$(sed -n 's/^RECORDER_SIPS_ADDR=//p' "$dir/stack.env" 2>/dev/null || true)"
        [ -z "$sips" ] || rec_uri="sips:$sips"
    fi
    {
        echo "# Written by tests/stack for this stack only."
        echo "[gateway]"
        case " ${STACK_GATEWAY_OPTS[*]-} " in
        *" site="*) ;; # tests/sites names each site
        *) echo "site = stack" ;;
        esac
        echo "tlib-listen = 127.0.0.1:0"
        echo "ws-listen = 127.0.0.1:0"
        echo "frame-timeout = 2"
        echo "web-root = $STACK_REPO/web"
        echo "status-token = $GATEWAYD_STATUS_TOKEN"
        echo "sip-listen = 127.0.0.1:0"
        # Phones on loopback register without digest auth unless a test overrides it.
        case " ${STACK_GATEWAY_OPTS[*]-} " in
        *" trusted-networks="*) ;;
        *) echo "trusted-networks = 127.0.0.0/8" ;;
        esac
        for opt in "${STACK_GATEWAY_OPTS[@]+"${STACK_GATEWAY_OPTS[@]}"}"; do
            echo "${opt%%=*} = ${opt#*=}"
        done
        gatewayd_env_opts
        # Recording (docs/recording.md): the recorder 15-recorder.sh started is the
        # default dest, unless a test gives its own recording-dest.
        if [ -n "$rec_addr" ]; then
            case " ${STACK_GATEWAY_OPTS[*]-} " in
            *" recording-dest="*) ;;
            *) if [ "${STACK_RECORDERS:-1}" -gt 1 ]; then
                   echo "recording-dest = pool:recorders"
               else
                   echo "recording-dest = $rec_uri"
               fi ;;
            esac
        fi
        if [ -n "$md_addr" ]; then
            echo
            echo "# mediad (14-mediad.sh): the media server the recording controller uses."
            echo "[dn msml]"
            echo "type = VoIP Service"
            echo "service-type = msml"
            echo "contact = $md_uri"
        fi
        gatewayd_write_pools "$dir"
        echo
        echo "[dn 5001-5009]"
        echo "type = Extension"
        echo
        echo "[dn 5010]"
        echo "type = Extension"
        echo "record = true"
        echo
        echo "[dn 5011-5020]"
        echo "type = Extension"
        echo
        echo "[dn 7001]"
        echo "type = Routing Point"
        echo "default-dn = 5001"
        echo "router-timeout = 5"
        echo
        echo "[dn trunk-in]"
        echo "type = Trunk"
        echo "contact = sip:127.0.0.1:5070"
        echo
        echo "[agent 9001-9019]"
        echo
        echo "# Full-time recording by agent login (docs/recording.md)."
        echo "[agent 9020]"
        echo "record = true"
        echo
        echo "[application demo]"
        echo "password = demo"
        echo "dns = *"
        echo
        echo "[application desk5001]"
        echo "password = desk"
        echo "dns = 5001"
        echo
        echo "[desktop demo-desktop]"
        echo "token = $GATEWAYD_WS_TOKEN"
        echo "dns = 5001-5005"
        echo "agents = 9001-9005"
        # A test's own sections (e.g. [pool] lists of extra mediads / recorders it started).
        if [ -n "${STACK_GATEWAY_EXTRA:-}" ]; then
            echo
            # @KEY@ = KEY's value in stack.env (addresses of the daemons started before).
            sed "$(sed -n 's/^\([A-Z0-9_]*\)=\(.*\)$/s|@\1@|\2|g/p' "$dir/stack.env")" \
                "$STACK_GATEWAY_EXTRA"
        fi
    } >"$conf"
}

# AREC_GW_OPTS="KEY=VALUE ..." (environment): [gateway] lines for every stack of a test
# run, e.g. AREC_GW_OPTS=sip-stack-thread=false to run a suite in the other SIP threading
# mode (docs/sip.md "Threads"). A key the test sets itself (--gateway-opt) wins.
gatewayd_env_opts() {
    local opt
    for opt in ${AREC_GW_OPTS-}; do
        case " ${STACK_GATEWAY_OPTS[*]-} " in
        *" ${opt%%=*}="*) ;;
        *) echo "${opt%%=*} = ${opt#*=}" ;;
        esac
    done
}

# --mediads / --recorders N > 1: [pool mediads] / [pool recorders] with every instance (the
# first mediad keeps DN msml for its EventDNOutOfService / BackInService).
gatewayd_write_pools() {
    local dir="$1" i addr
    [ "${STACK_POOL_SCHEME:-}" != none ] || return 0 # the test writes its own [pool]s
    if [ "${STACK_MEDIADS:-1}" -gt 1 ]; then
        echo
        echo "[pool mediads]"
        echo "kind = mediad"
        echo "scheme = ${STACK_POOL_SCHEME/parallel/round-robin}"
        echo "interval = 1"
        echo "misses = 2"
        echo "member = sip:$(sed -n 's/^MEDIAD_SIP_ADDR=//p' "$dir/stack.env") ports=200 dn=msml"
        for ((i = 2; i <= STACK_MEDIADS; i++)); do
            addr="$(sed -n "s/^MEDIAD${i}_SIP_ADDR=//p" "$dir/stack.env")"
            echo "member = sip:$addr ports=200"
        done
    fi
    if [ "${STACK_RECORDERS:-1}" -gt 1 ]; then
        echo
        echo "[pool recorders]"
        echo "kind = recorder"
        echo "scheme = ${STACK_POOL_SCHEME:-round-robin}"
        echo "interval = 1"
        echo "misses = 2"
        echo "member = sip:$(sed -n 's/^RECORDER_SIP_ADDR=//p' "$dir/stack.env") ports=200"
        for ((i = 2; i <= STACK_RECORDERS; i++)); do
            addr="$(sed -n "s/^RECORDER${i}_SIP_ADDR=//p" "$dir/stack.env")"
            echo "member = sip:$addr ports=200"
        done
    fi
}

gatewayd_answers() {
    "$GATEWAYD_TLIBCTL" -a "127.0.0.1:$1" -u demo -p demo request \
        '{"message":"RequestQueryServer"}' --timeout 2
}

gatewayd_up() {
    local dir="$1" bin conf pid tlib_port ws_port http_port sip_port
    bin="$(stack_bin gateway gatewayd)" || return 1
    GATEWAYD_TLIBCTL="$(stack_bin client tlibctl)" || return 1
    if [ -n "${STACK_GATEWAY_CONFIG:-}" ] && [ -n "${AREC_GW_OPTS:-}" ]; then
        # A test's own configuration, with AREC_GW_OPTS put first in its [gateway].
        conf="$dir/gatewayd.conf"
        awk -v opts="$(gatewayd_env_opts)" \
            '{ print } /^\[gateway\][ \t]*$/ && !done { print opts; done = 1 }' \
            "$STACK_GATEWAY_CONFIG" >"$conf"
    elif [ -n "${STACK_GATEWAY_CONFIG:-}" ]; then
        conf="$STACK_GATEWAY_CONFIG"
    else
        gatewayd_write_config "$dir"
        conf="$dir/gatewayd.conf"
    fi
    rm -f "$dir/gatewayd.ports"
    "$bin" -c "$conf" --check-config >"$dir/gatewayd.check.log" 2>&1 || {
        echo "stack: gatewayd rejected $conf:" >&2
        cat "$dir/gatewayd.check.log" >&2
        return 1
    }
    # setsid: the daemon outlives the shell that started it (scripts/demo exits).
    # 10-postgres.sh exported STACK_PGURL: gatewayd writes its CDR rows there.
    setsid "$bin" -c "$conf" --ports-file "$dir/gatewayd.ports" --log-file "$dir/gatewayd.log" \
        ${STACK_PGURL:+--db-dsn "$STACK_PGURL" --db-journal "$dir/gatewayd.journal"} \
        </dev/null >"$dir/gatewayd.out" 2>&1 &
    pid=$!
    stack_setenv "$dir" GATEWAY_PID "$pid"
    pid="$(stack_daemon_started "$dir" gatewayd TLIB_PORT "$pid" gatewayd \
        "$dir/gatewayd.out" "$dir/gatewayd.log")" || return 1
    stack_setenv "$dir" GATEWAY_PID "$pid"
    tlib_port="$(stack_port_of "$dir/gatewayd.ports" TLIB_PORT)"
    ws_port="$(stack_port_of "$dir/gatewayd.ports" WS_PORT)"
    http_port="$(stack_port_of "$dir/gatewayd.ports" HTTP_PORT)"
    : "${http_port:=$ws_port}"
    if ! stack_wait "gatewayd to answer RequestQueryServer" "$STACK_TIMEOUT" \
        gatewayd_answers "$tlib_port"; then
        stack_tail_logs "$dir/gatewayd.out" "$dir/gatewayd.log"
        return 1
    fi
    stack_setenv "$dir" TLIB_ADDR "127.0.0.1:$tlib_port"
    stack_setenv "$dir" TLIB_APP demo
    stack_setenv "$dir" TLIB_PASSWORD demo
    stack_setenv "$dir" WS_URL "ws://127.0.0.1:$ws_port/tlib"
    stack_setenv "$dir" WS_TOKEN "$GATEWAYD_WS_TOKEN"
    stack_setenv "$dir" STATUS_TOKEN "$GATEWAYD_STATUS_TOKEN"
    stack_setenv "$dir" HTTP_URL "http://127.0.0.1:$http_port/"
    stack_setenv "$dir" GATEWAY_LOG "$dir/gatewayd.log"
    sip_port="$(stack_port_of "$dir/gatewayd.ports" SIP_PORT)"
    [ -z "$sip_port" ] || stack_setenv "$dir" SIP_ADDR "127.0.0.1:$sip_port"
    sip_port="$(stack_port_of "$dir/gatewayd.ports" SIPS_PORT)"
    [ -z "$sip_port" ] || stack_setenv "$dir" SIPS_ADDR "127.0.0.1:$sip_port"
    echo "stack: gatewayd $pid: T-Lib 127.0.0.1:$tlib_port, WebSocket ws://127.0.0.1:$ws_port/tlib, HTTP http://127.0.0.1:$http_port/"
}

gatewayd_down() {
    # gatewayd.log is its own --log-file; sanitizers write to stderr (gatewayd.out).
    stack_daemon_down "$1" gatewayd gatewayd "$1/gatewayd.out"
}

gatewayd_status() {
    stack_daemon_status "$1" gatewayd gatewayd
}
