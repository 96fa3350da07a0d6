// Package snapshot keeps the machine snapshots of gotoro run -snapshot DIR
// (docs/boot.md): a guest saved at its program's main.main, keyed by
// everything that decides the guest's state at that point, so that a later
// run of the same image with the same arguments, environment, CPUs,
// memory, accelerator, gotoro and QEMU starts from it instead of booting.
//
// A key's files are KEY.json (the record: which files, their sizes, the
// device state's SHA-256 and the memory file's identity), KEY-SUM.mig
// (QEMU's migration stream without the guest's memory, named by the
// first bytes of its SHA-256) and KEY-SUM.ram (the guest's memory, a
// sparse file of -mem bytes that restoring runs map copy-on-write and
// never write). All are written under temporary names and renamed, the
// record last, so a run killed mid-write leaves no record pointing at a
// partial file. A device-state file whose size or SHA-256 does not match
// its record, or a memory file that is not the one recorded (another
// inode, size, modification or change time: it was written since), is
// not used (the run boots normally and saves a new one); so is a record
// of an older format.
package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// format is the record's version; a record of another is not used (and
// its files are replaced). 1: the memory inside the migration stream; 2:
// the memory in a file of its own.
const format = 2

// Key is what decides a guest's state at main.main.
type Key struct {
	Image   string // the image file (its contents count)
	Cmdline string // the kernel command line (its epoch_ns does not count)
	CPUs    int
	Memory  uint64
	Accel   qemu.Accel // resolved: kvm or tcg
	QEMU    string     // the QEMU binary (its size and time count)
}

// record is KEY.json.
type record struct {
	Format int    `json:"format"`
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// The memory file and its identity when it was recorded.
	RAM     string `json:"ram"`
	RAMSize int64  `json:"ram_size"`
	RAMID   string `json:"ram_id"`
	// What the key was made of, for a human reading the directory.
	Image   string `json:"image"`
	Cmdline string `json:"cmdline"`
	CPUs    int    `json:"cpus"`
	Memory  uint64 `json:"memory"`
	Accel   string `json:"accel"`
}

// Plan is one run's use of the store: restore from an existing snapshot,
// or boot and save one.
type Plan struct {
	dir, name string
	rec       record
	// Found reports whether a snapshot for the key exists (its contents
	// are checked while QEMU loads it).
	Found bool
}

// Open computes k's name in dir (created if needed) and looks for its
// snapshot. An unreadable or foreign record counts as none.
func Open(dir string, k Key) (*Plan, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("snapshot directory: %w", err)
	}
	name, err := k.name(dir)
	if err != nil {
		return nil, err
	}
	removeAbandoned(dir, name)
	p := &Plan{dir: dir, name: name}
	p.rec = record{Format: format, Image: k.Image, Cmdline: stripVolatile(k.Cmdline), CPUs: k.CPUs, Memory: k.Memory, Accel: string(k.Accel)}
	b, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return p, nil
	}
	var r record
	if json.Unmarshal(b, &r) != nil || r.Format != format || r.File == "" || filepath.Base(r.File) != r.File || r.RAM == "" || filepath.Base(r.RAM) != r.RAM {
		return p, nil
	}
	p.rec = r
	p.Found = true
	return p, nil
}

// Restore returns the run's qemu.Snapshot that starts from the snapshot;
// its Verify checks the device state's size and SHA-256 and the memory
// file's identity against the record. (Hashing the memory file, 256 MiB
// by default, would cost more than the restore saves; restores map it
// privately and never write it, so a changed identity means someone
// else wrote or replaced it.)
func (p *Plan) Restore() *qemu.Snapshot {
	path := filepath.Join(p.dir, p.rec.File)
	ram := filepath.Join(p.dir, p.rec.RAM)
	return &qemu.Snapshot{Restore: path, RAM: ram, Verify: func(st os.FileInfo) error {
		if id := qemu.FileIdentity(st); st.Size() != p.rec.RAMSize || id != p.rec.RAMID {
			return fmt.Errorf("%s is corrupt: it was changed after it was saved (%d bytes, identity %s; the record says %d bytes, %s)", ram, st.Size(), id, p.rec.RAMSize, p.rec.RAMID)
		}
		size, sum, err := qemu.FileSum(path)
		if err != nil {
			return err
		}
		if size != p.rec.Size || sum != p.rec.SHA256 {
			return fmt.Errorf("%s is corrupt: %d bytes with SHA-256 %.16s…, the record says %d bytes, %.16s…", path, size, sum, p.rec.Size, p.rec.SHA256)
		}
		return nil
	}}
}

