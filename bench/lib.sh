# shellcheck shell=bash
# Shared by the bench scripts (sourced).
#
# Old outputs are set aside, not deleted, until every figure is taken. The root file system of
# this VM is ext4 without a journal, and there creating files within a minute of deleting tens of
# thousands makes the inode allocator step over every recently deleted inode (recently_deleted()
# in fs/ext4/ialloc.c). A timed build would pay for the harness's clean-up: the same 10,000-item
# build took 16.0 s right after `rm -rf` of the previous output and 13.4-13.8 s after moving it
# aside (system time 4.7-4.9 s against 2.5-2.7 s). Hugo's folders are kept the same way.
# GONGKAI_BENCH_DEFER_TRASH=1 leaves the emptying to the caller (bench/performance), so that one
# script's clean-up does not land on the next script's timings either.
trash="${TMPDIR:-/tmp}/gongkai-bench/trash"
set_aside() {
  local p
  for p in "$@"; do
    if [ -e "$p" ]; then
      mkdir -p "$trash"
      mv "$p" "$trash/$(basename "$p").$$.$RANDOM"
    fi
  done
}
empty_trash() {
  [ -n "${GONGKAI_BENCH_DEFER_TRASH:-}" ] || rm -rf "$trash"
}

# Before each timed build: every earlier build's output written back and, when the bench may
# (as root: /proc/sys/vm/drop_caches is writable), dropped from the page cache, then the corpus
# read back into it. Outputs are kept until the end (above), so without this each build would
# start with the page cache fuller than the one before and pay the kernel's reclaim of the
# earlier outputs in proportion to what it writes (a 50,000-item gongkai build writes ~2 GB,
# Hugo ~0.4 GB): by the 50,000-item turns the cache of this 24 GB VM is full. Both tools get the
# same start.
settle() {
  sync
  if [ -w /proc/sys/vm/drop_caches ]; then echo 1 >/proc/sys/vm/drop_caches; fi
  [ -z "${1:-}" ] || find "$1" -type f -exec cat {} + >/dev/null
}
