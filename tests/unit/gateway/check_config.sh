#!/bin/sh
# --check-config: the demo configuration passes, a broken one lists FILE:LINE errors.
set -u
gatewayd="$1" src="$2"
fail() { echo "FAIL: $*"; exit 1; }

out=$("$gatewayd" -c "$src/config/gatewayd.conf" --check-config) || fail "demo config rejected: $out"
echo "$out"
echo "$out" | grep -q "OK (" || fail "no OK line"

bad="$src/tests/unit/gateway/broken.conf"
out=$("$gatewayd" -c "$bad" --check-config)
rc=$?
echo "$out"
[ "$rc" -eq 1 ] || fail "broken config: exit $rc, expected 1"
for want in "$bad:3: unknown key \"bogus\"" "$bad:4: max-clients" \
    "$bad:9: duplicate dn 5005 (first defined at line 6)" "$bad:10: type: \"Phone\"" \
    "$bad:12: \[application nopass\]: missing mandatory key \"password\""; do
    echo "$out" | grep -q "^$want" || fail "missing error line: $want"
done
[ "$(echo "$out" | wc -l)" -eq 5 ] || fail "expected exactly 5 error lines"

# Pools: a member address given twice (in two pools) and a bad member option.
bad="$src/tests/unit/gateway/broken_pools.conf"
out=$("$gatewayd" -c "$bad" --check-config)
rc=$?
echo "$out"
[ "$rc" -eq 1 ] || fail "broken pools: exit $rc, expected 1"
for want in "$bad:9: \[pool more\]: duplicate member address sip:10.0.0.2:5060 (first at line 5)" \
    "$bad:10: \[pool more\]: bad member option \"ports=many\""; do
    echo "$out" | grep -q "^$want" || fail "missing error line: $want"
done

"$gatewayd" -c /nonexistent.conf --check-config >/dev/null && fail "missing file accepted"
"$gatewayd" --check-config >/dev/null 2>&1 && fail "no -c accepted"
echo "PASS"
