//go:build !(linux && amd64)

package main

import "errors"

func linuxInit() error { return errors.New("-linux-init works on linux/amd64 only") }

func linuxHalt() {}
