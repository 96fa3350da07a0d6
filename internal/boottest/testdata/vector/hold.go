package main

func holdY(in, out *[16][32]byte, iters int, mxcsr uint32, gotMXCSR *uint32)
func holdX(in, out *[16][32]byte, iters int, mxcsr uint32, gotMXCSR *uint32)
func xgetbv0() uint64
