#!/bin/bash
# A throwaway Samba 4 Active Directory domain controller on 127.0.0.1
# (realm CORP.TEST, domain CORP), entirely inside DIR. Its ports are fixed
# (88, 135, 389, 445, 464, 636, 53), so there is ONE per machine: `start` is
# idempotent and serialised by a lock (DIR.lock), and a DC that is already
# running from DIR is reused as it is. Needs root (ports below 1024).
#
#   samba-dc.sh start DIR   provision (once), add fixtures, start samba, wait
#                           until the KDC, LDAP and RPC answer, print DIR/env.sh
#   samba-dc.sh stop DIR    stop the DC (its whole process group), keep files
#   samba-dc.sh env DIR     print DIR/env.sh
#   samba-dc.sh status DIR  exit 0 when the DC is running
#
# Environment (optional): SAMBA_DC_MAX_SECONDS (14400: the DC exits by itself
# after that long, so a forgotten DC never lingers).
#
# Fixtures (passwords in DIR/env.sh):
#   alice       user, member of WebUsers and Engineers
#   carol       user, disabled
#   websvc      user holding the SPN HTTP/localhost (a user account: RC4 key
#               only), keytab DIR/http.keytab
#   WEB1$       computer with the SPN HTTP/web1.corp.test and AES256, AES128
#               and RC4 keys, keytab DIR/web1.keytab
#   krbtgt      keytab DIR/krbtgt.keytab (to check PAC KDC checksums in tests)
#   DNS         dc1.corp.test A 127.0.0.1 (+ the SRV records provision makes)
# The facts a test compares against (SIDs from `samba-tool user show` and
# `group show`, members from `group listmembers`) are in DIR/facts.env.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  sed -n '2,27p' "$0" >&2
  exit 2
fi

PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
# Bump when provision() changes: SambaDc.ts names the state directory after
# it, so a new version gets a freshly provisioned domain.
FIXTURES_VERSION=1
REALM=CORP.TEST
DOMAIN=CORP
ADMIN_PASSWORD='Adm1n-Passw0rd!'
ALICE_PASSWORD='Al1ce-Passw0rd!'
CAROL_PASSWORD='Car0l-Passw0rd!'
WEBSVC_PASSWORD='W3bsvc-Passw0rd!'
WEB1_PASSWORD='W3b1-Machine-Passw0rd!'
MAX_SECONDS=${SAMBA_DC_MAX_SECONDS:-14400}

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf="$dir/etc/smb.conf"

tool() { samba-tool "$@" -s "$conf"; }

