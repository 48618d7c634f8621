#!/usr/bin/env bash
#
# A real application through the gateway: Debian's WordPress package as a managed tenant, its
# installer, a login, pretty permalinks, a post written and read back; then the same pages through
# nginx + php-fpm, compared response by response.
#
#   bench/wordpress.sh              # as root on Debian 12; installs what is missing (apt-get)
#   KEEP_TMP=1 bench/wordpress.sh   # keep the temp dir (site copy, configs, logs, every response)
#   NETWORK=none bench/wordpress.sh # the tenant's pool without network (isolation.network: none),
#                                   # MariaDB through its socket bound in (DB_HOST localhost)
#
# Site: the files of the `wordpress` package (+ `wordpress-theme-twentytwentythree`), copied from
#   /usr/share/wordpress into the temp dir with symlinks resolved, and a wp-config.php of its own
#   there (the package's is replaced). Why a copy: the package's layout reads its configuration
#   from /etc/wordpress/config-<host>.php and its wp-content from /var/lib/wordpress, and several
#   files are symlinks into /usr/share/php and /usr/share/javascript; the gateway's pools run with
#   open_basedir = docroot + the pool's tmp dir, and the gateway refuses (404) any file whose real
#   path leaves the docroot. Nothing is written outside the temp dir but the database (and the user
#   tg-wpbench, which the gateway creates for the tenant and keeps, as in the other benches).
#   wp-config.php: a fresh database and user (random names, dropped at the end) on the local
#   MariaDB over TCP, WP_HOME = WP_SITEURL = http://wp.test, external HTTP blocked
#   (WP_HTTP_BLOCK_EXTERNAL: no update checks), WP-Cron off (no loopback requests).
#
# One host name for both sides: every request goes to http://wp.test/... with curl
#   `--connect-to wp.test:80:127.0.0.1:<port>`, the gateway's port or nginx's. Both see the same
#   Host header (no port), so WordPress builds the same absolute URLs and Location headers on both
#   and the bodies can be compared byte for byte. (With a port in the URL the two would not see the
#   same host: Debian's fastcgi_params passes `HTTP_HOST $host`, without the port; the gateway passes
#   the Host header as sent. Port 80 in the URLs avoids that without changing either configuration.)
#
# Gateway: bin/gateway with its own ports and run dir, tenant `wpbench` (domains [wp.test], the site
#   copy as docroot, front-controller routing, no `backend`: the gateway starts the pool as user
#   tg-wpbench).
# nginx: Debian's nginx 1.22 with the configuration that the gateway's front-controller mode copies
#   (`try_files $uri $uri/ /index.php?$args;`, `location ~ [^/]\.php(/|$)` with `fastcgi_split_path_info`
#   and `try_files $fastcgi_script_name =404`, Debian's
#   fastcgi_params), in front of a php-fpm master of its own that runs a copy of the pool config the
#   gateway rendered for the tenant (same user, open_basedir, ini; own socket, pid and logs), as
#   bench/cold-start.sh does. Same database, so same content.
#
# Through the gateway (one cookie jar): / before the install redirects to the installer; the
#   installer form; install.php?step=2; wp-login.php (test cookie, then log/pwd) → 302 to wp-admin,
#   auth cookies set, wp-admin 200; options-permalink.php (nonce scraped) set to /%postname%/ (checked
#   in the database); a post created with the REST API (POST /wp-json/wp/v2/posts, cookie auth and
#   the X-WP-Nonce from admin-ajax.php?action=rest-nonce) → 201; the post at /<slug>/ → 200 with its
#   title and content; /?p=<id> → 301 to /<slug>/; a missing page → WordPress's 404.
# Gateway vs nginx, the same request to each, without cookies: / (before the install and after),
#   /<slug>/, /?p=<id>, /wp-login.php, a failed login (POST), /wp-admin/ (redirect to the login), a
#   404 page, /wp-json/wp/v2/posts/<id>, /feed/; with the admin's cookies: /wp-admin/edit.php (same
#   session, so same nonces); a static file. Compared: status, all headers but the ones
#   NginxParityTest leaves out too (Date, Server, Connection, Keep-Alive, Transfer-Encoding,
#   Content-Length, the gateway's X-Request-Id), and the body byte for byte after one
#   normalisation: the clock (the two requests of a pair may straddle a second: Unix times within an
#   hour of now, e.g. wp-admin's wp-settings-time cookie and userSettings.time, and Set-Cookie
#   expires= dates).
#   For the static file, as NginxParityTest: status, Content-Type (less README's known
#   ";charset=UTF-8"), Last-Modified, body. See bench/wordpress/compare.py.
# Informational (printed, not in the verdict): headers left out above that differ (Date present or
#   not; the static file's ETag, Cache-Control); and the structure the permalink page offers for
#   "Post name" on each side: WordPress offers /index.php/%postname%/ when it does not take the web
#   server for one that rewrites URLs ($is_nginx: SERVER_SOFTWARE contains "nginx"). The flow above
#   types /%postname%/ as a custom structure, which WordPress stores as typed on either side.
#
# Exit status: 0 PASS, 2 FAIL, 1 the setup failed. Every process started here is stopped on exit
# (also on failure and Ctrl-C); the database, its user and the temp dir are removed.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STOP_GROUP_TENTHS=150
BENCH_TAG="wordpress"
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
KEEP_TMP="${KEEP_TMP:-0}"
NETWORK="${NETWORK:-host}"
DB_SOCKET=/run/mysqld/mysqld.sock
TENANT=wpbench
SITE=wp.test
WP_SRC=/usr/share/wordpress
NGINX=/usr/sbin/nginx
DB_HOST=127.0.0.1
DB_PORT=3306
ADMIN_USER=admin
ADMIN_PASSWORD="bench-$(date +%s)-pw"
ADMIN_EMAIL="admin@wp.test"
POST_TITLE="Gateway parity post"
POST_SLUG="gateway-parity-post"
POST_TEXT="Served by php-fpm behind the tenant gateway."

