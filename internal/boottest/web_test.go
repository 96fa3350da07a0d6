package boottest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotoro/gotoro/internal/bootcase"
)

// freePort returns a TCP port on 127.0.0.1 nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// appliance is a running examples/webserver guest.
type appliance struct {
	base string // http://127.0.0.1:PORT
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

// syncBuffer is a bytes.Buffer safe for a writer and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// applianceToken is the shutdown token startAppliance gives the server.
const applianceToken = "boottest-token"

// startAppliance boots the web-server appliance the way the README does:
// `gotoro run -fs DIR:/www -p PORT:80 ./examples/webserver /www`, and
// waits until it answers.
func startAppliance(t *testing.T, dir, fwdSuffix string) *appliance {
	t.Helper()
	bootcase.NeedVirtiofsd(t, caseEnv())
	cli := buildCLI(t)
	port := freePort(t)
	a := &appliance{base: fmt.Sprintf("http://127.0.0.1:%d", port), out: new(syncBuffer), done: make(chan error, 1)}
	a.cmd = exec.Command(cli, "run", "-accel", "tcg", "-timeout", "10m",
		"-fs", dir+":/www", "-p", fmt.Sprintf("%d:80%s", port, fwdSuffix), "../../examples/webserver", "-shutdown-token", applianceToken, "/www")
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.done <- a.cmd.Wait() }()
	t.Cleanup(func() {
		a.cmd.Process.Kill()
		<-a.done
	})
	deadline := time.Now().Add(4 * time.Minute)
	for {
		resp, err := http.Get(a.base + "/-/stats")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return a
			}
		}
		select {
		case err := <-a.done:
			a.done <- err
			t.Fatalf("the appliance exited before serving: %v\n%s", err, a.out)
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the appliance did not answer within 4 minutes:\n%s", a.out)
		}
	}
}

