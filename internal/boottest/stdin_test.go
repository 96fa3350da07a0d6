package boottest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestStdinPipe pipes data into gotoro run: the program reads it to the
// end, every byte (NUL bytes, which the transport escapes, included),
// then end of file. -stdin=false and an empty input give end of file at
// once.
func TestStdinPipe(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	data := make([]byte, 256<<10)
	rand.New(rand.NewSource(4)).Read(data)
	for i := 0; i < len(data); i += 97 {
		data[i] = 0 // plenty of escape bytes
	}
	for _, tc := range []struct {
		name  string
		flags []string
		in    []byte
		want  []byte
	}{
		{"data", nil, data, data},
		{"hello", nil, []byte("hi\n"), []byte("hi\n")},
		{"empty", nil, []byte{}, nil},
		{"dev null", nil, nil, nil},
		{"stdin=false", []string{"-stdin=false"}, []byte("ignored\n"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "-accel", "tcg", "-timeout", "5m"}, tc.flags...)
			cmd := exec.Command(cli, append(args, "./testdata/stdin", "sum")...)
			if tc.in != nil {
				cmd.Stdin = bytes.NewReader(tc.in)
			} // else /dev/null: no device, end of file at once
			out, err := cmd.CombinedOutput()
			if status := exitStatus(t, err); status != 0 {
				t.Fatalf("status %d\n%s", status, out)
			}
			want := fmt.Sprintf("stdin %d bytes sha256 %x", len(tc.want), sha256.Sum256(tc.want))
			if !strings.Contains(string(out), want) {
				t.Errorf("want %q in:\n%s", want, out)
			}
		})
	}
}

// openPTY returns a new pseudo-terminal's master and slave.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// TestStdinTerminal runs gotoro in the foreground of a terminal: each line
// typed reaches the program before the next is typed, and Ctrl-D ends its
// input.
func TestStdinTerminal(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	master, slave := openPTY(t)
	defer master.Close()
	cmd := exec.Command(cli, "run", "-accel", "tcg", "-timeout", "5m", "./testdata/stdin", "lines")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-done
	}()
	lw := &lineWaiter{hit: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			lw.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	expect := func(s string) {
		t.Helper()
		deadline := time.Now().Add(4 * time.Minute)
		for !strings.Contains(lw.String(), s) {
			if time.Now().After(deadline) {
				t.Fatalf("the program did not print %q:\n%s", s, lw.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	expect("ready")
	master.WriteString("first line\n")
	expect("got: first line")
	master.WriteString("second line\n")
	expect("got: second line")
	master.Write([]byte{4}) // Ctrl-D at the start of a line: end of input
	expect("eof")
	select {
	case err := <-done:
		done <- err
		if status := exitStatus(t, err); status != 0 {
			t.Errorf("status %d\n%s", status, lw.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("gotoro did not exit after the program did:\n%s", lw.String())
	}
}
