package boottest

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

var (
	embeddbOnce sync.Once
	embeddbImg  string
	embeddbErr  error
)

// embeddbImage builds examples/embeddb (its own module, with
// modernc.org/sqlite and bbolt) once per run.
func embeddbImage(t *testing.T) string {
	t.Helper()
	embeddbOnce.Do(func() {
		embeddbImg = filepath.Join(imageDir, "embeddb.img")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		_, embeddbErr = build.Build(ctx, build.Options{Package: ".", Dir: "../../examples/embeddb", Output: embeddbImg})
	})
	if embeddbErr != nil {
		t.Fatalf("building examples/embeddb: %v", embeddbErr)
	}
	return embeddbImg
}

// bootEmbeddb boots examples/embeddb on DIR with the given devices.
func bootEmbeddb(t *testing.T, dir string, devs []qemu.Device, shares []qemu.Share) string {
	t.Helper()
	out, res, err := qemu.Boot(context.Background(), qemu.Config{
		Image: embeddbImage(t), Memory: 1024 * qemu.MiB, CPUs: 2, Accel: qemu.AccelTCG, Timeout: 10 * time.Minute, Devices: devs,
	}, qemu.Guest{Args: []string{"embeddb", dir}, Shares: shares})
	if err != nil {
		t.Fatalf("booting embeddb: %v\nconsole:\n%s", err, out)
	}
	wantExit(t, string(out), res, 0)
	for _, want := range []string{"sqlite ok", "bbolt ok", "embeddb ok"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	return string(out)
}

// TestEmbeddedDatabasesTmp writes, closes, reopens and reads back an
// SQLite database in WAL mode and a bbolt database in the guest's /tmp.
func TestEmbeddedDatabasesTmp(t *testing.T) {
	needQEMU(t)
	bootEmbeddb(t, "/tmp", nil, nil)
}

// TestEmbeddedDatabasesVirtioFS does the same on a virtio-fs share, then
// opens the files the guest left there on the host.
func TestEmbeddedDatabasesVirtioFS(t *testing.T) {
	needQEMU(t)
	needVirtiofsd(t)
	dir := t.TempDir()
	devs, sh := fsDevice(t, dir, false)
	bootEmbeddb(t, "/share", devs, []qemu.Share{sh})
	cmd := exec.Command("go", "run", ".", "-verify", dir)
	cmd.Dir = "../../examples/embeddb"
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "embeddb ok") {
		t.Errorf("the host cannot read the guest's databases: %v\n%s", err, out)
	}
}
