package boottest

import (
	"strings"
	"testing"
)

// TestNetctl plays the network service against the kernel's /dev/netctl
// with raw system calls: connections out (made, refused, blocking),
// connections in, datagrams both ways, and the service going away. It
// needs no network device.
func TestNetctl(t *testing.T) {
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "netctl", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "netctl ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
}
