package qemu

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestImageRAMImageChangedWhileMade checks that an image replaced or
// rewritten after it was hashed never leaves the cache holding one
// content's layout under another content's key (a later run of the old
// content would boot the new one).
func TestImageRAMImageChangedWhileMade(t *testing.T) {
	segsA, segsB := testSegs(21), testSegs(31)
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, img string)
	}{
		{"replaced by a rename", func(t *testing.T, img string) {
			tmp := img + ".new"
			if err := os.WriteFile(tmp, segmentedImage(segsB), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, img); err != nil {
				t.Fatal(err)
			}
		}},
		{"rewritten in place", func(t *testing.T, img string) {
			time.Sleep(10 * time.Millisecond) // a new modification time on coarse clocks
			if err := os.WriteFile(img, segmentedImage(segsB), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cache := filepath.Join(dir, "cache")
			img := writeImage(t, dir, "a.img", segmentedImage(segsA))
			imageRAMSummed = func() { tc.change(t, img) }
			r, err := openImageRAM(cache, img, DefaultMemory)
			imageRAMSummed = nil
			if err == nil {
				// Whatever this run boots must be the content it hashed.
				checkLayout(t, r.mem, segsA, int64(imageRAMSpan(r.end)))
				r.close()
			}
			// A copy of the first content finds its own bytes, not the
			// second content's.
			copyA := writeImage(t, dir, "copy.img", segmentedImage(segsA))
			openRAM(t, cache, copyA, segsA)
			// And the changed image its new ones.
			openRAM(t, cache, img, segsB)
		})
	}
}

// TestImageRAMConcurrentMakers checks that runs in one process (a test
// harness booting cases in parallel, gotoro test) that make the same new
// image's files at once all get them: their temporary files must not
// collide, nor one run's clean-up remove another's.
func TestImageRAMConcurrentMakers(t *testing.T) {
	for round := range 5 {
		dir := t.TempDir()
		cache := filepath.Join(dir, "cache")
		segs := testSegs(uint64(40 + round))
		img := writeImage(t, dir, "a.img", segmentedImage(segs))
		const runs = 8
		errs := make(chan error, runs)
		rams := make(chan *imageRAM, runs)
		for range runs {
			go func() {
				r, err := openImageRAM(cache, img, DefaultMemory)
				errs <- err
				rams <- r
			}()
		}
		for range runs {
			if err := <-errs; err != nil {
				t.Errorf("round %d: a run fell back: %v", round, err)
			}
			if r := <-rams; r != nil {
				checkLayout(t, r.mem, segs, int64(imageRAMSpan(r.end)))
				r.close()
			}
		}
		if tmps, _ := filepath.Glob(filepath.Join(cache, "*.tmp")); len(tmps) != 0 {
			t.Errorf("round %d: temporary files left: %v", round, tmps)
		}
		openRAM(t, cache, img, segs)
	}
}
