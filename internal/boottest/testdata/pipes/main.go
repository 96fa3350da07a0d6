// Command pipes hammers pipes across cores: many pipe pairs whose writer
// and reader run on different cores with checked data (blocking pipes on
// pinned threads, and os.Pipe through the runtime's netpoller), writers
// sharing one pipe whose small writes must not interleave, a close while
// the other end is blocked (a reader in read, a writer on a full pipe), a
// writer whose reader left (EPIPE, and SIGPIPE handled, notified and
// ignored), epoll on pipes (level and edge triggered, in, out and hang-up)
// woken from another core, and a blocked read restarted through signals
// (SA_RESTART). It runs on Linux too (go run), the oracle. It prints
// "pipes ok" when every check passed.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/internal/boottest/stress"
)

var cores = runtime.NumCPU()

// pairs runs n pipe pairs at once, each moving total bytes from a writer
// to a reader on another core; every read is compared with the stream the
// writer produced. With poll, the pipes are os.Pipe files (nonblocking,
// waited for through the netpoller's epoll) and the goroutines are not
// pinned.
func pairs(n, total int, poll bool) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		var r, w io.ReadWriteCloser
		if poll {
			pr, pw, err := os.Pipe()
			if !stress.Check("os.Pipe", err == nil, err) {
				return
			}
			r, w = pr, pw
		} else {
			var fds [2]int
			if !stress.Check("pipe2", syscall.Pipe2(fds[:], syscall.O_CLOEXEC) == nil) {
				return
			}
			r, w = rawFD(fds[0]), rawFD(fds[1])
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer w.Close()
			if !poll {
				stress.Pin(2 * i)
			}
			data, sizes := stress.NewStream(uint64(i)+1), stress.NewStream(uint64(i)+1000)
			buf := make([]byte, 200<<10)
			for done := 0; done < total; {
				m := min(stress.Chunk(sizes, 200<<10), total-done)
				data.Fill(buf[:m])
				k, err := w.Write(buf[:m])
				if !stress.Check("pipe write", k == m && err == nil, "pair ", i, " k=", k, " want ", m, " err=", err) {
					return
				}
				done += m
			}
		}()
		go func() {
			defer wg.Done()
			defer r.Close()
			if !poll {
				stress.Pin(2*i + 1)
			}
			want, sizes := stress.NewStream(uint64(i)+1), stress.NewStream(uint64(i)+2000)
			buf := make([]byte, 200<<10)
			exp := make([]byte, 200<<10)
			got := 0
			for {
				k, err := r.Read(buf[:stress.Chunk(sizes, 200<<10)])
				if k == 0 && (err == io.EOF || err == nil) {
					break
				}
				if !stress.Check("pipe read", err == nil && k > 0, "pair ", i, " at ", got, " k=", k, " err=", err) {
					return
				}
				want.Fill(exp[:k])
				if !bytes.Equal(buf[:k], exp[:k]) {
					stress.Check("pipe data", false, "pair ", i, ": bytes ", got, "..", got+k, " differ from what was written")
					return
				}
				got += k
			}
			stress.Check("pipe total", got == total, "pair ", i, " read ", got, " of ", total)
		}()
	}
	wg.Wait()
	mode := "blocking"
	if poll {
		mode = "netpoller"
	}
	fmt.Printf("pairs %s: %d pairs × %d KiB\n", mode, n, total>>10)
}

// rawFD is a blocking pipe end used through plain system calls.
type rawFD int

func (fd rawFD) Read(b []byte) (int, error) {
	n, err := syscall.Read(int(fd), b)
	if n < 0 {
		n = 0
	}
	return n, err
}

// Write writes all of b, as os.File does, through partial writes.
func (fd rawFD) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := syscall.Write(int(fd), b[done:])
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

func (fd rawFD) Close() error { return syscall.Close(int(fd)) }

