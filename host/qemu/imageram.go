package qemu

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/internal/usercache"
)

// Guest RAM under TCG mapped from the image (docs/boot.md, "The image's
// pages mapped, not copied"): instead of QEMU's ELF loader copying the
// image's segments into fresh guest RAM at every start, guest RAM is a
// private (copy-on-write) mapping of a layout file that already holds
// those bytes at their guest-physical addresses (imagelayout.go), and
// -kernel is a stub ELF with the image's entry that loads nothing big.
// Reads of the image's pages map the host's page cache; only pages the
// guest writes become pages of QEMU's own; the file's holes read as
// zeros, as fresh guest RAM does.
//
// The files are kept per image content in the cache directory
// (imageRAMEnv, or gotoro/image-ram in the user's cache directory):
// KEY.ram (the layout, imageRAMSpan bytes, sparse), KEY.elf (the
// stub) and KEY.json (the record: the two files' identities), KEY from
// the image's SHA-256 (remembered by the image's identity, ImageSum) and
// imageRAMFormat. The files are written under temporary names, synced and
// renamed, the record last; a run uses the files only when their
// identities (device, inode, size, modification and change times) are the
// record's, so a torn or rewritten file is never booted: it is made
// again. At most imageRAMEntries images are kept, whose layouts hold at
// most imageRAMBytes on disk; making a new one removes the least recently
// used beyond either bound (the record's modification time, set when a
// run uses it and it is older than imageRAMTouch), never the newest.

// imageRAMEnv names the cache directory; "off" turns the mapping off.
const imageRAMEnv = "GOTORO_IMAGE_RAM"

// imageRAMFormat is the files' version: part of the key, so a gotoro
// that lays images out differently makes files of its own.
const imageRAMFormat = 2

// imageRAMSpan returns the layout file's size for an image whose loaded
// bytes (its zero-initialized data included) end at end: rounded up to
// 2 MiB. The file is guest RAM's first NUMA node only (tcgmem.go); the
// rest of guest RAM is anonymous memory, so the pages a guest touches
// beyond its image never go through the page cache (a private file
// mapping reads every page it touches from the file first: for holes,
// pages of zeros that would fill the page cache with as much as the guest
// touched).
func imageRAMSpan(end uint64) uint64 {
	const align = 2 * MiB
	return (end + align - 1) &^ (align - 1)
}

// imageRAMSummed, when a test sets it, runs after the image was hashed
// and before its files are looked up or made.
var imageRAMSummed func()

// imageRAMEntries and imageRAMBytes bound the cache: images kept, and
// the disk their layouts take (allocated blocks: a layout holds the
// image's loaded bytes, ~3 MB for hello). The count is large enough that
// `gotoro test` over a module of many packages finds each package's
// image again on its next run (16 made every package's files again each
// time, beyond 16 packages); the bytes keep that affordable.
const (
	imageRAMEntries = 64
	imageRAMBytes   = 512 * MiB
)

// imageRAMTouch is how stale a record's modification time may get
// before a run that uses it sets it again (its age orders eviction).
const imageRAMTouch = time.Hour

// imageRAMRecord is KEY.json.
type imageRAMRecord struct {
	Format int    `json:"format"`
	RAMID  string `json:"ram_id"`
	ELFID  string `json:"elf_id"`
	// End is the end of the image's loaded bytes: guest RAM must reach it.
	End uint64 `json:"end"`
	// Image is the image's path when the files were made (for a human).
	Image string `json:"image"`
}

// imageRAM is one run's layout and stub, opened.
type imageRAM struct {
	mem, kernel *os.File
	// key is the files' path without .ram, .elf or .json.
	key string
	// made reports whether this run made the files.
	made bool
	// end is the end of the image's loaded bytes.
	end uint64
}

// close closes the files (again after QEMU started: harmless).
func (r *imageRAM) close() {
	r.mem.Close()
	r.kernel.Close()
}

