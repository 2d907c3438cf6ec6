"""Bad inter-site input: malformed, unknown, replayed or looping ISLinks get clear SIP errors."""
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calls"))
import sipraw  # noqa: E402
from arectest.db import psql  # noqa: E402
from sitestest import add_trunk, islinks, location, request, wait_event, wait_for  # noqa: E402

ID = "01LG9R8M5AA1JQB0FLCU00000000AB01"
UUID = "01LG9R8M5AA1JQB0FLCU00000000AB02"


def sip_addr(site):
    host, _, port = site.env["SIP_ADDR"].rpartition(":")
    return host, int(port)


def invite_from_site(site, isl, ud=None, to="6201"):
    """An INVITE as site A's gateway would send it, with our X-Arec-ISLink value; returns
    the final response."""
    u = sipraw.Udp()
    host, port = sip_addr(site)
    hdrs = [("X-Arec-ISLink", isl)]
    if ud is not None:
        hdrs.append(("X-Arec-User-Data", ud))
    try:
        u.send(sipraw.request("INVITE", f"sip:{to}@{host}:{port}", host=host, port=port,
                              local_port=u.port, from_user="6101", to_user=to, headers=hdrs,
                              body=sipraw.SDP), (host, port))
        r = u.final(5)
        assert r is not None, "no final response"
        return r
    finally:
        u.close()


def isl(id_=ID, **kw):
    p = dict(loc=location("a"), connid="00aa000000000001", uuid=UUID, orig=UUID, hop="1")
    p.update(kw)
    return id_ + "".join(f";{k}={v}" for k, v in p.items() if v is not None)


@pytest.mark.parametrize("value, why", [
    ("garbage", "ISLink id"),
    (isl(id_="01lg9r8m5aa1jqb0flcu00000000ab01"), "ISLink id"),   # lowercase: not base32hex
    (isl(id_=ID + "X"), "ISLink id"),
    (isl(connid="xyz"), "connid"),
    (isl(connid="0000000000000000"), "connid"),
    (isl(uuid="short"), "uuid"),
    (isl(hop="0"), "hop"),
    (isl(hop="x1"), "hop"),
    (isl(hop=None), "missing"),
    (isl(loc="bad location"), "location-name"),
    (isl() + ";hop=2", "twice"),
])
def test_malformed_islink_is_400(sites, value, why):
    r = invite_from_site(sites.b, value)
    assert sipraw.status_of(r) == 400, r
    assert why in sipraw.header(r, "Warning"), r
    assert sites.b.alive()


def test_malformed_user_data_is_400(sites):
    r = invite_from_site(sites.b, isl(), ud="%%%not-base64")
    assert sipraw.status_of(r) == 400, r
    assert "X-Arec-User-Data" in sipraw.header(r, "Warning"), r


def test_unknown_site_is_403(sites):
    r = invite_from_site(sites.b, isl(loc="gw-z@site-z"))
    assert sipraw.status_of(r) == 403, r
    assert "gw-z@site-z" in sipraw.header(r, "Warning"), r


def test_hop_limit_is_483(sites):
    r = invite_from_site(sites.b, isl(hop="9"))  # islink-max-hops defaults to 8
    assert sipraw.status_of(r) == 483, r
    assert "islink-max-hops" in sipraw.header(r, "Warning"), r


def test_duplicated_islink_id_is_482_and_the_call_goes_on(sites, phones):
    """An INVITE replaying the ISLink id of a live call: refused; that call is untouched."""
    wb = sites.b.watch("6206")
    try:
        agent_b = phones["b"].phone("6206", "uas_answer.xml")
        wait_event(wb, "6206", "EventDNBackInService")
        customer = phones["a"].call("uac_call_wait_bye.xml", "6206", "6110")
        cd = wait_event(wb, "6206", "EventCallDataChanged")
        est = wait_event(wb, "6206", "EventEstablished")
        (link_id, loc, role), = islinks(cd)
        assert (loc, role) == (location("a"), "target")
        r = invite_from_site(sites.b, isl(id_=link_id), to="6207")
        assert sipraw.status_of(r) == 482, r
        assert "already" in sipraw.header(r, "Warning"), r
        # The live call still answers requests and ends normally.
        q = request(sites.b, {"message": "RequestQueryCall", "ThisDN": "6206",
                              "ConnID": est["ConnID"]})
        assert q["message"] == "EventPartyInfo", q
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6206",
                          "ConnID": est["ConnID"]})
        customer.ok()
        agent_b.ok()
    finally:
        wb.stop()


