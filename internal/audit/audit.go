// Package audit is the studio's audit log of security and admin events (SPEC §6): Record
// appends an event, List pages them newest first. No password, fal key, session token or
// invite/reset/share token ever enters it: details are short, typed values under names that
// cannot hold a secret, and Record drops anything else.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Actions. Other services (budgets, shares) record theirs with the constants below.
const (
	ActionSignup            = "user.signup"
	ActionLogin             = "auth.login"
	ActionLoginFailed       = "auth.login_failed"
	ActionLogout            = "auth.logout"
	ActionPasswordChange    = "password.change"
	ActionPasswordResetLink = "password.reset_link" // an admin (or the command line) made a reset link
	ActionPasswordReset     = "password.reset"      // a reset link was used
	ActionFalKeySave        = "fal_key.save"
	ActionFalKeyRemove      = "fal_key.remove"
	ActionRoleChange        = "user.role"
	ActionDisable           = "user.disable"
	ActionEnable            = "user.enable"
	ActionDelete            = "user.delete"
	ActionInviteCreate      = "invite.create"
	ActionInviteUse         = "invite.use"
	ActionInviteRevoke      = "invite.revoke"
	ActionBudgetChange      = "budget.change"
	ActionShareCreate       = "share.create"
	ActionShareRevoke       = "share.revoke"
	ActionTokenCreate       = "token.create"
	ActionTokenRevoke       = "token.revoke"
)

// Target types.
const (
	TargetUser   = "user"
	TargetInvite = "invite"
	TargetShare  = "share"
	TargetToken  = "token"
)

// Actor is who acted; its email is copied into the event, so the log outlives the account.
type Actor struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

// Target is what an event acted on.
type Target struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Entry is an event to record. IP defaults to the one WithIP put in the context.
type Entry struct {
	Actor  *Actor
	Action string
	Target *Target
	IP     string
	// Detail holds short facts (a role, a reason, an email). Values must be strings, numbers,
	// booleans or nil; a name that could hold a secret (password, token, key, secret, cookie,
	// hash) is dropped, and strings are cut at 200 bytes.
	Detail map[string]any
}

// Event is a stored entry, the SPEC §6 JSON shape.
type Event struct {
	ID     int64          `json:"id"`
	Time   time.Time      `json:"time"`
	Actor  *Actor         `json:"actor"`
	Action string         `json:"action"`
	Target *Target        `json:"target"`
	IP     string         `json:"ip"`
	Detail map[string]any `json:"detail"`
}

// ActorOf is the actor for a user (nil for nil).
func ActorOf(u *model.User) *Actor {
	if u == nil {
		return nil
	}
	return &Actor{ID: u.ID, Email: u.Email}
}

// User is a user target.
func User(id int64) *Target { return &Target{Type: TargetUser, ID: strconv.FormatInt(id, 10)} }

type ctxKey struct{}

// WithIP carries the client address of a request to Record.
func WithIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, ctxKey{}, ip)
}

func ipFrom(ctx context.Context) string {
	ip, _ := ctx.Value(ctxKey{}).(string)
	return ip
}

// Log is the audit log.
type Log struct {
	st  *store.Store
	log *slog.Logger
}

// New returns the audit log over the store.
func New(st *store.Store, logger *slog.Logger) *Log {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Log{st: st, log: logger}
}

// secretish names are never kept in a detail, whatever their value.
var secretish = []string{"password", "token", "key", "secret", "cookie", "hash", "session"}

func clean(detail map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range detail {
		lk := strings.ToLower(k)
		drop := len(k) > 40
		for _, s := range secretish {
			drop = drop || strings.Contains(lk, s)
		}
		if drop {
			continue
		}
		switch x := v.(type) {
		case string:
			if len(x) > 200 {
				x = x[:200]
			}
			out[k] = x
		case bool, int, int64, float64, nil:
			out[k] = x
		case []string: // short lists (a token's scopes)
			if len(x) <= 20 {
				out[k] = append([]string{}, x...)
			}
		}
	}
	return out
}

// Record appends an event. The action has already happened: a failure to record is logged
// here and not returned, so no caller has to choose between its work and its log line.
// A nil Log records nothing (tests of other services).
func (l *Log) Record(ctx context.Context, e Entry) {
	if l == nil {
		return
	}
	if err := l.record(ctx, e); err != nil {
		l.log.Error("audit: event not recorded", "action", e.Action, "err", err)
	}
}

func (l *Log) record(ctx context.Context, e Entry) error {
	if e.Action == "" {
		return errors.New("audit: no action")
	}
	ip := e.IP
	if ip == "" {
		ip = ipFrom(ctx)
	}
	detail, err := json.Marshal(clean(e.Detail))
	if err != nil {
		return fmt.Errorf("audit: detail: %w", err)
	}
	row := &store.AuditRow{Action: e.Action, IP: ip, DetailJSON: string(detail)}
	if e.Actor != nil {
		row.ActorID, row.ActorEmail = e.Actor.ID, e.Actor.Email
	}
	if e.Target != nil {
		row.TargetType, row.TargetID = e.Target.Type, e.Target.ID
	}
	// The request may end (the client leaves) right after the action: record it anyway.
	return l.st.InsertAudit(context.WithoutCancel(ctx), row)
}

// Page is one page of events, newest first, and the cursor of the next ("" at the end).
type Page struct {
	Events     []Event
	NextCursor string
}

// MaxLimit bounds a page.
const MaxLimit = 200

// ErrBadCursor is a cursor List did not make.
var ErrBadCursor = model.Errf(model.CodeInvalidInput, "The cursor is not valid; start again from the first page.")

// List returns a page of events older than cursor ("" : the newest), at most limit (default 50).
func (l *Log) List(ctx context.Context, cursor string, limit int) (*Page, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, MaxLimit)
	var before int64
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n <= 0 || len(cursor) > 20 {
			return nil, ErrBadCursor
		}
		before = n
	}
	rows, err := l.st.AuditEvents(ctx, before, limit+1)
	if err != nil {
		return nil, err
	}
	p := &Page{Events: make([]Event, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			p.NextCursor = strconv.FormatInt(rows[i-1].ID, 10)
			break
		}
		ev := Event{ID: r.ID, Time: r.At, Action: r.Action, IP: r.IP, Detail: map[string]any{}}
		if r.ActorID > 0 || r.ActorEmail != "" {
			ev.Actor = &Actor{ID: r.ActorID, Email: r.ActorEmail}
		}
		if r.TargetType != "" {
			ev.Target = &Target{Type: r.TargetType, ID: r.TargetID}
		}
		if err := json.Unmarshal([]byte(r.DetailJSON), &ev.Detail); err != nil {
			ev.Detail = map[string]any{}
		}
		p.Events = append(p.Events, ev)
	}
	return p, nil
}
