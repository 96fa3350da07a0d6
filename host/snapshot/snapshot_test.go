package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/qemu"
)

func testKey(t *testing.T, dir string) Key {
	t.Helper()
	img := filepath.Join(dir, "a.img")
	if err := os.WriteFile(img, []byte("image bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Key{Image: img, Cmdline: "arg=a tsc_hz=1000000000 epoch_ns=123", CPUs: 1, Memory: 256 << 20, Accel: qemu.AccelTCG, QEMU: exe}
}

// TestKeyName: the key follows everything that decides the guest's state,
// and not the launch's wall clock.
func TestKeyName(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t, dir)
	base, err := k.name(dir)
	if err != nil {
		t.Fatal(err)
	}
	same := k
	same.Cmdline = "arg=a tsc_hz=1000000000 epoch_ns=999"
	if n, _ := same.name(dir); n != base {
		t.Errorf("epoch_ns changed the key")
	}
	other := filepath.Join(dir, "b.img")
	os.WriteFile(other, []byte("image bytez"), 0o644)
	for name, edit := range map[string]func(*Key){
		"argument": func(k *Key) { k.Cmdline = "arg=b tsc_hz=1000000000 epoch_ns=123" },
		"env":      func(k *Key) { k.Cmdline += " env=X=1" },
		"cpus":     func(k *Key) { k.CPUs = 2 },
		"memory":   func(k *Key) { k.Memory = 128 << 20 },
		"accel":    func(k *Key) { k.Accel = qemu.AccelKVM },
		"image":    func(k *Key) { k.Image = other },
		"qemu":     func(k *Key) { k.QEMU = other },
	} {
		k2 := k
		edit(&k2)
		if n, err := k2.name(dir); err != nil || n == base {
			t.Errorf("a different %s gives the same key (%v)", name, err)
		}
	}
	// The image's sum is remembered by its identity: rewritten in place
	// with other bytes of the same size, it is hashed again.
	if err := os.WriteFile(k.Image, []byte("IMAGE BYTES"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := k.name(dir); err != nil || n == base {
		t.Errorf("an image rewritten in place kept its key (%v)", err)
	}
	missing := k
	missing.Image = filepath.Join(dir, "none.img")
	if _, err := missing.name(dir); err == nil {
		t.Errorf("a missing image gave a key")
	}
}

// TestSaveRestore: saved files are recorded, found again, checked against
// their record (the device state by its SHA-256, the memory file by its
// identity), and replaced by the next save of the key.
func TestSaveRestore(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t, dir)
	store := filepath.Join(dir, "snaps")
	p, err := Open(store, k)
	if err != nil || p.Found {
		t.Fatalf("Open of an empty store: %v, found %v", err, p.Found)
	}
	save := func(p *Plan, content string) error {
		var got error
		s := p.Save(func(err error) { got = err })
		if err := os.WriteFile(s.Save, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.RAM, []byte("memory of "+content), 0o644); err != nil {
			t.Fatal(err)
		}
		s.Saved(nil)
		return got
	}
	verify := func(r *qemu.Snapshot) error {
		st, err := os.Stat(r.RAM)
		if err != nil {
			return err
		}
		return r.Verify(st)
	}
	if err := save(p, "machine state one"); err != nil {
		t.Fatal(err)
	}
	p, err = Open(store, k)
	if err != nil || !p.Found {
		t.Fatalf("Open after a save: %v, found %v", err, p.Found)
	}
	r := p.Restore()
	if err := verify(r); err != nil {
		t.Fatalf("Verify of sound files: %v", err)
	}
	first, firstRAM := r.Restore, r.RAM
	if err := save(p, "machine state two"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{first, firstRAM} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the replaced file %s is still there (%v)", f, err)
		}
	}
	p, _ = Open(store, k)
	r = p.Restore()
	b, _ := os.ReadFile(r.Restore)
	m, _ := os.ReadFile(r.RAM)
	if string(b) != "machine state two" || string(m) != "memory of machine state two" {
		t.Fatalf("restores %q with memory %q", b, m)
	}
	// The memory file rewritten with the same bytes: its identity
	// changed, so it is not the file recorded.
	os.WriteFile(r.RAM, m, 0o644)
	if err := verify(r); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Verify of a rewritten memory file: %v", err)
	}
	p, _ = Open(store, k)
	save(p, "machine state two")
	p, _ = Open(store, k)
	r = p.Restore()
	if err := verify(r); err != nil {
		t.Fatalf("Verify of sound files: %v", err)
	}
	os.WriteFile(r.Restore, []byte("machine state twO"), 0o644)
	if err := verify(r); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Verify of a changed file: %v", err)
	}
	os.Remove(r.Restore)
	if err := verify(r); err == nil {
		t.Errorf("Verify of a missing file passed")
	}
	p.Discard()
	if p, _ = Open(store, k); p.Found {
		t.Errorf("found after Discard")
	}

	// A failed save leaves nothing behind.
	var got error
	s := p.Save(func(err error) { got = err })
	os.WriteFile(s.Save, []byte("partial"), 0o644)
	os.WriteFile(s.RAM, []byte("partial"), 0o644)
	s.Saved(errors.New("QEMU died"))
	if got == nil {
		t.Errorf("the failure was not passed on")
	}
	for _, pat := range []string{"*.mig", "*.ram", "*.json", ".*.tmp"} {
		if m, _ := filepath.Glob(filepath.Join(store, pat)); len(m) != 0 {
			t.Errorf("a failed save left %v", m)
		}
	}
	// So does an empty file.
	if err := save(p, ""); err == nil {
		t.Errorf("an empty snapshot was recorded")
	}

	// A record that is not ours counts as none.
	name, _ := k.name(dir)
	os.WriteFile(filepath.Join(store, name+".json"), []byte(`{"format":1,"file":"../../etc/passwd"}`), 0o644)
	if p, _ = Open(store, k); p.Found {
		t.Errorf("a record pointing outside the store was used")
	}
}

