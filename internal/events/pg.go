package events

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// channel is the PostgreSQL notification channel the replicas share.
const channel = "falstudio_events"

// PGRelay carries changes between replicas that share one PostgreSQL database: Send issues a
// NOTIFY, and Run LISTENs and delivers the other replicas' changes into the local hub.
type PGRelay struct {
	hub      *Hub
	instance string
	url      string
	pool     *pgxpool.Pool
	log      *slog.Logger
	ready    chan struct{} // closed once the first LISTEN is in place
}

type wire struct {
	Change
	From string `json:"i"`
}

// NewPGRelay connects to the database at url. Start Run, then hub.SetRelay(relay).
func NewPGRelay(ctx context.Context, url, instance string, hub *Hub, log *slog.Logger) (*PGRelay, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 2 // NOTIFYs are tiny and quick
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &PGRelay{hub: hub, instance: instance, url: url, pool: pool, log: log, ready: make(chan struct{})}, nil
}

// Send tells the other replicas about c. A failure only delays their streams (they re-read on
// their next wake-up), so it is logged, never returned.
func (r *PGRelay) Send(c Change) {
	b, err := json.Marshal(wire{Change: c, From: r.instance})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := r.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, string(b)); err != nil {
		r.log.Warn("events: notify failed", "err", err)
	}
}

// Close releases the relay's connections (idempotent).
func (r *PGRelay) Close() { r.pool.Close() }

// Ready is closed once the relay listens (tests wait for it).
func (r *PGRelay) Ready() <-chan struct{} { return r.ready }

// Run listens until ctx ends, reconnecting with growing pauses after a lost connection; after
// each reconnect every local stream is woken, since changes may have been missed meanwhile.
func (r *PGRelay) Run(ctx context.Context) {
	pause := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := r.listen(ctx, func() {
			if first {
				close(r.ready)
				first = false
			} else {
				r.hub.DeliverAll()
			}
			pause = 100 * time.Millisecond
		})
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("events: listen connection lost; reconnecting", "err", err, "pause", pause)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(pause*2, 10*time.Second)
	}
}

func (r *PGRelay) listen(ctx context.Context, listening func()) error {
	conn, err := pgx.Connect(ctx, r.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+channel); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var w wire
		if json.Unmarshal([]byte(n.Payload), &w) != nil || w.From == r.instance {
			continue // our own change was delivered locally already
		}
		r.hub.Deliver(w.Change)
	}
}
