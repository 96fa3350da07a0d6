package main

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// server is the appliance's handler: files, /-/stats and, when a token is
// set, /-/shutdown.
type server struct {
	files http.Handler
	log   *log.Logger // nil: no request log
	// token is what POST /-/shutdown must carry as "Authorization: Bearer
	// TOKEN"; "" turns the endpoint off (the path is then a file path).
	token string

	open     atomic.Int64
	requests atomic.Int64

	once     sync.Once
	shutdown chan struct{} // closed by POST /-/shutdown
}

// stats is the JSON of GET /-/stats.
type stats struct {
	OpenConnections int64 `json:"open_connections"`
	Requests        int64 `json:"requests"`
	// The Go runtime's memory: all it obtained from the system, and the
	// heap in use (runtime.MemStats Sys and HeapInuse).
	GoSysBytes     uint64 `json:"go_sys_bytes"`
	HeapInuseBytes uint64 `json:"heap_inuse_bytes"`
}

func newServer(dir string, logger *log.Logger, token string) *server {
	return &server{
		files:    http.FileServer(http.Dir(dir)),
		log:      logger,
		token:    token,
		shutdown: make(chan struct{}),
	}
}

// authorized reports whether r carries the shutdown token.
func (s *server) authorized(r *http.Request) bool {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) < len(prefix) || h[:len(prefix)] != prefix {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h[len(prefix):]), []byte(s.token)) == 1
}

func (s *server) snapshot() stats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return stats{OpenConnections: s.open.Load(), Requests: s.requests.Load(), GoSysBytes: ms.Sys, HeapInuseBytes: ms.HeapInuse}
}

// connState counts open connections: a hijacked connection is no longer
// the server's.
func (s *server) connState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.open.Add(1)
	case http.StateClosed, http.StateHijacked:
		s.open.Add(-1)
	}
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	switch {
	case r.URL.Path == "/-/stats":
		rec.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rec).Encode(s.snapshot())
	case r.URL.Path == "/-/shutdown" && s.token != "":
		if r.Method != http.MethodPost {
			rec.Header().Set("Allow", "POST")
			http.Error(rec, "use POST to stop the server", http.StatusMethodNotAllowed)
			break
		}
		if !s.authorized(r) {
			http.Error(rec, "stopping the server needs the token given to -shutdown-token", http.StatusForbidden)
			break
		}
		rec.Write([]byte("stopping\n"))
		s.once.Do(func() { close(s.shutdown) })
	default:
		s.files.ServeHTTP(rec, r)
	}
	s.requests.Add(1)
	if s.log != nil {
		s.log.Printf("%s %s %s %d %dB %v", r.RemoteAddr, r.Method, r.URL.RequestURI(), rec.status, rec.bytes, time.Since(start).Round(time.Microsecond))
	}
}

// recorder notes a response's status and size. It keeps
// http.ResponseWriter's ReadFrom path (sendfile) through Unwrap.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom lets a file body go out through the connection's own ReadFrom
// (sendfile), as without the recorder.
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err := rf.ReadFrom(src)
		r.bytes += n
		return n, err
	}
	return io.Copy(struct{ io.Writer }{r}, src)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
