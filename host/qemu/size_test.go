package qemu

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
	}{
		{"256M", 256 * MiB},
		{"256m", 256 * MiB},
		{"256MiB", 256 * MiB},
		{"256MB", 256 * MiB},
		{"1G", GiB},
		{"2g", 2 * GiB},
		{"512K", 512 * KiB},
		{"4096", 4096},
		{"4096B", 4096},
		{" 64M ", 64 * MiB},
	} {
		got, err := ParseSize(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "M", "-1M", "1.5G", "12X", "0", "0M", "1T", "99999999999999999999", "17179869184G", "M12", "+5M"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		} else if !strings.Contains(err.Error(), "size") {
			t.Errorf("ParseSize(%q): unclear error %q", in, err)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for _, c := range []struct {
		in   uint64
		want string
	}{
		{256 * MiB, "256M"},
		{GiB, "1G"},
		{1536 * KiB, "1536K"},
		{1000, "1000B"},
		{3 * GiB / 2, "1536M"},
	} {
		if got := FormatSize(c.in); got != c.want {
			t.Errorf("FormatSize(%d) = %q, want %q", c.in, got, c.want)
		}
		if back, err := ParseSize(FormatSize(c.in)); err != nil || back != c.in {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", c.in, back, err)
		}
	}
}
