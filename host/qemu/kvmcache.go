package qemu

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/internal/usercache"
)

// The KVM self-test verdict is kept on disk per host, so that -accel auto
// costs a boot of the probe once, not on every run. A verdict is keyed by
// everything that can change it: the kernel (release, build, boot), the
// QEMU binary (path, size, modification time, inode) and the /dev/kvm
// node (device number, inode, change time: reloading the KVM module
// recreates it), and the probe itself. Any change re-tests. Only verdicts
// QEMU reached on its own are kept: a probe that timed out (a slow or
// overloaded host) is tried again next time.

// verdictCacheEnv names the cache file; "off" disables the cache. Empty
// means kvm-selftest.json in the user's cache directory.
const verdictCacheEnv = "GOTORO_KVM_CACHE"

// maxCachedVerdicts bounds the file (one entry per host identity).
const maxCachedVerdicts = 8

// verdict is a self-test outcome.
type verdict struct {
	OK  bool   `json:"ok"`
	Why string `json:"why,omitempty"`
	// When is when the probe ran.
	When time.Time `json:"when"`
	// cached is set when the verdict came from the file.
	cached bool
	// definitive: QEMU reached an end on its own (not a timeout), so the
	// verdict may be kept.
	definitive bool
}

// cacheEntry is one verdict in the file, with the identity it holds for.
type cacheEntry struct {
	Key     string       `json:"key"`
	Host    hostIdentity `json:"host"`
	Verdict verdict      `json:"verdict"`
}

type cacheFile struct {
	Entries []cacheEntry `json:"entries"`
}

// hostIdentity is what a verdict depends on.
type hostIdentity struct {
	Kernel string `json:"kernel"`
	BootID string `json:"boot_id"`
	QEMU   string `json:"qemu"`
	KVM    string `json:"kvm"`
	Probe  string `json:"probe"`
}

// key returns a digest of id.
func (id hostIdentity) key() string {
	b, _ := json.Marshal(id)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:16])
}

// identify returns the identity of this host for the QEMU binary qemu.
func identify(qemu string) (hostIdentity, error) {
	var id hostIdentity
	rel, err1 := os.ReadFile("/proc/sys/kernel/osrelease")
	ver, err2 := os.ReadFile("/proc/sys/kernel/version")
	boot, err3 := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err := errors.Join(err1, err2, err3); err != nil {
		return id, err
	}
	id.Kernel = strings.TrimSpace(string(rel)) + " " + strings.TrimSpace(string(ver))
	id.BootID = strings.TrimSpace(string(boot))
	q, err := fileIdentity(qemu, false)
	if err != nil {
		return id, err
	}
	id.QEMU = qemu + " " + q
	if id.KVM, err = fileIdentity(kvmDevice, true); err != nil {
		return id, err
	}
	p := sha256.Sum256(sseProbeImage())
	id.Probe = hex.EncodeToString(p[:8])
	return id, nil
}

// fileIdentity describes a file by file system, inode, size and
// modification time; a device node also by its device number and change
// time (a node made anew, e.g. when a module is reloaded, may reuse the
// inode).
func fileIdentity(path string, device bool) (string, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "", &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	s := fmt.Sprintf("dev=%d ino=%d size=%d mtime=%d.%09d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec)
	if device {
		s += fmt.Sprintf(" rdev=%#x ctime=%d.%09d", st.Rdev, st.Ctim.Sec, st.Ctim.Nsec)
	}
	return s, nil
}

// verdictCachePath returns the cache file, or "" if caching is off.
func verdictCachePath() string {
	p, _ := usercache.Path(verdictCacheEnv, "kvm-selftest.json")
	return p
}

// loadVerdict returns the cached verdict for id, if any.
func loadVerdict(path string, id hostIdentity) (verdict, bool) {
	if path == "" {
		return verdict{}, false
	}
	if v, ok := readMemo(path, id); ok {
		v.cached = true
		return v, true
	}
	f, stamp, err := readCacheStamp(path)
	if err != nil {
		return verdict{}, false
	}
	k := id.key()
	for _, e := range f.Entries {
		if e.Key == k {
			v := e.Verdict
			writeMemo(path, stamp, id, v) // the next lookup reads only that
			v.cached = true
			return v, true
		}
	}
	return verdict{}, false
}

func readCache(path string) (cacheFile, error) {
	f, _, err := readCacheStamp(path)
	return f, err
}

// readCacheStamp is readCache with the version of the file it read
// (fileStamp).
func readCacheStamp(path string) (cacheFile, string, error) {
	var f cacheFile
	r, err := os.Open(path)
	if err != nil {
		return f, "", err
	}
	defer r.Close()
	fi, err := r.Stat()
	if err != nil {
		return f, "", err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return f, "", err
	}
	err = json.Unmarshal(b, &f)
	return f, fileStamp(fi), err
}

// storeVerdict adds v for id to the cache file (replacing the file
// atomically; a broken or foreign file is started afresh).
func storeVerdict(path string, id hostIdentity, v verdict) error {
	if path == "" {
		return nil
	}
	f, _ := readCache(path)
	k := id.key()
	entries := []cacheEntry{{Key: k, Host: id, Verdict: v}}
	for _, e := range f.Entries {
		if e.Key != k && len(entries) < maxCachedVerdicts {
			entries = append(entries, e)
		}
	}
	b, err := json.MarshalIndent(cacheFile{Entries: entries}, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kvm-selftest-*.json")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(b, '\n'))
	var stamp string
	if fi, serr := tmp.Stat(); serr == nil {
		stamp = fileStamp(fi) // the rename keeps it
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	writeMemo(path, stamp, id, v)
	return nil
}
