#!/bin/sh
# Install the Debian packages that provide the real interop peers
# (gss-ntlmssp, python3-gssapi, python3-ntlm-auth, MIT Kerberos, curl, Apache
# with mod_auth_gssapi, a Samba AD DC, Redis, nginx). Idempotent: exits quickly when everything is present.
# Non-interactive (DEBIAN_FRONTEND=noninteractive); needs root (or sudo).
#
# Usage: scripts/peers/install.sh [--force]
set -eu

PACKAGES="gss-ntlmssp python3-gssapi python3-ntlm-auth python3-requests-ntlm \
krb5-kdc krb5-admin-server krb5-user curl apache2 libapache2-mod-auth-gssapi libkrb5-dev \
samba samba-dsdb-modules winbind redis-server nginx"

here=$(cd "$(dirname "$0")" && pwd)

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  case "$status" in
    ii*) ;;
    *) missing="$missing $p" ;;
  esac
done

if [ -z "$missing" ] && [ "${1:-}" != "--force" ]; then
  echo "peers: all packages present"
else
  [ -n "$missing" ] && echo "peers: installing:$missing"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
      echo "peers: need root (or sudo) to install:$missing" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The krb5 packages ask for a default realm through debconf; pre-seed empty
  # answers so nothing prompts (the test realm uses its own krb5.conf anyway).
  if command -v debconf-set-selections >/dev/null 2>&1; then
    printf '%s\n' \
      "krb5-config krb5-config/default_realm string EFFECT.TEST" \
      "krb5-config krb5-config/add_servers_realm string EFFECT.TEST" \
      "krb5-config krb5-config/add_servers boolean false" \
      "krb5-config krb5-config/read_conf boolean true" \
      | $SUDO debconf-set-selections 2>/dev/null || true
  fi
  $SUDO apt-get update -q
  # policy-rc.d may refuse to start services (containers); that is fine: the
  # tests start their own KDC / Apache on 127.0.0.1 with private config.
  $SUDO apt-get install -y -q -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold $PACKAGES
  # Where the packages started their system services, stop them: a system
  # smbd/nmbd/winbindd/samba would hold the ports the test DC
  # (scripts/peers/samba-dc.sh) needs. The tests start their own instances.
  for svc in samba-ad-dc smbd nmbd winbind; do
    $SUDO service "$svc" stop >/dev/null 2>&1 || true
  done
fi

# Sanity checks (fast).
fail=0
grep -qs '^gssntlmssp' /etc/gss/mech.d/*.conf /etc/gss/mech 2>/dev/null \
  || { echo "peers: gss-ntlmssp mech.d entry missing" >&2; fail=1; }
/usr/bin/python3 -c 'import gssapi, ntlm_auth' 2>/dev/null \
  || { echo "peers: /usr/bin/python3 cannot import gssapi/ntlm_auth" >&2; fail=1; }
for b in kdb5_util kadmin.local krb5kdc kinit klist kvno curl samba samba-tool winbindd redis-server nginx; do
  command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] \
    || { echo "peers: missing binary $b" >&2; fail=1; }
done
/usr/bin/python3 -c 'import samba.samdb, ldb' 2>/dev/null \
  || { echo "peers: /usr/bin/python3 cannot import samba.samdb (samba-dsdb-modules)" >&2; fail=1; }
OPENSSL_CONF="$here/openssl-legacy.cnf" /usr/bin/python3 -c 'import hashlib; hashlib.new("md4")' 2>/dev/null \
  || { echo "peers: OpenSSL legacy provider (MD4) not usable with $here/openssl-legacy.cnf" >&2; fail=1; }
[ "$fail" = 0 ] && echo "peers: ready"
exit "$fail"
