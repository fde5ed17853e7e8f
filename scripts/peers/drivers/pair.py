#!/usr/bin/python3
"""Drive two peer drivers against each other (manual check of the drivers).

  pair.py --initiator 'CMD ...' --acceptor 'CMD ...' [--no-messages] [--no-mic]
          [--tamper] [--timeout 20]

Runs the handshake token by token, then (unless --no-messages) sealed
wrap/unwrap and get_mic/verify_mic in both directions, optionally checks that a
tampered message is refused, and prints one JSON summary line. Exit 0 on
success, 1 on failure. Both commands are split with shlex and inherit the
environment.
"""

import argparse
import base64
import json
import shlex
import subprocess
import sys
import threading


class Driver:
    def __init__(self, name, cmd, timeout):
        self.name = name
        self.timeout = timeout
        self.proc = subprocess.Popen(shlex.split(cmd), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.log = []

    def read(self):
        box = {}

        def reader():
            box["line"] = self.proc.stdout.readline()

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(self.timeout)
        if t.is_alive():
            raise RuntimeError("%s: no reply within %ss" % (self.name, self.timeout))
        line = box.get("line", "")
        if not line:
            raise RuntimeError("%s: exited (rc=%s) without reply" % (self.name, self.proc.poll()))
        msg = json.loads(line)
        self.log.append(("<", msg))
        return msg

    def call(self, req):
        self.log.append((">", req))
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self):
        try:
            self.call({"close": True})
        except Exception:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def check(reply, who, what):
    if "error" in reply:
        raise RuntimeError("%s %s: %s" % (who, what, json.dumps(reply)))
    return reply


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--initiator", required=True)
    p.add_argument("--acceptor", required=True)
    p.add_argument("--no-messages", action="store_true")
    p.add_argument("--no-mic", action="store_true")
    p.add_argument("--no-wrap", action="store_true")
    p.add_argument("--tamper", action="store_true")
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args()
    ini = Driver("initiator", a.initiator, a.timeout)
    acc = Driver("acceptor", a.acceptor, a.timeout)
    summary = {"ok": False, "legs": 0}
    try:
        check(ini.read(), "initiator", "startup")
        check(acc.read(), "acceptor", "startup")
        token, side, other = None, ini, acc
        done = {ini: False, acc: False}
        for _ in range(12):
            if done[side]:
                if token is not None:
                    raise RuntimeError("%s is done but got another token" % side.name)
                break
            r = check(side.call({"token": token}), side.name, "step")
            token, done[side] = r.get("token"), r["done"]
            if r["done"]:
                summary[side.name + "_status"] = r["status"]
            if token is not None:
                summary["legs"] += 1
            elif not (done[ini] and done[acc]):
                raise RuntimeError("%s sent no token but the handshake is not complete" % side.name)
            side, other = other, side
        if not (done[ini] and done[acc]):
            raise RuntimeError("handshake did not complete")
        if not a.no_messages:
            for src, dst, label in ((ini, acc, "i->a"), (acc, ini, "a->i")):
                msg = ("hello %s" % label).encode()
                if a.no_wrap:
                    w = None
                else:
                    w = check(src.call({"wrap": base64.b64encode(msg).decode(), "conf": True}), label, "wrap")
                if w is not None:
                    u = check(dst.call({"unwrap": w["wrapped"]}), label, "unwrap")
                    assert base64.b64decode(u["unwrapped"]) == msg, "unwrap mismatch"
                    summary["wrap_" + label] = {"conf": w["conf"], "unwrap_conf": u["conf"],
                                                "len": len(base64.b64decode(w["wrapped"]))}
                if not a.no_mic:
                    m = check(src.call({"get_mic": base64.b64encode(msg).decode()}), label, "get_mic")
                    v = check(dst.call({"verify_mic": base64.b64encode(msg).decode(), "mic": m["mic"]}),
                              label, "verify_mic")
                    summary["mic_" + label] = v["verified"]
            if a.tamper:
                msg = b"tamper me"
                w = check(ini.call({"wrap": base64.b64encode(msg).decode(), "conf": True}), "i", "wrap")
                raw = bytearray(base64.b64decode(w["wrapped"]))
                raw[-1] ^= 1
                u = acc.call({"unwrap": base64.b64encode(bytes(raw)).decode()})
                summary["tamper_refused"] = "error" in u
                summary["tamper_reply"] = u
        summary["ok"] = True
    except Exception as e:
        summary["error"] = str(e)
    finally:
        ini.close()
        acc.close()
    if a.verbose:
        summary["log"] = {"initiator": ini.log, "acceptor": acc.log}
    print(json.dumps(summary, indent=1))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
