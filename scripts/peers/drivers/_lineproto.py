"""Shared JSON-lines plumbing for the interop peer drivers.

Every request is one JSON object on one stdin line; every request gets exactly
one JSON object on one stdout line in reply (see README.md next to this file).
Only protocol lines are written to stdout; diagnostics go to stderr.
"""

import argparse
import base64
import binascii
import json
import os
import signal
import sys
import traceback


class ProtocolError(Exception):
    """A malformed request; reported to the client, never fatal."""


class Fatal(Exception):
    """An error after which the driver exits with status 1.

    Fatal(message, stage[, extra_reply_fields]), usually raised `from` the
    underlying exception.
    """


class JsonArgumentParser(argparse.ArgumentParser):
    """argparse that reports usage errors as a protocol error line (exit 2)."""

    def error(self, message):
        emit({"error": "usage: %s" % message, "kind": "Usage", "fatal": True,
              "stage": "startup"})
        sys.stderr.write(self.format_usage())
        sys.exit(2)


def b64e(data):
    if data is None:
        return None
    return base64.b64encode(bytes(data)).decode("ascii")


def b64d(text, field):
    if text is None:
        return None
    if not isinstance(text, str):
        raise ProtocolError("field %r must be a base64 string" % field)
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as e:
        raise ProtocolError("field %r is not valid base64: %s" % (field, e))


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def error_reply(exc, fatal, stage):
    """Turn an exception into an {"error": ...} reply object."""
    reply = {"error": str(exc) or exc.__class__.__name__,
             "kind": exc.__class__.__name__, "fatal": fatal, "stage": stage}
    # python-gssapi GSSError carries major/minor status codes.
    maj = getattr(exc, "maj_code", None)
    if maj is not None:
        reply["major"] = maj
        reply["minor"] = getattr(exc, "min_code", None)
        try:
            reply["minor_message"] = exc.get_all_statuses(exc.min_code, False)
        except Exception:
            pass
    if os.environ.get("PEER_DRIVER_TRACEBACK"):
        reply["traceback"] = traceback.format_exc()
    return reply


def fatal_reply(e):
    message = e.args[0] if e.args else "fatal error"
    stage = e.args[1] if len(e.args) > 1 else "handshake"
    cause = e.__cause__
    reply = error_reply(cause if cause is not None else e, True, stage)
    reply["error"] = message if cause is None else "%s: %s" % (message, reply["error"])
    if len(e.args) > 2 and isinstance(e.args[2], dict):
        reply.update(e.args[2])
    return reply


def install_watchdog(seconds):
    """Exit on its own after `seconds` so that an orphaned driver never lingers."""
    if seconds and seconds > 0:
        def on_alarm(_sig, _frm):
            emit({"error": "driver watchdog expired after %ss" % seconds,
                  "kind": "Watchdog", "fatal": True, "stage": "watchdog"})
            os._exit(3)
        signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(int(seconds))
    # A parent that goes away closes our stdout: do not die with a traceback.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def serve(handler):
    """Read requests until EOF or {"close": ...}.

    `handler(request)` returns a reply dict, or raises ProtocolError (reported,
    not fatal), Fatal (reported, exit 1) or any other exception (reported as
    not fatal: e.g. a failed unwrap of a tampered message).
    """
    for raw in sys.stdin:
        line = raw.strip()
        if not line:
            continue
        req_id = None
        try:
            try:
                req = json.loads(line)
            except ValueError as e:
                raise ProtocolError("request is not JSON: %s" % e)
            if not isinstance(req, dict):
                raise ProtocolError("request must be a JSON object")
            req_id = req.get("id")
            if "close" in req:
                reply = {"closed": True}
                if req_id is not None:
                    reply["id"] = req_id
                emit(reply)
                return 0
            reply = handler(req)
        except ProtocolError as e:
            reply = error_reply(e, False, "protocol")
        except Fatal as e:
            reply = fatal_reply(e)
            if req_id is not None:
                reply["id"] = req_id
            emit(reply)
            return 1
        except Exception as e:  # non-fatal, e.g. bad MIC / unwrap failure
            reply = error_reply(e, False, "message")
        if req_id is not None:
            reply["id"] = req_id
        emit(reply)
    return 0


def run(main):
    """Run a driver's main(); any escaped exception becomes an error line."""
    try:
        code = main()
    except SystemExit:
        raise
    except Fatal as e:
        emit(fatal_reply(e))
        sys.stdout.flush()
        os._exit(1)
    except BaseException as e:  # startup failure (credentials, imports, ...)
        emit(error_reply(e, True, "startup"))
        sys.stdout.flush()
        os._exit(1)
    sys.stdout.flush()
    sys.exit(code or 0)
