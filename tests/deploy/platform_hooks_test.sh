#!/usr/bin/env bash
# A platform with one bare repository per unit (docs/platform.md, "Staff and permissions"): the
# example district's platform.toml and units, each unit's content a repository of its own with
# deploy/git-hooks/gongkai-hook as pre-receive and post-receive. A push with a content error to
# one unit is refused with file:line:column and changes no release; a good push to another unit,
# at the same time, publishes that unit and the platform pages within seconds. As root it also
# creates two staff accounts in their units' groups and shows that one cannot push to the other
# unit's repository (filesystem permissions), while its own push publishes; then the same over
# SSH, with a real sshd on loopback and git-shell as the accounts' shell.
# Loopback and local files only. Usage: platform_hooks_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"; src="$(cd "$2" && pwd)"
work="$(mktemp -d)"
users=()
cleanup() {
  for u in "${users[@]}"; do userdel "$u" 2>/dev/null || true; done
  for g in "${groups_made[@]}"; do groupdel "$g" 2>/dev/null || true; done
  rm -rf "$work"
}
groups_made=()
trap cleanup EXIT
chmod 755 "$work"
mkdir -p "$work/bin"
cp "$build/generator/gongkai-build" "$work/bin/"  # reachable by the test's staff accounts too
export PATH="$work/bin:$PATH"
export GIT_AUTHOR_NAME=staff GIT_AUTHOR_EMAIL=staff@example.gov.cn GIT_COMMITTER_NAME=staff GIT_COMMITTER_EMAIL=staff@example.gov.cn
export GIT_CONFIG_NOSYSTEM=1 HOME="$work/home"
mkdir -p "$HOME"
srv="$work/srv"; out="$srv/output"; platform="$srv/platform/content"
fail=0; passed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; fail=1; }
secs() { python3 -c "print(round($2-$1,2))"; }
now() { date +%s.%N; }

# ---- the server: the platform checkout, one bare repository and working tree per unit ------
mkdir -p "$platform" "$srv/git" "$out"
cp "$src/content/platform.toml" "$platform/"
cp -r "$src/themes" "$srv/platform/themes"
units=$(awk -F'"' '/^id = /{id=$2} /^content = /{print id "=" $2}' "$platform/platform.toml")
for entry in $units; do
  id="${entry%%=*}"; rel="${entry#*=}"
  git init -q --bare -b main "$srv/git/$id.git"
  git clone -q "$srv/git/$id.git" "$work/seed-$id" 2>/dev/null
  cp -r "$src/content/$rel/." "$work/seed-$id/"
  git -C "$work/seed-$id" checkout -q -b main 2>/dev/null || true
  git -C "$work/seed-$id" add -A && git -C "$work/seed-$id" commit -q -m "$id: initial content"
  git -C "$work/seed-$id" push -q origin main
  rm -rf "$work/seed-$id"
  ln -s "$src/deploy/git-hooks/gongkai-hook" "$srv/git/$id.git/hooks/pre-receive"
  ln -s "$src/deploy/git-hooks/gongkai-hook" "$srv/git/$id.git/hooks/post-receive"
  git -C "$srv/git/$id.git" config gongkai.unit "$id"
  git -C "$srv/git/$id.git" config gongkai.platform "$platform"
  git -C "$srv/git/$id.git" config gongkai.output "$out"
  mkdir -p "$(dirname "$platform/$rel")"
  git clone -q "$srv/git/$id.git" "$platform/$rel"
done
t0=$(now)
gongkai-build --quiet --content "$platform" --output "$out" 2>"$work/build.log" || { cat "$work/build.log"; exit 1; }
echo "     initial platform build: $(echo "$units" | wc -w) units in $(secs "$t0" "$(now)") s"
release() { readlink "$out/$1/current"; }
snapshot() { for entry in $units; do echo "${entry%%=*} $(release "units/${entry%%=*}")"; done; }

staff() {  # staff ID: a staff member's clone of unit ID's repository
  git clone -q "$srv/git/$1.git" "$work/staff-$1" 2>/dev/null
}
staff bangjun; staff qingshi

# ---- (a) a bad push to 邦均镇 while 青石镇 pushes a good one ------------------------------------
before="$(snapshot)"; platform_before="$(release platform)"
( cd "$work/staff-bangjun"
  sed -i 's/^department = "jsb"$/department = "nosuch"/' disclosure/2021/project-road.md
  git commit -q -am "bad department" )
( cd "$work/staff-qingshi"
  echo "青石镇新增一段" >> pages/about.md
  git commit -q -am "about: new paragraph" )
