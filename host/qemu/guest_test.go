package qemu

import (
	"testing"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestGuestCmdline(t *testing.T) {
	g := Guest{Args: []string{"hello", "two words"}, Env: []string{"A=1", "B=x y"}}
	got := g.Cmdline(2_700_000_000, time.Unix(1, 5))
	want := "arg=hello arg=two%20words env=A=1 env=B=x%20y tsc_hz=2700000000 epoch_ns=1000000005"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got = Guest{Args: []string{"x"}, Cwd: "/src/pkg"}.Cmdline(0, time.Unix(0, 0))
	if want := "arg=x cwd=/src/pkg epoch_ns=0"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// The guest starts in / without being told.
	got = Guest{Args: []string{"x"}, Cwd: "/"}.Cmdline(0, time.Unix(0, 0))
	if want := "arg=x epoch_ns=0"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// The kernel's parser must read back what we wrote.
	_, raw, _, _ := bootabi.NextParam("arg=two%20words")
	buf := make([]byte, len(raw))
	if s := string(buf[:bootabi.Unescape(buf, raw)]); s != "two words" {
		t.Errorf("round trip: %q", s)
	}
}
