package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"
)

// dmaRace reads a file from the share into a buffer and, while the READ
// is in flight (the host has stopped virtiofsd), unmaps the buffer, maps
// a fresh one of the same size and fills it. Then the host lets virtiofsd
// go on. The device must not write into the fresh mapping: the kernel
// keeps the pages it handed to the device until the request is done. The
// host says "go" on standard input once virtiofsd is stopped. It prints
// how many rounds found the fresh mapping overwritten.
func dmaRace() {
	const size = 1 << 20
	const rounds = 3
	path := filepath.Join(root, "dma.bin")
	data := make([]byte, size)
	for i := range data {
		data[i] = 0x55
	}
	must(os.WriteFile(path, data, 0o644))
	in := bufio.NewScanner(os.Stdin)
	corrupted := 0
	for round := 0; round < rounds; round++ {
		f, err := os.Open(path)
		must(err)
		buf, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		must(err)
		for i := 0; i < size; i += 4096 {
			buf[i] = 1 // back every page before the read
		}
		fmt.Println("dma: stop the server")
		if !in.Scan() {
			fail(fmt.Errorf("no go on standard input"))
		}
		done := make(chan error, 1)
		go func() {
			_, err := f.ReadAt(buf, 0)
			done <- err
		}()
		// Let the READ reach the device (the server is stopped, so it
		// stays in flight), then unmap the buffer and keep its addresses
		// taken (PROT_NONE), so that the rest of the read fails instead
		// of landing in the fresh mapping. The fresh mapping gets other
		// addresses and, from the page pools, likely the freed pages.
		spin(200)
		addr := uintptr(unsafe.Pointer(&buf[0]))
		must(syscall.Munmap(buf))
		if _, _, e := syscall.Syscall6(syscall.SYS_MMAP, addr, size, syscall.PROT_NONE,
			syscall.MAP_FIXED|syscall.MAP_PRIVATE|syscall.MAP_ANON, ^uintptr(0), 0); e != 0 {
			must(e)
		}
		fresh, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		must(err)
		for i := range fresh {
			fresh[i] = 0xaa
		}
		fmt.Println("dma: filled, let the server go on")
		err = <-done
		f.Close()
		bad := 0
		for i := range fresh {
			if fresh[i] != 0xaa {
				bad++
			}
		}
		if bad > 0 {
			corrupted++
		}
		fmt.Printf("dma: round %d: read error %v, %d bytes of the fresh mapping overwritten\n", round, err, bad)
		must(syscall.Munmap(fresh))
		syscall.Syscall(syscall.SYS_MUNMAP, addr, size, 0)
	}
	fmt.Printf("dma rounds %d corrupted %d\n", rounds, corrupted)
}

// spin waits about ms milliseconds in a loop of short sleeps.
func spin(ms int) {
	for i := 0; i < ms; i++ {
		syscall.Nanosleep(&syscall.Timespec{Nsec: 1_000_000}, nil)
	}
}
