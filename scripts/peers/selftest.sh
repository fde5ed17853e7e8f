#!/bin/bash
# Check the peer drivers against each other (no TypeScript involved):
#   NTLM gss_peer <-> gss_peer, ntlm_auth_client <-> gss_peer,
#   krb5 and SPNEGO gss_peer <-> gss_peer in a throwaway realm.
# Every pair: full handshake, sealed wrap/unwrap and MICs both ways, tamper check.
# Usage: scripts/peers/selftest.sh      (exit 0 when all pass; ~5 s)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
D="$here/drivers"
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/effect-sspi-selftest.XXXXXX)
trap '"$here/krb5-realm.sh" stop "$tmp/realm" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
printf 'EFFECT:alice:Passw0rd!\n' > "$tmp/users"
export NTLM_USER_FILE="$tmp/users"
fail=0
pair() {
  local label=$1; shift
  if out=$(timeout 60 "$PY" "$D/pair.py" --tamper "$@" 2>&1) && echo "$out" | grep -q '"tamper_refused": true'; then
    echo "PASS $label"
  else
    echo "FAIL $label"; echo "$out" | head -40; fail=1
  fi
}
NTLM_INI="$PY $D/gss_peer.py --role initiate --mech ntlm --user alice --domain EFFECT --password Passw0rd!"
pair "ntlm gss_peer <-> gss_peer" --initiator "$NTLM_INI" --acceptor "$PY $D/gss_peer.py --role accept --mech ntlm"
OPENSSL_CONF="$here/openssl-legacy.cnf" pair "ntlm ntlm_auth_client <-> gss_peer" \
  --initiator "$PY $D/ntlm_auth_client.py --user alice --domain EFFECT --password Passw0rd!" \
  --acceptor "$PY $D/gss_peer.py --role accept --mech ntlm"
pair "spnego(ntlm) gss_peer <-> gss_peer" \
  --initiator "$PY $D/gss_peer.py --role initiate --mech spnego --spnego-mechs ntlm --user alice --domain EFFECT --password Passw0rd!" \
  --acceptor "$PY $D/gss_peer.py --role accept --mech spnego"

if "$here/krb5-realm.sh" start "$tmp/realm" > "$tmp/realm.env"; then
  # shellcheck disable=SC1090
  . "$tmp/realm.env"
  printf '%s\n' "$KRB5_TEST_PASSWORD" | timeout 15 kinit "$KRB5_TEST_PRINCIPAL" >/dev/null && echo "PASS kinit" || { echo "FAIL kinit"; fail=1; }
  pair "krb5 gss_peer <-> gss_peer (ccache)" \
    --initiator "$PY $D/gss_peer.py --role initiate --mech krb5 --target $KRB5_TEST_SERVICE" \
    --acceptor "$PY $D/gss_peer.py --role accept --mech krb5"
  KRB5CCNAME="FILE:$tmp/none" pair "krb5 gss_peer <-> gss_peer (password)" \
    --initiator "$PY $D/gss_peer.py --role initiate --mech krb5 --user $KRB5_TEST_USER --password $KRB5_TEST_PASSWORD" \
    --acceptor "$PY $D/gss_peer.py --role accept --mech krb5"
  pair "spnego(krb5) gss_peer <-> gss_peer" \
    --initiator "$PY $D/gss_peer.py --role initiate --mech spnego --spnego-mechs krb5" \
    --acceptor "$PY $D/gss_peer.py --role accept --mech spnego"
else
  echo "FAIL krb5-realm.sh start"; fail=1
fi
exit $fail
