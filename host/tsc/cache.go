package tsc

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The TSC rate of a machine does not change while it runs (the CLI relies
// on an invariant TSC anyway), so a measurement is kept in the user's cache
// directory, keyed by the kernel's boot ID: every later gotoro run on the
// same boot reads it instead of measuring for 15 ms. A reboot, a missing
// or unreadable file, or a value that is not plausible means measuring
// again.

// bootIDFile holds a random ID the kernel picks at each boot.
const bootIDFile = "/proc/sys/kernel/random/boot_id"

// cacheName is the cache file under the user's cache directory.
const cacheName = "gotoro/tsc_hz"

// cachedHz returns the rate recorded in the cache file at path for this
// boot (bootID), or measures it with measure and records it. A cache that
// cannot be written is not an error: the measurement is returned.
func cachedHz(path, bootID string, measure func() (uint64, error)) (uint64, error) {
	if hz, ok := readCache(path, bootID); ok {
		return hz, nil
	}
	hz, err := measure()
	if err != nil {
		return 0, err
	}
	writeCache(path, bootID, hz)
	return hz, nil
}

// readCache reads "BOOTID HZ\n" from path.
func readCache(path, bootID string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] != bootID {
		return 0, false
	}
	hz, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil || hz < minHz || hz > maxHz {
		return 0, false
	}
	return hz, true
}

// writeCache records hz for bootID at path, atomically (a temporary file
// renamed over it), so that concurrent gotoro runs never read half a file.
func writeCache(path, bootID string, hz uint64) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tsc_hz-*")
	if err != nil {
		return
	}
	_, err = fmt.Fprintf(f, "%s %d\n", bootID, hz)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// cacheLocation returns the cache file's path and this boot's ID, or ok
// false when either is unknown (then nothing is cached).
func cacheLocation() (path, bootID string, ok bool) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", "", false
	}
	b, err := os.ReadFile(bootIDFile)
	if err != nil {
		return "", "", false
	}
	id := strings.TrimSpace(string(b))
	if id == "" {
		return "", "", false
	}
	return filepath.Join(dir, cacheName), id, true
}
