// Command falsim runs the fake fal server for local development and browser tests, and prints
// the variables that point the studio at it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/falstudio/falstudio/internal/falsim"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address (loopback by default)")
	queue := flag.Int("queue-polls", 2, "status polls a job spends in the queue")
	run := flag.Int("run-polls", 3, "status polls a job spends in progress (one log line each)")
	flag.Parse()

	sim := falsim.New(falsim.Options{QueuePolls: *queue, RunPolls: *run})
	if err := sim.Start(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "falsim:", err)
		os.Exit(1)
	}
	env := sim.URLs().Env()
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println("# fal simulator running; point the studio at it with:")
	for _, k := range keys {
		fmt.Printf("export %s=%s\n", k, env[k])
	}
	fmt.Println("# then save any key such as sim-key (admin-key reads credits) in Account. Ctrl+C stops.")

	ctx := make(chan os.Signal, 1)
	signal.Notify(ctx, os.Interrupt, syscall.SIGTERM)
	<-ctx
	_ = sim.Close()
}