// mapImageRAM gives cfg guest RAM mapped from its image's layout file,
// handing QEMU the layout and the stub as two more of hooks' extra
// descriptors. When it cannot (the cache directory is off, unwritable or
// full, or the image does not fit), the run boots the old way; -v says
// why. The caller closes the files returned (nil if none).
func mapImageRAM(cfg *Config, hooks *procHooks) *imageRAM {
	dir, err := imageRAMDir()
	if dir == "" {
		if cfg.Verbose {
			why := imageRAMEnv + "=off"
			if err != nil {
				why = err.Error()
			}
			fmt.Fprintf(cfg.Stderr, "gotoro: the image is copied into guest RAM (no cache directory: %s)\n", why)
		}
		return nil
	}
	start := time.Now()
	r, err := openImageRAM(dir, cfg.Image, cfg.Memory)
	if err != nil {
		if cfg.Verbose {
			fmt.Fprintf(cfg.Stderr, "gotoro: the image is copied into guest RAM (not mapped: %v)\n", err)
		}
		return nil
	}
	hooks.extra = append(hooks.extra, r.mem, r.kernel)
	n := 3 + len(hooks.extra)
	cfg.imageRAM = &imageRAMFDs{memFD: n - 2, kernelFD: n - 1, span: imageRAMSpan(r.end)}
	if cfg.Verbose {
		how := "found"
		if r.made {
			how = fmt.Sprintf("made in %s", time.Since(start).Round(time.Microsecond))
		}
		fmt.Fprintf(cfg.Stderr, "gotoro: guest RAM mapped from %s.ram, -kernel %[1]s.elf (%s)\n", r.key, how)
	}
	return r
}

// imageRAMDir returns the cache directory, or "" when the mapping is off.
func imageRAMDir() (string, error) {
	return usercache.Path(imageRAMEnv, "image-ram")
}

// openImageRAM returns the layout and stub of image for a guest of mem
// bytes, made if the cache has none that is intact. An error says why the
// run boots the old way instead.
func openImageRAM(dir, image string, mem uint64) (*imageRAM, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// One descriptor of the image for its sum and its layout: an image
	// renamed over meanwhile changes neither, and one rewritten in place
	// changes its identity, which makeImageRAM checks before it keeps
	// the files under the sum's key.
	img, err := os.Open(image)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	st, err := img.Stat()
	if err != nil {
		return nil, err
	}
	id := FileIdentity(st)
	sum, hashed, err := imageSum(dir, img)
	if err != nil {
		return nil, err
	}
	if imageRAMSummed != nil {
		imageRAMSummed()
	}
	if hashed {
		// A new memo: bound their number.
		evictImageRAM(dir, imageRAMEntries, imageRAMBytes)
	}
	k := sha256.Sum256([]byte(fmt.Sprintf("format=%d\x00image=%s", imageRAMFormat, sum)))
	key := filepath.Join(dir, hex.EncodeToString(k[:16]))
	if r, rec, err := useImageRAM(key); err == nil {
		if rec.End > mem {
			r.close()
			return nil, fmt.Errorf("the image's loaded bytes end at %s, past -mem %s", FormatSize(rec.End), FormatSize(mem))
		}
		return r, nil
	}
	r, rec, err := makeImageRAM(key, img, id)
	if err != nil {
		return nil, err
	}
	if rec.End > mem {
		r.close()
		return nil, fmt.Errorf("the image's loaded bytes end at %s, past -mem %s", FormatSize(rec.End), FormatSize(mem))
	}
	return r, nil
}

