#!/usr/bin/env bash
# Installs the practice server of a group practice on one Debian/Ubuntu machine of the practice:
# PostgreSQL from Debian's packages, a database and an account for LAP, TLS with a certificate for
# this server's name issued by the practice's own CA, connections from the practice's network only,
# over TLS only, with a password (SCRAM). The LAP account owns its database and nothing else: no
# superuser, no other database, no role creation, and it reaches no other database.
#
#   sudo bash packaging/practice_server.sh SERVER_NAME [NETWORK]
#     SERVER_NAME  the name (or IP address) the workstations use to reach this machine
#     NETWORK      who may connect: an address range such as 192.168.1.0/24 (default: samenet,
#                  the networks this machine is on)
#
# Where it installs (environment; the defaults are those of a Debian system):
#   PG_CLUSTER=main                       the Debian cluster's name
#   LAP_PRACTICE_DIR=/etc/lap-practice    the practice's CA, the server's key, the password
#   PG_CLUSTER_CONF_ROOT=/etc/postgresql  postgresql-common's configuration root (its own variable)
#   LAP_PG_PORT, LAP_PG_DATA_DIR, LAP_PG_SOCKET_DIR, LAP_PG_LOG
#                                         a new cluster's port (default: the next free one from
#                                         5432), data directory, socket directory and log file
#   LAP_PG_LISTEN='*'                     the addresses the server listens on
# As root the server runs as Debian's postgres account. Without root, with a PG_CLUSTER_CONF_ROOT
# of one's own, the whole server belongs to the current user (postgresql-common allows it): the
# tests install it that way in a temporary directory (tests/practice_store/test_practice_server_install.py).
#
# Idempotent: a second run keeps the CA, the certificate's key and the password, and applies a
# new NETWORK. It ends by printing the one command each workstation runs (lap-app
# practice-server …) and the CA file to copy to them. The drug knowledge is not on this server: it stays a local, read-only file on
# each workstation.
set -euo pipefail
NAME=${1:?"usage: $0 SERVER_NAME [NETWORK]"}
NETWORK=${2:-samenet}
CLUSTER=${PG_CLUSTER:-main}
DIR=${LAP_PRACTICE_DIR:-/etc/lap-practice}
LISTEN=${LAP_PG_LISTEN:-*}
DATABASE=lap_cabinet
ROLE=lap

if [ "$(id -u)" -eq 0 ]; then
  OWNER=postgres
  as_owner() { runuser -u "$OWNER" -- "$@"; }
  owned() { install -o "$OWNER" -g "$OWNER" "$@"; }
elif [ -n "${PG_CLUSTER_CONF_ROOT:-}" ]; then
  OWNER=$(id -un)  # a server of one's own, in one's own directories
  as_owner() { "$@"; }
  owned() { install "$@"; }
else
  echo "À lancer en administrateur (sudo)." >&2
  exit 1
fi

for pkg in postgresql openssl; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    [ "$(id -u)" -eq 0 ] || { echo "Le paquet $pkg manque : lancez ce script en administrateur (sudo)." >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql openssl >/dev/null
    break
  fi
done

VERSION=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION $CLUSTER"; then
  CREATE=()
  [ -z "${LAP_PG_PORT:-}" ] || CREATE+=(--port "$LAP_PG_PORT")
  [ -z "${LAP_PG_DATA_DIR:-}" ] || CREATE+=(--datadir "$LAP_PG_DATA_DIR")
  [ -z "${LAP_PG_SOCKET_DIR:-}" ] || CREATE+=(--socketdir "$LAP_PG_SOCKET_DIR")
  [ -z "${LAP_PG_LOG:-}" ] || CREATE+=(--logfile "$LAP_PG_LOG")
  pg_createcluster "${CREATE[@]}" "$VERSION" "$CLUSTER" >/dev/null
fi
CONF=${PG_CLUSTER_CONF_ROOT:-/etc/postgresql}/$VERSION/$CLUSTER
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $3}')

