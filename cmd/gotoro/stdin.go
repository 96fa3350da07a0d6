package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// guestStdin returns what gotoro run passes to the guest's standard
// input: f, unless f is /dev/null (the guest reads end of file without the
// device then, as CI and scripts run gotoro) or a terminal gotoro does not
// own (gotoro runs in the background of an interactive shell, where
// reading it would stop gotoro with SIGTTIN); then nil, and the program
// reads end of file.
func guestStdin(f *os.File) io.Reader {
	if f == nil {
		return nil
	}
	if st, err := f.Stat(); err == nil {
		if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(st, null) {
			return nil
		}
	}
	fd := int(f.Fd())
	if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
		return f // a pipe, a file or /dev/null
	}
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || pgrp != unix.Getpgrp() {
		return nil
	}
	return f
}