// useImageRAM opens key's files if they are the ones its record names.
func useImageRAM(key string) (*imageRAM, imageRAMRecord, error) {
	var rec imageRAMRecord
	b, err := os.ReadFile(key + ".json")
	if err != nil {
		return nil, rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.Format != imageRAMFormat {
		return nil, rec, fmt.Errorf("%s.json: not a record of format %d", key, imageRAMFormat)
	}
	// Opened for writing, as QEMU opens it (a private mapping never
	// writes the file, but QEMU asks for a writable descriptor): a file
	// this user cannot write falls back to the old way, not to QEMU's
	// failure.
	mem, err := openIdentified(key+".ram", os.O_RDWR, rec.RAMID)
	if err != nil {
		return nil, rec, err
	}
	kernel, err := openIdentified(key+".elf", os.O_RDONLY, rec.ELFID)
	if err != nil {
		mem.Close()
		return nil, rec, err
	}
	now := time.Now()
	if st, err := os.Stat(key + ".json"); err == nil && now.Sub(st.ModTime()) > imageRAMTouch {
		os.Chtimes(key+".json", now, now)
	}
	return &imageRAM{mem: mem, kernel: kernel, key: key, end: rec.End}, rec, nil
}

// openIdentified opens path with flag if its identity is id.
func openIdentified(path string, flag int, id string) (*os.File, error) {
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if got := FileIdentity(st); got == "" || got != id {
		f.Close()
		return nil, fmt.Errorf("%s was changed after it was made (identity %s, the record says %s)", path, got, id)
	}
	return f, nil
}

// FileIdentity is a file's device, inode, size, modification and change
// times ("" where the system does not say): another identity means the
// file was written, replaced or renamed since.
func FileIdentity(st os.FileInfo) string {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d.%09d:%d.%09d", sys.Dev, sys.Ino, st.Size(), sys.Mtim.Sec, sys.Mtim.Nsec, sys.Ctim.Sec, sys.Ctim.Nsec)
}

// makeImageRAM writes key's files for the image open as img, whose
// identity was id when it was hashed, and records them, and returns them
// opened (the files this run wrote, whatever other runs rename over them
// meanwhile). An image whose identity changed since (rewritten in place)
// is refused: its bytes may not be the ones key was made from.
func makeImageRAM(key string, img *os.File, id string) (r *imageRAM, rec imageRAMRecord, err error) {
	image := img.Name()
	removeAbandonedTemps(filepath.Dir(key))
	l, err := readLayout(img)
	if err != nil {
		return nil, rec, err
	}
	stub, err := l.stub()
	if err != nil {
		return nil, rec, err
	}
	tmp := tempPrefix(key)
	var mem, kernel *os.File
	defer func() {
		os.Remove(tmp + "ram.tmp")
		os.Remove(tmp + "elf.tmp")
		os.Remove(tmp + "json.tmp")
		if err != nil {
			if mem != nil {
				mem.Close()
			}
			if kernel != nil {
				kernel.Close()
			}
		}
	}()
	if mem, err = writeSynced(tmp+"ram.tmp", func(f *os.File) error { return l.writeLayout(f, int64(imageRAMSpan(l.end))) }); err != nil {
		return nil, rec, err
	}
	if kernel, err = writeSynced(tmp+"elf.tmp", func(f *os.File) error { _, err := f.Write(stub); return err }); err != nil {
		return nil, rec, err
	}
	if st, serr := img.Stat(); serr != nil || FileIdentity(st) != id {
		return nil, rec, fmt.Errorf("%s changed while its guest RAM layout was made (run again)", image)
	}
	if err = os.Rename(tmp+"ram.tmp", key+".ram"); err != nil {
		return nil, rec, err
	}
	if err = os.Rename(tmp+"elf.tmp", key+".elf"); err != nil {
		return nil, rec, err
	}
	// The identities after the renames (which set the change times).
	ms, err := mem.Stat()
	if err != nil {
		return nil, rec, err
	}
	ks, err := kernel.Stat()
	if err != nil {
		return nil, rec, err
	}
	rec = imageRAMRecord{Format: imageRAMFormat, RAMID: FileIdentity(ms), ELFID: FileIdentity(ks), End: l.end, Image: image}
	if rec.RAMID == "" {
		return nil, rec, errors.New("this system does not identify files (device, inode, times)")
	}
	b, err := json.MarshalIndent(rec, "", "\t")
	if err != nil {
		return nil, rec, err
	}
	rf, err := writeSynced(tmp+"json.tmp", func(f *os.File) error { _, err := f.Write(append(b, '\n')); return err })
	if err != nil {
		return nil, rec, err
	}
	rf.Close()
	if err = os.Rename(tmp+"json.tmp", key+".json"); err != nil {
		return nil, rec, err
	}
	if d, err := os.Open(filepath.Dir(key)); err == nil {
		d.Sync()
		d.Close()
	}
	evictImageRAM(filepath.Dir(key), imageRAMEntries, imageRAMBytes)
	return &imageRAM{mem: mem, kernel: kernel, key: key, made: true, end: rec.End}, rec, nil
}

// writeSynced creates path (which must not exist), fills it with write
// and syncs it; the file stays open.
func writeSynced(path string, write func(*os.File) error) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	if err := write(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return f, nil
}

// tempSeq numbers a process's temporary files, so that runs in one
// process (parallel boots of a test harness) never share one.
var tempSeq atomic.Uint64

// tempPrefix returns the start of a new name for a temporary file of
// path's: path.PID-N. (removeAbandonedTemps reads the PID back).
func tempPrefix(path string) string {
	return fmt.Sprintf("%s.%d-%d.", path, os.Getpid(), tempSeq.Add(1))
}

// removeAbandonedTemps removes the temporary files (KEY.PID-N.*.tmp,
// and the sum memos' .image-ID.PID-N.tmp) of runs whose gotoro process is
// gone (killed while making them), and any older than imageRAMTouch
// (making them takes milliseconds: their process ID was reused, or it is
// another PID namespace's).
func removeAbandonedTemps(dir string) {
	tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	for _, f := range tmps {
		if st, err := os.Stat(f); err == nil && time.Since(st.ModTime()) > imageRAMTouch {
			os.Remove(f)
			continue
		}
		parts := strings.Split(filepath.Base(f), ".")
		if len(parts) != 4 {
			continue
		}
		p := parts[1]
		if parts[0] == "" { // a memo's: .image-ID.PID-N.tmp
			p = parts[2]
		}
		p, _, _ = strings.Cut(p, "-")
		pid, err := strconv.Atoi(p)
		if err != nil || pid <= 0 {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.Remove(f)
		}
	}
}

// evictImageRAM removes the least recently used images' files from dir
// until keep are left, layouts and stubs without a record older than
// imageRAMTouch, and the oldest image sums remembered (ImageSum's memos,
// one per image file identity seen) beyond 4*keep.
func evictImageRAM(dir string, keep int, maxBytes int64) {
	recs, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, r := range beyondBudget(recs, keep, maxBytes) {
		key := strings.TrimSuffix(r, ".json")
		// The record first: a run never finds one naming removed files
		// (a run that has them open keeps them).
		os.Remove(key + ".json")
		os.Remove(key + ".ram")
		os.Remove(key + ".elf")
	}
	// Layouts and stubs without a record, hours old: a run killed
	// between its renames and its record's, or one that could not write
	// the record (a full disk). Younger ones may be a run's in between.
	for _, ext := range []string{".ram", ".elf"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
		for _, f := range files {
			st, err := os.Stat(f)
			if err != nil || time.Since(st.ModTime()) <= imageRAMTouch {
				continue
			}
			if _, err := os.Stat(strings.TrimSuffix(f, ext) + ".json"); os.IsNotExist(err) {
				os.Remove(f)
			}
		}
	}
	memos, _ := filepath.Glob(filepath.Join(dir, ".image-*"))
	for _, m := range oldest(memos, 4*keep) {
		os.Remove(m)
	}
}

// beyondBudget returns the records (KEY.json) beyond the keep most
// recently modified, and beyond those whose layouts (KEY.ram) take
// maxBytes of disk together, counted from the newest; the newest record
// is always kept.
func beyondBudget(recs []string, keep int, maxBytes int64) []string {
	recs = newestFirst(recs)
	var used int64
	for i, r := range recs {
		used += diskBytes(strings.TrimSuffix(r, ".json") + ".ram")
		if i > 0 && (i >= keep || used > maxBytes) {
			return recs[i:]
		}
	}
	return nil
}

// diskBytes returns the disk path's blocks take (0 if it cannot say).
func diskBytes(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return sys.Blocks * 512
	}
	return st.Size()
}

// oldest returns the paths beyond the keep most recently modified.
func oldest(paths []string, keep int) []string {
	if len(paths) <= keep {
		return nil
	}
	return newestFirst(paths)[keep:]
}

// newestFirst sorts paths by modification time, the newest first.
func newestFirst(paths []string) []string {
	t := make(map[string]time.Time, len(paths))
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			t[p] = st.ModTime()
		}
	}
	sort.Slice(paths, func(i, j int) bool { return t[paths[i]].After(t[paths[j]]) })
	return paths
}
