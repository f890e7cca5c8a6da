#!/usr/bin/env bash
# A bare repository with the deploy hooks: a push with a content error is refused with file and
# line in the push output and the live release is unchanged; a correct push is live in seconds.
# Usage: hooks_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"; src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PATH="$build/generator:$PATH"
export GONGKAI_OUTPUT="$work/output"
export GIT_AUTHOR_NAME=staff GIT_AUTHOR_EMAIL=staff@example.gov.cn GIT_COMMITTER_NAME=staff GIT_COMMITTER_EMAIL=staff@example.gov.cn
git init -q --bare -b main "$work/site.git"
cp "$src/deploy/git-hooks/pre-receive" "$src/deploy/git-hooks/post-receive" "$work/site.git/hooks/"
git clone -q "$work/site.git" "$work/staff" 2>/dev/null
cp -r "$src/content/towns/bangjun" "$work/staff/content"; cp -r "$src/themes" "$work/staff/"
cd "$work/staff"
git checkout -q -b main 2>/dev/null || true
git add -A && git commit -q -m "initial content"
start=$(date +%s.%N)
git push -q origin main 2>"$work/push1.log"
end=$(date +%s.%N)
good="$(git rev-parse HEAD)"
fail=0
if [ "$(readlink "$work/output/current")" != "releases/$good" ]; then echo "FAIL: correct push not live"; cat "$work/push1.log"; fail=1; else
  echo "ok   correct push is live as release $good in $(python3 -c "print(round($end-$start,2))") s"; fi

sed -i 's/^department = "jsb"$/department = "nosuch"/' content/disclosure/2021/project-road.md
git commit -q -am "bad department"
if git push origin main >"$work/push2.log" 2>&1; then echo "FAIL: push with an error was accepted"; fail=1; else echo "ok   push with an error refused"; fi
if grep -q "remote: content/disclosure/2021/project-road.md:3:14: error: department \"nosuch\"" "$work/push2.log"; then echo "ok   file:line:column shown in the push output"
else echo "FAIL: diagnostics missing from the push output:"; cat "$work/push2.log"; fail=1; fi
[ "$(readlink "$work/output/current")" = "releases/$good" ] && echo "ok   live release unchanged" || { echo "FAIL: live release changed"; fail=1; }
[ "$(git -C "$work/site.git" rev-parse main)" = "$good" ] && echo "ok   branch unchanged" || { echo "FAIL: branch moved"; fail=1; }

git revert --no-edit HEAD >/dev/null
echo "新增一段" >> content/pages/about.md
git commit -q -am "fix"
git push -q origin main 2>"$work/push3.log"
fixed="$(git rev-parse HEAD)"
[ "$(readlink "$work/output/current")" = "releases/$fixed" ] && echo "ok   fixed push is live" || { echo "FAIL: fixed push not live"; cat "$work/push3.log"; fail=1; }
grep -q "新增一段" "$work/output/current/site/pages/about/index.html" && echo "ok   new text is served" || { echo "FAIL: new text missing"; fail=1; }
[ $fail = 0 ] && echo "git hooks: 7 passed, 0 failed"
exit $fail
