package qemu

import (
	"strings"
	"testing"
)

func TestParseShare(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Share
		ok   bool
	}{
		{"/a:/b", Share{HostDir: "/a", GuestDir: "/b"}, true},
		{"./x:/srv/data/:ro", Share{HostDir: "./x", GuestDir: "/srv/data", ReadOnly: true}, true},
		{"/a:b", Share{}, false},
		{"/a:/", Share{}, false},
		{"/a", Share{}, false},
		{":/b", Share{}, false},
		{"/a:/share:xx", Share{}, false},
		{"/a:/share:ro:ro", Share{}, false},
		{"/a,cache=always:/b", Share{HostDir: "/a,cache=always", GuestDir: "/b"}, true},
	} {
		got, err := ParseShare(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseShare(%q) = %+v, %v", c.in, got, err)
		}
	}
}

func TestFuseOptEscape(t *testing.T) {
	for in, want := range map[string]string{
		"/srv/www":            "/srv/www",
		"/tmp/c,cache=always": `/tmp/c\,cache=always`,
		`/tmp/a\b,c`:          `/tmp/a\\b\,c`,
	} {
		if got := fuseOptEscape(in); got != want {
			t.Errorf("fuseOptEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeviceArgs(t *testing.T) {
	cfg, err := Config{Image: "x", Console: ConsoleVirtio, Devices: []Device{
		{Args: []string{"-device", "a"}},
		{Args: []string{"-device", "b"}, VhostUser: true},
	}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args(cfg, AccelTCG), " ")
	for _, want := range []string{
		"-M microvm,rtc=on,memory-backend=mem",
		"-object memory-backend-memfd,id=mem,size=256M,share=on",
		"-chardev stdio,id=con0,mux=on -serial chardev:con0",
		"-global virtio-mmio.force-legacy=false -device virtio-serial-device,max_ports=1 -device virtconsole,chardev=con0 -device a -device b",
		" virtio_mmio.device=512@0xfeb02e00:47 virtio_mmio.device=512@0xfeb02c00:46 virtio_mmio.device=512@0xfeb02a00:45",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("args lack %q:\n%s", want, got)
		}
	}
	if _, err := DiskDevice(0, "/nonexistent", false); err == nil {
		t.Error("a missing disk image was accepted")
	}
	if _, err := FSDevice(0, Share{HostDir: "/nonexistent", GuestDir: "/x"}, ""); err == nil {
		t.Error("a missing shared directory was accepted")
	}
}
