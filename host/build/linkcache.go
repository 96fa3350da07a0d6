package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/internal/usercache"
)

// The link cache keeps the program each kind of build linked last, at a
// path of its own, so that the go command finds it up to date and does not
// link it again: the go command compares the build ID in an -o target with
// the one it would link (sources, overlay contents, flags, toolchain), and a
// build into a fresh temporary directory always linked (~0.2–0.3 s of a
// `gotoro run PKG` whose packages are all cached). Correctness stays the go
// command's: a slot whose program is stale is linked again.
//
// Each slot is a program (KEY.exe) and a lock file (KEY.lock, flock held
// while a build writes or reads the program; its modification time is the
// slot's last use). At most linkCacheEntries programs and linkCacheBytes
// bytes are kept; the least recently used beyond that are removed, a slot
// in use never.

// linkCacheEnv names the link cache's directory; "off" turns it off (every
// build links in its temporary directory, as before the cache).
const linkCacheEnv = "GOTORO_LINK_CACHE"

// linkCacheFormat is part of each slot's key: a gotoro that builds
// differently uses slots of its own.
const linkCacheFormat = 1

const (
	linkCacheEntries = 48
	linkCacheBytes   = 1 << 30
	// linkLockPoll is how often a build waiting for a slot another build
	// holds looks again (and at its context).
	linkLockPoll = 10 * time.Millisecond
	// staleLockAge is how old a lock file without a program must be to go.
	staleLockAge = 24 * time.Hour
)

// linkCacheDir returns the link cache's directory, or "" when it is off or
// the user's cache directory is unknown (then err says why).
func linkCacheDir() (string, error) {
	return usercache.Path(linkCacheEnv, "link")
}

// linkKey names a build's slot: what tells one go build invocation from
// another but the temporary paths gotoro makes for it.
func linkKey(ws workspace, pkg *Package, test bool, flags []string, kernelName string, kernel []byte) string {
	parts := []string{
		fmt.Sprintf("format=%d", linkCacheFormat),
		"dir=" + ws.dir,
		fmt.Sprintf("gowork-off=%v", ws.gowork == "off"),
		"work=" + ws.work,
		"view=" + ws.view,
		"goflags=" + os.Getenv("GOFLAGS"),
		fmt.Sprintf("test=%v", test),
		"pkg=" + pkg.ImportPath,
		"flags=" + strings.Join(flags, "\x01"),
		"kernel=" + kernelName,
		"kernel-content=" + string(kernel),
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// linkSlot is a slot of the link cache, locked by this process.
type linkSlot struct {
	exe  string
	lock *os.File // nil once released
	// made: the slot had no program when it was locked (this build adds
	// one to the cache).
	made bool
}

// linkSlotFor locks the slot of a build, or returns nil when the cache is
// off or cannot be used (the build then links in its temporary directory;
// log, if not nil, says why).
func linkSlotFor(ctx context.Context, ws workspace, pkg *Package, test bool, flags []string, log io.Writer) *linkSlot {
	dir, err := linkCacheDir()
	if dir == "" {
		if err != nil && log != nil {
			fmt.Fprintf(log, "gotoro: no link cache (%v): linking in a temporary directory\n", err)
		}
		return nil
	}
	name, content := kernelFile(test, pkg.Name, pkg.UsesNetwork(test))
	s, err := openLinkSlot(ctx, dir, linkKey(ws, pkg, test, flags, name, content))
	if err != nil {
		if log != nil {
			fmt.Fprintf(log, "gotoro: no link cache (%v): linking in a temporary directory\n", err)
		}
		return nil
	}
	return s
}

// openLinkSlot locks the slot key in dir, waiting while another build holds
// it (until ctx ends), and marks it used.
func openLinkSlot(ctx context.Context, dir, key string) (*linkSlot, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := ownDir(dir); err != nil {
		return nil, err
	}
	base := filepath.Join(dir, key)
	var lock *os.File
	for lock == nil {
		f, err := os.OpenFile(base+".lock", os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
		if err != nil {
			return nil, err
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil && sameFile(f, base+".lock"):
			lock = f
			continue
		case err == nil:
			// Eviction removed the lock file between the open and the
			// flock: another build may hold the new one.
		case !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR):
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
		}
		f.Close()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(linkLockPoll):
		}
	}
	now := time.Now()
	os.Chtimes(lock.Name(), now, now)
	_, err := os.Stat(base + ".exe")
	return &linkSlot{exe: base + ".exe", lock: lock, made: errors.Is(err, fs.ErrNotExist)}, nil
}

// ownDir refuses a link cache directory that another user owns or may
// write: a program or lock file planted there (a symlink to one of the
// user's files, which the go command's copy into a slot would overwrite)
// would be the user's to run or write.
func ownDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Getuid() || st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is not a directory of this user's alone (owner or other users may write it): set %s to one that is", dir, linkCacheEnv)
	}
	return nil
}

// release unlocks the slot (closing the file drops the flock); again, it
// does nothing.
func (s *linkSlot) release() {
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

// evictLinkCache removes the least recently used programs in dir beyond
// keep of them or maxBytes in all, except those whose slot is locked, and
// lock files without a program that are older than staleLockAge.
func evictLinkCache(dir string, keep int, maxBytes int64) {
	locks, _ := filepath.Glob(filepath.Join(dir, "*.lock"))
	type slot struct {
		base string
		used time.Time
		size int64
	}
	var slots []slot
	for _, l := range locks {
		base := strings.TrimSuffix(l, ".lock")
		lst, err := os.Stat(l)
		if err != nil {
			continue
		}
		est, err := os.Stat(base + ".exe")
		if err != nil {
			if time.Since(lst.ModTime()) > staleLockAge {
				removeUnlocked(l, l)
			}
			continue
		}
		slots = append(slots, slot{base, lst.ModTime(), est.Size()})
	}
	slices.SortFunc(slots, func(a, b slot) int { return b.used.Compare(a.used) })
	var total int64
	for i, s := range slots {
		total += s.size
		if i < keep && total <= maxBytes {
			continue
		}
		removeUnlocked(s.base+".lock", s.base+".exe")
	}
}

// removeUnlocked removes path if no build holds the lock file lock.
func removeUnlocked(lock, path string) {
	f, err := os.OpenFile(lock, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		os.Remove(path)
	}
}

// sameFile reports whether the open file f is still the file at path.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// cutShort reports whether prog, read from a slot, is not a whole ELF
// file: its section headers, a segment or a section end past its end. A
// copy into a slot that was interrupted (the go command copies a linked
// program in when its work directory is on another file system, and a
// killed build stops it mid-way) leaves such a program, with its build ID
// at the start, which the go command would find up to date for ever.
func cutShort(prog []byte) bool {
	f, err := elf.NewFile(bytes.NewReader(prog))
	if err != nil {
		return true
	}
	size := uint64(len(prog))
	for _, p := range f.Progs {
		if p.Off > size || p.Filesz > size-p.Off {
			return true
		}
	}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NOBITS && (s.Offset > size || s.FileSize > size-s.Offset) {
			return true
		}
	}
	return false
}
