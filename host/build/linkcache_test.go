package build

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// linkCacheProgram returns the one program in the link cache dir and its
// inode.
func linkCacheProgram(t *testing.T, dir string) (string, uint64) {
	t.Helper()
	exes, _ := filepath.Glob(filepath.Join(dir, "*.exe"))
	if len(exes) != 1 {
		t.Fatalf("link cache %s holds %d programs, want 1", dir, len(exes))
	}
	st, err := os.Stat(exes[0])
	if err != nil {
		t.Fatal(err)
	}
	return exes[0], st.Sys().(*syscall.Stat_t).Ino
}

// linkCacheApp is a module of one main package built with a link cache of
// its own.
type linkCacheApp struct {
	t               *testing.T
	cache, mod, out string
}

func newLinkCacheApp(t *testing.T) *linkCacheApp {
	a := &linkCacheApp{t: t, cache: t.TempDir(), mod: t.TempDir(), out: t.TempDir()}
	t.Setenv(linkCacheEnv, a.cache)
	os.WriteFile(filepath.Join(a.mod, "go.mod"), []byte("module example.com/app\n\ngo 1.22\n"), 0o644)
	return a
}

// write makes the program print msg.
func (a *linkCacheApp) write(msg string) {
	os.WriteFile(filepath.Join(a.mod, "main.go"), []byte("package main\n\nfunc main() { println(\""+msg+"\") }\n"), 0o644)
}

// build builds the image name, checks the build linked into the cache and
// returns the image.
func (a *linkCacheApp) build(name string) []byte {
	a.t.Helper()
	var log bytes.Buffer
	p := filepath.Join(a.out, name)
	if _, err := Build(context.Background(), Options{Package: ".", Dir: a.mod, Output: p, Verbose: true, Log: &log}); err != nil {
		a.t.Fatalf("%v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "-o "+a.cache) {
		a.t.Errorf("the build did not link into the cache %s:\n%s", a.cache, log.String())
	}
	b, _ := os.ReadFile(p)
	return b
}

// A second build of an unchanged package finds its linked program up to
// date in the link cache and does not link it again; a change to the
// package's source links it again, into the same slot.
func TestBuildLinkCache(t *testing.T) {
	testRoot(t)
	a := newLinkCacheApp(t)
	cache := a.cache
	// The go command's work directory on the cache's file system, so that
	// it renames a linked program into place (below).
	t.Setenv("GOTMPDIR", t.TempDir())
	write, build := a.write, a.build
	// The go command links into its work directory (under the same
	// temporary directory as the cache here) and renames the program into
	// place: a link makes a new inode, an up-to-date program keeps its own
	// (the go command only touches its modification time).
	write("first message")
	img1 := build("1.img")
	exe, ino1 := linkCacheProgram(t, cache)
	img2 := build("2.img")
	if _, ino2 := linkCacheProgram(t, cache); ino2 != ino1 {
		t.Errorf("%s was linked again for an unchanged package", exe)
	}
	if !bytes.Equal(img1, img2) {
		t.Errorf("two builds of an unchanged package made different images")
	}
	write("second message")
	img3 := build("3.img")
	if !bytes.Contains(img3, []byte("second message")) || bytes.Contains(img3, []byte("first message")) {
		t.Errorf("the image after a source change does not hold the new source's program")
	}
	got, ino3 := linkCacheProgram(t, cache)
	if got != exe {
		t.Errorf("the changed package linked into %s, not its slot %s", got, exe)
	}
	if ino3 == ino1 {
		t.Errorf("a link after a source change kept the program's inode: the check above cannot tell a link")
	}
}

// With the link cache off, builds link in their temporary directory.
func TestBuildLinkCacheOff(t *testing.T) {
	root := testRoot(t)
	t.Setenv(linkCacheEnv, "off")
	var log bytes.Buffer
	out := filepath.Join(t.TempDir(), "hello.img")
	if _, err := Build(context.Background(), Options{Package: "./examples/hello", Dir: root, Output: out, Verbose: true, Log: &log}); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "gotoro-build-") || !strings.Contains(log.String(), "/exe ") {
		t.Errorf("the build did not link in its temporary directory:\n%s", log.String())
	}
}

