// Command falsim runs the fake fal server (internal/falsim) for local development and browser
// tests, and prints the variables that point the studio at it:
//
//	go run ./cmd/falsim                        # 127.0.0.1:8090, jobs take a few polls
//	go run ./cmd/falsim -timing instant        # every job completes on its first poll
//	go run ./cmd/falsim -timing realtime       # ~3 s queued, ~5 s running, by the clock
//	go run ./cmd/falsim -rules                 # the scripted keys and prompts
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/falstudio/falstudio/internal/falsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "falsim:", err)
		}
		os.Exit(2)
	}
}

// timings are the -timing presets.
var timings = map[string]falsim.Options{
	"instant":  {},
	"polls":    {QueuePolls: 2, RunPolls: 3},
	"realtime": {QueueTime: 3 * time.Second, RunTime: 5 * time.Second},
}

// run serves until ctx ends. The "Ctrl+C stops" line is printed once the listener is up;
// scripts (e2e/lib/harness.mjs) wait for it and read the FAL_* lines above it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("falsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address (loopback by default; the simulator has no real auth)")
	timing := fs.String("timing", "polls", "job timing: instant, polls (see -queue-polls/-run-polls) or realtime")
	queue := fs.Int("queue-polls", 2, "with -timing polls: status polls a job spends in the queue (falling positions)")
	runPolls := fs.Int("run-polls", 3, "with -timing polls: status polls a job spends in progress (one log line each)")
	export := fs.Bool("export", false, "print the variables as shell export lines")
	rules := fs.Bool("rules", false, "print the scripted keys and prompts, then exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rules {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ON\tMATCH\tEFFECT")
		for _, t := range falsim.Triggers {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.On, t.Match, t.Effect)
		}
		return tw.Flush()
	}
	opts, ok := timings[*timing]
	if !ok {
		return fmt.Errorf("unknown -timing %q (instant, polls, realtime)", *timing)
	}
	if *timing == "polls" {
		opts.QueuePolls, opts.RunPolls = max(*queue, 0), max(*runPolls, 0)
	}
	if host, _, err := net.SplitHostPort(*addr); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			fmt.Fprintf(stderr, "falsim: warning: %s is reachable from other machines; the simulator accepts any sim key\n", *addr)
		}
	}

	sim := falsim.New(opts)
	if err := sim.Start(*addr); err != nil {
		return err
	}
	defer sim.Close()
	env := sim.URLs().Env()
	prefix := ""
	if *export {
		prefix = "export "
	}
	fmt.Fprintln(stdout, "# fal simulator; point the studio at it (put these lines in .env, or prefix go run with them):")
	for _, k := range falsim.EnvNames {
		fmt.Fprintf(stdout, "%s%s=%s\n", prefix, k, env[k])
	}
	fmt.Fprintln(stdout, "# any key starting with sim works (admin… also reads credits); falsim -rules lists the scripted failures. Ctrl+C stops.")
	<-ctx.Done()
	return nil
}