// atomicWrites has writers on every core write records of recSize bytes
// (at most PIPE_BUF) into one pipe: records must arrive whole, each
// writer's in order.
func atomicWrites(writers, records int) {
	const recSize = 512
	var fds [2]int
	if !stress.Check("pipe2", syscall.Pipe2(fds[:], syscall.O_CLOEXEC) == nil) {
		return
	}
	var wg sync.WaitGroup
	for k := 0; k < writers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stress.Pin(k)
			rec := make([]byte, recSize)
			for s := 0; s < records; s++ {
				binary.LittleEndian.PutUint32(rec[0:], uint32(k))
				binary.LittleEndian.PutUint32(rec[4:], uint32(s))
				for j := 8; j < recSize; j++ {
					rec[j] = byte(k*31 + s + j)
				}
				n, err := syscall.Write(fds[1], rec)
				if !stress.Check("record write", n == recSize && err == nil, n, err) {
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); syscall.Close(fds[1]) }()
	next := make([]int, writers)
	var pending []byte
	buf := make([]byte, 3000) // not a multiple of a record
	total := 0
	for {
		n, err := syscall.Read(fds[0], buf)
		if n == 0 && err == nil {
			break
		}
		if !stress.Check("record read", err == nil, err) {
			break
		}
		pending = append(pending, buf[:n]...)
		for len(pending) >= recSize {
			rec := pending[:recSize]
			k, s := int(binary.LittleEndian.Uint32(rec[0:])), int(binary.LittleEndian.Uint32(rec[4:]))
			ok := k < writers && s == next[k]
			for j := 8; ok && j < recSize; j++ {
				ok = rec[j] == byte(k*31+s+j)
			}
			if !stress.Check("record whole and in order", ok, "record ", total, " writer ", k, " seq ", s) {
				syscall.Close(fds[0])
				return
			}
			next[k]++
			total++
			pending = pending[recSize:]
		}
	}
	syscall.Close(fds[0])
	stress.Check("records", total == writers*records && len(pending) == 0, total, " records, ", len(pending), " bytes left")
	fmt.Printf("atomic writes: %d writers × %d records of %d bytes\n", writers, records, recSize)
}

// blockedEnds closes one end of a pipe while a thread on another core is
// blocked on the other end: a reader in read gets end of file, a writer
// on a full pipe gets EPIPE.
func blockedEnds(rounds int) {
	for i := 0; i < rounds; i++ {
		delay := time.Duration(i%5) * time.Millisecond
		// A reader blocked in read, its writer closed.
		var fds [2]int
		stress.Check("pipe2", syscall.Pipe2(fds[:], syscall.O_CLOEXEC) == nil)
		res := make(chan [2]any)
		go func() {
			stress.Pin(0)
			buf := make([]byte, 100)
			n, err := syscall.Read(fds[0], buf)
			res <- [2]any{n, err}
		}()
		closer := make(chan bool)
		go func() {
			stress.Pin(1)
			time.Sleep(delay)
			syscall.Close(fds[1])
			closer <- true
		}()
		<-closer
		r := <-res
		stress.Check("blocked read after the writer closed: end of file", r[0] == 0 && r[1] == nil, r[0], r[1])
		syscall.Close(fds[0])

		// A writer blocked on a full pipe, its reader closed.
		stress.Check("pipe2", syscall.Pipe2(fds[:], syscall.O_CLOEXEC) == nil)
		stress.FillNonblock(fds[1])
		go func() {
			stress.Pin(0)
			n, err := syscall.Write(fds[1], make([]byte, 100))
			res <- [2]any{n, err}
		}()
		go func() {
			stress.Pin(1)
			time.Sleep(delay)
			syscall.Close(fds[0])
			closer <- true
		}()
		<-closer
		r = <-res
		stress.Check("blocked write after the reader closed: EPIPE", r[1] == syscall.EPIPE, r[0], r[1])
		syscall.Close(fds[1])
	}
	fmt.Printf("blocked ends: %d rounds\n", rounds)
}

