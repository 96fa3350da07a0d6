package main

import (
	"fmt"
	"syscall"
	"unsafe"

	"github.com/gotoro/gotoro/internal/boottest/stress"
)

// dontwait uses send (sendto, or sendmsg in odd rounds) and recv with
// MSG_DONTWAIT on a blocking connection of kind, from threads on
// different cores: recv of an empty socket is EAGAIN, send fills the
// socket until EAGAIN without waiting, and a reader on another core takes
// exactly those bytes with recv, in order.
func dontwait(kind string, rounds int) {
	for i := 0; i < rounds; i++ {
		a, b, ok := rawPair(kind)
		if !ok {
			return
		}
		buf := make([]byte, 3000)
		_, _, err := syscall.Recvfrom(b, buf, syscall.MSG_DONTWAIT)
		stress.Check(kind+" recv(MSG_DONTWAIT) of an empty socket: EAGAIN", err == syscall.EAGAIN, err)
		sent := make(chan int)
		go func() {
			stress.Pin(0)
			data := stress.NewStream(uint64(900 + i))
			total := 0
			for {
				data.Fill(buf)
				n, err := sendFlags(a, buf, syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL, i%2 == 1)
				if err == syscall.EAGAIN {
					break
				}
				if !stress.Check(kind+" send(MSG_DONTWAIT)", err == nil && n > 0, n, err) {
					break
				}
				total += n
				if n < len(buf) {
					break // full: the rest would wait
				}
			}
			sent <- total
		}()
		total := <-sent
		stress.Check(kind+" send(MSG_DONTWAIT) filled the socket", total > 0, total)
		done := make(chan int)
		go func() {
			stress.Pin(1)
			want := stress.NewStream(uint64(900 + i))
			exp := make([]byte, len(buf))
			got, off := make([]byte, 7000), 0
			for {
				n, _, err := syscall.Recvfrom(b, got, syscall.MSG_DONTWAIT)
				if err == syscall.EAGAIN {
					break
				}
				if !stress.Check(kind+" recv(MSG_DONTWAIT)", err == nil && n > 0, n, err) {
					break
				}
				for k := 0; k < n; k++ {
					if (off+k)%len(buf) == 0 {
						want.Fill(exp)
					}
					if got[k] != exp[(off+k)%len(buf)] {
						stress.Check(kind+" recv(MSG_DONTWAIT) data", false, " byte ", off+k, " differs")
						done <- off
						return
					}
				}
				off += n
			}
			done <- off
		}()
		got := <-done
		stress.Check(kind+" recv(MSG_DONTWAIT) took what was sent", got == total, got, " of ", total)
		syscall.Close(a)
		syscall.Close(b)
	}
	fmt.Printf("%s dontwait: %d rounds\n", kind, rounds)
}

// sendFlags sends b on fd with flags through sendto without an address
// (send), or through sendmsg, and returns how many bytes went.
func sendFlags(fd int, b []byte, flags int, msg bool) (int, error) {
	if msg {
		return syscall.SendmsgN(fd, b, nil, nil, flags)
	}
	n, _, e := syscall.Syscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(flags), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