TMP=""
PGIDS=()
DB_NAME=""
DB_CREATED=0
MYSQL_ADMIN=()
declare -a STEP_NAMES=() STEP_RESULTS=() STEP_MS=() STEP_NOTES=()
FAILED=0


# ---------------------------------------------------------------- process management, cleanup

# pids of the processes whose command line names a path under the temp dir (php-fpm masters and
# workers of the gateway's pool and of nginx's copy)
tmp_pids() {
  [[ -n "$TMP" ]] || return 0
  pgrep -f -- "$TMP/" 2>/dev/null | grep -vx "$$" || true
}

drop_database() {
  (( DB_CREATED )) || return 0
  "${MYSQL_ADMIN[@]}" -e "DROP DATABASE IF EXISTS \`$DB_NAME\`;
    DROP USER IF EXISTS '$DB_NAME'@'127.0.0.1'; DROP USER IF EXISTS '$DB_NAME'@'localhost';" \
    || log "could not drop database/user $DB_NAME"
  DB_CREATED=0
}

stop_leftovers() {
  stop_pids_of tmp_pids 1
  drop_database
}
install_cleanup "stop_leftovers" "site copy, configs, logs, responses"

# ---------------------------------------------------------------- prerequisites

ensure_tools() {
  local missing=()
  # nginx first, in the same apt-get run: it provides httpd, so wordpress's "apache2 | httpd"
  # dependency does not pull in an Apache server
  [[ -x "$NGINX" ]] || missing+=(nginx)
  [[ -f "$WP_SRC/wp-settings.php" ]] || missing+=(wordpress)
  [[ -d "$WP_SRC/wp-content/themes/twentytwentythree" ]] || missing+=(wordpress-theme-twentytwentythree)
  [[ -n "$(find_php_fpm)" ]] || missing+=(php-fpm)
  php_module_loaded mysqli || missing+=(php-mysql)
  mapfile -t -O "${#missing[@]}" missing < <(missing_commands curl=curl python3=python3 setpriv=util-linux pgrep=procps mysql=mariadb-client bwrap=bubblewrap s6-ipcserver-socketbinder=s6 /usr/lib/execline/bin/fdmove=execline)
  if [[ ! -d "$REPO_ROOT/gateway/target/lib" ]]; then
    command -v mvn >/dev/null 2>&1 || missing+=(maven)
    command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
  fi
  install_missing "${missing[@]+"${missing[@]}"}"
  php_module_loaded mysqli || die "php-fpm has no mysqli module after installing php-mysql"
}

# true when php-fpm loads module $1
php_module_loaded() {
  local fpm modules
  fpm="$(find_php_fpm)"
  [[ -n "$fpm" ]] || return 1
  modules="$("$fpm" -m 2>/dev/null)" || return 1
  grep -qix -- "$1" <<<"$modules"
}

