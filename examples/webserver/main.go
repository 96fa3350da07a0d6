// Command webserver is gotoro's web-server appliance: it serves a
// directory over HTTP with net/http's FileServer.
//
//	gotoro run -fs ./site:/www -p 8080:80 ./examples/webserver /www
//
// It logs every request, reports its open connections and requests served
// at GET /-/stats (JSON), and shuts down cleanly — letting requests in
// flight finish — on SIGINT or SIGTERM. POST /-/shutdown stops it too, but
// only when it was started with -shutdown-token TOKEN and the request
// carries "Authorization: Bearer TOKEN": anyone who can reach the port
// could stop it otherwise. The same program runs on a host as a plain
// process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("webserver", flag.ContinueOnError)
	addr := fs.String("addr", ":80", "listen on `address`")
	token := fs.String("shutdown-token", "", "enable POST /-/shutdown for requests with the header \"Authorization: Bearer `TOKEN`\" (off by default)")
	quiet := fs.Bool("quiet", false, "do not log requests")
	grace := fs.Duration("grace", 10*time.Second, "how long shutdown waits for requests in flight")
	asInit := fs.Bool("linux-init", false, "run as /init of a Linux microVM: load /modules, bring up eth0 (the benchmark's Linux peer)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: webserver [flags] DIR\n\nServes DIR over HTTP.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	dir := fs.Arg(0)
	if *asInit {
		if err := linuxInit(); err != nil {
			fmt.Fprintf(os.Stderr, "webserver: %v\n", err)
			return 1
		}
		defer linuxHalt()
	}
	if st, err := os.Stat(dir); err != nil {
		fmt.Fprintf(os.Stderr, "webserver: %v\n", err)
		return 2
	} else if !st.IsDir() {
		fmt.Fprintf(os.Stderr, "webserver: %s is not a directory\n", dir)
		return 2
	}
	logger := log.New(os.Stdout, "", log.LstdFlags|log.Lmicroseconds)
	if *quiet {
		logger = nil
	}
	s := newServer(dir, logger, *token)
	srv := &http.Server{Addr: *addr, Handler: s, ConnState: s.connState, ReadHeaderTimeout: time.Minute}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Printf("webserver: serving %s on %s\n", dir, *addr)
	why := ""
	select {
	case err := <-errc:
		fmt.Fprintf(os.Stderr, "webserver: %v\n", err)
		return 1
	case <-ctx.Done():
		why = "signal"
	case <-s.shutdown:
		why = "POST /-/shutdown"
	}
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	st := s.snapshot()
	fmt.Printf("webserver: stopped (%s) after %d requests\n", why, st.Requests)
	if err != nil {
		fmt.Fprintf(os.Stderr, "webserver: shutdown: %v\n", err)
		return 1
	}
	return 0
}
