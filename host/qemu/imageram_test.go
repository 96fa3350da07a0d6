package qemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openRAM opens image's files in dir and checks the layout's bytes.
func openRAM(t *testing.T, dir, image string, segs []testSeg) *imageRAM {
	t.Helper()
	r, err := openImageRAM(dir, image, DefaultMemory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	checkLayout(t, r.mem, segs, int64(imageRAMSpan(r.end)))
	return r
}

func TestImageRAMCache(t *testing.T) {
	dir := t.TempDir()
	segs := testSegs(3)
	img := writeImage(t, dir, "a.img", segmentedImage(segs))
	cache := filepath.Join(dir, "cache")
	first := openRAM(t, cache, img, segs)
	if !first.made {
		t.Fatal("first run: the files were not made")
	}
	again := openRAM(t, cache, img, segs)
	if again.made || again.key != first.key {
		t.Fatalf("second run: made %v, key %s; want the first run's files (%s)", again.made, again.key, first.key)
	}
	stub, err := os.ReadFile(first.key + ".elf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(stub, []byte("\x7fELF")) {
		t.Errorf("%s.elf is not an ELF file", first.key)
	}
	// The same content at another path: the same files.
	copyImg := writeImage(t, dir, "copy.img", segmentedImage(segs))
	if r := openRAM(t, cache, copyImg, segs); r.made || r.key != first.key {
		t.Errorf("a copy of the image: made %v, key %s; want the first run's files", r.made, r.key)
	}
	// Rebuilt in place (same path, other content): other files, with the
	// new bytes.
	segs2 := testSegs(4)
	time.Sleep(10 * time.Millisecond) // a new modification time on coarse clocks
	if err := os.WriteFile(img, segmentedImage(segs2), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := openRAM(t, cache, img, segs2); !r.made || r.key == first.key {
		t.Errorf("image rebuilt in place: made %v, key %s; want new files (not %s)", r.made, r.key, first.key)
	}
	// The old image's files are still there for its copy.
	if r := openRAM(t, cache, copyImg, segs); r.made {
		t.Error("the copy's files were made again")
	}
}

func TestImageRAMReplacesDamagedFiles(t *testing.T) {
	segs := testSegs(5)
	for _, tc := range []struct {
		name   string
		damage func(key string) error
	}{
		{"torn layout", func(key string) error { return os.Truncate(key+".ram", 0x101000) }},
		{"rewritten layout", func(key string) error {
			f, err := os.OpenFile(key+".ram", os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte("torn"), 0x100000)
			return err
		}},
		{"layout missing", func(key string) error { return os.Remove(key + ".ram") }},
		{"stub missing", func(key string) error { return os.Remove(key + ".elf") }},
		{"stub replaced", func(key string) error { return os.WriteFile(key+".elf", []byte("\x7fELF"), 0o644) }},
		{"record damaged", func(key string) error { return os.WriteFile(key+".json", []byte("{"), 0o644) }},
		{"record of another format", func(key string) error {
			b, err := os.ReadFile(key + ".json")
			if err != nil {
				return err
			}
			return os.WriteFile(key+".json", bytes.Replace(b, []byte(fmt.Sprintf(`"format": %d`, imageRAMFormat)), []byte(`"format": 0`), 1), 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			img := writeImage(t, dir, "a.img", segmentedImage(segs))
			cache := filepath.Join(dir, "cache")
			first := openRAM(t, cache, img, segs)
			time.Sleep(10 * time.Millisecond)
			if err := tc.damage(first.key); err != nil {
				t.Fatal(err)
			}
			r := openRAM(t, cache, img, segs)
			if !r.made {
				t.Fatal("the damaged files were used")
			}
			if r := openRAM(t, cache, img, segs); r.made {
				t.Error("the files made again were not used by the next run")
			}
		})
	}
}

func TestImageRAMAbandonedAndEviction(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	// A run killed while making files: its temporaries, no record. A
	// process ID past the system's largest is never alive.
	dead := filepath.Join(cache, "0123456789abcdef0123456789abcdef.999999999-3.ram.tmp")
	alive := filepath.Join(cache, fmt.Sprintf("0123456789abcdef0123456789abcdef.%d-7.elf.tmp", os.Getpid()))
	// A sum memo's temporary of a dead run; a temporary of a process
	// ID that is alive again (reused) but hours old.
	deadMemo := filepath.Join(cache, ".image-0123456789abcdef01234567.999999999-2.tmp")
	stale := filepath.Join(cache, fmt.Sprintf("0123456789abcdef0123456789abcdef.%d-1.ram.tmp", os.Getpid()))
	for _, p := range []string{dead, alive, deadMemo, stale} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hours := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(stale, hours, hours); err != nil {
		t.Fatal(err)
	}
	// Files renamed into place by a run killed before its record (or
	// whose record could not be written): hours old they are orphans, new
	// they may be a run's between its renames.
	orphanRAM := filepath.Join(cache, "00000000000000000000000000000001.ram")
	orphanELF := filepath.Join(cache, "00000000000000000000000000000001.elf")
	young := filepath.Join(cache, "00000000000000000000000000000002.ram")
	for _, p := range []string{orphanRAM, orphanELF, young} {
		if err := os.WriteFile(p, []byte("orphan"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{orphanRAM, orphanELF} {
		if err := os.Chtimes(p, hours, hours); err != nil {
			t.Fatal(err)
		}
	}
	keys := makeAgedImages(t, dir, cache, imageRAMEntries+3, 100)
	for _, p := range []string{dead, deadMemo, stale, orphanRAM, orphanELF} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("an abandoned file was kept: %s (%v)", filepath.Base(p), err)
		}
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("a new layout without a record yet was removed: %v", err)
	}
	if _, err := os.Stat(alive); err != nil {
		t.Errorf("a live run's temporary file was removed: %v", err)
	}
	recs, _ := filepath.Glob(filepath.Join(cache, "*.json"))
	if len(recs) != imageRAMEntries {
		t.Errorf("%d images kept, want %d", len(recs), imageRAMEntries)
	}
	// The oldest went, all three files of each; the newest stayed.
	for i, k := range keys {
		_, errJSON := os.Stat(k + ".json")
		_, errRAM := os.Stat(k + ".ram")
		_, errELF := os.Stat(k + ".elf")
		kept := errJSON == nil
		if (errRAM == nil) != kept || (errELF == nil) != kept {
			t.Errorf("image %d: record kept %v, layout %v, stub %v: want all or none", i, kept, errRAM, errELF)
		}
		if wantKept := i >= len(keys)-imageRAMEntries; kept != wantKept {
			t.Errorf("image %d: kept %v, want %v", i, kept, wantKept)
		}
	}
}

func TestImageRAMBoundsSumMemos(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	segs := testSegs(7)
	img := segmentedImage(segs)
	// The same image at many paths: one memo of its sum per identity.
	for i := range 4*imageRAMEntries + 5 {
		openRAM(t, cache, writeImage(t, dir, fmt.Sprintf("%d.img", i), img), segs)
	}
	memos, _ := filepath.Glob(filepath.Join(cache, ".image-*"))
	if len(memos) > 4*imageRAMEntries {
		t.Errorf("%d image sums remembered, want at most %d", len(memos), 4*imageRAMEntries)
	}
}

func TestImageRAMRefusals(t *testing.T) {
	dir := t.TempDir()
	segs := testSegs(6)
	img := writeImage(t, dir, "a.img", segmentedImage(segs))
	cache := filepath.Join(dir, "cache")
	for _, tc := range []struct {
		name string
		mem  uint64
		want string
	}{
		{"memory below the image's end", 2 * MiB, "past -mem 2M"},
	} {
		if _, err := openImageRAM(cache, img, tc.mem); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	// Below the image's end once the files exist, too.
	openRAM(t, cache, img, segs)
	if _, err := openImageRAM(cache, img, 2*MiB); err == nil {
		t.Error("-mem below the image's end with its files made: no error")
	}
	// A cache directory that cannot be made.
	file := writeImage(t, dir, "plain", nil)
	if _, err := openImageRAM(filepath.Join(file, "cache"), img, DefaultMemory); err == nil {
		t.Error("a cache directory under a plain file: no error")
	}
	if os.Getuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if _, err := openImageRAM(ro, img, DefaultMemory); err == nil {
			t.Error("an unwritable cache directory: no error")
		}
	}
}

// TestImageRAMUnwritableLayout checks that a layout file QEMU could not
// open for writing (as it opens a memory file) is not used: here an
// immutable one, which even root cannot open so.
func TestImageRAMUnwritableLayout(t *testing.T) {
	dir := t.TempDir()
	segs := testSegs(8)
	img := writeImage(t, dir, "a.img", segmentedImage(segs))
	cache := filepath.Join(dir, "cache")
	first := openRAM(t, cache, img, segs)
	if out, err := exec.Command("chattr", "+i", first.key+".ram").CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, out)
	}
	defer exec.Command("chattr", "-i", first.key+".ram").Run()
	// The record names the file as it is now (chattr set its change
	// time), so that only the file's mode can make the run refuse it.
	st, err := os.Stat(first.key + ".ram")
	if err != nil {
		t.Fatal(err)
	}
	var rec imageRAMRecord
	b, err := os.ReadFile(first.key + ".json")
	if err == nil {
		err = json.Unmarshal(b, &rec)
	}
	if err != nil {
		t.Fatal(err)
	}
	rec.RAMID = FileIdentity(st)
	if b, err = json.Marshal(rec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(first.key+".json", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err := openImageRAM(cache, img, DefaultMemory); err == nil {
		r.close()
		t.Error("an immutable layout file: used, want an error (the run boots the old way)")
	}
}

func TestImageRAMArgs(t *testing.T) {
	c, err := Config{Image: "hello.img", Accel: AccelTCG}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		mem     uint64
		span    uint64
		want    []string
		notWant string
	}{
		{"guest RAM past the image: a second node of anonymous memory", 256 * MiB, 16 * MiB, []string{
			"-M microvm,rtc=on ",
			"-object memory-backend-file,id=mem0,size=16M,mem-path=/proc/self/fd/3,share=off ",
			"-object memory-backend-ram,id=mem1,size=240M,share=on ",
			"-numa node,memdev=mem0 -numa node,memdev=mem1 ",
		}, "memory-backend=mem"},
		{"guest RAM ends with the layout", 16 * MiB, 16 * MiB, []string{
			"-object memory-backend-file,id=mem0,size=16M,mem-path=/proc/self/fd/3,share=off ",
			"-numa node,memdev=mem0 ",
		}, "mem1"},
		{"guest RAM ends inside the layout's last 2 MiB", 15 * MiB, 16 * MiB, []string{
			"-object memory-backend-file,id=mem0,size=15M,mem-path=/proc/self/fd/3,share=off ",
		}, "mem1"},
	} {
		c.Memory = tc.mem
		c.imageRAM = &imageRAMFDs{memFD: 3, kernelFD: 4, span: tc.span}
		a := strings.Join(args(c, AccelTCG), " ")
		for _, want := range append(tc.want, "-m "+FormatSize(tc.mem)+" ", "-kernel /proc/self/fd/4 ") {
			if !strings.Contains(a, want) {
				t.Errorf("%s: args %q: no %q", tc.name, a, want)
			}
		}
		if strings.Contains(a, tc.notWant) {
			t.Errorf("%s: args %q have %q", tc.name, a, tc.notWant)
		}
		if strings.Contains(a, "hello.img") {
			t.Errorf("%s: args %q name the image: QEMU would load it", tc.name, a)
		}
	}
}

// TestImageRAMSpan: the layout covers the image's end rounded up to 2 MiB.
func TestImageRAMSpan(t *testing.T) {
	for _, tc := range []struct{ end, want uint64 }{
		{1, 2 * MiB},
		{2 * MiB, 2 * MiB},
		{2*MiB + 1, 4 * MiB},
		{0xec5860, 16 * MiB},
	} {
		if got := imageRAMSpan(tc.end); got != tc.want {
			t.Errorf("imageRAMSpan(%#x) = %#x, want %#x", tc.end, got, tc.want)
		}
	}
}

// TestImageRAMEvictsByBytes: beyond the disk the layouts may take
// together, the least recently used images go, never the newest.
func TestImageRAMEvictsByBytes(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	keys := makeAgedImages(t, dir, cache, 5, 200)
	// Room for the two newest layouts.
	budget := diskBytes(keys[4]+".ram") + diskBytes(keys[3]+".ram")
	if budget == 0 {
		t.Skip("this file system does not say how much disk a file takes")
	}
	evictImageRAM(cache, 100, budget)
	for i, k := range keys {
		_, err := os.Stat(k + ".json")
		if kept, want := err == nil, i >= 3; kept != want {
			t.Errorf("image %d: kept %v, want %v (budget %d bytes)", i, kept, want, budget)
		}
	}
	// A budget smaller than the newest layout keeps the newest.
	evictImageRAM(cache, 100, 1)
	if _, err := os.Stat(keys[4] + ".json"); err != nil {
		t.Errorf("the newest image was removed under a tiny budget: %v", err)
	}
	if _, err := os.Stat(keys[3] + ".json"); err == nil {
		t.Error("under a tiny budget an older image was kept")
	}
}

// makeAgedImages makes n images' files in cache (images of testSegs from
// seed on, written in dir) and returns their keys, oldest first: their
// records' modification times a minute apart, so that eviction's order
// does not depend on the clock's grain.
func makeAgedImages(t *testing.T, dir, cache string, n int, seed uint64) []string {
	t.Helper()
	var keys []string
	for i := range n {
		segs := testSegs(seed + uint64(3*i))
		img := writeImage(t, dir, fmt.Sprintf("%d.img", i), segmentedImage(segs))
		r := openRAM(t, cache, img, segs)
		keys = append(keys, r.key)
		old := time.Now().Add(time.Duration(i-100) * time.Minute)
		os.Chtimes(r.key+".json", old, old)
	}
	return keys
}