// brokenPipe writes to pipes whose reader left, with SIGPIPE handled by
// the runtime (not delivered to the program), notified to the program,
// and ignored: the write fails with EPIPE each time, and a notified
// SIGPIPE reaches the program.
func brokenPipe() {
	write := func(mode string) {
		var fds [2]int
		stress.Check("pipe2", syscall.Pipe2(fds[:], syscall.O_CLOEXEC) == nil)
		syscall.Close(fds[0])
		n, err := syscall.Write(fds[1], []byte("x"))
		stress.Check("write without a reader ("+mode+"): EPIPE", n <= 0 && err == syscall.EPIPE, n, err)
		syscall.Close(fds[1])
	}
	write("runtime's handler")

	sigs := make(chan os.Signal, 10)
	signal.Notify(sigs, syscall.SIGPIPE)
	write("notified")
	select {
	case s := <-sigs:
		stress.Check("SIGPIPE notified", s == syscall.SIGPIPE, s)
	case <-time.After(5 * time.Second):
		stress.Check("SIGPIPE notified", false, "none in 5 s")
	}
	// The blocked writer of blockedEnds, notified: EPIPE and SIGPIPE.
	var fds [2]int
	stress.Check("pipe2", syscall.Pipe2(fds[:], syscall.O_CLOEXEC) == nil)
	stress.FillNonblock(fds[1])
	res := make(chan error)
	go func() {
		stress.Pin(0)
		_, err := syscall.Write(fds[1], []byte("y"))
		res <- err
	}()
	time.Sleep(5 * time.Millisecond)
	syscall.Close(fds[0])
	stress.Check("blocked writer, notified: EPIPE", <-res == syscall.EPIPE)
	select {
	case <-sigs:
	case <-time.After(5 * time.Second):
		stress.Check("SIGPIPE notified to a blocked writer", false, "none in 5 s")
	}
	syscall.Close(fds[1])
	signal.Stop(sigs)

	signal.Ignore(syscall.SIGPIPE)
	write("ignored")
	var act [4]uintptr // sigaction: handler, flags, restorer, mask
	_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGPIPE), 0, uintptr(unsafe.Pointer(&act)), 8, 0, 0)
	stress.Check("SIGPIPE ignored (SIG_IGN)", e == 0 && act[0] == 1, e, act[0])
	signal.Reset(syscall.SIGPIPE)
	write("handler restored")
	fmt.Println("broken pipe: EPIPE handled, notified, ignored")
}

