package guestcheck

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The harness's output and exit status, through a child process (Check
// and Done exit).
func TestMain(m *testing.M) {
	switch os.Getenv("GUESTCHECK_CASE") {
	case "":
		os.Exit(m.Run())
	case "failfast":
		Check("one", true, "")
		Check("two", false, "got %d", 2)
		Check("three", true, "")
	case "keepgoing":
		KeepGoing()
		Check("one", false, "x")
		Expect("two", fs.ErrNotExist, fs.ErrNotExist)
		Expect("three", nil, fs.ErrExist)
		Done("prog ok")
	case "done":
		Expect("nil", nil, nil)
		Expect("wrapped", &fs.PathError{Op: "open", Path: "p", Err: fs.ErrNotExist}, fs.ErrNotExist)
		Done("prog ok")
	case "must":
		Must("fine", nil)
		_ = Value(1, nil)
		Must("setup", errors.New("broken"))
	}
	os.Exit(0)
}

func TestHarness(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		status     int
	}{
		{"failfast", "ok one\nFAIL two: got 2\n", 1},
		{"keepgoing", "FAIL one: x\nok two\nFAIL three: got <nil>, want file already exists\n", 1},
		{"done", "ok nil\nok wrapped\nprog ok\n", 0},
		{"must", "FAIL setup: broken\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "GUESTCHECK_CASE="+tc.name)
			out, err := cmd.Output()
			status := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if got := string(out); got != tc.want || status != tc.status {
				t.Errorf("output %q status %d, want %q status %d", got, status, strings.TrimSpace(tc.want), tc.status)
			}
		})
	}
}