bad_head="$(git -C "$work/staff-bangjun" rev-parse HEAD)"
( git -C "$work/staff-bangjun" push origin main >"$work/push-a.log" 2>&1 && echo 0 >"$work/push-a.rc" || echo 1 >"$work/push-a.rc" ) &
t0=$(now)
git -C "$work/staff-qingshi" push origin main >"$work/push-b.log" 2>&1 && b_rc=0 || b_rc=$?
t_b="$(secs "$t0" "$(now)")"
wait
[ "$(cat "$work/push-a.rc")" != 0 ] && ok "bad push to bangjun refused" || { bad "bad push to bangjun accepted"; cat "$work/push-a.log"; }
if grep -q "remote: disclosure/2021/project-road.md:3:14: error: department \"nosuch\"" "$work/push-a.log"; then
  ok "file:line:column in the push output: $(grep -o 'disclosure/2021/project-road.md:3:14: error: [^(]*' "$work/push-a.log")"
else bad "diagnostics missing from the push output:"; cat "$work/push-a.log"; fi
[ "$(git -C "$srv/git/bangjun.git" rev-parse main)" != "$bad_head" ] && ok "bangjun's branch unchanged" || bad "bangjun's branch moved"
[ $b_rc = 0 ] && ok "good push to qingshi accepted and published in $t_b s" || { bad "good push to qingshi failed"; cat "$work/push-b.log"; }
after="$(snapshot)"
changed="$(diff <(echo "$before") <(echo "$after") | awk '/^>/{print $2}' | tr '\n' ' ' || true)"
[ "$changed" = "qingshi " ] && ok "only qingshi's release changed (bangjun, district, sfj, liuhe unchanged)" || {
  bad "releases changed: '$changed'"; diff <(echo "$before") <(echo "$after") || true; }
[ "$(release platform)" != "$platform_before" ] && ok "platform release changed after qingshi's push" || bad "platform release unchanged"
grep -q "青石镇新增一段" "$out/units/qingshi/current/site/pages/about/index.html" && ok "qingshi's new text is served" || bad "qingshi's new text missing"
grep -q "已发布" "$work/push-b.log" && ok "qingshi's staff see: $(grep -o 'gongkai: 已发布.*' "$work/push-b.log" | sed 's/[[:space:]]*$//')" || bad "no publication message"

# ---- (b) 邦均镇 fixes it: a good push publishes bangjun --------------------------------------
before="$(snapshot)"
( cd "$work/staff-bangjun"
  git revert --no-edit HEAD >/dev/null
  echo "邦均镇新增一段" >> pages/about.md
  git commit -q -am "about: new paragraph" )
t0=$(now)
git -C "$work/staff-bangjun" push origin main >"$work/push-c.log" 2>&1 && c_rc=0 || c_rc=$?
t_c="$(secs "$t0" "$(now)")"
[ $c_rc = 0 ] && ok "fixed push to bangjun published in $t_c s" || { bad "fixed push to bangjun failed"; cat "$work/push-c.log"; }
changed="$(diff <(echo "$before") <(echo "$(snapshot)") | awk '/^>/{print $2}' | tr '\n' ' ' || true)"
[ "$changed" = "bangjun " ] && ok "only bangjun's release changed" || bad "releases changed: '$changed'"
grep -q "邦均镇新增一段" "$out/units/bangjun/current/site/pages/about/index.html" && ok "bangjun's new text is served" || bad "bangjun's new text missing"
[ "$(git -C "$platform/towns/bangjun" rev-parse HEAD)" = "$(git -C "$work/staff-bangjun" rev-parse HEAD)" ] &&
  ok "bangjun's working tree is at the pushed commit" || bad "bangjun's working tree not updated"

# ---- (c) accounts and groups: staff can write only to their unit's repository ------------------
if [ "$(id -u)" != 0 ]; then
  echo "skip accounts and permissions: needs root to create users and groups (run the test as root)"
elif ! command -v useradd >/dev/null || ! command -v runuser >/dev/null; then
  echo "skip accounts and permissions: useradd or runuser missing"