// TestRemoveAbandoned: a save's temporary files (device state, memory,
// record) are removed once its gotoro process is gone, never while it
// runs.
func TestRemoveAbandoned(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t, dir)
	store := filepath.Join(dir, "snaps")
	os.MkdirAll(store, 0o755)
	name, _ := k.name(dir)
	dead := filepath.Join(store, "."+name+"-999999999.tmp")
	deadRec := filepath.Join(store, "."+name+"-999999999.json.tmp")
	deadRAM := filepath.Join(store, "."+name+"-999999999.ram.tmp")
	live := filepath.Join(store, fmt.Sprintf(".%s-%d.tmp", name, os.Getpid()))
	liveRAM := filepath.Join(store, fmt.Sprintf(".%s-%d.ram.tmp", name, os.Getpid()))
	for _, f := range []string{dead, deadRec, deadRAM, live, liveRAM} {
		os.WriteFile(f, []byte("x"), 0o644)
	}
	if _, err := Open(store, k); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]bool{dead: false, deadRec: false, deadRAM: false, live: true, liveRAM: true} {
		if _, err := os.Stat(f); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(f), err == nil, want)
		}
	}
}

// TestOlderFormat: a record of format 1 (the memory inside the migration
// stream) is not used, and the next save replaces it and its file.
func TestOlderFormat(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t, dir)
	store := filepath.Join(dir, "snaps")
	os.MkdirAll(store, 0o755)
	name, _ := k.name(dir)
	oldFile := filepath.Join(store, name+"-0123456789abcdef.mig")
	os.WriteFile(oldFile, []byte("format one"), 0o644)
	os.WriteFile(filepath.Join(store, name+".json"), []byte(`{"format":1,"file":"`+filepath.Base(oldFile)+`","size":10,"sha256":"x"}`), 0o644)
	p, err := Open(store, k)
	if err != nil || p.Found {
		t.Fatalf("a format-1 record was used (%v)", err)
	}
	s := p.Save(nil)
	os.WriteFile(s.Save, []byte("format two"), 0o644)
	os.WriteFile(s.RAM, []byte("memory"), 0o644)
	s.Saved(nil)
	if _, err := os.Stat(oldFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the format-1 file is still there (%v)", err)
	}
	if p, err = Open(store, k); err != nil || !p.Found {
		t.Fatalf("the new record was not found (%v)", err)
	}
	b, _ := os.ReadFile(filepath.Join(store, name+".json"))
	if !strings.Contains(string(b), `"format": 2`) {
		t.Errorf("record %s", b)
	}
}