// Save returns the run's qemu.Snapshot that saves the machine at main.main
// and records it; done, if not nil, gets the outcome.
func (p *Plan) Save(done func(error)) *qemu.Snapshot {
	tmp := filepath.Join(p.dir, fmt.Sprintf(".%s-%d.tmp", p.name, os.Getpid()))
	ram := filepath.Join(p.dir, fmt.Sprintf(".%s-%d.ram.tmp", p.name, os.Getpid()))
	return &qemu.Snapshot{Save: tmp, RAM: ram, Saved: func(err error) {
		if err == nil {
			err = p.commit(tmp, ram)
		}
		if err != nil {
			os.Remove(tmp)
			os.Remove(ram)
		}
		if done != nil {
			done(err)
		}
	}}
}

// commit names the saved files by the device state's contents and writes
// the record.
func (p *Plan) commit(tmp, ramTmp string) error {
	size, sum, err := qemu.FileSum(tmp)
	if err != nil {
		return err
	}
	if size == 0 {
		return errors.New("QEMU wrote an empty snapshot")
	}
	r := p.rec
	r.Format, r.File, r.Size, r.SHA256 = format, p.name+"-"+sum[:16]+".mig", size, sum
	r.RAM = p.name + "-" + sum[:16] + ".ram"
	if err := os.Rename(ramTmp, filepath.Join(p.dir, r.RAM)); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	// The identity after the rename (which sets the change time).
	st, err := os.Stat(filepath.Join(p.dir, r.RAM))
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	r.RAMSize, r.RAMID = st.Size(), qemu.FileIdentity(st)
	if r.RAMID == "" {
		return errors.New("snapshot: this system does not identify files (device, inode, times)")
	}
	if err := os.Rename(tmp, filepath.Join(p.dir, r.File)); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "\t")
	if err != nil {
		return err
	}
	rtmp := filepath.Join(p.dir, fmt.Sprintf(".%s-%d.json.tmp", p.name, os.Getpid()))
	if err := os.WriteFile(rtmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("snapshot record: %w", err)
	}
	if err := os.Rename(rtmp, filepath.Join(p.dir, p.name+".json")); err != nil {
		os.Remove(rtmp)
		return fmt.Errorf("snapshot record: %w", err)
	}
	// Older files of the key (of this format or an older one): a run
	// reading one keeps it open.
	old, _ := filepath.Glob(filepath.Join(p.dir, p.name+"-*.mig"))
	rams, _ := filepath.Glob(filepath.Join(p.dir, p.name+"-*.ram"))
	for _, f := range append(old, rams...) {
		if b := filepath.Base(f); b != r.File && b != r.RAM {
			os.Remove(f)
		}
	}
	p.rec = r
	return nil
}

// Discard removes the key's record and its files (after a snapshot
// failed to restore; a run that has them open keeps them).
func (p *Plan) Discard() {
	os.Remove(filepath.Join(p.dir, p.name+".json"))
	for _, f := range []string{p.rec.File, p.rec.RAM} {
		if f != "" {
			os.Remove(filepath.Join(p.dir, f))
		}
	}
	p.Found = false
}

// File returns the snapshot file's path ("" if none).
func (p *Plan) File() string {
	if p.rec.File == "" {
		return ""
	}
	return filepath.Join(p.dir, p.rec.File)
}

// name hashes the key: the image's contents, the command line without
// its volatile parameters, the machine, and the identities (path, size,
// modification time) of gotoro's and QEMU's executables. The image's
// SHA-256 is remembered in dir by the file's identity (qemu.ImageSum).
func (k Key) name(dir string) (string, error) {
	sum, err := qemu.ImageSum(dir, k.Image)
	if err != nil {
		return "", fmt.Errorf("snapshot key: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "image=%s\x00cmdline=%s\x00cpus=%d\x00mem=%d\x00accel=%s\x00", sum, stripVolatile(k.Cmdline), k.CPUs, k.Memory, k.Accel)
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("snapshot key: %w", err)
	}
	for _, p := range []string{exe, k.QEMU} {
		st, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("snapshot key: %w", err)
		}
		fmt.Fprintf(h, "%s:%d:%d\x00", p, st.Size(), st.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// stripVolatile removes the command line's parameters that differ on
// every run and do not reach a restored guest (the wall clock at launch:
// a restored guest gets the time when it resumes).
func stripVolatile(cmdline string) string {
	var b strings.Builder
	for rest := cmdline; ; {
		k, raw, r, ok := bootabi.NextParam(rest)
		if !ok {
			break
		}
		rest = r
		if k == bootabi.KeyEpochNs {
			continue
		}
		b.WriteString(k + "=" + strconv.Quote(raw) + " ")
	}
	return b.String()
}

// removeAbandoned removes the temporary files of key name's saves whose
// gotoro process is gone (killed mid-save).
func removeAbandoned(dir, name string) {
	tmps, _ := filepath.Glob(filepath.Join(dir, "."+name+"-*.tmp"))
	for _, f := range tmps {
		rest := strings.TrimPrefix(filepath.Base(f), "."+name+"-")
		pid, err := strconv.Atoi(rest[:strings.IndexByte(rest, '.')])
		if err != nil || pid <= 0 {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.Remove(f)
		}
	}
}
