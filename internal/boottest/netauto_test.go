package boottest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNetAuto: gotoro run gives a program a network device (and QEMU a
// user-network backend) only when it links the network service, unless
// -net says otherwise; a forward through the guest's TCP/IP stack into a
// program without one is an error saying why.
func TestNetAuto(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	for _, c := range []struct {
		name    string
		args    []string
		status  int
		device  bool
		message string
	}{
		{"no net", []string{"./testdata/exitcode", "0"}, 0, false, "exiting with 0"},
		{"no net, -net user", []string{"-net", "user", "./testdata/exitcode", "0"}, 0, true, "exiting with 0"},
		{"uses net", []string{"./testdata/loopback"}, 0, true, ""},
		{"uses net, -net none", []string{"-net", "none", "./testdata/loopback"}, 0, false, ""},
		{"/tcp forward without net", []string{"-p", "18089:80/tcp", "./testdata/exitcode", "0"}, 125, false, "does not use package net"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command(cli, append([]string{"run", "-v", "-accel", "tcg"}, c.args...)...).CombinedOutput()
			if status := exitStatus(t, err); status != c.status {
				t.Fatalf("status %d, want %d\n%s", status, c.status, out)
			}
			if !strings.Contains(string(out), c.message) {
				t.Errorf("output lacks %q:\n%s", c.message, out)
			}
			if c.status != 0 {
				return
			}
			var qemuLine string
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Contains(l, "qemu-system-x86_64") && strings.Contains(l, "-kernel") {
					qemuLine = l
				}
			}
			if qemuLine == "" {
				t.Fatalf("-v printed no QEMU command line:\n%s", out)
			}
			if got := strings.Contains(qemuLine, "virtio-net-device") && strings.Contains(qemuLine, "-netdev user"); got != c.device {
				t.Errorf("network device %v, want %v: %s", got, c.device, qemuLine)
			}
		})
	}
}
