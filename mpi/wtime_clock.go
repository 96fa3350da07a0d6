//go:build !amd64 || gotoro

package mpi

func wtime() float64 { return clockSeconds() }

func wtick() float64 { return 1e-9 }
