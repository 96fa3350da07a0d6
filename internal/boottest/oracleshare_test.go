package boottest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

// oracleOnShare runs testdata/PROG (a program of guestcheck checks)
// natively, Linux the oracle, and in the guest, each with a directory
// as its third argument that the guest reaches as a virtio-fs share at
// /share. The directory holds PROG's source read-only as ro.txt. The
// guest must print every check Linux passed and "PROG ok".
func oracleOnShare(t *testing.T, prog string) {
	t.Helper()
	needQEMU(t)
	needVirtiofsd(t)
	dir := t.TempDir()
	srcPath := "testdata/" + prog + "/main.go"
	src, err := os.ReadFile(srcPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ro.txt"), src, 0o444); err != nil {
		t.Fatal(err)
	}
	done := prog + " ok"
	checks := nativeChecks(t, prog, done, t.TempDir(), srcPath, dir)
	img := buildImage(t, prog, []build.Mount{{HostDir: "testdata/" + prog, GuestDir: "/pkg"}})
	devs, sh := fsDevice(t, dir, false)
	out, res, err := qemu.Boot(context.Background(), qemu.Config{
		Image: img, Memory: 512 * qemu.MiB, CPUs: 1, Accel: qemu.AccelTCG, Timeout: 3 * time.Minute, Devices: devs,
	}, qemu.Guest{Args: []string{prog, "/tmp", "/pkg/main.go", "/share"}, Shares: []qemu.Share{sh}})
	if err != nil {
		t.Fatalf("booting: %v\nconsole:\n%s", err, out)
	}
	wantExit(t, string(out), res, 0)
	wantNativeChecks(t, string(out), done, checks)
}
