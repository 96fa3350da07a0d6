// Command hardlinks is a hostile load on /tmp's hard links: one worker
// per CPU makes, links, unlinks, renames and swaps (RENAME_EXCHANGE)
// names among a few in two directories, holds files open across their
// removal and writes through them, for a fixed number of operations
// each. Every call must answer as Linux may under such a race (success,
// ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL of a directory
// below itself); a stat of a name must show a link count between 1 and
// the number of names; at the end each file's link count must equal the
// names it has, and after removing everything statfs must show every
// node free again (none leaked). The first failed check prints FAIL and
// exits 1.
package main

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

const (
	root     = "/tmp/hl"
	nnames   = 12   // names per directory
	opsPerW  = 6000 // operations per worker
	exchange = 2    // RENAME_EXCHANGE
)

func ffree() uint64 {
	var st syscall.Statfs_t
	guestcheck.Must("statfs /tmp", syscall.Statfs("/tmp", &st))
	return st.Ffree
}

// name is one of the names the workers fight over.
func name(r *rand.Rand) string {
	return filepath.Join(root, fmt.Sprintf("d%d", r.Intn(2)), fmt.Sprintf("n%d", r.Intn(nnames)))
}

func renameat2(from, to string, flags uintptr) error {
	f, _ := syscall.BytePtrFromString(from)
	t, _ := syscall.BytePtrFromString(to)
	_, _, e := syscall.Syscall6(316, ^uintptr(99), uintptr(unsafe.Pointer(f)), ^uintptr(99), uintptr(unsafe.Pointer(t)), flags, 0)
	if e != 0 {
		return e
	}
	return nil
}

// expected reports whether err is an answer a race of these calls may
// give.
func expected(err error) bool {
	for _, e := range []error{nil, syscall.ENOENT, syscall.EEXIST, syscall.ENOTDIR, syscall.EISDIR, syscall.ENOTEMPTY, syscall.EINVAL, syscall.EPERM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func main() {
	free0 := ffree()
	for _, d := range []string{"d0", "d1"} {
		guestcheck.Must("mkdir", os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	var bad atomic.Value
	var ops, links, badNlink atomic.Int64
	fail := func(what string, err error) {
		bad.CompareAndSwap(nil, fmt.Sprintf("%s: %v", what, err))
	}
	workers := runtime.NumCPU()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed))
			var held []*os.File
			for i := 0; i < opsPerW; i++ {
				a, b := name(r), name(r)
				var err error
				switch k := r.Intn(10); k {
				case 0, 1:
					var f *os.File
					f, err = os.OpenFile(a, os.O_CREATE|os.O_WRONLY, 0o644)
					if err == nil {
						if len(held) < 4 {
							held = append(held, f)
						} else {
							f.Close()
						}
					}
				case 2, 3:
					err = os.Link(a, b)
					if err == nil {
						links.Add(1)
					}
				case 4:
					err = os.Remove(a)
				case 5:
					err = os.Rename(a, b)
				case 6:
					err = renameat2(a, b, exchange)
				case 7:
					var st syscall.Stat_t
					err = syscall.Lstat(a, &st)
					if err == nil && st.Mode&syscall.S_IFMT == syscall.S_IFREG && (st.Nlink < 1 || st.Nlink > 2*nnames) {
						badNlink.Add(1)
						fail("nlink of "+a, fmt.Errorf("%d", st.Nlink))
					}
				case 8:
					if len(held) > 0 {
						f := held[r.Intn(len(held))]
						_, err = f.WriteAt([]byte("x"), int64(r.Intn(64)))
						var st syscall.Stat_t
						if e := syscall.Fstat(int(f.Fd()), &st); e != nil || st.Nlink > 2*nnames {
							fail("fstat of a held file", fmt.Errorf("%v, nlink %d", e, st.Nlink))
						}
					}
				case 9:
					if r.Intn(8) == 0 {
						err = os.Mkdir(a, 0o755) // a directory among the names: EPERM to link, EISDIR...
					} else if len(held) > 0 {
						held[0].Close()
						held = held[1:]
					}
				}
				if !expected(err) {
					fail(fmt.Sprintf("op %d", i), err)
				}
				ops.Add(1)
			}
			for _, f := range held {
				f.Close()
			}
		}(int64(w) + 1)
	}
	wg.Wait()
	if v := bad.Load(); v != nil {
		guestcheck.Check("every call answered as a race may", false, "%v", v)
	}
	guestcheck.Check("the workers linked", links.Load() > 0, "%d links in %d operations", links.Load(), ops.Load())
	guestcheck.Check("no name showed a link count out of range", badNlink.Load() == 0, "%d", badNlink.Load())

	// Each file's link count is the number of its names.
	names := map[uint64]int{}
	nlink := map[uint64]uint64{}
	for _, d := range []string{"d0", "d1"} {
		ents, err := os.ReadDir(filepath.Join(root, d))
		guestcheck.Must("readdir", err)
		for _, e := range ents {
			var st syscall.Stat_t
			guestcheck.Must("lstat", syscall.Lstat(filepath.Join(root, d, e.Name()), &st))
			if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
				continue
			}
			names[st.Ino]++
			nlink[st.Ino] = st.Nlink
		}
	}
	for ino, n := range names {
		guestcheck.Check(fmt.Sprintf("file %d: link count = names", ino), nlink[ino] == uint64(n), "nlink %d, %d names", nlink[ino], n)
	}
	guestcheck.Must("remove all", os.RemoveAll(root))
	free := ffree()
	guestcheck.Check("every node free again", free == free0, "%d free, %d at the start", free, free0)
	fmt.Printf("hardlinks: %d workers, %d operations, %d links, %d files at the end\n", workers, ops.Load(), links.Load(), len(names))
	guestcheck.Done("hardlinks ok")
}
