"""Geo-location across sites (the seed's Dallas example): site A's gatewayd picks the mediad
and recorder at the site nearest the recorded agent, its own (boston) or site B's (dallas)."""
import os
import re
import signal
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
from rectest import (TONE_A, TONE_B, gw_addr, recording_files, recua, ud_changes,  # noqa: E402
                     wait_for, wait_recording_done, wait_ud)
from sitestest import settle  # noqa: E402

# Site A's own mediad / recorder are boston, site B's (another host in production) dallas.
GEO_CONFIG = """
[pool geo-mediads]
kind = mediad
interval = 1
member = sip:{a_md} geo-location=boston
member = sip:{b_md} geo-location=dallas

[pool geo-recorders]
kind = recorder
interval = 1
member = sip:{a_rec} geo-location=boston
member = sip:{b_rec} geo-location=dallas

[dn 6150]
type = Extension
record = true
geo-location = dallas

[dn 6151]
type = Extension
record = true
geo-location = boston
"""


def metric(site, name, uri):
    """gatewayd_pool_<name>{...uri="uri"} on site's /metrics (None when absent)."""
    url = site.env["HTTP_URL"] + "metrics?token=" + site.env["STATUS_TOKEN"]
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    m = re.search(r'^gatewayd_pool_%s\{[^}]*uri="%s"\} (\d+)$' % (name, re.escape(uri)), text,
                  re.M)
    return int(m.group(1)) if m else None


def uris(sites):
    return {x: ("sip:" + s.env["MEDIAD_SIP_ADDR"], "sip:" + s.env["RECORDER_SIP_ADDR"])
            for x, s in sites.sites.items()}


@pytest.fixture(scope="module", autouse=True)
def geo_pools(sites):
    """Site A's configuration gains the two tagged pools and DNs (SIGHUP)."""
    a, b = sites.a, sites.b
    conf = a.dir / "gatewayd.conf"
    text = re.sub(r"^recording-dest = .*$", "recording-dest = pool:geo-recorders",
                  conf.read_text(), count=1, flags=re.M)
    text += GEO_CONFIG.format(a_md=a.env["MEDIAD_SIP_ADDR"], b_md=b.env["MEDIAD_SIP_ADDR"],
                              a_rec=a.env["RECORDER_SIP_ADDR"],
                              b_rec=b.env["RECORDER_SIP_ADDR"])
    conf.write_text(text)
    os.kill(int(a.env["GATEWAY_PID"]), signal.SIGHUP)
    assert a.wait_log(r"reload: dn 6150 added", timeout=20), a.log()[-2000:]
    u = uris(sites)
    wait_for(lambda: all(metric(a, "member_up", v) == 1 for x in u for v in u[x]), 30,
             "the four geo pool members in service")


def picks(sites):
    u = uris(sites)
    return {(x, kind): metric(sites.a, "picks_total", u[x][i])
            for x in u for i, kind in enumerate(("mediad", "recorder"))}


def recorded_call(sites, agent_dn):
    """5001 at site A calls agent_dn (record = true); returns its record id once ended."""
    a = sites.a
    w = a.watch(agent_dn)
    agent = recua.Phone(agent_dn, gw_addr(a), TONE_B)
    customer = recua.Phone("5001", gw_addr(a), TONE_A)
    try:
        assert agent.register() == 200
        customer.call(agent_dn)
        assert customer.wait_answered() == 200
        on = wait_ud(w, agent_dn, "GSIP_RECORD", "On", 20)
        settle(customer)
        customer.hangup()
        wait_ud(w, agent_dn, "GSIP_RECORD", "Off", 20)
        assert ud_changes(w, agent_dn, "GSIP_RECORD") == ["On", "Off"]
        return on["UserData"]["GSIP_REC_FN"]
    finally:
        agent.close()
        customer.close()
        w.stop()


@pytest.mark.parametrize("dn,tag,here,other", [("6150", "dallas", "b", "a"),
                                               ("6151", "boston", "a", "b")])
def test_recording_goes_to_the_agents_site(sites, dn, tag, here, other):
    before = picks(sites)
    rid = recorded_call(sites, dn)
    after = picks(sites)
    delta = {k: after[k] - before[k] for k in after}
    # Both the mediad and the recorder of the agent's site, none of the other's.
    assert delta == {(here, "mediad"): 1, (here, "recorder"): 1,
                     (other, "mediad"): 0, (other, "recorder"): 0}, delta
    assert sites.a.wait_log(r"geo-location %s \(from recorded DN %s" % (tag, dn), 5)
    # The recording (WAV + sidecar) is at the recorder of the agent's site only.
    s = wait_recording_done(sites.sites[here], rid, 20)
    assert s["params"]["recordDN"] == dn, s
    assert Path(sites.sites[here].env["RECORDER_DIR"], s["wav"]["file"]).stat().st_size > 44
    assert recording_files(sites.sites[other], rid) == []
    # The chosen mediad saw the tag (mpc.copyheaders) and put it on its recording INVITE.
    mlog = sites.sites[here].dir / "mediad.log"
    wait_for(lambda: re.search(r"X-Genesys-geo-location %s, copied onto its recording" % tag,
                               mlog.read_text(errors="replace")), 10, "geo header at mediad")