else
  tag="gkt$$"
  shell="$(command -v git-shell || echo /usr/bin/git-shell)"
  groupadd "$tag-staff"; groups_made+=("$tag-staff")
  for id in bangjun qingshi; do
    g="$tag-$id"; u="$tag${id:0:1}"
    groupadd "$g"; groups_made+=("$g")
    useradd -M -d "$work/home-$u" -s "$shell" -g "$g" -G "$tag-staff" "$u"; users+=("$u")
    mkdir -p "$work/home-$u"
    # git refuses a repository another account owns unless it is a safe.directory: on the server
    # /etc/gitconfig lists every unit's repository and working tree; here each account's own.
    for d in "$srv/git/bangjun.git" "$srv/git/qingshi.git" "$platform/towns/bangjun" "$platform/towns/qingshi"; do
      git config --file "$work/home-$u/.gitconfig" --add safe.directory "$d"; done
    chown -R "$u:$g" "$work/home-$u"
    # The layout of docs/platform.md: repository 2770 root:<unit group>; working tree and the
    # unit's output group-writable by the unit; platform pages by every unit's staff.
    git -C "$srv/git/$id.git" config core.sharedRepository group
    git -C "$platform/towns/$id" config core.sharedRepository group
    chown -R "root:$g" "$srv/git/$id.git" "$platform/towns/$id" "$out/units/$id"
    chmod -R g+rwX,o-rwx "$srv/git/$id.git"; chmod -R g+rwX,o+rX "$platform/towns/$id" "$out/units/$id"
    find "$srv/git/$id.git" "$platform/towns/$id" "$out/units/$id" -type d -exec chmod g+s {} +
  done
  chown -R "root:$tag-staff" "$out/platform"; chmod -R g+rwX "$out/platform"; find "$out/platform" -type d -exec chmod g+s {} +
  touch "$out/platform.lock"; chown "root:$tag-staff" "$out/platform.lock"; chmod 664 "$out/platform.lock"
  as() {  # as USER CMD...: CMD run by that account, in its home
    local u="$1"; shift
    (cd "$work/home-$u" && exec runuser -u "$u" -- env HOME="$work/home-$u" PATH="$PATH" GIT_CONFIG_NOSYSTEM=1 "$@")
  }
  ua="${tag}b"; uq="${tag}q"
  as "$ua" git clone -q "$srv/git/bangjun.git" "$work/home-$ua/bangjun" >"$work/clone-b.log" 2>&1 || { cat "$work/clone-b.log"; exit 1; }
  as "$ua" git -C "$work/home-$ua/bangjun" config user.name "邦均镇 staff"
  as "$ua" git -C "$work/home-$ua/bangjun" config user.email staff@bangjun.example.gov.cn
  # qingshi's account writes a commit for bangjun and tries to push it there.
  as "$uq" git clone -q "$srv/git/bangjun.git" "$work/home-$uq/bangjun" >"$work/clone-q.log" 2>&1 &&
    bad "qingshi's account could read bangjun's repository" ||
    ok "qingshi's account cannot even clone bangjun's repository ($(stat -c '%A %U:%G' "$srv/git/bangjun.git")): $(grep -m1 -o 'fatal: .*' "$work/clone-q.log")"
  cp -r "$work/staff-bangjun" "$work/home-$uq/stolen"; chown -R "$uq:" "$work/home-$uq/stolen"
  echo "他人的修改" >> "$work/home-$uq/stolen/pages/about.md"
  as "$uq" git -C "$work/home-$uq/stolen" -c user.name=x -c user.email=x@x commit -q -am "not mine"
  before="$(snapshot)"; platform_before="$(release platform)"
  if as "$uq" git -C "$work/home-$uq/stolen" push "$srv/git/bangjun.git" HEAD:main >"$work/push-q.log" 2>&1; then
    bad "qingshi's account pushed to bangjun's repository"
  else ok "qingshi's account refused by bangjun's repository: $(grep -m1 -io 'fatal: .*\|error: .*' "$work/push-q.log")"; fi
  [ "$before" = "$(snapshot)" ] && ok "no release changed" || bad "a release changed"
  # bangjun's own account pushes a change: checked, published, by the same hooks.
  echo "邦均镇工作人员新增" >> "$work/home-$ua/bangjun/pages/about.md"
  as "$ua" git -C "$work/home-$ua/bangjun" commit -q -am "about: staff account"
  t0=$(now)
  if as "$ua" git -C "$work/home-$ua/bangjun" push origin main >"$work/push-u.log" 2>&1 &&
     grep -q "邦均镇工作人员新增" "$out/units/bangjun/current/site/pages/about/index.html"; then
    ok "bangjun's account pushed and published in $(secs "$t0" "$(now)") s"
  else bad "bangjun's account could not publish"; cat "$work/push-u.log"; fi
  [ "$(release platform)" != "$platform_before" ] && ok "platform pages republished by bangjun's account" || bad "platform release unchanged"
  ! grep -i "permission denied\|error" "$work/push-u.log" && ok "no permission problems in its push output" || bad "permission problems above"

  # ---- (d) the same accounts over SSH: a real sshd on loopback, git-shell as their shell ------
  if [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null; then
    echo "skip SSH: openssh-server and openssh-client are not installed"
  else
    sshd_dir="$work/sshd"; mkdir -p "$sshd_dir/keys" /run/sshd
    ssh-keygen -q -t ed25519 -N '' -f "$sshd_dir/host_key"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    for u in "$ua" "$uq"; do
      usermod -p '*' "$u"  # no password, but not locked ("!"): sshd admits locked accounts never
      ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$sshd_dir/id-$u"
      install -m 600 -o "$u" "$sshd_dir/id-$u.pub" "$sshd_dir/keys/$u"
    done
    cat >"$sshd_dir/config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $sshd_dir/host_key
PidFile $sshd_dir/sshd.pid
AuthorizedKeysFile $sshd_dir/keys/%u
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin no
AllowUsers $ua $uq
DisableForwarding yes
PermitTTY no
SetEnv PATH=$work/bin:/usr/local/bin:/usr/bin:/bin
CONF
    /usr/sbin/sshd -D -e -f "$sshd_dir/config" 2>"$sshd_dir/log" &
    sshd_pid=$!
    trap 'kill "$sshd_pid" 2>/dev/null || true; cleanup' EXIT
    for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break; sleep 0.1; done
    via() {  # via USER CMD...: CMD with git (and ssh) speaking SSH as USER's key
      local u="$1"; shift
      GIT_SSH_COMMAND="ssh -i $sshd_dir/id-$u -p $port -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR" "$@"
    }
    url() { echo "ssh://$1@127.0.0.1:$port$srv/git/$2.git"; }
    if via "$ua" git clone -q "$(url "$ua" bangjun)" "$work/ssh-b" >"$work/ssh-clone-b.log" 2>&1; then
      ok "bangjun's account clones its repository over SSH"
    else bad "bangjun's account cannot clone over SSH"; cat "$work/ssh-clone-b.log" "$sshd_dir/log"; fi
    via "$uq" git clone -q "$(url "$uq" bangjun)" "$work/ssh-q" >"$work/ssh-clone-q.log" 2>&1 &&
      bad "qingshi's account cloned bangjun's repository over SSH" ||
      ok "qingshi's account cannot clone bangjun's repository over SSH: $(grep -m1 -o 'fatal: .*' "$work/ssh-clone-q.log")"
    ssh_shell="$(via "$ua" sh -c 'ssh -i "$0" -p "$1" -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$2@127.0.0.1" id' \
      "$sshd_dir/id-$ua" "$port" "$ua" 2>&1 || true)"
    case "$ssh_shell" in
      *uid=*) bad "bangjun's account ran a shell command over SSH: $ssh_shell" ;;
      *) ok "bangjun's account can run git only (git-shell): $(echo "$ssh_shell" | head -1)" ;;
    esac
    if [ -d "$work/ssh-b" ]; then
      before="$(snapshot)"
      printf -- '---\ntitle = "坏的"\n---\n' > "$work/ssh-b/disclosure/ssh-bad.md"
      git -C "$work/ssh-b" add -A && git -C "$work/ssh-b" -c user.name=b -c user.email=b@b commit -q -m "bad over ssh"
      if via "$ua" git -C "$work/ssh-b" push origin main >"$work/ssh-push-bad.log" 2>&1; then
        bad "a bad push over SSH was accepted"
      else
        grep -q 'remote: disclosure/ssh-bad.md:[0-9]*:[0-9]*: error' "$work/ssh-push-bad.log" &&
          ok "a bad push over SSH is refused at $(grep -m1 -o 'disclosure/ssh-bad.md:[0-9]*:[0-9]*' "$work/ssh-push-bad.log")" ||
          { bad "bad push over SSH refused without file:line:column"; cat "$work/ssh-push-bad.log"; }
      fi
      [ "$before" = "$(snapshot)" ] && ok "no release changed" || bad "a release changed"
      git -C "$work/ssh-b" reset -q --hard HEAD~1
      echo "通过SSH推送的新增内容" >> "$work/ssh-b/pages/about.md"
      git -C "$work/ssh-b" -c user.name=b -c user.email=b@b commit -q -am "about: over ssh"
      t0=$(now)
      if via "$ua" git -C "$work/ssh-b" push origin main >"$work/ssh-push.log" 2>&1 &&
         grep -q "通过SSH推送的新增内容" "$out/units/bangjun/current/site/pages/about/index.html"; then
        ok "bangjun's account pushed over SSH and the change is live in $(secs "$t0" "$(now)") s"
      else bad "push over SSH did not publish"; cat "$work/ssh-push.log" "$sshd_dir/log"; fi
    fi
    kill "$sshd_pid" 2>/dev/null || true
  fi
fi
[ $fail = 0 ] && echo "platform git hooks: $passed passed, 0 failed"
exit $fail
