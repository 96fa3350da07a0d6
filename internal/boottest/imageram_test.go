package boottest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// imageRAMRun is one `gotoro run -v -accel tcg` with the image-RAM cache
// in cache.
type imageRAMRun struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

func newImageRAMRun(t *testing.T, cache string, args ...string) *imageRAMRun {
	t.Helper()
	r := &imageRAMRun{cmd: exec.Command(buildCLI(t), append([]string{"run", "-v", "-accel", "tcg"}, args...)...)}
	r.cmd.Env = append(os.Environ(), "GOTORO_IMAGE_RAM="+cache)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	return r
}

// mapped reports how the run's guest RAM was set up: "made", "found", or
// "" (copied, the old way).
func (r *imageRAMRun) mapped(t *testing.T) string {
	t.Helper()
	for _, l := range strings.Split(r.stderr.String(), "\n") {
		if strings.HasPrefix(l, "gotoro: guest RAM mapped from ") {
			if strings.HasSuffix(l, "(found)") {
				return "found"
			}
			return "made"
		}
	}
	return ""
}

// TestImageRAMBoot boots images with guest RAM mapped from their layout
// files under TCG (host/qemu/imageram.go): a program that checks its
// data, read-only data and zero-initialized memory, two runs of it at
// once sharing one layout file (the one's writes must not reach the
// other), and an image rebuilt in place under the same path.
func TestImageRAMBoot(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	cache := t.TempDir()
	img := buildImage(t, "imagedata", nil)

	// The first run makes the files and waits (its writes done).
	a := newImageRAMRun(t, cache, img)
	a.cmd.Stdout = nil
	out, err := a.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := a.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		in.Close()
		a.cmd.Process.Kill()
		a.cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		in.Close()
		a.cmd.Wait()
		t.Fatalf("first run: %q, want ready\n%s", sc.Text(), a.stderr.String())
	}
	// The second, meanwhile, must see the image's bytes.
	b := newImageRAMRun(t, cache, img)
	err = b.cmd.Run()
	if status := exitStatus(t, err); status != 0 || !strings.Contains(b.stdout.String(), "intact") {
		t.Errorf("second run, beside the first: status %d\n%s%s", status, b.stdout.String(), b.stderr.String())
	}
	in.Close()
	var rest strings.Builder
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
	}
	err = a.cmd.Wait()
	if status := exitStatus(t, err); status != 0 || !strings.Contains(rest.String(), "intact") {
		t.Errorf("first run: status %d\n%s%s", status, rest.String(), a.stderr.String())
	}
	if got := a.mapped(t); got != "made" {
		t.Errorf("first run: guest RAM %q, want mapped from files it made\n%s", got, a.stderr.String())
	}
	if got := b.mapped(t); got != "found" {
		t.Errorf("second run: guest RAM %q, want mapped from the first run's files\n%s", got, b.stderr.String())
	}

	// An image rebuilt in place: the new program runs.
	rebuilt := filepath.Join(t.TempDir(), "rebuilt.img")
	for i, tc := range []struct {
		pkg, arg, want, mapped string
		status                 int
	}{
		{"./testdata/exitcode", "3", "exiting with 3", "made", 3},
		{"./testdata/args", "x", `arg[1]="x"`, "made", 0},
		{"", "y", `arg[1]="y"`, "found", 0},
	} {
		if tc.pkg != "" {
			if b, err := exec.Command(cli, "build", "-o", rebuilt, tc.pkg).CombinedOutput(); err != nil {
				t.Fatalf("building %s: %v\n%s", tc.pkg, err, b)
			}
		}
		r := newImageRAMRun(t, cache, rebuilt, tc.arg)
		err := r.cmd.Run()
		if status := exitStatus(t, err); status != tc.status || !strings.Contains(r.stdout.String(), tc.want) {
			t.Errorf("run %d: status %d, want %d and %q\n%s%s", i, status, tc.status, tc.want, r.stdout.String(), r.stderr.String())
		}
		if got := r.mapped(t); got != tc.mapped {
			t.Errorf("run %d: guest RAM %q, want %q\n%s", i, got, tc.mapped, r.stderr.String())
		}
	}
}

// TestImageRAMFallback checks that a run whose image-RAM cache cannot be
// used boots the old way (QEMU loading the image) and says why under -v.
func TestImageRAMFallback(t *testing.T) {
	needQEMU(t)
	img := buildImage(t, "imagedata", nil)
	plain := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, cache, why string }{
		{"off", "off", "GOTORO_IMAGE_RAM=off"},
		{"unusable directory", filepath.Join(plain, "cache"), "not mapped: "},
	} {
		r := newImageRAMRun(t, tc.cache, img)
		err := r.cmd.Run()
		if status := exitStatus(t, err); status != 0 || !strings.Contains(r.stdout.String(), "intact") {
			t.Errorf("%s: status %d\n%s%s", tc.name, status, r.stdout.String(), r.stderr.String())
		}
		if !strings.Contains(r.stderr.String(), "gotoro: the image is copied into guest RAM") || !strings.Contains(r.stderr.String(), tc.why) {
			t.Errorf("%s: -v does not say the image is copied (%q)\n%s", tc.name, tc.why, r.stderr.String())
		}
		if strings.Contains(r.stderr.String(), "memory-backend-file") || !strings.Contains(r.stderr.String(), "-kernel "+img) {
			t.Errorf("%s: QEMU was not given the image\n%s", tc.name, r.stderr.String())
		}
	}
}

// TestImageRAMOnlyTheImage checks that only the image's span of guest
// RAM is mapped from its layout file (host/qemu/tcgmem.go): the file is
// as long as the image's end rounded up to 2 MiB, the rest of guest RAM is
// a second NUMA node of anonymous memory, and after a guest touched 64 MiB
// (freshmem checks it reads zero first) the page cache holds no more of
// the file than that span. A private mapping of one file for all of guest
// RAM read every page the guest touched through the page cache, holes as
// pages of zeros: as much page cache as the guest touched, and a first
// touch nearly three times slower.
func TestImageRAMOnlyTheImage(t *testing.T) {
	needQEMU(t)
	cache := t.TempDir()
	img := buildImage(t, "freshmem", nil)
	r := newImageRAMRun(t, cache, "-mem", "256M", img, "64")
	if status := exitStatus(t, r.cmd.Run()); status != 0 || r.mapped(t) == "" {
		t.Fatalf("freshmem 64: status %d, guest RAM %q\n%s%s", status, r.mapped(t), r.stdout.String(), r.stderr.String())
	}
	if !strings.Contains(r.stderr.String(), "-numa node,memdev=mem0 -numa node,memdev=mem1") || !strings.Contains(r.stderr.String(), "memory-backend-ram,id=mem1,") {
		t.Errorf("QEMU's guest RAM is not the layout and a node of anonymous memory:\n%s", r.stderr.String())
	}
	recs, _ := filepath.Glob(filepath.Join(cache, "*.json"))
	if len(recs) != 1 {
		t.Fatalf("records %q, want one", recs)
	}
	b, err := os.ReadFile(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ End uint64 }
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(strings.TrimSuffix(recs[0], ".json") + ".ram")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	span := (rec.End + 2<<20 - 1) &^ (2<<20 - 1)
	if uint64(st.Size()) != span {
		t.Fatalf("layout file of %d bytes, want the image's end %#x rounded up to 2 MiB (%d)", st.Size(), rec.End, span)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(span), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, span/4096)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(span), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal(e)
	}
	cached := 0
	for _, v := range vec {
		cached += int(v & 1)
	}
	t.Logf("cached pages of the layout after a run that touched 64 MiB: %d of %d", cached, len(vec))
}