// stats reads the appliance's /-/stats.
func (a *appliance) stats(t *testing.T) (open, requests int) {
	t.Helper()
	resp, err := http.Get(a.base + "/-/stats")
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	defer resp.Body.Close()
	var s struct {
		Open     int `json:"open_connections"`
		Requests int `json:"requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatalf("stats: %v", err)
	}
	return s.Open, s.Requests
}

// webFiles writes the served files: 0 B, 133 KiB and 10 MiB, and a small
// one for load.
func webFiles(t *testing.T) (string, map[string][]byte) {
	dir := t.TempDir()
	r := rand.New(rand.NewSource(133))
	files := map[string][]byte{"empty.bin": {}, "small.txt": []byte(strings.Repeat("gotoro\n", 146))}
	for name, n := range map[string]int{"toro.bin": 133 << 10, "big.bin": 10 << 20} {
		b := make([]byte, n)
		r.Read(b)
		files[name] = b
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, files
}

// TestWebAppliance boots examples/webserver with a shared directory and a
// forwarded port, and checks what issue 6 asks of it from a real HTTP
// client on the host: once with -p's default forward (over vsock into the
// TCP listener) and once with /tcp (QEMU's user network and the guest's
// TCP/IP stack).
func TestWebAppliance(t *testing.T) {
	// Through QEMU's user network, many clients connecting at once stall:
	// its forward listens with a backlog of one and some accepted
	// connections never reach the guest (netsvc saw none of them; see
	// docs/net.md). That path is held to 10 clients.
	for _, fwd := range []struct {
		name, suffix string
		clients      int
	}{{"vsock", "", 200}, {"tcp", "/tcp", 10}} {
		t.Run(fwd.name, func(t *testing.T) {
			t.Parallel()
			testAppliance(t, fwd.suffix, fwd.clients)
		})
	}
}

func testAppliance(t *testing.T, fwdSuffix string, clients int) {
	dir, files := webFiles(t)
	a := startAppliance(t, dir, fwdSuffix)
	client := &http.Client{Timeout: 2 * time.Minute}

	t.Run("files", func(t *testing.T) {
		for _, name := range []string{"empty.bin", "toro.bin", "big.bin"} {
			resp, err := client.Get(a.base + "/" + name)
			if err != nil {
				t.Fatalf("GET %s: %v", name, err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d, %v", name, resp.StatusCode, err)
			}
			if sha256.Sum256(body) != sha256.Sum256(files[name]) || len(body) != len(files[name]) {
				t.Errorf("GET %s: %d bytes differ from the %d on the host", name, len(body), len(files[name]))
			}
		}
	})
	t.Run("listings", func(t *testing.T) {
		// Every listing opens and closes the share's root: a close that
		// forgot the root made the third GET / fail, and every file 404
		// from then on.
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 75; i++ {
					resp, err := client.Get(a.base + "/")
					if err != nil {
						errs <- err
						return
					}
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), "toro.bin") || !strings.Contains(string(body), "small.txt") {
						errs <- fmt.Errorf("GET / number %d: %d, %v:\n%s", i, resp.StatusCode, err, tail(string(body), 300))
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		resp, err := client.Get(a.base + "/toro.bin")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /toro.bin after 300 listings: %v %v", resp, err)
		}
		resp.Body.Close()
	})
	t.Run("404", func(t *testing.T) {
		resp, err := client.Get(a.base + "/no/such/file")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
	})
	t.Run("range", func(t *testing.T) {
		req, _ := http.NewRequest("GET", a.base+"/toro.bin", nil)
		req.Header.Set("Range", "bytes=1000-1999")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 206 || !bytes.Equal(body, files["toro.bin"][1000:2000]) {
			t.Errorf("status %d, %d bytes; want 206 and bytes 1000-1999", resp.StatusCode, len(body))
		}
		if cr := resp.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes 1000-1999/%d", 133<<10) {
			t.Errorf("Content-Range %q", cr)
		}
	})
	t.Run(fmt.Sprintf("%d keep-alive clients", clients), func(t *testing.T) {
		var wg sync.WaitGroup
		var requests, failures atomic.Int64
		var firstErr atomic.Value
		stop := time.Now().Add(10 * time.Second)
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
				defer tr.CloseIdleConnections()
				c := &http.Client{Transport: tr, Timeout: 3 * time.Minute}
				for first := true; first || time.Now().Before(stop); first = false {
					resp, err := c.Get(a.base + "/small.txt")
					if err == nil {
						var body []byte
						body, err = io.ReadAll(resp.Body)
						resp.Body.Close()
						if err == nil && !bytes.Equal(body, files["small.txt"]) {
							err = fmt.Errorf("body of %d bytes differs", len(body))
						}
					}
					if err != nil {
						failures.Add(1)
						firstErr.CompareAndSwap(nil, err)
						return
					}
					requests.Add(1)
				}
			}()
		}
		wg.Wait()
		t.Logf("%d requests from %d clients, %d failures", requests.Load(), clients, failures.Load())
		if failures.Load() > 0 {
			t.Errorf("%d clients failed; first: %v\nconsole:\n%s", failures.Load(), firstErr.Load(), tail(a.out.String(), 2000))
		}
	})
	t.Run("malformed and abrupt", func(t *testing.T) {
		addr := strings.TrimPrefix(a.base, "http://")
		raw := func(payload string) string {
			c, err := net.DialTimeout("tcp", addr, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(time.Minute))
			io.WriteString(c, payload)
			line, _ := bufio.NewReader(c).ReadString('\n')
			return line
		}
		if got := raw("THIS IS NOT HTTP\r\n\r\n"); !strings.Contains(got, "400") {
			t.Errorf("garbage request: %q, want a 400", got)
		}
		if got := raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n"); !strings.Contains(got, "431") && !strings.Contains(got, "400") && got != "" {
			t.Errorf("2 MiB header: %q, want 431, 400 or a closed connection", got)
		}
		// Half a request, then gone.
		for i := 0; i < 20; i++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET /big.bin HTTP/1.1\r\nHo")
			c.Close()
		}
		// A reset in the middle of a 10 MiB response.
		for i := 0; i < 10; i++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
			io.ReadFull(c, make([]byte, 64<<10))
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
		// Every connection must end: only the stats request stays open.
		deadline := time.Now().Add(90 * time.Second)
		for {
			open, _ := a.stats(t)
			if open <= 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d connections still open 90 s after the clients left", open)
			}
			time.Sleep(time.Second)
		}
		// And the server still serves.
		resp, err := client.Get(a.base + "/toro.bin")
		if err != nil {
			t.Fatalf("after abuse: %v", err)
		}
		resp.Body.Close()
	})
	t.Run("shutdown", func(t *testing.T) {
		// Without the token the endpoint refuses, and the server stays.
		for _, auth := range []string{"", "Bearer wrong"} {
			req, _ := http.NewRequest("POST", a.base+"/-/shutdown", nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST /-/shutdown with Authorization %q: %d, want 403", auth, resp.StatusCode)
			}
		}
		if _, err := client.Get(a.base + "/small.txt"); err != nil {
			t.Fatalf("the server stopped on a POST without the token: %v", err)
		}
		req, _ := http.NewRequest("POST", a.base+"/-/shutdown", nil)
		req.Header.Set("Authorization", "Bearer "+applianceToken)
		resp, err := client.Do(req)
		// The last response, written just before the server exits,
		// arrives on both paths (the exit waits for the peer's
		// acknowledgement: kernel/net_exit.go).
		if err != nil {
			t.Fatalf("the shutdown response: %v\n%s", err, a.out)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("POST /-/shutdown with the token: %d, want 200", resp.StatusCode)
		}
		select {
		case err := <-a.done:
			a.done <- err
			if err != nil {
				t.Errorf("gotoro run after /-/shutdown: %v\n%s", err, a.out)
			}
		case <-time.After(2 * time.Minute):
			t.Fatalf("the appliance did not stop:\n%s", a.out)
		}
		if !strings.Contains(a.out.String(), "GET /toro.bin") || !strings.Contains(a.out.String(), "webserver: stopped (POST /-/shutdown)") {
			t.Errorf("no request log or no clean stop in the console:\n%s", a.out)
		}
	})
}

// TestNetClient runs Go network clients in the guest against servers on
// the host, reached through QEMU user networking's gateway 10.0.2.2: an
// HTTP download, UDP echoes, a refused connection, name lookups.
func TestNetClient(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	blob := make([]byte, 10<<20)
	rand.New(rand.NewSource(6)).Read(blob)
	sum := sha256.Sum256(blob)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(blob) })}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(hl)
	defer srv.Close()
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := uc.ReadFrom(buf)
			if err != nil {
				return
			}
			uc.WriteTo(append([]byte("echo:"), buf[:n]...), from)
		}
	}()
	// A name the host's resolver knows (the Go module proxy, which these
	// machines reach): the guest asks QEMU's DNS at 10.0.2.3, which asks
	// the host's.
	name := "proxy.golang.org"
	if _, err := net.DefaultResolver.LookupHost(context.Background(), name); err != nil {
		t.Fatalf("the host cannot resolve %s either: %v", name, err)
	}
	url := fmt.Sprintf("http://10.0.2.2:%d/blob", hl.Addr().(*net.TCPAddr).Port)
	udp := fmt.Sprintf("10.0.2.2:%d", uc.LocalAddr().(*net.UDPAddr).Port)
	cmd := exec.Command(cli, "run", "-accel", "tcg", "-timeout", "5m", "./testdata/netclient", url, hex.EncodeToString(sum[:]), udp, name)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if err != nil || !strings.Contains(string(out), "netclient ok") {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "nameserver 10.0.2.3") {
		t.Errorf("resolv.conf does not name QEMU's DNS:\n%s", out)
	}
	t.Logf("%s", out)
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
