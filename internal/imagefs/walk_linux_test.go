// Host only: these tests use the packer or the option parser (not in a
// guest build).

//go:build !gotoro

package imagefs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// Linux resolves paths with openat2(RESOLVE_IN_ROOT) the way Walk does in
// an image: ".." stops at the root and absolute symlinks start there. These
// tests pack a host tree at "/" and compare Walk with the host kernel.

const (
	sysOpenat2    = 437 // amd64 and arm64
	resolveInRoot = 0x10
	oPath         = 0x200000
)

// openHow is struct open_how.
type openHow struct{ flags, mode, resolve uint64 }

// linuxWalk resolves path below the directory rootFD as Walk would, and
// returns the inode it reaches or the errno. skip is set for paths the
// syscall cannot express (NUL bytes).
func linuxWalk(rootFD int, path string, follow bool) (ino uint64, errno int, skip bool) {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return 0, 0, true
	}
	how := openHow{flags: oPath | syscall.O_CLOEXEC, resolve: resolveInRoot}
	if !follow {
		how.flags |= syscall.O_NOFOLLOW
	}
	// With RESOLVE_IN_ROOT, ".." makes openat2 fail with EAGAIN whenever
	// any rename or mount happened on the host meanwhile (other tests run
	// beside this one); Linux documents retrying.
	var fd uintptr
	var e syscall.Errno
	for try := 0; try < 100; try++ {
		fd, _, e = syscall.Syscall6(sysOpenat2, uintptr(rootFD), uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		if e != syscall.EAGAIN {
			break
		}
	}
	if e != 0 {
		return 0, int(e), false
	}
	defer syscall.Close(int(fd))
	var st syscall.Stat_t
	if err := syscall.Fstat(int(fd), &st); err != nil {
		panic(err)
	}
	return st.Ino, 0, false
}

// walkOracle packs a host tree and holds it open for linuxWalk.
type walkOracle struct {
	root   string
	rootFD int
	fs     FS
}

func newWalkOracle(t testing.TB, items []item) *walkOracle {
	root := makeTree(t, items)
	fd, err := syscall.Open(root, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if _, _, e := syscall.Syscall6(sysOpenat2, uintptr(fd), uintptr(unsafe.Pointer(&[]byte(".\x00")[0])),
		uintptr(unsafe.Pointer(&openHow{flags: oPath})), unsafe.Sizeof(openHow{}), 0, 0); e != 0 {
		if errors.Is(e, syscall.ENOSYS) {
			t.Skip("openat2 not supported")
		}
	}
	return &walkOracle{root: root, rootFD: fd, fs: mustPack(t, root, "/")}
}

// check compares Walk from the root with the host kernel on one path.
func (o *walkOracle) check(t testing.TB, path string, follow bool) {
	wantIno, wantErrno, skip := linuxWalk(o.rootFD, path, follow)
	if skip {
		return
	}
	idx, errno := o.fs.Walk(o.fs.Root(), path, follow)
	if errno != wantErrno {
		t.Fatalf("Walk(%.80q, %v): errno %d, Linux says %d", path, follow, errno, wantErrno)
	}
	if errno != 0 {
		return
	}
	info, err := os.Lstat(filepath.Join(o.root, o.fs.Path(idx)))
	if err != nil {
		t.Fatal(err)
	}
	if ino := info.Sys().(*syscall.Stat_t).Ino; ino != wantIno {
		t.Fatalf("Walk(%.80q, %v) = %s (inode %d), Linux reaches inode %d", path, follow, o.fs.Path(idx), ino, wantIno)
	}
}

// walkSeeds returns paths built from the fixture's names with every
// decoration Walk treats specially.
func walkSeeds(items []item) []string {
	seeds := []string{"", "/", "//", ".", "..", "/..", "../..", "./.", strings.Repeat("/", MaxPath),
		strings.Repeat("/", MaxPath+1), "/" + strings.Repeat("m", MaxName+1)}
	for _, it := range items {
		p := it.path
		for _, s := range []string{p, "/" + p, p + "/", p + "//", p + "/.", p + "/..", p + "/../" + p,
			"/../" + p, p + "/x", p + "/one", p + "/sub/deep", p + "/" + p, "ln-dir/../" + p, "ln-abs/../../" + p} {
			seeds = append(seeds, s)
		}
	}
	return seeds
}

// TestWalkMatchesLinux compares Walk with openat2 on many paths.
func TestWalkMatchesLinux(t *testing.T) {
	items := fixture()
	o := newWalkOracle(t, items)
	for _, p := range walkSeeds(items) {
		for _, follow := range []bool{false, true} {
			o.check(t, p, follow)
		}
	}
}

// FuzzWalkMatchesLinux compares Walk with openat2 on arbitrary paths.
func FuzzWalkMatchesLinux(f *testing.F) {
	items := fixture()
	for _, p := range walkSeeds(items) {
		f.Add(p, true)
	}
	o := newWalkOracle(f, items)
	f.Fuzz(func(t *testing.T, path string, follow bool) {
		o.check(t, path, follow)
	})
}
