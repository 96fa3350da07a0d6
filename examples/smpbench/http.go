package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Loopback HTTP benchmark: a net/http server and keep-alive clients in the
// same program over 127.0.0.1, run with GOMAXPROCS 1 and then with every
// core; the ratio of requests per second is what a second core gives a
// server whose work is mostly system calls on sockets.
const (
	httpClients  = 8
	httpDuration = 2 * time.Second
	httpBody     = 4 << 10
)

func benchHTTP() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	body := make([]byte, httpBody)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write(body)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/"

	run := func(procs int) (float64, error) {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		var n atomic.Int64
		var firstErr atomic.Value
		stop := time.Now().Add(httpDuration)
		var wg sync.WaitGroup
		start := time.Now()
		for i := 0; i < httpClients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				defer c.CloseIdleConnections()
				for time.Now().Before(stop) {
					resp, err := c.Get(url)
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					m, err := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err != nil || m != httpBody {
						firstErr.CompareAndSwap(nil, fmt.Errorf("short body: %d bytes, %v", m, err))
						return
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		if e := firstErr.Load(); e != nil {
			return 0, e.(error)
		}
		return float64(n.Load()) / time.Since(start).Seconds(), nil
	}
	if _, err := run(runtime.NumCPU()); err != nil { // warm-up: connections, pages
		return err
	}
	one, err := run(1)
	if err != nil {
		return err
	}
	all, err := run(runtime.NumCPU())
	if err != nil {
		return err
	}
	report("http/1-core", one, "req/s")
	report(fmt.Sprintf("http/%d-cores", runtime.NumCPU()), all, "req/s")
	report("http/ratio", all/one, "x")
	return nil
}