# --- the practice's CA and this server's certificate ------------------------------------------
install -d -m 0700 "$DIR"
if [ ! -f "$DIR/ca.pem" ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/O=Cabinet médical/CN=Autorité du cabinet (LAP)" \
    -keyout "$DIR/ca.key" -out "$DIR/ca.pem" 2>/dev/null
  chmod 0600 "$DIR/ca.key"
fi
if [[ "$NAME" =~ ^[0-9.]+$ || "$NAME" == *:* ]]; then SAN="IP:$NAME"; else SAN="DNS:$NAME"; fi
[ -f "$DIR/server.key" ] || { (umask 077; openssl genrsa -out "$DIR/server.key" 3072 2>/dev/null); }
openssl req -new -key "$DIR/server.key" -subj "/CN=$NAME" -out "$DIR/server.csr"
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$SAN" > "$DIR/server.ext"
openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial -days 825 \
  -extfile "$DIR/server.ext" -out "$DIR/server.pem" 2>/dev/null
owned -m 0600 "$DIR/server.pem" "$CONF/lap-server.pem"
owned -m 0600 "$DIR/server.key" "$CONF/lap-server.key"

# --- the server: TLS only, SCRAM passwords, the practice's network only -----------------------
owned -d "$CONF/conf.d"
cat > "$CONF/conf.d/lap-practice.conf" <<CONF
# Written by LAP's packaging/practice_server.sh
listen_addresses = '$LISTEN'
ssl = on
ssl_cert_file = '$CONF/lap-server.pem'
ssl_key_file = '$CONF/lap-server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
CONF
grep -q "include_dir = 'conf.d'" "$CONF/postgresql.conf" || echo "include_dir = 'conf.d'" >> "$CONF/postgresql.conf"
# Rewritten at every run (the network may have changed), in front of Debian's own rules: the
# previous LAP block goes first, including one written by an older version of this script.
MARK="# LAP practice server"
END="# end of LAP practice server"
{ echo "$MARK: the workstations, over TLS, with a password; the LAP account nowhere else;"
  echo "# nothing without TLS from the network"
  echo "hostssl   $DATABASE  $ROLE  $NETWORK  scram-sha-256"
  echo "host      all          $ROLE  all        reject"
  echo "hostnossl all        all    0.0.0.0/0 reject"
  echo "hostnossl all        all    ::/0      reject"
  echo "$END"
  awk -v mark="$MARK" -v end="$END" '
    index($0, mark) == 1 { block = 1; next }
    block && index($0, end) == 1 { block = 0; next }
    block && ($0 ~ /^host(ssl|nossl)?[ \t]/ || $0 == "# nothing without TLS from the network") { next }
    { block = 0; print }' "$CONF/pg_hba.conf"; } > "$CONF/pg_hba.conf.lap"
owned -m 0640 "$CONF/pg_hba.conf.lap" "$CONF/pg_hba.conf"
rm -f "$CONF/pg_hba.conf.lap"
as_owner pg_ctlcluster "$VERSION" "$CLUSTER" restart 2>/dev/null || as_owner pg_ctlcluster "$VERSION" "$CLUSTER" start

# --- the account and the database ---------------------------------------------------------------
if [ ! -f "$DIR/password" ]; then
  (umask 077; openssl rand -hex 24 > "$DIR/password")
fi
PASSWORD=$(cat "$DIR/password")
# the cluster's own superuser through its local socket (psql --cluster finds the socket and port)
psql_admin() { as_owner psql --cluster "$VERSION/$CLUSTER" -U "$OWNER" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
  psql_admin -c "CREATE ROLE $ROLE LOGIN"
fi
# least privilege, said again at every run; the password through stdin, never on a command line
psql_admin <<SQL
ALTER ROLE $ROLE NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE $ROLE PASSWORD '$PASSWORD';
SQL
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE ENCODING 'UTF8' TEMPLATE template0"
fi
psql_admin -c "REVOKE ALL ON DATABASE $DATABASE FROM PUBLIC"

URL="postgresql://$ROLE:$PASSWORD@$NAME:$PORT/$DATABASE"
cat <<DONE
Serveur du cabinet prêt ($NAME:$PORT, base $DATABASE, TLS obligatoire).
Sur chaque poste : copiez $DIR/ca.pem (par exemple dans ~/lap-cabinet-ca.pem), puis lancez
  lap-app practice-server '$URL' --ca ~/lap-cabinet-ca.pem
DONE
