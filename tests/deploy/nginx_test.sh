#!/usr/bin/env bash
# Starts Debian's real nginx on loopback with deploy/nginx/gongkai.conf (TLS off) in front of
# gongkai-serve, and checks a page, a search, an LED feed and a WeChat verification through it.
# Usage: nginx_test.sh BUILD_DIR SOURCE_DIR. Loopback only; bounded in time.
set -euo pipefail
build="$1"; src="$2"
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx is not installed (apt-get install nginx)"; exit 1; }
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
work="$(mktemp -d)"; chmod 755 "$work"
cleanup() { [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

"$build/generator/gongkai-build" --content "$src/content/towns/bangjun" --themes "$src/themes" --output "$work/out" --now 2026-11-26T10:00:00+08:00 --quiet
chmod -R a+rX "$work/out"
serve_port=$(free_port); web_port=$(free_port)
GONGKAI_WECHAT_TOKEN=nginxtest "$build/server/gongkai-serve" --output "$work/out" --listen "127.0.0.1:$serve_port" \
  --now 2026-11-26T10:00:00+08:00 --database "sqlite:$work/gongkai.db" 2>"$work/serve.log" &
serve_pid=$!

# The production site config, made loopback-only: no TLS, no redirect server, our folders and ports.
sed -e '/# @redirect-begin/,/# @redirect-end/d' -e '/# @tls/d' -e '/# @listen6/d' \
    -e "s|listen 443 ssl http2; *# @listen|listen 127.0.0.1:$web_port;|" \
    -e "s|server 127.0.0.1:8080; *# @upstream.*|server 127.0.0.1:$serve_port;|" \
    -e "s|root /srv/gongkai/output/current/site; *# @root.*|root $work/out/current/site;|" \
    "$src/deploy/nginx/gongkai.conf" > "$work/site.conf"
grep -q "listen 127.0.0.1:$web_port;" "$work/site.conf" && grep -q "root $work/out/current/site;" "$work/site.conf"
user_line=""; [ "$(id -u)" = 0 ] && user_line="user root;"
cat > "$work/nginx.conf" <<CONF
$user_line
worker_processes 1;
worker_rlimit_nofile 16384;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 8192; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $work/tmp_body;
    proxy_temp_path $work/tmp_proxy;
    fastcgi_temp_path $work/tmp_fcgi;
    uwsgi_temp_path $work/tmp_uwsgi;
    scgi_temp_path $work/tmp_scgi;
    include $work/site.conf;
}
CONF
"$NGINX" -t -q -p "$work" -c "$work/nginx.conf"
"$NGINX" -p "$work" -c "$work/nginx.conf"
base="http://127.0.0.1:$web_port"
# Ready means gongkai-serve itself answers 200 (nginx answers 502 until then: curl -s alone would
# count that as up, which raced with a slow start under the sanitizers), then nginx does too.
for i in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$serve_port/healthz" && break; sleep 0.1; done
for i in $(seq 1 50); do curl -sf -o /dev/null "$base/healthz" && break; sleep 0.1; done

fail=0
check() {  # name, expected status, url, [grep pattern on body], [header pattern]
  local name="$1" want="$2" url="$3" pat="${4:-}" hdr="${5:-}"
  local out status
  out="$(curl -s -D "$work/h" -o "$work/b" -w '%{http_code}' --max-time 5 "$url")" || true
  status="$out"
  if [ "$status" != "$want" ]; then echo "FAIL $name: status $status, wanted $want"; fail=1; return; fi
  if [ -n "$pat" ] && ! grep -q -- "$pat" "$work/b"; then echo "FAIL $name: body lacks $pat"; fail=1; return; fi
  if [ -n "$hdr" ] && ! grep -qi -- "$hdr" "$work/h"; then echo "FAIL $name: headers lack $hdr"; fail=1; return; fi
  echo "ok   $name"
}
check "static home page from nginx" 200 "$base/" "蓟州区邦均镇人民政府" "Content-Security-Policy"
check "item page" 200 "$base/disclosure/2022/fzzf-report-2021/" "蓟邦政发〔2022〕1号"
check "static 404 page" 404 "$base/no/such/page/" "抱歉"
check "search through the proxy" 200 "$base/search?q=%E8%A1%8C%E6%94%BF%E5%A4%84%E7%BD%9A" "class=\"hits\""
check "search API" 200 "$base/api/search?q=%E4%BD%8E%E4%BF%9D" '"results"'
check "LED feed (GB2312)" 200 "$base/led/v1/feed.txt?screen=hall" "" "charset=GB2312"
ts=1764122400; nonce=abc
sig="$(printf '%s\n' nginxtest "$ts" "$nonce" | LC_ALL=C sort | tr -d '\n' | sha1sum | cut -d' ' -f1)"
check "WeChat verification" 200 "$base/wechat?signature=$sig&timestamp=$ts&nonce=$nonce&echostr=hello123" "hello123"
check "WeChat forgery refused" 403 "$base/wechat?signature=0000&timestamp=$ts&nonce=$nonce&echostr=x"
check "security headers once on proxied answers" 200 "$base/healthz" "" "X-Frame-Options"
[ "$(grep -ci '^content-security-policy' "$work/h")" = 1 ] || { echo "FAIL duplicate CSP header"; fail=1; }
# A public form through nginx: served by gongkai-serve with its token; the POST is stored, and
# gongkai-serve sees the client's address from X-Forwarded-For.
check "application form through the proxy" 200 "$base/apply/" 'name="csrf"' "Set-Cookie: gk_form="
csrf="$(grep -o 'name="csrf" value="[^"]*"' "$work/b" | sed 's/.*value="//; s/"$//')"
cookie="$(grep -i '^set-cookie: gk_form=' "$work/h" | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r')"
code="$(curl -s -o "$work/b" -w '%{http_code}' --max-time 5 -H "Cookie: $cookie" \
  --data-urlencode "csrf=$csrf" --data-urlencode "applicant_type=自然人" --data-urlencode "name=张三" \
  --data-urlencode "id_type=护照" --data-urlencode "id_number=E1234567" --data-urlencode "phone=13800138000" \
  --data-urlencode "description=经由 nginx 提交的政府信息公开申请" --data-urlencode "form=电子文档" \
  --data-urlencode "delivery=网上获取" "$base/apply/")" || true
if [ "$code" = 201 ] && grep -q 'receipt-number">YSQ-site-2026-' "$work/b" &&
   [ "$(sqlite3 "$work/gongkai.db" "SELECT source_address FROM applications")" = 127.0.0.1 ]; then
  echo "ok   application submitted through the proxy (201, stored, client address from X-Forwarded-For)"
else
  echo "FAIL application through the proxy: $code"; fail=1
fi
# The documented deployment under 1,000 slow connections (slowloris heads, slow POST bodies)
# from eight loopback addresses: pages from nginx and searches through it answer in under 1 s.
if python3 "$src/tests/deploy/slow_clients.py" --port "$web_port" --conns 1000 \
     --sources 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8 \
     --probe 200:/healthz --probe 200:/ --probe "200:/api/search?q=%E4%BD%8E%E4%BF%9D" \
     --probe "200:/search?q=%E8%A1%8C%E6%94%BF%E5%A4%84%E7%BD%9A" --min-held 1000 --label "behind nginx"; then
  echo "ok   1,000 slow connections behind nginx"
else
  echo "FAIL 1,000 slow connections behind nginx"; fail=1
fi
[ $fail = 0 ] && echo "nginx + gongkai-serve: 13 passed, 0 failed"
exit $fail