// One build at a time holds a slot: another waits for it, or gives up
// when its context ends.
func TestLinkSlotLock(t *testing.T) {
	dir := t.TempDir()
	a, err := openLinkSlot(context.Background(), dir, "k")
	if err != nil {
		t.Fatal(err)
	}
	if !a.made {
		t.Errorf("a slot without a program is not marked made")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := openLinkSlot(ctx, dir, "k"); err != context.DeadlineExceeded {
		t.Errorf("a second open of a held slot: %v, want the context's deadline", err)
	}
	got := make(chan *linkSlot)
	go func() {
		b, err := openLinkSlot(context.Background(), dir, "k")
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	select {
	case <-got:
		t.Fatal("a held slot was opened again")
	case <-time.After(30 * time.Millisecond):
	}
	os.WriteFile(a.exe, []byte("program"), 0o755)
	a.release()
	a.release() // twice is harmless
	b := <-got
	if b == nil {
		return
	}
	defer b.release()
	if b.made {
		t.Errorf("a slot with a program is marked made")
	}
	if other, err := openLinkSlot(context.Background(), dir, "other"); err != nil {
		t.Errorf("another slot while one is held: %v", err)
	} else {
		other.release()
	}
}

// Eviction keeps the most recently used programs within the count and byte
// bounds, never removes a held slot's, and drops old lock files without a
// program.
func TestEvictLinkCache(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	mk := func(key string, size int, age time.Duration) {
		os.WriteFile(filepath.Join(dir, key+".exe"), make([]byte, size), 0o755)
		lock := filepath.Join(dir, key+".lock")
		os.WriteFile(lock, nil, 0o644)
		os.Chtimes(lock, now.Add(-age), now.Add(-age))
	}
	mk("new", 100, time.Minute)
	mk("mid", 100, 2*time.Minute)
	mk("old", 100, 3*time.Minute)
	mk("oldest", 100, 4*time.Minute)
	held, err := openLinkSlot(context.Background(), dir, "oldest")
	if err != nil {
		t.Fatal(err)
	}
	// openLinkSlot marked it used now: age it again while it is held.
	os.Chtimes(filepath.Join(dir, "oldest.lock"), now.Add(-4*time.Minute), now.Add(-4*time.Minute))
	orphan := filepath.Join(dir, "orphan.lock")
	os.WriteFile(orphan, nil, 0o644)
	os.Chtimes(orphan, now.Add(-2*staleLockAge), now.Add(-2*staleLockAge))
	young := filepath.Join(dir, "young.lock")
	os.WriteFile(young, nil, 0o644)

	evictLinkCache(dir, 2, 1000)
	exists := func(p string) bool { _, err := os.Stat(filepath.Join(dir, p)); return err == nil }
	for p, want := range map[string]bool{"new.exe": true, "mid.exe": true, "old.exe": false, "oldest.exe": true, "orphan.lock": false, "young.lock": true, "old.lock": true} {
		if exists(p) != want {
			t.Errorf("after eviction to 2 programs: %s exists %v, want %v", p, !want, want)
		}
	}
	held.release()
	evictLinkCache(dir, 10, 150)
	if !exists("new.exe") || exists("mid.exe") || exists("oldest.exe") {
		t.Errorf("eviction to 150 bytes did not keep only the newest program")
	}
}

// A slot's program cut short (a copy into the slot that a killed build
// interrupted) still has its build ID at its start, so the go command finds
// it up to date: the build sees it is not whole and links it again.
func TestBuildLinkCacheCutShort(t *testing.T) {
	testRoot(t)
	a := newLinkCacheApp(t)
	cache, build := a.cache, a.build
	a.write("whole")
	img1 := build("1.img")
	exe, _ := linkCacheProgram(t, cache)
	st, err := os.Stat(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(exe, st.Size()/2); err != nil {
		t.Fatal(err)
	}
	img2 := build("2.img")
	if !bytes.Equal(img1, img2) {
		t.Errorf("the build after its slot's program was cut short made another image (%d bytes, want %d)", len(img2), len(img1))
	}
	if st2, err := os.Stat(exe); err != nil || st2.Size() != st.Size() {
		t.Errorf("the slot's program was not linked again whole: %v", err)
	}
}

func TestCutShort(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if cutShort(b) {
		t.Errorf("the test's own program is reported cut short")
	}
	for _, n := range []int{0, 64, len(b) / 2, len(b) - 1} {
		if !cutShort(b[:n]) {
			t.Errorf("the test's program cut to %d of %d bytes is not reported cut short", n, len(b))
		}
	}
}

// Eviction never removes the lock file of a held slot, however old it
// looks: a build that locked an old slot without a program and has not yet
// marked it used would hold a lock no other build sees.
func TestEvictLinkCacheHeldStaleLock(t *testing.T) {
	dir := t.TempDir()
	held, err := openLinkSlot(context.Background(), dir, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer held.release()
	old := time.Now().Add(-2 * staleLockAge)
	os.Chtimes(filepath.Join(dir, "k.lock"), old, old)
	evictLinkCache(dir, linkCacheEntries, linkCacheBytes)
	if _, err := os.Stat(filepath.Join(dir, "k.lock")); err != nil {
		t.Fatalf("eviction removed a held slot's lock file: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if s, err := openLinkSlot(ctx, dir, "k"); err == nil {
		s.release()
		t.Errorf("a second build locked a held slot")
	}
}

// A link cache directory other users may write is not used: a program or
// lock file they plant there would be run or written by this user.
func TestLinkSlotSharedDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if s, err := openLinkSlot(context.Background(), dir, "k"); err == nil {
		s.release()
		t.Fatalf("a world-writable link cache directory was used")
	} else if !strings.Contains(err.Error(), linkCacheEnv) {
		t.Errorf("the error does not say what to do: %v", err)
	}
	// A planted lock file that is a symlink is not followed.
	own := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep"), 0o644)
	if err := os.Symlink(victim, filepath.Join(own, "k.lock")); err != nil {
		t.Fatal(err)
	}
	if s, err := openLinkSlot(context.Background(), own, "k"); err == nil {
		s.release()
		t.Errorf("a lock file that is a symlink was opened")
	}
}
