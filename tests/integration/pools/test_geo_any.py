"""reject-recording-request-on-geo-location-nomatch = false: a tag nobody has -> any member."""
from pooltest import member_metric, recorded_call, recorder_uris, wait_for

STACK_OPTS = ("--recorders", "2", "--pool-scheme", "none",
              "--gateway-opt", "recording-dest=pool:geo",
              "--gateway-opt", "reject-recording-request-on-geo-location-nomatch=false",
              "--gateway-opt", "register-rate-limit=100000")
EXTRA_CONFIG = """[pool geo]
kind = recorder
interval = 1
member = sip:@RECORDER_SIP_ADDR@ geo-location=paris
member = sip:@RECORDER2_SIP_ADDR@ geo-location=dallas

[dn 6003]
type = Extension
record = true
geo-location = tokyo
"""


def test_nomatch_false_records_on_any_member(stack):
    uris = recorder_uris(stack, 2)
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1 for u in uris), 20,
             "recorders in service")
    w = stack.watch("6003")
    try:
        for _ in range(4):
            recorded_call(stack, w, callee="6003")
    finally:
        w.stop()
    assert [member_metric(stack, "picks_total", u) for u in uris] == [2, 2]