// epollCross waits in epoll_wait on one core for pipe events made on
// another: level-triggered input stays ready until read, edge-triggered
// input is reported once per write, output is reported when a full pipe
// is drained, hang-up when the writer closes.
func epollCross(rounds int) {
	const (
		in  = syscall.EPOLLIN
		out = syscall.EPOLLOUT
		hup = syscall.EPOLLHUP
		et  = -syscall.EPOLLET & 0xFFFFFFFF
	)
	for i := 0; i < rounds; i++ {
		var fds [2]int
		stress.Check("pipe2", syscall.Pipe2(fds[:], syscall.O_CLOEXEC) == nil)
		ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if !stress.Check("epoll_create1", err == nil, err) {
			return
		}
		// wait blocks in epoll_wait on core 0 while act runs on core 1
		// after a short delay; it returns the events.
		wait := func(act func()) uint32 {
			done := make(chan uint32)
			go func() {
				stress.Pin(0)
				var ev [4]syscall.EpollEvent
				n, err := syscall.EpollWait(ep, ev[:], 10000)
				for err == syscall.EINTR {
					n, err = syscall.EpollWait(ep, ev[:], 10000)
				}
				if !stress.Check("epoll_wait", n == 1 && err == nil, n, err) {
					done <- 0
					return
				}
				done <- ev[0].Events
			}()
			go func() {
				stress.Pin(1)
				time.Sleep(time.Duration(i%4) * time.Millisecond)
				act()
			}()
			return <-done
		}
		now := func() uint32 {
			var ev [4]syscall.EpollEvent
			n, err := syscall.EpollWait(ep, ev[:], 0)
			if !stress.Check("epoll_wait(0)", err == nil && n <= 1, n, err) || n == 0 {
				return 0
			}
			return ev[0].Events
		}
		one := []byte{1}
		buf := make([]byte, 64<<10)

		// Level-triggered input.
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fds[0], &syscall.EpollEvent{Events: in, Fd: int32(fds[0])})
		stress.Check("level: nothing yet", now() == 0)
		ev := wait(func() { syscall.Write(fds[1], one) })
		stress.Check("level: woken for input", ev == in, ev)
		stress.Check("level: still ready", now() == in)
		syscall.Read(fds[0], buf)
		stress.Check("level: not ready once read", now() == 0)

		// Edge-triggered input.
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_MOD, fds[0], &syscall.EpollEvent{Events: in | et, Fd: int32(fds[0])})
		ev = wait(func() { syscall.Write(fds[1], one) })
		stress.Check("edge: woken for input", ev == in, ev)
		stress.Check("edge: reported once", now() == 0)
		ev = wait(func() { syscall.Write(fds[1], one) })
		stress.Check("edge: woken again by a second write", ev == in, ev)
		syscall.Read(fds[0], buf)

		// Output on a full pipe, edge-triggered, drained on the other core.
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, fds[0], nil)
		full := stress.FillNonblock(fds[1])
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fds[1], &syscall.EpollEvent{Events: out | et, Fd: int32(fds[1])})
		stress.Check("out: full pipe not writable", now() == 0)
		ev = wait(func() {
			for got := 0; got < full; {
				n, err := syscall.Read(fds[0], buf)
				if !stress.Check("drain", err == nil && n > 0, n, err) {
					return
				}
				got += n
			}
		})
		stress.Check("out: woken when drained", ev == out, ev)
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, fds[1], nil)

		// Hang-up: the writer closes.
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fds[0], &syscall.EpollEvent{Events: in, Fd: int32(fds[0])})
		ev = wait(func() { syscall.Close(fds[1]) })
		stress.Check("hup: woken when the writer closed", ev&hup != 0, ev)
		syscall.Close(fds[0])
		syscall.Close(ep)
	}
	fmt.Printf("epoll across cores: %d rounds\n", rounds)
}

// restartRead blocks a read on core 0 and hits its thread with a handled
// signal from core 1 several times: SA_RESTART makes the read go on and
// return what is written afterwards.
func restartRead(rounds int) {
	usr1 := make(chan os.Signal, 100)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	for i := 0; i < rounds; i++ {
		var fds [2]int
		stress.Check("pipe2", syscall.Pipe2(fds[:], syscall.O_CLOEXEC) == nil)
		tids := make(chan int)
		res := make(chan [2]any)
		go func() {
			stress.Pin(0)
			tids <- syscall.Gettid()
			buf := make([]byte, 64)
			n, err := syscall.Read(fds[0], buf)
			res <- [2]any{n, err}
		}()
		tid := <-tids
		done := make(chan bool)
		go func() {
			stress.Pin(1)
			time.Sleep(2 * time.Millisecond)
			for k := 0; k < 5; k++ {
				syscall.Tgkill(syscall.Getpid(), tid, syscall.SIGUSR1)
				time.Sleep(time.Duration(k) * 500 * time.Microsecond)
			}
			syscall.Write(fds[1], []byte("after the signals"))
			done <- true
		}()
		<-done
		r := <-res
		stress.Check("read restarted through SIGUSR1", r[0] == 17 && r[1] == nil, r[0], r[1])
		syscall.Close(fds[0])
		syscall.Close(fds[1])
	}
	got := 0
	for len(usr1) > 0 {
		<-usr1
		got++
	}
	stress.Check("SIGUSR1 reached the program", got > 0)
	fmt.Printf("restarted reads: %d rounds\n", rounds)
}

func main() {
	fmt.Println("cores", cores)
	pairs(2*cores, 1<<20, false)
	pairs(2*cores, 256<<10, true)
	atomicWrites(cores+1, 1000)
	blockedEnds(20)
	brokenPipe()
	epollCross(10)
	restartRead(10)
	if stress.Failed() {
		fmt.Println("pipes FAILED")
		os.Exit(1)
	}
	fmt.Println("pipes ok")
}
