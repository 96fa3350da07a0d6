package mpi

import "time"

// Wtime returns seconds since an arbitrary moment fixed for the process,
// for timing: hosted on x86-64 it reads the TSC (calibrated once against
// the system clock), elsewhere the monotonic clock (in a gotoro guest a
// vDSO read of the TSC).
func Wtime() float64 { return wtime() }

// Wtick returns the resolution of Wtime in seconds.
func Wtick() float64 { return wtick() }

var epoch = time.Now()

func clockSeconds() float64 { return time.Since(epoch).Seconds() }
