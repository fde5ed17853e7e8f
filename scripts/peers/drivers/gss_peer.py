#!/usr/bin/python3
"""Generic GSSAPI initiator or acceptor (python3-gssapi) speaking JSON lines.

Run with Debian's /usr/bin/python3. See README.md in this folder for the
protocol. Examples:

  # NTLM acceptor (gss-ntlmssp); users come from NTLM_USER_FILE
  NTLM_USER_FILE=users.txt gss_peer.py --role accept --mech ntlm
  # NTLM initiator with a password
  gss_peer.py --role initiate --mech ntlm --target HTTP@localhost \\
      --user alice --domain EFFECT --password secret
  # Kerberos initiator from the ccache in KRB5CCNAME / acceptor from KRB5_KTNAME
  gss_peer.py --role initiate --mech krb5 --target HTTP@localhost
  gss_peer.py --role accept --mech krb5
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _lineproto import (Fatal, JsonArgumentParser, ProtocolError, b64d, b64e,  # noqa: E402
                        emit, install_watchdog, run, serve)

MECHS = {
    "ntlm": "1.3.6.1.4.1.311.2.2.10",
    "krb5": "1.2.840.113554.1.2.2",
    "spnego": "1.3.6.1.5.5.2",
}
# GSS_C_INQ_SSPI_SESSION_KEY (MIT krb5; gss-ntlmssp answers it too)
SESSION_KEY_OID = "1.2.840.113554.1.2.2.5.5"

FLAG_ALIASES = {
    "delegate": "delegate_to_peer",
    "mutual": "mutual_authentication",
    "replay": "replay_detection",
    "sequence": "out_of_sequence_detection",
    "conf": "confidentiality",
    "integ": "integrity",
    "anon": "anonymity",
    "dce": "dce_style",
    "identify": "identify",
    "extended_error": "extended_error",
}
DEFAULT_FLAGS = "mutual,replay,sequence,conf,integ"


def parse_args(argv):
    p = JsonArgumentParser(prog="gss_peer.py", description=__doc__)
    p.add_argument("--role", choices=["initiate", "accept"], required=True)
    p.add_argument("--mech", default="ntlm",
                   help="ntlm | krb5 | spnego | a dotted OID")
    p.add_argument("--target", default="HTTP@localhost",
                   help="initiator: host-based service name of the acceptor")
    p.add_argument("--acceptor-name", default=None,
                   help="acceptor: host-based service name to accept as "
                        "(default: any key in the keytab / any NTLM user)")
    p.add_argument("--user", default=None,
                   help="initiator: user name; with --password the credential "
                        "is acquired with gss_acquire_cred_with_password "
                        "(NTLM name becomes DOMAIN\\user; krb5 user@REALM)")
    p.add_argument("--domain", default=None, help="NTLM domain / krb5 realm")
    p.add_argument("--password", default=None,
                   help="initiator password (or set GSS_PEER_PASSWORD)")
    p.add_argument("--flags", default=DEFAULT_FLAGS,
                   help="initiator request flags, comma separated: %s; or "
                        "'none'; or an integer (default %s)"
                        % (",".join(sorted(FLAG_ALIASES)), DEFAULT_FLAGS))
    p.add_argument("--spnego-mechs", default=None,
                   help="with --mech spnego: restrict the offered/accepted "
                        "mechanisms, e.g. 'ntlm' or 'krb5,ntlm'")
    p.add_argument("--channel-bindings", default=None, metavar="B64",
                   help="application data of the channel bindings (base64)")
    p.add_argument("--channel-bindings-text", default=None, metavar="TEXT",
                   help="application data as text, e.g. "
                        "'tls-server-end-point:<raw hash bytes as latin-1>'")
    p.add_argument("--lifetime", type=int, default=None,
                   help="initiator: requested context lifetime in seconds")
    p.add_argument("--timeout", type=float, default=300,
                   help="watchdog: exit after this many seconds (0 = never)")
    return p.parse_args(argv)


def main():
    args = parse_args(sys.argv[1:])
    install_watchdog(args.timeout)

    import gssapi
    import gssapi.raw as graw

    def oid(text):
        return gssapi.OID.from_int_seq(MECHS.get(text, text))

    mech = oid(args.mech)
    password = args.password if args.password is not None \
        else os.environ.get("GSS_PEER_PASSWORD")

    # ---- flags ----------------------------------------------------------
    if args.flags.strip().lower() in ("", "none"):
        flags = 0
    elif args.flags.strip().isdigit():
        flags = int(args.flags)
    else:
        flags = 0
        for f in args.flags.split(","):
            f = f.strip()
            if not f:
                continue
            name = FLAG_ALIASES.get(f, f)
            try:
                flags |= int(getattr(gssapi.RequirementFlag, name))
            except AttributeError:
                raise ProtocolError("unknown flag %r" % f)

    # ---- channel bindings -----------------------------------------------
    cb = None
    if args.channel_bindings is not None or args.channel_bindings_text is not None:
        app = b64d(args.channel_bindings, "--channel-bindings") \
            if args.channel_bindings is not None \
            else args.channel_bindings_text.encode("latin-1")
        cb = graw.ChannelBindings(application_data=app)

    # ---- credentials ----------------------------------------------------
    creds = None
    cred_mechs = [mech]
    if args.role == "initiate":
        if args.user is not None and password is not None:
            if mech == oid("krb5") or (args.spnego_mechs or "").startswith("krb5"):
                uname = args.user if (args.domain is None or "@" in args.user) \
                    else "%s@%s" % (args.user, args.domain)
            else:
                uname = args.user if (args.domain is None or "\\" in args.user) \
                    else "%s\\%s" % (args.domain, args.user)
            name = gssapi.Name(uname, gssapi.NameType.user)
            # For SPNEGO the credential is acquired for SPNEGO itself (which
            # acquires for its inner mechanisms); set_neg_mechs below then
            # restricts them (it refuses credentials of an inner mechanism).
            try:
                res = graw.acquire_cred_with_password(
                    name, password.encode("utf-8"), usage="initiate", mechs=cred_mechs)
            except gssapi.exceptions.GSSError as e:
                raise Fatal("acquire_cred_with_password failed", "startup") from e
            creds = gssapi.Credentials(base=res.creds)
        else:
            try:
                creds = gssapi.Credentials(usage="initiate", mechs=cred_mechs)
            except gssapi.exceptions.GSSError as e:
                raise Fatal("acquiring initiator credentials failed", "startup") from e
    else:
        aname = None
        if args.acceptor_name:
            aname = gssapi.Name(args.acceptor_name, gssapi.NameType.hostbased_service)
        try:
            creds = gssapi.Credentials(name=aname, usage="accept", mechs=cred_mechs)
        except gssapi.exceptions.GSSError as e:
            raise Fatal("acquiring acceptor credentials failed", "startup") from e

    if mech == oid("spnego") and args.spnego_mechs:
        neg = [oid(m.strip()) for m in args.spnego_mechs.split(",") if m.strip()]
        try:
            graw.set_neg_mechs(creds, neg)
        except gssapi.exceptions.GSSError as e:
            raise Fatal("set_neg_mechs failed", "startup") from e

    # ---- context --------------------------------------------------------
    if args.role == "initiate":
        kw = dict(name=gssapi.Name(args.target, gssapi.NameType.hostbased_service),
                  creds=creds, usage="initiate", mech=mech, flags=flags,
                  channel_bindings=cb)
        if args.lifetime is not None:
            kw["lifetime"] = args.lifetime
        ctx = gssapi.SecurityContext(**kw)
    else:
        ctx = gssapi.SecurityContext(creds=creds, usage="accept", channel_bindings=cb)

    def display(name):
        # gss-ntlmssp's display names end with a NUL byte: strip it.
        return str(name).rstrip("\x00")

    def status():
        st = {"established": bool(ctx.complete), "role": args.role}
        if not ctx.complete:
            return st
        try:
            ctx_mech = ctx.mech.dotted_form
        except Exception:
            ctx_mech = None
        # gss-ntlmssp 1.2 acceptors segfault (NULL name) when asked for the
        # target name: never ask an NTLM acceptor for it.
        skip_target = args.role == "accept" and ctx_mech == MECHS["ntlm"]
        for key, getter in (
                ("mech", lambda: ctx_mech),
                ("initiator_name", lambda: display(ctx.initiator_name)),
                ("target_name", lambda: None if skip_target else display(ctx.target_name)),
                ("lifetime", lambda: ctx.lifetime),
                ("locally_initiated", lambda: bool(ctx.locally_initiated))):
            try:
                st[key] = getter()
            except Exception as e:  # not every mechanism answers everything
                st[key] = None
                st.setdefault("status_errors", {})[key] = str(e)
        fl = int(ctx.actual_flags)
        st["flags"] = fl
        st["flag_names"] = [f.name for f in gssapi.RequirementFlag if fl & int(f)]
        try:
            keys = graw.inquire_sec_context_by_oid(
                ctx, gssapi.OID.from_int_seq(SESSION_KEY_OID))
            if keys:
                st["session_key"] = b64e(keys[0])
        except Exception as e:
            st.setdefault("status_errors", {})["session_key"] = str(e)
        if args.role == "accept":
            st["delegated"] = ctx.delegated_creds is not None
            if ctx.delegated_creds is not None:
                try:
                    st["delegated_name"] = str(ctx.delegated_creds.name)
                except Exception as e:
                    st.setdefault("status_errors", {})["delegated_name"] = str(e)
        return st

    def need_established():
        if not ctx.complete:
            raise ProtocolError("security context is not established yet")

    def handler(req):
        if "token" in req:
            if ctx.complete:
                raise ProtocolError("handshake already complete")
            tok = b64d(req["token"], "token") if req["token"] else None
            if args.role == "accept" and tok is None:
                raise ProtocolError("acceptor needs an input token")
            try:
                out = ctx.step(tok)
            except Exception as e:
                raise Fatal("%s step failed" % args.role, "handshake") from e
            # python-gssapi returns the error token of a failed step (e.g. a
            # KRB-ERROR) and keeps the error for the next call: report both.
            err = getattr(ctx, "_last_err", None)
            if err is not None:
                ctx._last_err = None
                extra = {"token": b64e(out)} if out else {}
                raise Fatal("%s step failed" % args.role, "handshake", extra) from err
            reply = {"token": b64e(out) if out else None, "done": bool(ctx.complete)}
            if ctx.complete:
                reply["status"] = status()
            return reply
        if "status" in req:
            return {"status": status()}
        if "wrap" in req:
            need_established()
            conf = bool(req.get("conf", True))
            res = ctx.wrap(b64d(req["wrap"], "wrap"), conf)
            return {"wrapped": b64e(res.message), "conf": bool(res.encrypted)}
        if "unwrap" in req:
            need_established()
            res = ctx.unwrap(b64d(req["unwrap"], "unwrap"))
            return {"unwrapped": b64e(res.message), "conf": bool(res.encrypted),
                    "qop": int(res.qop) if res.qop is not None else 0}
        if "get_mic" in req:
            need_established()
            return {"mic": b64e(ctx.get_signature(b64d(req["get_mic"], "get_mic")))}
        if "verify_mic" in req:
            need_established()
            if "mic" not in req:
                raise ProtocolError("verify_mic needs a 'mic' field")
            qop = ctx.verify_signature(b64d(req["verify_mic"], "verify_mic"),
                                       b64d(req["mic"], "mic"))
            return {"verified": True, "qop": int(qop) if qop is not None else 0}
        raise ProtocolError("unknown request: %s" % ",".join(sorted(req)))

    emit({"ready": True, "driver": "gss_peer", "role": args.role,
          "mech": mech.dotted_form, "pid": os.getpid()})
    return serve(handler)


if __name__ == "__main__":
    run(main)
