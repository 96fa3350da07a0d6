package tsc

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestCachedHz(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "tsc_hz")
	measured := 0
	measure := func() (uint64, error) { measured++; return 2_245_780_000, nil }

	hz, err := cachedHz(path, "boot-a", measure)
	if err != nil || hz != 2_245_780_000 || measured != 1 {
		t.Fatalf("first call: %d, %v, %d measurements", hz, err, measured)
	}
	if hz, err = cachedHz(path, "boot-a", measure); err != nil || hz != 2_245_780_000 || measured != 1 {
		t.Fatalf("same boot: %d, %v, %d measurements; want the cached rate", hz, err, measured)
	}
	if _, err = cachedHz(path, "boot-b", measure); err != nil || measured != 2 {
		t.Fatalf("another boot: %v, %d measurements; want a new measurement", err, measured)
	}
	if got, ok := readCache(path, "boot-b"); !ok || got != 2_245_780_000 {
		t.Fatalf("cache after a reboot: %d, %v", got, ok)
	}

	for _, bad := range []string{"", "boot-b", "boot-b x\n", "boot-b 12\n", "boot-b 2245780000 extra\n", "\x00\x01"} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		before := measured
		if hz, err := cachedHz(path, "boot-b", measure); err != nil || hz != 2_245_780_000 || measured != before+1 {
			t.Errorf("cache %q: %d, %v; want a new measurement", bad, hz, err)
		}
	}

	// A measurement that fails is returned as the error, and not cached.
	os.Remove(path)
	boom := errors.New("boom")
	if _, err := cachedHz(path, "boot-c", func() (uint64, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("failing measurement: %v", err)
	}
	if _, ok := readCache(path, "boot-c"); ok {
		t.Errorf("a failed measurement was cached")
	}
}

func TestCachedHzUnwritable(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The cache's directory would have to be under a regular file.
	hz, err := cachedHz(filepath.Join(blocker, "tsc_hz"), "boot", func() (uint64, error) { return 3_000_000_000, nil })
	if err != nil || hz != 3_000_000_000 {
		t.Errorf("unwritable cache: %d, %v; want the measurement", hz, err)
	}
}

func TestCachedHzConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tsc_hz")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			hz, err := cachedHz(path, "boot", func() (uint64, error) { return 2_000_000_000 + uint64(i%2)*10_000, nil })
			if err != nil || (hz != 2_000_000_000 && hz != 2_000_010_000) {
				t.Errorf("concurrent call: %d, %v", hz, err)
			}
		})
	}
	wg.Wait()
	if _, ok := readCache(path, "boot"); !ok {
		t.Errorf("no valid cache after concurrent writers")
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".tsc_hz-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