def test_loop_between_sites_stops_at_the_hop_limit(sites):
    """Numbers 699x route A -> B -> A -> ...: the hop limit ends it with a clear error."""
    before = {r[0] for r in psql(sites.a.env["PGURL"], "SELECT islink_id FROM islinks")}
    add_trunk(sites.a, "loop-to-b", sites.b, "699", location("b"))
    add_trunk(sites.b, "loop-to-a", sites.a, "699", location("a"))
    u = sipraw.Udp()
    host, port = sip_addr(sites.a)
    try:
        u.send(sipraw.request("INVITE", f"sip:6991@{host}:{port}", host=host, port=port,
                              local_port=u.port, from_user="6109", to_user="6991",
                              body=sipraw.SDP), (host, port))
        r = u.final(30)
    finally:
        u.close()
    assert r is not None and sipraw.status_of(r) >= 400, r
    # The site that would have made hop 9 refused to, and said why.
    assert sites.a.wait_log(r"hop 9 over islink-max-hops 8") or \
        sites.b.wait_log(r"hop 9 over islink-max-hops 8"), sites.log()
    # The trace stays consistent: hops 1-8 each left one source and one target row (on
    # alternating sites); the refused ninth left none.
    got = {}

    def eight_links():
        got.clear()
        for link, site, role in psql(sites.a.env["PGURL"],
                                     "SELECT islink_id, site, direction_role FROM islinks"):
            if link not in before:
                got.setdefault(link, []).append((site, role))
        return len(got) >= 8 and all(len(v) == 2 for v in got.values())

    wait_for(eight_links, 20, "8 ISLinks of the loop in the database")
    assert len(got) == 8, got
    for rows in got.values():
        assert sorted(r for _, r in rows) == ["source", "target"], got
        assert {s for s, _ in rows} == {"site-a", "site-b"}, got
    assert sites.alive()


@pytest.mark.parametrize("replaces, status, why", [
    ("nosuchcall@x;to-tag=a;from-tag=b", 481, "no confirmed incoming dialog"),
    ("nosuchcall@x", 481, "no confirmed incoming dialog"),
])
def test_invite_with_replaces_naming_nothing(sites, replaces, status, why):
    """An INVITE with Replaces (the REFER transfer's second step) naming no dialog of the
    site: 481 with a Warning, no call created, the gateway alive."""
    u = sipraw.Udp()
    host, port = sip_addr(sites.b)
    try:
        u.send(sipraw.request("INVITE", f"sip:6201@{host}:{port}", host=host, port=port,
                              local_port=u.port, from_user="6101", to_user="6201",
                              headers=[("Replaces", replaces)], body=sipraw.SDP), (host, port))
        r = u.final(5)
    finally:
        u.close()
    assert r is not None and sipraw.status_of(r) == status, r
    assert why in (sipraw.header(r, "Warning") or ""), r
    assert sites.b.alive()


def test_invite_with_replaces_of_a_dialog_with_the_wrong_tag(sites, phones):
    """Replaces naming a live dialog's Call-ID with another from-tag: 481; the call that
    has the dialog is not touched."""
    wb = sites.b.watch("6208")
    try:
        agent = phones["b"].phone("6208", "uas_answer.xml")
        wait_event(wb, "6208", "EventDNBackInService")
        caller = phones["b"].call("uac_call_wait_bye.xml", "6208", "6209")
        est = wait_event(wb, "6208", "EventEstablished")
        pat = r"INVITE (\S+) from 6209 \(extension\) to 6208"
        wait_for(lambda: re.search(pat, sites.b.log()), 15, "the call in the log")
        cid = re.search(pat, sites.b.log()).group(1)
        u = sipraw.Udp()
        host, port = sip_addr(sites.b)
        try:
            u.send(sipraw.request("INVITE", f"sip:6208@{host}:{port}", host=host, port=port,
                                  local_port=u.port, from_user="6101", to_user="6208",
                                  headers=[("Replaces", cid + ";to-tag=x;from-tag=wrong")],
                                  body=sipraw.SDP), (host, port))
            m = u.final(5)
        finally:
            u.close()
        assert m is not None and sipraw.status_of(m) == 481, m
        assert "from-tag does not match" in (sipraw.header(m, "Warning") or ""), m
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6208",
                          "ConnID": est["ConnID"]})
        caller.ok()
        agent.ok()
        rel = wait_event(wb, "6208", "EventReleased")
        assert rel["ConnID"] == est["ConnID"]
    finally:
        wb.stop()
