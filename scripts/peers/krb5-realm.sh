#!/bin/bash
# Throwaway MIT Kerberos realm on 127.0.0.1, entirely inside DIR (no root
# files, no system krb5.conf).
#
#   krb5-realm.sh start DIR [PORT]   create realm + keytab, start krb5kdc,
#                                    wait until a kinit works, write DIR/env.sh
#   krb5-realm.sh stop DIR           kill the KDC (pid file), keep the files
#   krb5-realm.sh env DIR            print DIR/env.sh (eval "$(... env DIR)")
#   krb5-realm.sh status DIR         exit 0 when the KDC is running
#
# Environment (optional): REALM (EFFECT.TEST), KRB5_TEST_USER (alice),
# KRB5_TEST_PASSWORD (alice-Passw0rd), KDC_MAX_SECONDS (3600: the KDC exits
# by itself after that long, so a forgotten realm never lingers),
# KDC_MAX_DGRAM_REPLY_SIZE (unset: MIT's default 4096; the KDC answers a UDP
# request whose reply is longer with KRB_ERR_RESPONSE_TOO_BIG). The KDC
# listens on UDP and TCP, both on 127.0.0.1:PORT.
#
# Principals: $KRB5_TEST_USER (password), shortlived (same password, ticket
# max life 1 minute, for expiry tests), preauth (same password, requires
# pre-authentication: the KDC answers KDC_ERR_PREAUTH_REQUIRED first),
# HTTP/localhost and host/localhost (random keys, both in DIR/http.keytab).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  sed -n '2,21p' "$0" >&2
  exit 2
fi

PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
REALM=${REALM:-EFFECT.TEST}
USER_NAME=${KRB5_TEST_USER:-alice}
USER_PASSWORD=${KRB5_TEST_PASSWORD:-alice-Passw0rd}
MAX_SECONDS=${KDC_MAX_SECONDS:-3600}

pid_alive() {
  [ -f "$dir/kdc.pid" ] && kill -0 "$(cat "$dir/kdc.pid")" 2>/dev/null
}

free_port() {
  # A port that is free for both TCP and UDP on 127.0.0.1.
  /usr/bin/python3 - <<'EOF'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close(); continue
    u.close(); t.close()
    print(port)
    break
else:
    raise SystemExit("no free port")
EOF
}

write_config() {
  local port=$1
  cat > "$dir/krb5.conf" <<EOF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    forwardable = true
    ticket_lifetime = 10h
    default_ccache_name = FILE:$dir/ccache
    default_keytab_name = FILE:$dir/http.keytab
    kdc_timeout = 3s
    max_retries = 2

[realms]
    $REALM = {
        kdc = 127.0.0.1:$port
    }

[domain_realm]
    localhost = $REALM
    .localhost = $REALM
    127.0.0.1 = $REALM
EOF
  local dgram=""
  if [ -n "${KDC_MAX_DGRAM_REPLY_SIZE:-}" ]; then
    dgram="    kdc_max_dgram_reply_size = $KDC_MAX_DGRAM_REPLY_SIZE"
  fi
  cat > "$dir/kdc.conf" <<EOF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port
$dgram

[realms]
    $REALM = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
        max_life = 10h
        max_renewable_life = 1d
    }

[logging]
    kdc = FILE:$dir/kdc.log
    default = FILE:$dir/kdc.log
EOF
  : > "$dir/kadm5.acl"
}

write_env() {
  local port=$1
  cat > "$dir/env.sh" <<EOF
export KRB5_CONFIG='$dir/krb5.conf'
export KRB5_KDC_PROFILE='$dir/kdc.conf'
export KRB5_KTNAME='FILE:$dir/http.keytab'
export KRB5CCNAME='FILE:$dir/ccache'
export KRB5RCACHEDIR='$dir'
export KRB5_TEST_REALM='$REALM'
export KRB5_TEST_KDC_PORT='$port'
export KRB5_TEST_USER='$USER_NAME'
export KRB5_TEST_PRINCIPAL='$USER_NAME@$REALM'
export KRB5_TEST_PASSWORD='$USER_PASSWORD'
export KRB5_TEST_SHORT_PRINCIPAL='shortlived@$REALM'
export KRB5_TEST_PREAUTH_PRINCIPAL='preauth@$REALM'
export KRB5_TEST_SERVICE='HTTP@localhost'
export KRB5_TEST_SERVICE_PRINCIPAL='HTTP/localhost@$REALM'
export KRB5_TEST_DIR='$dir'
EOF
}

start() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if pid_alive; then
    echo "krb5-realm: already running (pid $(cat "$dir/kdc.pid"))" >&2
    cat "$dir/env.sh"
    return 0
  fi
  local port=${1:-}
  [ -n "$port" ] || port=$(free_port)

  export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"
  if [ ! -f "$dir/principal" ] || [ ! -f "$dir/stash" ]; then
    rm -f "$dir"/principal* "$dir/stash" "$dir/http.keytab"
    write_config "$port"
    kdb5_util create -s -r "$REALM" -P "master-$RANDOM$RANDOM" >"$dir/setup.log" 2>&1
    {
      kadmin.local -r "$REALM" -q "addprinc -pw $USER_PASSWORD $USER_NAME"
      kadmin.local -r "$REALM" -q "addprinc -pw $USER_PASSWORD -maxlife \"1 minute\" shortlived"
      kadmin.local -r "$REALM" -q "addprinc -pw $USER_PASSWORD +requires_preauth preauth"
      kadmin.local -r "$REALM" -q "addprinc -randkey HTTP/localhost"
      kadmin.local -r "$REALM" -q "addprinc -randkey host/localhost"
      kadmin.local -r "$REALM" -q "ktadd -k $dir/http.keytab HTTP/localhost host/localhost"
    } >>"$dir/setup.log" 2>&1
  else
    write_config "$port"   # re-use the database; the port may change
  fi
  write_env "$port"

  # -n: stay in the foreground (under `timeout`, so it cannot outlive
  # KDC_MAX_SECONDS); setsid: detach from the caller's terminal/process group.
  setsid timeout "$MAX_SECONDS" krb5kdc -n -r "$REALM" -P "$dir/kdc.pid" \
    </dev/null >>"$dir/kdc.out" 2>&1 &

  # Wait until a real AS exchange works (at most ~10 s).
  local i
  for i in $(seq 1 50); do
    if [ -f "$dir/kdc.pid" ] && \
       printf '%s\n' "$USER_PASSWORD" | KRB5CCNAME="FILE:$dir/probe.ccache" \
         timeout 5 kinit "$USER_NAME@$REALM" >/dev/null 2>&1; then
      rm -f "$dir/probe.ccache"
      cat "$dir/env.sh"
      return 0
    fi
    sleep 0.2
  done
  echo "krb5-realm: KDC did not answer on 127.0.0.1:$port; see $dir/kdc.log $dir/kdc.out" >&2
  tail -5 "$dir/kdc.out" "$dir/kdc.log" >&2 2>/dev/null || true
  stop
  return 1
}

stop() {
  if [ -f "$dir/kdc.pid" ]; then
    local pid
    pid=$(cat "$dir/kdc.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/kdc.pid"
  fi
}

case "$cmd" in
  start) start "${3:-}" ;;
  stop) stop ;;
  env) cat "$dir/env.sh" ;;
  status) pid_alive ;;
  *) echo "unknown command: $cmd (start|stop|env|status)" >&2; exit 2 ;;
esac
