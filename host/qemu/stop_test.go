package qemu

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStopMonitor(t *testing.T) {
	// No stop asked for: nothing changes.
	c := Config{}
	cleanup, err := stopMonitor(&c)
	if err != nil || c.Monitor != "" {
		t.Fatalf("without Stop: monitor %q, %v", c.Monitor, err)
	}
	cleanup()

	// A monitor the user named is kept.
	stop := make(chan struct{})
	c = Config{Stop: stop, Monitor: "/run/user.sock"}
	cleanup, err = stopMonitor(&c)
	if err != nil || c.Monitor != "/run/user.sock" {
		t.Fatalf("with -monitor: %q, %v", c.Monitor, err)
	}
	cleanup()

	// Otherwise a private socket in a directory of its own, removed after.
	c = Config{Stop: stop}
	cleanup, err = stopMonitor(&c)
	if err != nil || c.Monitor == "" {
		t.Fatalf("private monitor: %q, %v", c.Monitor, err)
	}
	dir := filepath.Dir(c.Monitor)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("directory: %v", err)
	}
	cleanup()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", dir, err)
	}
}

func TestStopGrace(t *testing.T) {
	if g := (stopRequest{}).grace(); g != DefaultStopTimeout {
		t.Errorf("default grace %v", g)
	}
	if g := (stopRequest{timeout: 2 * time.Second}).grace(); g != 2*time.Second {
		t.Errorf("grace %v", g)
	}
}

func TestPowerDownNoMonitor(t *testing.T) {
	start := time.Now()
	if err := powerDown(t.Context(), filepath.Join(t.TempDir(), "none.sock")); err == nil {
		t.Fatal("power-down without a monitor succeeded")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}
