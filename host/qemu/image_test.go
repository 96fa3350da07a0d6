package qemu

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckImage(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "probe.elf")
	if err := os.WriteFile(good, sseProbeImage(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckImage(good); err != nil {
		t.Errorf("probe: %v", err)
	}
	text := filepath.Join(dir, "text")
	os.WriteFile(text, []byte("hello\n"), 0o644)
	self, err := os.Executable() // an ELF file without the PVH note
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{text, self, dir} {
		if err := CheckImage(p); !errors.Is(err, ErrNotImage) {
			t.Errorf("CheckImage(%s) = %v, want ErrNotImage", p, err)
		}
	}
	// Garbage after a valid ELF header: damaged, not "not an ELF file".
	img := sseProbeImage()
	for i := 16; i < len(img); i++ {
		img[i] = 0xa5
	}
	damaged := filepath.Join(dir, "damaged.img")
	os.WriteFile(damaged, img, 0o644)
	if err := CheckImage(damaged); !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), "damaged ELF file") {
		t.Errorf("CheckImage(damaged) = %v, want a damaged-ELF error", err)
	}
	if err := CheckImage(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
