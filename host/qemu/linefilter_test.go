package qemu

import (
	"strings"
	"testing"
)

// TestLineFilter: the marker line is removed and reported wherever the
// writes split it; bytes that only begin like it pass through unchanged.
func TestLineFilter(t *testing.T) {
	const mk = "\x00mark\n"
	for _, c := range []struct {
		name   string
		writes []string
		out    string
		found  int
	}{
		{"no marker", []string{"hello\n", "world\n"}, "hello\nworld\n", 0},
		{"whole", []string{"a\x00mark\nb"}, "ab", 1},
		{"split", []string{"a\x00ma", "rk", "\nb"}, "ab", 1},
		{"byte by byte", strings.Split("x\x00mark\ny", ""), "xy", 1},
		{"twice", []string{"\x00mark\n\x00mark\n"}, "", 2},
		{"prefix only", []string{"\x00mar", "X\n"}, "\x00marX\n", 0},
		{"prefix then marker", []string{"\x00ma\x00mark\nz"}, "\x00maz", 1},
		{"ends in a prefix", []string{"q\x00mar"}, "q\x00mar", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			n := 0
			f := newLineFilter(&b, mk, func() { n++ })
			for _, w := range c.writes {
				if m, err := f.Write([]byte(w)); m != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, m, err)
				}
			}
			if err := f.Flush(); err != nil {
				t.Fatal(err)
			}
			if b.String() != c.out || n != c.found {
				t.Errorf("out %q found %d, want %q and %d", b.String(), n, c.out, c.found)
			}
		})
	}
}

// TestCheckSnapshot: what cannot be saved with the machine is refused
// with a message naming it.
func TestCheckSnapshot(t *testing.T) {
	base := Config{Image: "x.img", Snapshot: &Snapshot{Save: "s", RAM: "m"}}
	for _, c := range []struct {
		name string
		edit func(*Config)
		says string
	}{
		{"fine", func(*Config) {}, ""},
		{"device", func(c *Config) { c.Devices = []Device{{Name: "virtio-fs /data"}} }, "virtio-fs /data"},
		{"virtio console", func(c *Config) { c.Console = ConsoleVirtio }, "serial console"},
		{"debug", func(c *Config) { c.Debug = true }, "-debug"},
		{"boot trace", func(c *Config) { c.BootTrace = true }, "-boottrace"},
		{"both ways", func(c *Config) { c.Snapshot = &Snapshot{Save: "s", Restore: "r", RAM: "m"} }, "exactly one"},
		{"no memory file", func(c *Config) { c.Snapshot.RAM = "" }, "memory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := base
			s := *base.Snapshot
			cfg.Snapshot = &s
			c.edit(&cfg)
			err := CheckSnapshotConfig(cfg)
			if c.says == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %v, want one naming %q", err, c.says)
			}
		})
	}
}