# MariaDB admin access: root over TCP without a password (as the tests use it), else root over the
# local socket (Debian's unix_socket authentication); installs mariadb-server when neither works.
ensure_database_server() {
  local tries
  for tries in 1 2; do
    if mysql --protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u root -e 'SELECT 1' >/dev/null 2>&1; then
      MYSQL_ADMIN=(mysql --protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u root)
      return 0
    fi
    if mysql -u root -e 'SELECT 1' >/dev/null 2>&1; then
      MYSQL_ADMIN=(mysql -u root)
      return 0
    fi
    (( tries == 1 )) || break
    if ! command -v mariadbd >/dev/null 2>&1 && [[ ! -x /usr/sbin/mariadbd ]]; then
      install_missing mariadb-server
    fi
    service mariadb start >/dev/null 2>&1 || true
  done
  die "no MariaDB admin access (tried root@$DB_HOST:$DB_PORT over TCP and root over the local socket)"
}

# ---------------------------------------------------------------- site

create_database() {
  DB_NAME="wpbench_$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
  DB_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  DB_CREATED=1
  "${MYSQL_ADMIN[@]}" -e "CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER '$DB_NAME'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
    CREATE USER '$DB_NAME'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
    GRANT ALL ON \`$DB_NAME\`.* TO '$DB_NAME'@'127.0.0.1';
    GRANT ALL ON \`$DB_NAME\`.* TO '$DB_NAME'@'localhost';" || die "could not create database $DB_NAME"
  log "database $DB_NAME (user $DB_NAME) on $DB_HOST:$DB_PORT"
}

# one query in the site's database as the site's user; prints the value(s)
wp_sql() {
  MYSQL_PWD="$DB_PASSWORD" mysql --protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u "$DB_NAME" -N -B "$DB_NAME" -e "$1"
}

create_site() {
  DOCROOT="$TMP/site"
  # -L: the package's symlinks (getid3, underscore, cropper, CA bundle) become files in the copy
  cp -rL "$WP_SRC" "$DOCROOT"
  rm -f "$DOCROOT/.htaccess" "$DOCROOT/wp-config.php"
  local keys name
  keys=""
  for name in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
    keys+="define('$name', '$(python3 -c 'import secrets; print(secrets.token_hex(32))')');"$'\n'
  done
  [[ "$NETWORK" == host || "$NETWORK" == none ]] || die "NETWORK must be host or none, not '$NETWORK'"
  cat >"$DOCROOT/wp-config.php" <<EOF
<?php
// Written by bench/wordpress.sh for one run (the package's own wp-config.php reads /etc/wordpress,
// outside this tenant's open_basedir).
define('DB_NAME', '$DB_NAME');
define('DB_USER', '$DB_NAME');
define('DB_PASSWORD', '$DB_PASSWORD');
define('DB_HOST', '$(wp_db_host)');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$keys
\$table_prefix = 'wp_';
define('WP_HOME', 'http://$SITE');
define('WP_SITEURL', 'http://$SITE');
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_DEBUG', false);
if (!defined('ABSPATH')) {
  define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
EOF
  # readable by the pool's user (tg-$TENANT) and by nginx's workers; writable by no one but root
  chmod -R u=rwX,go=rX "$DOCROOT"
  log "site: copy of $WP_SRC in $DOCROOT ($(du -sh "$DOCROOT" | cut -f1))"
}

# ---------------------------------------------------------------- gateway

start_gateway() {
  mkdir -p "$TMP/run"
  cat >"$TMP/tenants.yaml" <<EOF
tenants:
  - id: $TENANT
    domains: ["$SITE"]
    docroot: "$DOCROOT"
    routing: { mode: front-controller, index: index.php }
    php: { max_children: 4, idle_timeout_s: 600, request_timeout_s: 60 }
    isolation: { network: $NETWORK, unix_sockets: ["$DB_SOCKET"] }
EOF
  start_gateway_bg "$PORT_GW" "$PORT_ADMIN"
}

# WordPress's DB_HOST: TCP with the host's network; the socket (mysqli's "localhost") without it
wp_db_host() {
  if [[ "$NETWORK" == none ]]; then echo "localhost:$DB_SOCKET"; else echo "$DB_HOST:$DB_PORT"; fi
}

# ---------------------------------------------------------------- nginx and its php-fpm

# php-fpm for nginx: the config the gateway rendered for the tenant, with its own socket, pid and
# logs, started as the tenant's user like the gateway's pool. The socket is 0666: this master runs
# as tg-$TENANT and cannot hand its socket to nginx's user.
start_nginx_php_fpm() {
  local pool_dir="$TMP/run/pools/$TENANT" dir="$TMP/nginx-fpm" deadline
  [[ -f "$pool_dir/php-fpm.conf" ]] || die "no rendered pool config at $pool_dir/php-fpm.conf"
  mkdir -p "$dir"
  sed -E -e "s#$pool_dir/(php-fpm\.pid|error\.log|php\.sock|slow\.log|php-error\.log)#$dir/\1#g" \
    -e 's#^listen\.mode = .*#listen.mode = 0666#' \
    "$pool_dir/php-fpm.conf" >"$dir/php-fpm.conf"
  NX_SOCK="$dir/php.sock"
  grep -q "^listen = $NX_SOCK\$" "$dir/php-fpm.conf" || die "socket not rewritten in $dir/php-fpm.conf"
  local cmd=("$PHP_FPM" --nodaemonize --fpm-config "$dir/php-fpm.conf")
  if [[ "$(id -u)" -eq 0 ]]; then
    local uid gid
    uid="$(id -u "tg-$TENANT")" || die "user tg-$TENANT missing (the gateway creates it)"
    gid="$(id -g "tg-$TENANT")"
    chown "$uid:$gid" "$dir"
    cmd=(setpriv --reuid="$uid" --regid="$gid" --init-groups "${cmd[@]}")
  fi
  start_bg "$dir/php-fpm.out" "${cmd[@]}"
  local pid=$STARTED_PID
  deadline=$(( SECONDS + 10 ))
  until python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
      "$NX_SOCK" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || (( SECONDS >= deadline )); then
      cat "$dir/php-fpm.out" "$dir/error.log" >&2 2>/dev/null || true
      die "nginx's php-fpm did not come up"
    fi
    sleep 0.05
  done
}

start_nginx() {
  local dir="$TMP/nginx" user_line="" group="nogroup"
  mkdir -p "$dir/tmp"
  if [[ "$(id -u)" -eq 0 ]]; then
    getent group nogroup >/dev/null || group="nobody"
    user_line="user nobody $group;"
  fi
  # \$: nginx variables, not shell ones
  cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
  worker_connections 256;
}
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log $dir/access.log;
  client_body_temp_path $dir/tmp/body;
  fastcgi_temp_path $dir/tmp/fastcgi;
  proxy_temp_path $dir/tmp/proxy;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  client_max_body_size 64m;
  large_client_header_buffers 4 32k;
  absolute_redirect off;
  server {
    listen 127.0.0.1:$PORT_NX;
    server_name $SITE;
    root $DOCROOT;
    index index.php index.html;
    location / {
      try_files \$uri \$uri/ /index.php?\$args;
    }
    location ~ [^/]\.php(/|\$) {
      fastcgi_split_path_info ^(.+?\.php)(/.*)\$;
      try_files \$fastcgi_script_name =404;
      set \$path_info \$fastcgi_path_info;
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_param PATH_INFO \$path_info;
      fastcgi_pass unix:$NX_SOCK;
    }
  }
}
EOF
  local args=(-p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log")
  "$NGINX" "${args[@]}" -t -q || die "nginx -t failed for $dir/nginx.conf"
  start_bg "$dir/nginx.out" "$NGINX" "${args[@]}" -g 'daemon off;'
  local pid=$STARTED_PID deadline=$(( SECONDS + 10 ))
  until curl -s -o /dev/null "http://127.0.0.1:$PORT_NX/"; do
    if ! kill -0 "$pid" 2>/dev/null || (( SECONDS >= deadline )); then
      cat "$dir/nginx.out" "$dir/error.log" >&2 2>/dev/null || true
      die "nginx did not come up"
    fi
    sleep 0.05
  done
}

# ---------------------------------------------------------------- HTTP helpers

# wp SIDE NAME PATH [curl args...]: one request to http://wp.test/PATH through SIDE (gw | nx);
# headers in $TMP/resp/SIDE-NAME.h, body in .b; prints the status code (000: no response). No
# cookie jar unless the caller passes -b/-c.
wp() {
  local side="$1" name="$2" path="$3" port code
  shift 3
  case "$side" in
    gw) port="$PORT_GW" ;;
    nx) port="$PORT_NX" ;;
    *) die "wp: unknown side $side" ;;
  esac
  code="$(curl -s -m 60 --connect-to "$SITE:80:127.0.0.1:$port" -D "$TMP/resp/$side-$name.h" \
    -o "$TMP/resp/$side-$name.b" -w '%{http_code}' "$@" "http://$SITE$path")" || true
  echo "${code:-000}"
}

# gwc NAME PATH [curl args...]: the gateway flow's requests, with one cookie jar like a browser
gwc() { wp gw "$1" "$2" -b "$TMP/cookies.txt" -c "$TMP/cookies.txt" "${@:3}"; }

# header $2 of response file $1 (last value, without CR)
header() {
  awk -v n="$(tr '[:upper:]' '[:lower:]' <<<"$2")" -F': *' \
    'tolower($1) == n { sub(/\r$/, ""); v = substr($0, index($0, ":") + 1); sub(/^ +/, "", v) } END { print v }' "$1"
}

body_has() { grep -qF -- "$2" "$1"; }

NOTE=""
# records a step failure reason
why() { NOTE="$*"; return 1; }

# ---------------------------------------------------------------- steps

# step NAME FUNCTION: runs it, records OK/FAIL, its time and note
step() {
  local name="$1" fn="$2" t0 t1 result
  NOTE=""
  t0=$(date +%s%N)
  if "$fn"; then result=OK; else result=FAIL; FAILED=1; fi
  t1=$(date +%s%N)
  STEP_NAMES+=("$name")
  STEP_RESULTS+=("$result")
  STEP_MS+=("$(( (t1 - t0) / 1000000 ))")
  STEP_NOTES+=("$NOTE")
  log "$result  $name${NOTE:+  ($NOTE)}"
  [[ "$result" == OK ]]
}

skip() {
  STEP_NAMES+=("$1"); STEP_RESULTS+=(SKIP); STEP_MS+=("-"); STEP_NOTES+=("an earlier step failed")
}

s_front_redirects_to_installer() {
  local code loc
  code="$(wp gw pre-front /)"
  loc="$(header "$TMP/resp/gw-pre-front.h" Location)"
  [[ "$code" == 302 && "$loc" == "http://$SITE/wp-admin/install.php" ]] || why "got $code, Location '$loc'" || return
}

s_installer_form() {
  local code
  code="$(gwc install-form /wp-admin/install.php?step=1)"
  [[ "$code" == 200 ]] || why "status $code" || return
  body_has "$TMP/resp/gw-install-form.b" 'name="weblog_title"' || why "no installer form in the page" || return
}

s_install() {
  local code users
  code="$(gwc install /wp-admin/install.php?step=2 \
    --data-urlencode "weblog_title=Gateway WordPress" --data-urlencode "user_name=$ADMIN_USER" \
    --data-urlencode "admin_password=$ADMIN_PASSWORD" --data-urlencode "admin_password2=$ADMIN_PASSWORD" \
    --data-urlencode "pw_weak=1" --data-urlencode "admin_email=$ADMIN_EMAIL" \
    --data-urlencode "blog_public=0" --data-urlencode "language=" \
    --data-urlencode "Submit=Install WordPress")"
  [[ "$code" == 200 ]] || why "status $code" || return
  body_has "$TMP/resp/gw-install.b" 'Success!' || why "no 'Success!' in the installer's answer" || return
  users="$(wp_sql "SELECT user_login FROM wp_users")" || why "cannot read wp_users" || return
  [[ "$users" == "$ADMIN_USER" ]] || why "wp_users holds '$users'" || return
}

s_login() {
  local code loc
  code="$(gwc login-form /wp-login.php)"
  [[ "$code" == 200 ]] || why "login form: status $code" || return
  grep -q 'wordpress_test_cookie' "$TMP/cookies.txt" || why "no wordpress_test_cookie set" || return
  code="$(gwc login /wp-login.php --data-urlencode "log=$ADMIN_USER" --data-urlencode "pwd=$ADMIN_PASSWORD" \
    --data-urlencode "wp-submit=Log In" --data-urlencode "redirect_to=http://$SITE/wp-admin/" \
    --data-urlencode "testcookie=1")"
  loc="$(header "$TMP/resp/gw-login.h" Location)"
  [[ "$code" == 302 && "$loc" == "http://$SITE/wp-admin/" ]] || why "login POST: $code, Location '$loc'" || return
  grep -q 'wordpress_logged_in_' "$TMP/cookies.txt" || why "no wordpress_logged_in_ cookie" || return
  # the auth cookie proper is set for path /wp-admin (wordpress_<hash>, not _logged_in_/_test_)
  grep -E $'\twordpress_[0-9a-f]{32}\t' "$TMP/cookies.txt" | grep -q '/wp-admin' || why "no wp-admin auth cookie" || return
  code="$(gwc dashboard /wp-admin/)"
  [[ "$code" == 200 ]] || why "wp-admin: status $code" || return
  body_has "$TMP/resp/gw-dashboard.b" '<title>Dashboard' || why "wp-admin is not the dashboard" || return
}

# the structure the permalink page offers for "Post name" (the radio button's value)
offered_postname() {
  python3 - "$1" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8", errors="replace").read()
m = re.search(r'<input[^>]*name="selection"[^>]*value="((?:/index\.php)?/%postname%/)"', html)
print(m.group(1) if m else "?")
PY
}

s_permalinks() {
  local code nonce loc stored
  code="$(gwc permalink-form /wp-admin/options-permalink.php)"
  [[ "$code" == 200 ]] || why "form: status $code" || return
  nonce="$(grep -o 'name="_wpnonce" value="[0-9a-f]*"' "$TMP/resp/gw-permalink-form.b" | head -n 1 | sed 's/.*value="//; s/"$//')"
  [[ -n "$nonce" ]] || why "no _wpnonce in the form" || return
  OFFERED_GW="$(offered_postname "$TMP/resp/gw-permalink-form.b")"
  # "Custom structure" with the value typed in: what a user gets whatever WordPress offers
  code="$(gwc permalink /wp-admin/options-permalink.php --data-urlencode "_wpnonce=$nonce" \
    --data-urlencode "_wp_http_referer=/wp-admin/options-permalink.php" \
    --data-urlencode "selection=custom" --data-urlencode "permalink_structure=/%postname%/" \
    --data-urlencode "category_base=" --data-urlencode "tag_base=" --data-urlencode "submit=Save Changes")"
  loc="$(header "$TMP/resp/gw-permalink.h" Location)"
  [[ "$code" == 302 && "$loc" == *"options-permalink.php?settings-updated=true"* ]] \
    || why "save: $code, Location '$loc'" || return
  stored="$(wp_sql "SELECT option_value FROM wp_options WHERE option_name = 'permalink_structure'")"
  [[ "$stored" == "/%postname%/" ]] || why "permalink_structure in the database: '$stored'" || return
}

s_create_post() {
  local code nonce out
  code="$(gwc rest-nonce '/wp-admin/admin-ajax.php?action=rest-nonce')"
  nonce="$(cat "$TMP/resp/gw-rest-nonce.b")"
  [[ "$code" == 200 && "$nonce" =~ ^[0-9a-f]{10}$ ]] || why "rest-nonce: $code '$nonce'" || return
  python3 -c 'import json, sys; print(json.dumps({"title": sys.argv[1], "content": "<p>" + sys.argv[2] + "</p>", "status": "publish", "slug": sys.argv[3]}))' \
    "$POST_TITLE" "$POST_TEXT" "$POST_SLUG" >"$TMP/post.json"
  code="$(gwc create-post /wp-json/wp/v2/posts -H "X-WP-Nonce: $nonce" -H 'Content-Type: application/json' \
    --data-binary "@$TMP/post.json")"
  [[ "$code" == 201 ]] || why "POST /wp-json/wp/v2/posts: $code $(head -c 200 "$TMP/resp/gw-create-post.b")" || return
  out="$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["id"], d["slug"], d["link"])' \
    "$TMP/resp/gw-create-post.b")" || why "no JSON post in the answer" || return
  read -r POST_ID slug POST_LINK <<<"$out"
  [[ "$slug" == "$POST_SLUG" && "$POST_LINK" == "http://$SITE/$POST_SLUG/" ]] \
    || why "post $POST_ID: slug '$slug', link '$POST_LINK'" || return
}

s_read_post() {
  local code ct
  code="$(gwc read-post "/$POST_SLUG/")"
  ct="$(header "$TMP/resp/gw-read-post.h" Content-Type)"
  [[ "$code" == 200 && "$ct" == "text/html; charset=UTF-8" ]] || why "status $code, Content-Type '$ct'" || return
  body_has "$TMP/resp/gw-read-post.b" "$POST_TITLE" || why "title not in the page" || return
  body_has "$TMP/resp/gw-read-post.b" "$POST_TEXT" || why "content not in the page" || return
}

s_shortlink_redirects() {
  local code loc
  code="$(gwc shortlink "/?p=$POST_ID")"
  loc="$(header "$TMP/resp/gw-shortlink.h" Location)"
  [[ "$code" == 301 && "$loc" == "http://$SITE/$POST_SLUG/" ]] || why "got $code, Location '$loc'" || return
}

s_missing_page() {
  local code
  code="$(gwc missing /no-such-page-here/)"
  [[ "$code" == 404 ]] || why "status $code" || return
  body_has "$TMP/resp/gw-missing.b" 'error404' || why "not WordPress's 404 page" || return
}

# compare NAME PATH [curl args...]: the same request, without cookies, to both sides; its "info:"
# lines (headers outside the comparison) are collected for the summary. COMPARE_OPTS: --static
# for files the servers answer themselves.
COMPARE_OPTS=()
compare() {
  local name="$1" out rc=0
  wp gw "cmp-$name" "${@:2}" >/dev/null
  wp nx "cmp-$name" "${@:2}" >/dev/null
  out="$(python3 "$REPO_ROOT/bench/wordpress/compare.py" "${COMPARE_OPTS[@]+"${COMPARE_OPTS[@]}"}" \
    "$TMP/resp/gw-cmp-$name.h" "$TMP/resp/gw-cmp-$name.b" \
    "$TMP/resp/nx-cmp-$name.h" "$TMP/resp/nx-cmp-$name.b" 2>&1)" || rc=$?
  grep '^info: ' <<<"$out" | sed "s/^info: /$name: /" >>"$TMP/info.txt" || true
  out="$(grep -v '^info: ' <<<"$out" || true)"
  NOTE="$(head -n 1 <<<"$out")"
  if (( rc != 0 )); then
    printf '%s\n' "$out" | sed "s/^/[$BENCH_TAG]   $name: /" >&2
    return 1
  fi
}

c_pre_front() { compare pre-front /; }
c_front() { compare front /; }
c_post() { compare post "/$POST_SLUG/"; }
c_shortlink() { compare shortlink "/?p=$POST_ID"; }
c_login_form() { compare login-form /wp-login.php; }
c_login_fail() {
  compare login-fail /wp-login.php --data-urlencode "log=$ADMIN_USER" --data-urlencode "pwd=wrong" \
    --data-urlencode "wp-submit=Log In"
}
c_admin() { compare admin /wp-admin/; }
c_missing() { compare missing /no-such-page-here/; }
c_rest() { compare rest "/wp-json/wp/v2/posts/$POST_ID"; }
c_feed() { compare feed /feed/; }
c_admin_posts() { compare admin-posts /wp-admin/edit.php -b "$TMP/cookies.txt"; }
c_static() {
  COMPARE_OPTS=(--static)
  compare static /wp-includes/css/buttons.min.css
  local rc=$?
  COMPARE_OPTS=()
  return "$rc"
}

# ---------------------------------------------------------------- main

main() {
  local t_start=$SECONDS
  ensure_tools
  prepare_gateway
  ensure_database_server
  PHP_FPM="$(find_php_fpm)"

  TMP="$(mktemp -d "${TMPDIR:-/tmp}/wordpress.XXXXXX")"
  chmod 755 "$TMP"   # the pools run as tg-$TENANT, nginx's workers as nobody: both must reach the site
  mkdir -p "$TMP/resp"
  : >"$TMP/cookies.txt"
  log "temp dir $TMP"
  create_database
  create_site
  read -r PORT_GW PORT_ADMIN PORT_NX <<<"$(free_ports 3)"
  start_gateway
  log "gateway listening on 127.0.0.1:$PORT_GW"

  OFFERED_GW="?"
  local flow=(
    "gateway: / before the install -> 302 to the installer|s_front_redirects_to_installer"
    "gateway: installer form|s_installer_form"
    "gateway: install.php?step=2|s_install"
    "gateway: log in (wp-login.php -> 302, cookies, wp-admin 200)|s_login"
    "gateway: permalinks /%postname%/ (options-permalink.php)|s_permalinks"
    "gateway: create a post (POST /wp-json/wp/v2/posts)|s_create_post"
    "gateway: the post at /$POST_SLUG/ -> 200, title, content|s_read_post"
    "gateway: /?p=<id> -> 301 to /$POST_SLUG/|s_shortlink_redirects"
    "gateway: missing page -> WordPress 404|s_missing_page"
  )
  local entry i broken=0
  # the first request started the tenant's pool: nginx's php-fpm copies its rendered config
  step "${flow[0]%%|*}" "${flow[0]##*|}" || broken=1
  if (( broken )); then
    tail -n 30 "$TMP/gateway.log" >&2
    die "the gateway did not serve WordPress's first page"
  fi
  start_nginx_php_fpm
  start_nginx
  log "nginx listening on 127.0.0.1:$PORT_NX, php-fpm (copy of the gateway's pool config) on $NX_SOCK"
  step "same response: / before the install" c_pre_front || true
  for (( i = 1; i < ${#flow[@]}; i++ )); do
    entry="${flow[$i]}"
    if (( broken )); then skip "${entry%%|*}"; continue; fi
    step "${entry%%|*}" "${entry##*|}" || broken=1
  done

  local compares=(
    "/|c_front" "/$POST_SLUG/|c_post" "/?p=<id>|c_shortlink" "/wp-login.php|c_login_form"
    "POST /wp-login.php (wrong password)|c_login_fail" "/wp-admin/ without cookies|c_admin"
    "/no-such-page-here/|c_missing" "/wp-json/wp/v2/posts/<id>|c_rest" "/feed/|c_feed"
    "/wp-admin/edit.php (logged in, same cookies)|c_admin_posts" "/wp-includes/css/buttons.min.css|c_static"
  )
  for entry in "${compares[@]}"; do
    if (( broken )); then skip "same response: ${entry%%|*}"; continue; fi
    step "same response: ${entry%%|*}" "${entry##*|}" || true
  done

  # informational: what the permalink page offers as "Post name" through nginx
  local offered_nx="?"
  if (( ! broken )); then
    wp nx permalink-form /wp-admin/options-permalink.php -b "$TMP/cookies.txt" >/dev/null
    offered_nx="$(offered_postname "$TMP/resp/nx-permalink-form.b")"
  fi

  echo
  echo "== WordPress $(sed -n "s/^\$wp_version = '\(.*\)';/\1/p" "$WP_SRC/wp-includes/version.php") (Debian package $(dpkg-query -W -f='${Version}' wordpress 2>/dev/null || echo '?')), $("$PHP_FPM" -v | head -n 1 | cut -d' ' -f1-2), $("$NGINX" -v 2>&1 | cut -d' ' -f3)"
  echo "   gateway 127.0.0.1:$PORT_GW, nginx 127.0.0.1:$PORT_NX, both as http://$SITE; database $DB_NAME"
  echo
  printf '%-4s %7s  %s\n' "" "ms" "step"
  for (( i = 0; i < ${#STEP_NAMES[@]}; i++ )); do
    printf '%-4s %7s  %s\n' "${STEP_RESULTS[$i]}" "${STEP_MS[$i]}" "${STEP_NAMES[$i]}"
    if [[ "${STEP_RESULTS[$i]}" == FAIL && -n "${STEP_NOTES[$i]}" ]]; then
      printf '%13s%s\n' "" "${STEP_NOTES[$i]}"
    fi
  done
  echo
  echo "(info, not in the verdict)"
  echo "  permalink page offers \"Post name\" as: gateway $OFFERED_GW"
  echo "                                       nginx   $offered_nx"
  if [[ -s "$TMP/info.txt" ]]; then
    # the same remark for several pages once, with the pages named
    awk -F': ' '{ k = substr($0, index($0, ": ") + 2); pages[k] = pages[k] (pages[k] == "" ? "" : ", ") $1 }
      END { for (k in pages) printf "  %s (%s)\n", k, pages[k] }' "$TMP/info.txt" | sort
  fi
  echo "total $(( SECONDS - t_start )) s (setup included: packages, build, site copy, gateway and nginx start)"
  echo
  if (( FAILED )); then echo "RESULT: FAIL"; return 2; fi
  echo "RESULT: PASS"
}

main "$@"
