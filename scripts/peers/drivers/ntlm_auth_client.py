#!/usr/bin/python3
"""NTLM initiator using python3-ntlm-auth (ntlm_auth.ntlm.NtlmContext).

Same JSON-lines protocol as gss_peer.py (see README.md). ntlm-auth computes
the NT hash with hashlib's MD4, which OpenSSL 3 only has in its legacy
provider: start this driver with OPENSSL_CONF=scripts/peers/openssl-legacy.cnf
(the driver checks at start-up and fails with a clear error otherwise).

  OPENSSL_CONF=.../openssl-legacy.cnf ntlm_auth_client.py \\
      --user alice --domain EFFECT --password secret

Message protection: {"wrap"} seals (ntlm-auth always seals when SEAL was
negotiated, like gss-ntlmssp, which ignores conf=false), {"unwrap"} unseals and
verifies, {"get_mic"}/{"verify_mic"} use ntlm-auth's SessionSecurity signature
functions (they share sequence numbers and the RC4 state with wrap/unwrap, as
MS-NLMP requires).
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _lineproto import (Fatal, JsonArgumentParser, ProtocolError, b64d, b64e,  # noqa: E402
                        emit, install_watchdog, run, serve)


def parse_args(argv):
    p = JsonArgumentParser(prog="ntlm_auth_client.py", description=__doc__)
    p.add_argument("--user", required=True)
    p.add_argument("--domain", default=None)
    p.add_argument("--password", default=None,
                   help="password (or set GSS_PEER_PASSWORD)")
    p.add_argument("--workstation", default=None)
    p.add_argument("--compat", type=int, default=3,
                   help="ntlm_compatibility (LmCompatibilityLevel) 0-5; "
                        "3-5 = NTLMv2 only (default 3)")
    p.add_argument("--flags", default=None,
                   help="replace the NEGOTIATE flags entirely (hex or int)")
    p.add_argument("--add-flags", default=None,
                   help="comma separated NegotiateFlags names (without the "
                        "NTLMSSP_ prefix, e.g. NEGOTIATE_SIGN) or hex to set")
    p.add_argument("--remove-flags", default=None,
                   help="comma separated NegotiateFlags names or hex to clear")
    p.add_argument("--channel-bindings", default=None, metavar="B64",
                   help="channel bindings application data (base64)")
    p.add_argument("--timeout", type=float, default=300,
                   help="watchdog: exit after this many seconds (0 = never)")
    return p.parse_args(argv)


def main():
    args = parse_args(sys.argv[1:])
    install_watchdog(args.timeout)

    import hashlib
    try:
        hashlib.new("md4", b"")
    except ValueError as e:
        raise Fatal("MD4 unavailable: start with OPENSSL_CONF pointing at "
                    "scripts/peers/openssl-legacy.cnf", "startup") from e

    from ntlm_auth.constants import NegotiateFlags
    from ntlm_auth.gss_channel_bindings import GssChannelBindingsStruct
    from ntlm_auth.ntlm import NtlmContext

    def flag_value(spec):
        total = 0
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            if part.lower().startswith("0x") or part.isdigit():
                total |= int(part, 0)
                continue
            name = part if part.startswith("NTLMSSP_") else "NTLMSSP_" + part
            if not hasattr(NegotiateFlags, name):
                raise ProtocolError("unknown NTLM flag %r" % part)
            total |= getattr(NegotiateFlags, name)
        return total

    password = args.password if args.password is not None \
        else os.environ.get("GSS_PEER_PASSWORD")
    if password is None:
        raise ProtocolError("--password or GSS_PEER_PASSWORD is required")

    cbt = None
    if args.channel_bindings is not None:
        cbt = GssChannelBindingsStruct()
        cbt[cbt.APPLICATION_DATA] = b64d(args.channel_bindings, "--channel-bindings")

    ctx = NtlmContext(args.user, password, domain=args.domain,
                      workstation=args.workstation, cbt_data=cbt,
                      ntlm_compatibility=args.compat)
    if args.flags is not None:
        ctx.negotiate_flags = int(args.flags, 0)
    if args.add_flags:
        ctx.negotiate_flags |= flag_value(args.add_flags)
    if args.remove_flags:
        ctx.negotiate_flags &= ~flag_value(args.remove_flags)

    state = {"final_flags": None}

    def status():
        st = {"established": bool(ctx.complete), "role": "initiate",
              "mech": "1.3.6.1.4.1.311.2.2.10",
              "negotiate_flags": ctx.negotiate_flags}
        if ctx.complete:
            st["initiator_name"] = ("%s\\%s" % (args.domain, args.user)) \
                if args.domain else args.user
            st["final_flags"] = state["final_flags"]
            st["session_key"] = b64e(ctx.session_key) if ctx.session_key else None
            st["session_security"] = ctx._session_security is not None
        return st

    def security():
        if not ctx.complete:
            raise ProtocolError("security context is not established yet")
        sec = ctx._session_security
        if sec is None:
            raise ProtocolError("neither SIGN nor SEAL was negotiated: "
                                "no message protection")
        return sec

    def sealing():
        return bool((state["final_flags"] or 0) & NegotiateFlags.NTLMSSP_NEGOTIATE_SEAL)

    def handler(req):
        if "token" in req:
            if ctx.complete:
                raise ProtocolError("handshake already complete")
            tok = b64d(req["token"], "token") if req["token"] else None
            if ctx._negotiate_message is not None and tok is None:
                raise ProtocolError("expected a CHALLENGE token")
            try:
                out = ctx.step(tok)
            except Exception as e:
                raise Fatal("ntlm-auth step failed", "handshake") from e
            if ctx.complete:
                state["final_flags"] = struct.unpack(
                    "<I", ctx._authenticate_message.negotiate_flags)[0]
            reply = {"token": b64e(out) if out else None, "done": bool(ctx.complete)}
            if ctx.complete:
                reply["status"] = status()
            return reply
        if "status" in req:
            return {"status": status()}
        if "wrap" in req:
            security()
            return {"wrapped": b64e(ctx.wrap(b64d(req["wrap"], "wrap"))),
                    "conf": sealing()}
        if "unwrap" in req:
            security()
            msg = ctx.unwrap(b64d(req["unwrap"], "unwrap"))
            return {"unwrapped": b64e(msg), "conf": sealing(), "qop": 0}
        if "get_mic" in req:
            sec = security()
            return {"mic": b64e(sec._get_signature(b64d(req["get_mic"], "get_mic")))}
        if "verify_mic" in req:
            sec = security()
            if "mic" not in req:
                raise ProtocolError("verify_mic needs a 'mic' field")
            sec._verify_signature(b64d(req["verify_mic"], "verify_mic"),
                                  b64d(req["mic"], "mic"))
            return {"verified": True, "qop": 0}
        raise ProtocolError("unknown request: %s" % ",".join(sorted(req)))

    emit({"ready": True, "driver": "ntlm_auth_client", "role": "initiate",
          "mech": "1.3.6.1.4.1.311.2.2.10", "pid": os.getpid(),
          "negotiate_flags": ctx.negotiate_flags})
    return serve(handler)


if __name__ == "__main__":
    run(main)
