// Command virtiobench measures gotoro's virtio-fs and virtio-blk against
// the host reading the same data, and prints one table with ratios.
//
//	go run ./examples/virtiobench            # host side: sets up, boots the guest, prints the table
//
// The host side creates a 64 MiB file and 1000 files of 4 KiB in a
// temporary directory and a disk image holding the same 64 MiB, runs the
// same loops natively, then boots this program in gotoro (gotoro run -fs
// -disk) with the argument "guest", which runs the loops there and prints
// its figures. Run it as root (virtiofsd needs it).
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	bigSize    = 64 << 20
	smallFiles = 1000
	smallSize  = 4096
	bufSize    = 1 << 20
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "guest" {
		guest()
		return
	}
	if err := host(); err != nil {
		fmt.Fprintln(os.Stderr, "virtiobench:", err)
		os.Exit(1)
	}
}

// seqRead reads path in bufSize chunks and returns MB/s.
func seqRead(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, bufSize)
	start := time.Now()
	n := int64(0)
	for {
		m, err := f.Read(buf)
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	return float64(n) / 1e6 / time.Since(start).Seconds(), nil
}

// smallOps opens, reads and closes every small file and returns files/s.
func smallOps(dir string) (float64, error) {
	buf := make([]byte, smallSize)
	start := time.Now()
	for i := range smallFiles {
		f, err := os.Open(filepath.Join(dir, fmt.Sprintf("s%04d", i)))
		if err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(f, buf); err != nil {
			return 0, err
		}
		f.Close()
	}
	return smallFiles / time.Since(start).Seconds(), nil
}

// measure runs the three measurements on a share at dir and a disk dev.
func measure(dir, dev string) (map[string]float64, error) {
	r := map[string]float64{}
	var err error
	if r["fs-seq"], err = seqRead(filepath.Join(dir, "big")); err != nil {
		return nil, err
	}
	if r["fs-small"], err = smallOps(filepath.Join(dir, "small")); err != nil {
		return nil, err
	}
	if r["blk-seq"], err = seqRead(dev); err != nil {
		return nil, err
	}
	return r, nil
}

func guest() {
	r, err := measure("/share", "/dev/vda")
	if err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
	for k, v := range r {
		fmt.Printf("result %s %.1f\n", k, v)
	}
}

func host() error {
	dir, err := os.MkdirTemp("", "virtiobench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := make([]byte, bigSize)
	rand.New(rand.NewSource(1)).Read(data)
	disk := filepath.Join(dir, "disk.img")
	share := filepath.Join(dir, "share")
	if err := os.MkdirAll(filepath.Join(share, "small"), 0o755); err != nil {
		return err
	}
	for _, p := range []string{disk, filepath.Join(share, "big")} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	for i := range smallFiles {
		if err := os.WriteFile(filepath.Join(share, "small", fmt.Sprintf("s%04d", i)), data[:smallSize], 0o644); err != nil {
			return err
		}
	}
	native, err := measure(share, disk)
	if err != nil {
		return err
	}
	gotoro := os.Getenv("GOTORO")
	args := []string{"run", "-mem", "512M", "-fs", share + ":/share", "-disk", disk + ":ro", ".", "guest"}
	var cmd *exec.Cmd
	if gotoro == "" {
		cmd = exec.Command("go", append([]string{"run", "github.com/gotoro/gotoro/cmd/gotoro"}, args...)...)
	} else {
		cmd = exec.Command(gotoro, args...)
	}
	cmd.Dir, _ = os.Getwd()
	if _, err := os.Stat("main.go"); err != nil {
		cmd.Dir = "examples/virtiobench"
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("guest run: %w\n%s", err, out)
	}
	g := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "result" {
			g[f[1]], _ = strconv.ParseFloat(f[2], 64)
		}
	}
	if len(g) != 3 {
		return fmt.Errorf("guest printed no results:\n%s", out)
	}
	fmt.Printf("%-34s %12s %12s %8s\n", "measure", "gotoro", "host", "ratio")
	rows := []struct{ key, name, unit string }{
		{"fs-seq", "virtio-fs sequential read", "MB/s"},
		{"fs-small", "virtio-fs open/read 4K/close", "files/s"},
		{"blk-seq", "virtio-blk sequential read", "MB/s"},
	}
	for _, r := range rows {
		fmt.Printf("%-34s %12.1f %12.1f %8.3f  (%s)\n", r.name, g[r.key], native[r.key], g[r.key]/native[r.key], r.unit)
	}
	fmt.Printf("%-34s %12.3f %12s %8s\n", "virtio-blk / virtio-fs seq read", g["blk-seq"]/g["fs-seq"], "", "")
	return nil
}