# samba's own pid file (it makes itself a session leader, so the pid of the
# `timeout` that started it says nothing about it).
samba_pid() {
  local pid
  pid=$(cat "$dir/pid/samba.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = samba ] && echo "$pid"
}

pid_alive() { samba_pid >/dev/null; }

# The KDC answers an AS exchange, LDAP and the endpoint mapper accept.
ready() {
  printf '%s\n' "$ALICE_PASSWORD" | KRB5_CONFIG="$dir/krb5.conf" KRB5CCNAME="FILE:$dir/probe.ccache" \
    timeout 5 kinit "alice@$REALM" >/dev/null 2>&1 || return 1
  KRB5_CONFIG="$dir/krb5.conf" KRB5CCNAME="FILE:$dir/probe.ccache" timeout 5 kvno HTTP/localhost >/dev/null 2>&1 \
    || { rm -f "$dir/probe.ccache"; return 1; }
  rm -f "$dir/probe.ccache"
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/389 && exec 4<>/dev/tcp/127.0.0.1/135' 2>/dev/null
}

write_krb5_conf() {
  cat > "$dir/krb5.conf" <<EOF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    default_ccache_name = FILE:$dir/ccache
    default_keytab_name = FILE:$dir/http.keytab
    # AD gives user accounts RC4 keys (websvc): keep RC4 usable where a
    # newer MIT drops it from its defaults.
    allow_rc4 = true
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 arcfour-hmac
    kdc_timeout = 3s
    max_retries = 2

[realms]
    $REALM = {
        kdc = 127.0.0.1
    }

[domain_realm]
    localhost = $REALM
    .corp.test = $REALM
    corp.test = $REALM
EOF
}

write_env() {
  cat > "$dir/env.sh" <<EOF
export KRB5_CONFIG='$dir/krb5.conf'
export KRB5_KTNAME='FILE:$dir/http.keytab'
export KRB5CCNAME='FILE:$dir/ccache'
export KRB5RCACHEDIR='$dir'
export SAMBA_DC_DIR='$dir'
export SAMBA_DC_SMB_CONF='$conf'
export SAMBA_DC_REALM='$REALM'
export SAMBA_DC_DOMAIN='$DOMAIN'
export SAMBA_DC_ADMIN_PASSWORD='$ADMIN_PASSWORD'
export SAMBA_DC_ALICE_PASSWORD='$ALICE_PASSWORD'
export SAMBA_DC_CAROL_PASSWORD='$CAROL_PASSWORD'
export SAMBA_DC_WEBSVC_PASSWORD='$WEBSVC_PASSWORD'
export SAMBA_DC_WEB1_PASSWORD='$WEB1_PASSWORD'
export SAMBA_DC_HTTP_KEYTAB='$dir/http.keytab'
export SAMBA_DC_WEB1_KEYTAB='$dir/web1.keytab'
export SAMBA_DC_KRBTGT_KEYTAB='$dir/krbtgt.keytab'
EOF
  cat "$dir/facts.env" >> "$dir/env.sh"
}

# msDS-SupportedEncryptionTypes of an account (samba-tool has no command for
# it): 4 = RC4 only, 24 = AES128 + AES256.
set_enctypes() {
  /usr/bin/python3 - "$conf" "$1" "$2" <<'EOF'
import sys, ldb
from samba.samdb import SamDB
from samba.param import LoadParm
from samba.auth import system_session
conf, account, value = sys.argv[1:4]
lp = LoadParm(); lp.load(conf)
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
res = db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                expression="(sAMAccountName=%s)" % ldb.binary_encode(account), attrs=["dn"])
m = ldb.Message(res[0].dn)
m["e"] = ldb.MessageElement(value, ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
db.modify(m)
EOF
}

sid_of() { # the objectSid line of `samba-tool user|group show NAME`
  tool "$1" show "$2" --attributes=objectSid | sed -n 's/^objectSid: //p'
}

provision() {
  rm -rf "$dir/etc" "$dir/private" "$dir/state" "$dir/cache" "$dir/lock" "$dir/pid" "$dir/ncalrpc" "$dir"/*.keytab
  samba-tool domain provision --use-rfc2307 --realm="$REALM" --domain="$DOMAIN" --server-role=dc \
    --dns-backend=SAMBA_INTERNAL --adminpass="$ADMIN_PASSWORD" --host-name=dc1 --host-ip=127.0.0.1 \
    --option="interfaces=lo" --option="bind interfaces only=yes" \
    --option="private dir=$dir/private" --option="lock dir=$dir/lock" \
    --option="state directory=$dir/state" --option="cache directory=$dir/cache" \
    --option="pid directory=$dir/pid" --option="ncalrpc dir=$dir/ncalrpc" \
    --targetdir="$dir" >"$dir/provision.log" 2>&1
  # Two fixes for a loopback DC (see scripts/peers/README.md): dynamic RPC
  # ports outside the kernel's ephemeral range, and no DNS forwarder.
  sed -i -e '/^\s*dns forwarder\s*=/d' \
    -e "s|^\\[global\\]\$|[global]\\n\\trpc server dynamic port range = 20000-20100\\n\\tlog file = $dir/log.%m|" "$conf"
  {
    tool user create alice "$ALICE_PASSWORD" --given-name=Alice --surname=Liddell
    tool group add WebUsers
    tool group add Engineers
    tool group addmembers WebUsers alice
    tool group addmembers Engineers alice
    tool user create carol "$CAROL_PASSWORD"
    tool user disable carol
    tool user create websvc "$WEBSVC_PASSWORD"
    tool user setexpiry websvc --noexpiry
    tool spn add HTTP/localhost websvc
    set_enctypes websvc 4
    tool computer create WEB1
    tool user setpassword 'WEB1$' --newpassword="$WEB1_PASSWORD"
    tool spn add HTTP/web1.corp.test 'WEB1$'
    set_enctypes 'WEB1$' 24
    tool domain exportkeytab "$dir/http.keytab" --principal=HTTP/localhost
    tool domain exportkeytab "$dir/web1.keytab" --principal='WEB1$'
    tool domain exportkeytab "$dir/web1.keytab" --principal=HTTP/web1.corp.test
    tool domain exportkeytab "$dir/krbtgt.keytab" --principal=krbtgt
  } >>"$dir/provision.log" 2>&1
  {
    local alice_sid
    alice_sid=$(sid_of user alice)
    echo "export SAMBA_DC_DOMAIN_SID='${alice_sid%-*}'"
    echo "export SAMBA_DC_ALICE_SID='$alice_sid'"
    echo "export SAMBA_DC_CAROL_SID='$(sid_of user carol)'"
    echo "export SAMBA_DC_WEBUSERS_SID='$(sid_of group WebUsers)'"
    echo "export SAMBA_DC_ENGINEERS_SID='$(sid_of group Engineers)'"
    echo "export SAMBA_DC_DOMAIN_USERS_SID='$(sid_of group 'Domain Users')'"
    echo "export SAMBA_DC_WEBUSERS_MEMBERS='$(tool group listmembers WebUsers | tr '\n' ' ' | sed 's/ $//')'"
    echo "export SAMBA_DC_ENGINEERS_MEMBERS='$(tool group listmembers Engineers | tr '\n' ' ' | sed 's/ $//')'"
  } > "$dir/facts.env"
  touch "$dir/provisioned"
}

start() {
  if pid_alive && [ -f "$dir/env.sh" ] && ready; then
    cat "$dir/env.sh"
    return 0
  fi
  stop_dc
  local t0=$SECONDS
  [ -f "$dir/provisioned" ] || provision
  write_krb5_conf
  # setsid: the DC gets a process group of its own (stop kills the group);
  # timeout: it cannot outlive SAMBA_DC_MAX_SECONDS.
  setsid timeout "$MAX_SECONDS" samba -s "$conf" --foreground --no-process-group \
    </dev/null >>"$dir/samba.log" 2>&1 9>&- &
  echo $! > "$dir/dc.pid"
  local i
  for i in $(seq 1 150); do
    if ready; then
      # With --host-ip=127.0.0.1 the DC's own A record is missing (needs RPC).
      if [ ! -f "$dir/dns-added" ]; then
        tool dns add 127.0.0.1 corp.test dc1 A 127.0.0.1 -U "administrator%$ADMIN_PASSWORD" >>"$dir/provision.log" 2>&1 || true
        touch "$dir/dns-added"
      fi
      write_env
      echo "samba-dc: ready in $((SECONDS - t0)) s" >&2
      cat "$dir/env.sh"
      return 0
    fi
    kill -0 "$(cat "$dir/dc.pid")" 2>/dev/null || break
    sleep 0.2
  done
  echo "samba-dc: the DC did not become ready; see $dir/samba.log $dir/provision.log" >&2
  tail -20 "$dir/samba.log" >&2 2>/dev/null || true
  stop_dc
  return 1
}

# TERM to the samba master ends its children (kdc, ldap, rpc, smbd, winbindd).
stop_dc() {
  local pid
  if pid=$(samba_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ -f "$dir/dc.pid" ]; then
    kill "$(cat "$dir/dc.pid")" 2>/dev/null || true
    rm -f "$dir/dc.pid"
  fi
  rm -f "$dir/pid/samba.pid"
}

with_lock() {
  exec 9>"$dir.lock"
  flock -w 300 9 || { echo "samba-dc: lock $dir.lock busy" >&2; exit 1; }
  "$@"
}

case "$cmd" in
  start) with_lock start ;;
  stop) with_lock stop_dc ;;
  env) cat "$dir/env.sh" ;;
  status) pid_alive ;;
  *) echo "samba-dc: unknown command $cmd" >&2; exit 2 ;;
esac
